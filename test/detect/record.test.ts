import { describe, expect, it } from 'vitest';
import { recordTrace } from '../../src/cli/detect.js';
import { replayTrace } from '../../src/detect/qos.js';
import { createDetector } from '../../src/detect/registry.js';
import { formatTrace, parseTrace } from '../../src/detect/trace-file.js';

describe('nines detect record (real processes, loopback UDP)', () => {
  it('records ~duration/interval heartbeats, then a real crash that detectors detect', async () => {
    const messages: string[] = [];
    const trace = await recordTrace(2000, 50, (m) => messages.push(m));
    const epoch = trace.epochs[0]!;
    expect(epoch.crashMs).not.toBeNull();
    expect(epoch.crashMs!).toBeGreaterThanOrEqual(1990);
    expect(epoch.endMs - epoch.crashMs!).toBeGreaterThanOrEqual(2900);
    // the child needs a moment to start; after that ~20 heartbeats per second
    expect(trace.arrivalsMs.length).toBeGreaterThan(10);
    expect(trace.arrivalsMs.length).toBeLessThanOrEqual(41);
    expect(trace.arrivalsMs.at(-1)!).toBeLessThan(epoch.crashMs! + 100);
    const back = parseTrace(formatTrace(trace), 'rec.jsonl');
    expect(Array.from(back.arrivalsMs)).toEqual(Array.from(trace.arrivalsMs));
    const q = replayTrace(back, createDetector('adaptive'));
    expect(q.detectionTimesMs[0]!).toBeLessThan(2000);
    expect(messages.length).toBeGreaterThan(0);
  }, 20_000);
});
