import { isNode } from '../backend/environment.js';
import { loadNodeEntry } from '../node-entry.js';
import { PretrainedError } from './errors.js';
import type { ModelStore, WritableModelStore } from './store.js';
import { UrlModelStore } from './url-store.js';

/** Where a model folder is: a directory path (Node), a URL, or a store of your own. */
export type ModelLocation = string | URL | ModelStore;

function isStore(location: ModelLocation): location is ModelStore {
  return typeof location === 'object' && !(location instanceof URL);
}

/**
 * Resolves a {@link ModelLocation}: `http(s):` URLs become a {@link UrlModelStore}; in
 * Node, other strings and `file:` URLs are directories; in a browser, other strings are
 * URLs relative to the page.
 */
export async function openModelStore(location: ModelLocation): Promise<ModelStore> {
  if (isStore(location)) return location;
  const text = String(location);
  if (/^https?:\/\//i.test(text)) return new UrlModelStore(text);
  if (isNode()) return openNodeDirectory(text.startsWith('file:') ? decodeURIComponent(new URL(text).pathname) : text);
  return new UrlModelStore(new URL(text, globalThis.location?.href));
}

/**
 * Resolves a location that must be writable: a directory in Node, or a writable store.
 * @throws PretrainedError for URLs and in browsers without a store.
 */
export async function openWritableModelStore(location: ModelLocation): Promise<WritableModelStore> {
  if (isStore(location)) {
    if ('writeText' in location && 'writeSafetensors' in location) return location as WritableModelStore;
    throw new PretrainedError(`the model store at ${location.location} is read-only; pass a directory or a WritableModelStore.`);
  }
  const text = String(location);
  if (!isNode() || /^https?:\/\//i.test(text)) {
    throw new PretrainedError(`cannot save to ${text}: saving needs a directory in Node or a WritableModelStore.`);
  }
  return openNodeDirectory(text.startsWith('file:') ? decodeURIComponent(new URL(text).pathname) : text);
}

async function openNodeDirectory(directory: string): Promise<WritableModelStore> {
  return (await loadNodeEntry()).openDirectoryStore(directory);
}
