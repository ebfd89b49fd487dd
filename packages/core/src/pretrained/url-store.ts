import { openSafetensorsUrl } from '../safetensors/read.js';
import type { SafetensorsReader } from '../safetensors/reader.js';
import { PretrainedError } from './errors.js';
import type { ModelStore } from './store.js';

/** A read-only {@link ModelStore} over HTTP(S): files are fetched relative to a base URL. Works in browsers and Node. */
export class UrlModelStore implements ModelStore {
  readonly location: string;
  readonly #base: URL;

  /** @param base the folder's URL; a trailing `/` is added when missing. */
  constructor(base: string | URL, private readonly init?: RequestInit) {
    const href = String(base);
    this.#base = new URL(href.endsWith('/') ? href : `${href}/`);
    this.location = this.#base.href;
  }

  #url(path: string): URL {
    return new URL(path, this.#base);
  }

  async exists(path: string): Promise<boolean> {
    try {
      const res = await fetch(this.#url(path), { ...this.init, method: 'HEAD' });
      // Read the (empty) body: a response left unread is reported by Chromium as an aborted
      // request (net::ERR_ABORTED), which looks like a failed download in the console.
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  async readText(path: string): Promise<string> {
    const url = this.#url(path);
    let res: Response;
    try {
      res = await fetch(url, this.init);
    } catch (cause) {
      throw new PretrainedError(`cannot fetch ${url.href}: ${(cause as Error).message}; check the URL and the network.`, { cause });
    }
    if (!res.ok) throw new PretrainedError(`cannot fetch ${url.href}: HTTP ${res.status}; check that the model folder has ${path}.`);
    return res.text();
  }

  openSafetensors(path: string): Promise<SafetensorsReader> {
    return openSafetensorsUrl(this.#url(path), this.init);
  }
}
