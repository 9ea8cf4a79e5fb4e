import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './machine.js';

/**
 * A bench script transpiled to plain JavaScript, to run with `node` alone: a baseline server measured for its
 * RSS must not carry tsx's loader (a module-hooks thread of its own) when Flotilla runs from dist/ without it.
 * The output sits under node_modules/.cache so that its imports resolve from the project's node_modules.
 */
export function plainNodeScript(scriptPath: string): string {
  const out = join(ROOT, 'node_modules/.cache/flotilla-bench', basename(scriptPath).replace(/\.ts$/, '.mjs'));
  mkdirSync(join(out, '..'), { recursive: true });
  const { outputText } = ts.transpileModule(readFileSync(scriptPath, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(out, outputText);
  return out;
}
