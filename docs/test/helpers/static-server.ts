import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
};

/** A running static server; `close()` stops it. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** URLs requested so far (path and query), in order, with the status sent. */
  readonly requests: ReadonlyArray<{ readonly path: string; readonly status: number }>;
  close(): Promise<void>;
}

/** Resolves a URL path inside `root`, or `undefined` if it escapes `root` or is not a file. */
function fileIn(root: string, path: string): string | undefined {
  const file = normalize(join(root, path));
  const inside = relative(root, file);
  if (inside.startsWith('..') || inside.split(sep).includes('..')) return undefined;
  if (existsSync(file) && statSync(file).isDirectory()) return fileIn(root, join(path, 'index.html'));
  return existsSync(file) && statSync(file).isFile() ? file : undefined;
}

/**
 * Serves folders over HTTP on 127.0.0.1 (a secure context, so the page gets `navigator.gpu`):
 * `mounts` maps URL prefixes (`'/'`, `'/model/'`) to directories; the longest prefix wins.
 * GET and HEAD only, no caching. `options.headers` are added to every file response (e.g.
 * the demo's COOP/COEP headers).
 */
export async function serveStatic(mounts: Readonly<Record<string, string>>, options: { readonly headers?: Readonly<Record<string, string>> } = {}): Promise<StaticServer> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const requests: Array<{ path: string; status: number }> = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    const prefix = prefixes.find((p) => path.startsWith(p));
    const file = prefix === undefined ? undefined : fileIn(mounts[prefix]!, path.slice(prefix.length));
    const ok = file !== undefined && (req.method === 'GET' || req.method === 'HEAD');
    requests.push({ path: url.pathname + url.search, status: ok ? 200 : 404 });
    if (!ok) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(statSync(file).size),
      'Cache-Control': 'no-store',
      ...options.headers,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
