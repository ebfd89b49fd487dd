import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataScriptError } from './errors.js';

/** A Debian package downloaded (not installed) and unpacked into a cache folder. */
export interface UnpackedPackage {
  /** Package name, e.g. `mate-backgrounds`. */
  readonly name: string;
  /** Exact Debian version of the `.deb` used (from its control file), e.g. `1.26.0-1`. */
  readonly version: string;
  /** The `.deb` file. */
  readonly debPath: string;
  /** Folder the package was unpacked into with `dpkg -x` (its files keep their absolute paths below it). */
  readonly root: string;
}

function run(command: string, args: readonly string[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DataScriptError(
      missing
        ? `'${command}' is not installed: these scripts need a Debian-based system with apt-get and dpkg.`
        : `Cannot run ${command}: ${result.error.message}.`,
      { cause: result.error },
    );
  }
  if (result.status !== 0) {
    throw new DataScriptError(
      `'${command} ${args.join(' ')}' failed (exit ${result.status}): ${result.stderr.trim()}` +
        (command === 'apt-get' ? ' — run `apt-get update` first, and check the name with `apt-cache policy NAME`.' : ''),
    );
  }
  return result.stdout;
}

async function findDeb(debDir: string, name: string): Promise<string[]> {
  const files = existsSync(debDir) ? await readdir(debDir) : [];
  return files.filter((f) => f.startsWith(`${name}_`) && f.endsWith('.deb')).sort().map((f) => join(debDir, f));
}

/**
 * Downloads a Debian package with `apt-get download` (no install, no root needed except for
 * apt's sandbox user) into `<cacheDir>/debs`, unless a `.deb` of it is already there, and
 * unpacks it with `dpkg -x` into `<cacheDir>/extract/<name>` (skipped when that `.deb` was
 * already unpacked). Reusing the cached `.deb` keeps a rerun on the same bytes even after the
 * archive moves on; pass `refresh` to fetch the current version.
 *
 * @throws {@link DataScriptError} if apt-get/dpkg are missing, the package is unknown, or several `.deb`s of it are cached.
 */
export async function fetchDebPackage(name: string, cacheDir: string, refresh = false): Promise<UnpackedPackage> {
  const debDir = join(cacheDir, 'debs');
  await mkdir(debDir, { recursive: true });
  let debs = await findDeb(debDir, name);
  if (refresh) {
    for (const d of debs) await rm(d);
    debs = [];
  }
  if (debs.length === 0) {
    // As root, apt drops to the `_apt` user, who cannot write into an arbitrary folder.
    const sandbox = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
    run('apt-get', ['download', ...sandbox, name], debDir);
    debs = await findDeb(debDir, name);
  }
  if (debs.length !== 1) {
    throw new DataScriptError(
      debs.length === 0
        ? `apt-get download ${name} left no ${name}_*.deb in ${debDir}.`
        : `Several .deb files of ${name} in ${debDir} (${debs.map((d) => basename(d)).join(', ')}): delete all but one, or pass --refresh.`,
    );
  }
  const debPath = debs[0]!;
  const version = run('dpkg-deb', ['-f', debPath, 'Version']).trim();
  const root = join(cacheDir, 'extract', name);
  const marker = join(root, `.unpacked-${basename(debPath)}`);
  if (!existsSync(marker)) {
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    run('dpkg', ['-x', debPath, root]);
    await writeFile(marker, `${name} ${version}\n`);
  }
  return { name, version, debPath, root };
}
