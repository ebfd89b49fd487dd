import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

/** The packages `yonos info` reports, umbrella first. */
export const REPORTED_PACKAGES = ['yonos', '@yonos/core', '@yonos/vae', '@yonos/unet', '@yonos/sampler', '@yonos/degrade', '@yonos/distill', '@yonos/queue'] as const;

/** A package and its installed version (`undefined` when it cannot be found). */
export interface PackageVersion {
  readonly name: string;
  readonly version: string | undefined;
}

function readVersion(path: string | URL): string | undefined {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
  return typeof json.version === 'string' ? json.version : undefined;
}

/**
 * Installed versions of the YONOS packages and of `@tensorflow/tfjs-core`, read from their
 * `package.json` files (every package exports `./package.json`).
 */
export function packageVersions(): PackageVersion[] {
  const require = createRequire(import.meta.url);
  const out: PackageVersion[] = REPORTED_PACKAGES.map((name) => {
    try {
      // src/cli and dist/cli are both two levels below the umbrella's package.json.
      const path = name === 'yonos' ? new URL('../../package.json', import.meta.url) : require.resolve(`${name}/package.json`);
      return { name, version: readVersion(path) };
    } catch {
      return { name, version: undefined };
    }
  });
  out.push({ name: '@tensorflow/tfjs-core', version: tf.version_core });
  return out;
}
