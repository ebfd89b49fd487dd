// Runs every `bench/*.bench.ts` of the package in the current directory, one after another,
// against the sources (`source` export condition), so a benchmark needs no build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const files = existsSync('bench') ? readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).sort() : [];
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${process.env.npm_package_name ?? ''} ${file} ===`);
  const run = spawnSync('npx', ['tsx', '--conditions=source', `bench/${file}`, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
