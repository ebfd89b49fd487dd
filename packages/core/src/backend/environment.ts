import type { Platform } from './types.js';

interface MaybeProcess {
  readonly versions?: { readonly node?: string };
}

/** True when running under Node.js (or a runtime that emulates it, such as Bun or Deno's Node mode). */
export function isNode(): boolean {
  const proc = (globalThis as { process?: MaybeProcess }).process;
  return typeof proc?.versions?.node === 'string';
}

/** True in a browser window or worker. */
export function isBrowser(): boolean {
  const g = globalThis as { window?: unknown; document?: unknown; importScripts?: unknown };
  return (typeof g.window === 'object' && typeof g.document === 'object') || typeof g.importScripts === 'function';
}

/** Where the code runs; a browser wins over Node (for example Electron renderers). */
export function currentPlatform(): Platform {
  if (isBrowser()) return 'browser';
  if (isNode()) return 'node';
  return 'other';
}
