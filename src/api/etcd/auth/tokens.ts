import { createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Passwords and tokens, at the edge (the state machine only stores their results).
 * Passwords: scrypt with a random 16-byte salt. Tokens: "<user b64url>.<expiry ms>.<hmac>"
 * signed with the cluster's replicated secret, so any member can check a token another
 * member issued (etcd's simple tokens live in one member's memory).
 */
export const TokenLimits = {
  /** etcd's --auth-token-ttl default (300 s). */
  ttlMs: 300_000,
  tokenBytesMax: 1024,
} as const;

const SCRYPT_KEY_BYTES = 32;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, SCRYPT_KEY_BYTES).toString('hex')}`;
}

export function checkPassword(password: string, stored: string | null): boolean {
  if (stored === null) return false;
  const [scheme, saltHex, hashHex] = stored.split('$');
  if (scheme !== 'scrypt' || saltHex === undefined || hashHex === undefined) return false;
  const want = Buffer.from(hashHex, 'hex');
  const got = scryptSync(password, Buffer.from(saltHex, 'hex'), want.length);
  return want.length === got.length && timingSafeEqual(want, got);
}

export function newSecretHex(): string {
  return randomBytes(32).toString('hex');
}

function sign(secretHex: string, body: string): string {
  return createHmac('sha256', Buffer.from(secretHex, 'hex')).update(body).digest('base64url');
}

export function issueToken(secretHex: string, user: string, nowMs: number): string {
  const body = `${Buffer.from(user).toString('base64url')}.${nowMs + TokenLimits.ttlMs}`;
  return `${body}.${sign(secretHex, body)}`;
}

/**
 * The key a user's tokens are signed with: the cluster secret bound to the user's current
 * password hash, so changing the password (or deleting and re-adding the user) ends the
 * user's sessions, as etcd's default (simple) tokens do.
 */
export function userTokenKeyHex(secretHex: string, passwordHash: string | null): string {
  if (secretHex === '') return '';
  return createHmac('sha256', Buffer.from(secretHex, 'hex')).update(`user-token-key:${passwordHash ?? ''}`).digest('hex');
}

/** The user a token claims to be for, before verifying it (to find the key to verify with). */
export function tokenClaimedUser(token: string): string | undefined {
  if (token.length > TokenLimits.tokenBytesMax) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] === undefined) return undefined;
  return Buffer.from(parts[0], 'base64url').toString();
}

/** The user a valid, unexpired token names, or undefined. */
export function verifyToken(secretHex: string, token: string, nowMs: number): string | undefined {
  if (secretHex === '' || token.length > TokenLimits.tokenBytesMax) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [user, expiry, mac] = parts as [string, string, string];
  const want = Buffer.from(sign(secretHex, `${user}.${expiry}`));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  if (!(Number(expiry) > nowMs)) return undefined;
  return Buffer.from(user, 'base64url').toString();
}
