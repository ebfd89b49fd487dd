/**
 * Cross-origin isolation: browsers give a page SharedArrayBuffer, and so tfjs's threaded wasm
 * build, only when the page is served with these two headers (a static host must send them
 * too). Every resource the page loads must then be same-origin or allow embedding (CORP).
 */
export const CROSS_ORIGIN_ISOLATION: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
