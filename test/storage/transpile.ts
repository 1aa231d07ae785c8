import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Node 20 cannot run TypeScript, so a child process for a crash test gets a private JS build:
 * the listed source folders are transpiled (types stripped, no type check) into a temp dir that
 * mirrors the repo layout, with node_modules linked so packages resolve.
 */
export function transpileForChild(repoRoot: string, folders: readonly string[], files: readonly string[]): string {
  const out = mkdtempSync(join(tmpdir(), 'nines-child-'));
  symlinkSync(join(repoRoot, 'node_modules'), join(out, 'node_modules'), 'dir');
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  const sources = [...files];
  for (const folder of folders) {
    for (const name of readdirSync(join(repoRoot, folder))) {
      if (name.endsWith('.ts')) sources.push(join(folder, name));
    }
  }
  for (const source of sources) {
    const text = readFileSync(join(repoRoot, source), 'utf8');
    const js = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: source,
    }).outputText;
    const target = join(out, relative('.', source).replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  return out;
}
