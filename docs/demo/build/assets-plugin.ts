/**
 * Vite plugin that makes the demo self-contained: the tfjs wasm binaries and the bundled
 * model folder are served by the dev server and written into the built site, so the page
 * needs no network beyond its own origin.
 */
import { cpSync, createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import type { Connect, Plugin } from 'vite';

/** Folder of the site (relative to its root) the wasm binaries are served from. */
export const WASM_DIR = 'wasm';
/** Folder of the site (relative to its root) the pipeline folder is served from. */
export const MODEL_DIR = 'model';
/** The three binaries of `@tensorflow/tfjs-backend-wasm` 4.x; the backend picks one at run time. */
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/** Options of {@link demoAssets}. */
export interface DemoAssetsOptions {
  /**
   * A YONOS pipeline folder (`model_index.json`, `vae/`, `unet/`, `scheduler/`) to publish at
   * `model/`. Nothing is copied when it has no `model_index.json`: the page then says that no
   * model is present.
   */
  readonly modelDir: string;
}

/** The `dist/` folder of the installed `@tensorflow/tfjs-backend-wasm` (where its `.wasm` files are). */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/** Whether `dir` holds a pipeline folder (its `model_index.json`). */
export function hasModel(dir: string): boolean {
  return existsSync(join(dir, 'model_index.json'));
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
  '.md': 'text/markdown; charset=utf-8',
};

function contentType(path: string): string {
  const dot = path.lastIndexOf('.');
  return CONTENT_TYPES[dot >= 0 ? path.slice(dot) : ''] ?? 'application/octet-stream';
}

/** A dev-server middleware serving files under `root` at URL prefix `/<prefix>/`; never outside `root`. */
function serveFolder(prefix: string, root: string): Connect.NextHandleFunction {
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const start = `/${prefix}/`;
    if (!url.pathname.startsWith(start)) return next();
    const file = normalize(join(root, decodeURIComponent(url.pathname.slice(start.length))));
    const inside = relative(root, file);
    if (inside.startsWith('..') || inside.split(sep).includes('..') || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', contentType(file));
    res.setHeader('Content-Length', String(statSync(file).size));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  };
}

/**
 * Copies the wasm binaries into `<outDir>/wasm/` and the pipeline folder (when there is one)
 * into `<outDir>/model/`, and serves both under the same paths in `vite dev` / `vite preview`.
 */
export function demoAssets(options: DemoAssetsOptions): Plugin {
  const modelDir = resolve(options.modelDir);
  let outDir = '';
  return {
    name: 'yonos-demo-assets',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(serveFolder(WASM_DIR, wasmDistDir()));
      server.middlewares.use(serveFolder(MODEL_DIR, modelDir));
    },
    configurePreviewServer(server) {
      // The built site has the copies; the model folder may be replaced without a rebuild.
      server.middlewares.use(serveFolder(MODEL_DIR, modelDir));
    },
    generateBundle() {
      const dist = wasmDistDir();
      for (const name of WASM_FILES) {
        this.emitFile({ type: 'asset', fileName: `${WASM_DIR}/${name}`, source: readFileSync(join(dist, name)) });
      }
    },
    writeBundle() {
      // Copied after bundling rather than emitted: model weights can be hundreds of MB.
      if (hasModel(modelDir)) {
        cpSync(modelDir, join(outDir, MODEL_DIR), { recursive: true });
        this.info(`bundled model copied from ${modelDir}`);
      } else {
        this.warn(`no model at ${modelDir} (no model_index.json): the demo will say that no model is present`);
      }
    },
  };
}
