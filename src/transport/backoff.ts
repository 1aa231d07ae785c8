/**
 * Reconnect delay after `attempt` consecutive failures (0-based): exponential growth from
 * `minMs`, capped at `maxMs`, with "equal jitter" — half fixed, half uniform — so peers that
 * failed together do not redial together. `random01` is a uniform draw in [0, 1).
 */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random01: number): number {
  const exponent = Math.min(Math.max(attempt, 0), 52);
  const base = Math.min(maxMs, minMs * 2 ** exponent);
  return base / 2 + (base / 2) * random01;
}
