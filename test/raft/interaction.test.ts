import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTranscript } from './interaction.js';

const dir = join(import.meta.dirname, 'testdata');
const rewrite = process.env.NINES_REWRITE === '1';

describe('raft transcripts (set NINES_REWRITE=1 to regenerate goldens)', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    it(file, () => {
      const results = runTranscript(join(dir, file), rewrite);
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) {
        expect(`${r.command}\n----\n${r.actual}`).toBe(`${r.command}\n----\n${r.expected}`);
      }
    });
  }
});
