import type * as NodeEntry from './internal/node.js';

// The package's own internal Node entry, by name: Node resolves a package's self-reference through its
// `exports` map (dist in a published install, src under the test runner's `source` condition),
// and a specifier held in a variable keeps bundlers from following it into Node-only code.
const NODE_ENTRY_SPECIFIER = '@yonos/core/internal/node';

let loading: Promise<typeof NodeEntry> | undefined;

/**
 * Loads `@yonos/core/internal/node` on demand, for isomorphic code that needs a Node-only service
 * (Dawn WebGPU, the file system). Call only when running under Node.
 */
export function loadNodeEntry(): Promise<typeof NodeEntry> {
  loading ??= import(/* @vite-ignore */ NODE_ENTRY_SPECIFIER) as Promise<typeof NodeEntry>;
  return loading;
}
