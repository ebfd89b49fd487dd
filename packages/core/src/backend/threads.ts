import { ThreadCountError } from './errors.js';

/** The most threads a wasm backend is started with; XNNPACK's pool gains nothing past the cores. */
export const MAX_THREADS = 256;

/**
 * Check a thread count given as a number or as text (a command-line flag, an environment
 * variable): an integer from 1 to {@link MAX_THREADS}.
 * @param value The count.
 * @param source Where it came from, for the error (`'--threads'`, `'YONOS_THREADS'`, `'wasmThreads'`).
 * @throws ThreadCountError otherwise.
 */
export function parseThreadCount(value: number | string, source: string): number {
  const text = String(value).trim();
  const n = typeof value === 'number' ? value : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new ThreadCountError(source, text);
  return n;
}
