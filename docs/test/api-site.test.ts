import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const docsDir = fileURLToPath(new URL('..', import.meta.url));

describe('API reference site', () => {
  it('typedoc documents every export of every package without a warning', () => {
    // typedoc reads each package's built declarations, so bring dist/ up to date first.
    execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: docsDir, stdio: 'pipe' });
    let output = '';
    try {
      output = execFileSync('npx', ['typedoc', '--options', 'typedoc.json', '--emit', 'none'], { cwd: docsDir, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    }
    const problems = output.split('\n').filter((line) => /\[(warning|error)\]/.test(line));
    expect(problems).toEqual([]);
  }, 600_000);
});
