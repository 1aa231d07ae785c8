import { describe, expect, it } from 'vitest';
import { type SweepOptions, sweep } from '../../src/sim/sweep.js';

function output(options: SweepOptions): string {
  let text = '';
  sweep(options, (chunk) => {
    text += chunk;
  });
  return text;
}

describe('determinism', () => {
  it('the same seed prints the same output, byte for byte', () => {
    const a = output({ seed: 11, runs: 2, trace: true });
    expect(output({ seed: 11, runs: 2, trace: true })).toBe(a);
    expect(a).toContain('seed 11:');
    expect(a).toContain('seed 12:');
    expect(a).toMatch(/last \d+ events:/);
    expect(a).toMatch(/2 runs: \d+ passed, \d+ failed\n$/);
  });

  it('JSON output is one deterministic document, and different seeds differ', () => {
    const a = output({ seed: 21, runs: 2, json: true });
    expect(output({ seed: 21, runs: 2, json: true })).toBe(a);
    expect(output({ seed: 23, runs: 2, json: true })).not.toBe(a);
    const doc = JSON.parse(a) as { runs: number; passed: number; failed: number; results: { seed: number }[] };
    expect(doc.runs).toBe(2);
    expect(doc.passed + doc.failed).toBe(2);
    expect(doc.results.map((r) => r.seed)).toEqual([21, 22]);
  });

  it('reports failures with a reproduce line and counts them', () => {
    let text = '';
    const outcome = sweep({ seed: 1, runs: 1, plantBug: 'noConflictTruncation' }, (c) => {
      text += c;
    });
    expect(outcome.failed).toBe(1);
    expect(outcome.failures[0]?.ok).toBe(false);
    expect(text).toContain('reproduce: nines sim --seed 1 --plant-bug noConflictTruncation');
    expect(text).toMatch(/violations:\n {4}\[[\d.]+ms\] /);
  });

  it('rejects a bad run count', () => {
    expect(() => sweep({ seed: 1, runs: 0 }, () => {})).toThrow(/--runs/);
  });
});
