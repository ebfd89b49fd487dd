#!/usr/bin/env node
// Launcher of the `yonos` command: runs the compiled CLI. During development, run the
// TypeScript directly instead: npx tsx --conditions=source packages/yonos/src/cli/main.ts
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error(
    'error: the yonos command is not built (dist/cli/main.js is missing): run `npm run build` at the repository root, ' +
      'or use `npx tsx --conditions=source packages/yonos/src/cli/main.ts` during development.',
  );
  process.exit(1);
}
await import(main.href);
