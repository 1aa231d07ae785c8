import { createServer } from 'node:net';
import { BenchLimits } from './limits.js';

/** Whether nothing listens on `host:port` right now (a bind test; racy but good enough locally). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * The first base port, from `start` upwards in steps of `step`, for which every port in
 * `offsets` (relative to the base) is free. Throws after `BenchLimits.portProbeAttemptsMax` tries.
 */
export async function findFreeBasePort(host: string, start: number, offsets: readonly number[], step: number): Promise<number> {
  for (let attempt = 0; attempt < BenchLimits.portProbeAttemptsMax; attempt++) {
    const base = start + attempt * step;
    if (base + Math.max(...offsets) > 65_535) break;
    let free = true;
    for (const offset of offsets) {
      if (!(await portFree(host, base + offset))) {
        free = false;
        break;
      }
    }
    if (free) return base;
  }
  throw new Error(`no free block of ports found from ${start} (tried ${BenchLimits.portProbeAttemptsMax} bases); pass another --base-port`);
}

/** The offsets used by n members at `stride` apart, each with `perMember` consecutive ports. */
export function memberPortOffsets(nodes: number, stride: number, perMember: number): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < nodes; i++) for (let j = 0; j < perMember; j++) offsets.push(i * stride + j);
  return offsets;
}
