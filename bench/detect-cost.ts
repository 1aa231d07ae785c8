/**
 * Cost of a detector: 10^6 × (heartbeat() + suspicion()) per detector, in ns per call pair.
 * Goal: ≤ 1 µs amortised for `adaptive`. Run: npx tsc -p tsconfig.json && node dist/bench/detect-cost.js
 */
import { normal, SeededRandom } from '../src/core/random.js';
import { createDetector, detectorNames } from '../src/detect/registry.js';

const CALLS = 1_000_000;
const random = new SeededRandom(42);
const arrivals = new Float64Array(CALLS);
let t = 0;
for (let i = 0; i < CALLS; i++) {
  t += Math.max(0, 100 + normal(random, 0, 5));
  arrivals[i] = t;
}

let sink = 0;
const results: { detector: string; nsPerCall: number }[] = [];
for (const name of detectorNames) {
  // warm-up run, then the measured one
  for (let round = 0; round < 2; round++) {
    const d = createDetector(name);
    const startNs = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) {
      const a = arrivals[i]!;
      d.heartbeat(a);
      sink += d.suspicion(a + 50);
    }
    const ns = Number(process.hrtime.bigint() - startNs) / CALLS;
    if (round === 1) results.push({ detector: name, nsPerCall: ns });
  }
}
for (const r of results) {
  const note = r.detector === 'adaptive' ? (r.nsPerCall <= 1000 ? '  (goal ≤ 1000 ns: met)' : '  (goal ≤ 1000 ns: NOT met)') : '';
  process.stdout.write(`${r.detector.padEnd(20)} ${r.nsPerCall.toFixed(0).padStart(6)} ns per heartbeat()+suspicion()${note}\n`);
}
if (Number.isNaN(sink)) process.stdout.write('\n');
