import { Command } from 'commander';
import { vi } from 'vitest';

/**
 * Run `nines <args>` in-process on a fresh program holding only the commands `register`
 * adds; capture stdout and stderr, and return the exit code the command set (then clear it).
 */
export async function runCli(
  register: ReadonlyArray<(program: Command) => void>,
  args: readonly string[],
): Promise<{ out: string; err: string; code: number }> {
  const program = new Command('nines').exitOverride();
  for (const r of register) r(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'nines', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out, err, code };
}
