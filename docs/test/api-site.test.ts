import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const docsDir = fileURLToPath(new URL('..', import.meta.url));

describe('API reference site', () => {
  it('typedoc documents every export of every package without a warning, and exits 0', () => {
    // typedoc reads each package's built declarations, so bring dist/ up to date first.
    execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: docsDir, stdio: 'pipe' });
    const typedoc = spawnSync('npx', ['typedoc', '--options', 'typedoc.json', '--emit', 'none'], { cwd: docsDir, encoding: 'utf8' });
    const output = `${typedoc.stdout ?? ''}${typedoc.stderr ?? ''}`;
    const problems = output.split('\n').filter((line) => /\[(warning|error)\]/.test(line));
    expect(problems).toEqual([]);
    // A crash (or a signal) prints no [warning]/[error] line: the exit status tells.
    expect(typedoc.error, 'typedoc could not be started').toBeUndefined();
    expect({ status: typedoc.status, signal: typedoc.signal, output: typedoc.status === 0 ? '' : output }).toEqual({ status: 0, signal: null, output: '' });
  }, 600_000);
});
