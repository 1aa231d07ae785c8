import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AuthState } from '../../../src/api/etcd/auth/state.js';
import { checkPassword, hashPassword, issueToken, newSecretHex, verifyToken } from '../../../src/api/etcd/auth/tokens.js';

function stateWith(perms: { key: string; rangeEnd: string; permType: 'READ' | 'WRITE' | 'READWRITE' }[]): AuthState {
  const s = new AuthState();
  s.apply({ type: 'userAdd', name: 'u', passwordHash: null });
  s.apply({ type: 'roleAdd', name: 'r' });
  for (const p of perms) s.apply({ type: 'roleGrantPermission', name: 'r', permission: p });
  s.apply({ type: 'userGrantRole', user: 'u', role: 'r' });
  return s;
}

describe('AuthState', () => {
  test('enable needs root with the root role; refusals change nothing', () => {
    const s = new AuthState();
    expect(() => s.apply({ type: 'authEnable', secretHex: 'aa' })).toThrow('root user does not exist');
    s.apply({ type: 'userAdd', name: 'root', passwordHash: null });
    expect(() => s.apply({ type: 'authEnable', secretHex: 'aa' })).toThrow('root user does not have root role');
    const rev = s.revision;
    expect(() => s.apply({ type: 'userGrantRole', user: 'root', role: 'nope' })).toThrow('role name not found');
    expect(s.revision).toBe(rev);
    s.apply({ type: 'userGrantRole', user: 'root', role: 'root' });
    s.apply({ type: 'authEnable', secretHex: 'aa' });
    expect(s.enabled).toBe(true);
    expect(s.isAdmin('root')).toBe(true);
    expect(() => s.apply({ type: 'userDelete', name: 'root' })).toThrow('invalid auth management');
  });

  test('permission coverage: ranges join, single keys, from-key', () => {
    const s = stateWith([
      { key: 'a', rangeEnd: 'c', permType: 'READ' },
      { key: 'c', rangeEnd: 'e', permType: 'READWRITE' },
      { key: 'k', rangeEnd: '', permType: 'WRITE' },
      { key: 'x', rangeEnd: '\0', permType: 'READ' },
    ]);
    expect(s.permitted('u', 'READ', 'a', 'e')).toBe(true);
    expect(s.permitted('u', 'READ', 'a', 'f')).toBe(false);
    expect(s.permitted('u', 'WRITE', 'a', 'd')).toBe(false);
    expect(s.permitted('u', 'WRITE', 'c', 'e')).toBe(true);
    expect(s.permitted('u', 'WRITE', 'k', '')).toBe(true);
    expect(s.permitted('u', 'READ', 'k', '')).toBe(false);
    expect(s.permitted('u', 'WRITE', 'k', 'l')).toBe(false);
    expect(s.permitted('u', 'READ', 'zzz', '\0')).toBe(true);
    expect(s.permitted('u', 'READ', 'w', '\0')).toBe(false);
    expect(s.permitted('nobody', 'READ', 'a', '')).toBe(false);
  });

  test('property: a single key is permitted iff some granted range holds it', () => {
    const key = fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('a', 'b', 'c') });
    fc.assert(
      fc.property(fc.array(fc.tuple(key, key), { maxLength: 5 }), key, (ranges, probe) => {
        const perms = ranges.map(([x, y]) => {
          const [lo, hi] = [x, y].sort() as [string, string];
          return { key: lo, rangeEnd: lo === hi ? `${hi}\0` : hi, permType: 'READ' as const };
        });
        const s = stateWith(perms);
        const expected = perms.some((p) => probe >= p.key && probe < p.rangeEnd);
        expect(s.permitted('u', 'READ', probe, '')).toBe(expected);
      }),
    );
  });

  test('passwords and tokens', () => {
    const h = hashPassword('pw');
    expect(checkPassword('pw', h)).toBe(true);
    expect(checkPassword('pX', h)).toBe(false);
    expect(checkPassword('pw', null)).toBe(false);
    const secret = newSecretHex();
    const t = issueToken(secret, 'alice', 1000);
    expect(verifyToken(secret, t, 2000)).toBe('alice');
    expect(verifyToken(secret, t, 1000 + 300_001)).toBeUndefined();
    expect(verifyToken(newSecretHex(), t, 2000)).toBeUndefined();
    expect(verifyToken(secret, t.replace('.', 'x.'), 2000)).toBeUndefined();
  });
});
