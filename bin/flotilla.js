#!/usr/bin/env node
// The `flotilla` command. The TypeScript sources are compiled to dist/ by `npm ci` (the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('flotilla: dist/ is missing; run `npm ci` (or `npm run build`) first.');
  process.exit(1);
}
const { runCli } = await import(entry.href);
await runCli(process.argv);
