import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { demoAssets } from './build/assets-plugin.js';
import { CROSS_ORIGIN_ISOLATION } from './build/headers.js';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The pipeline folder published as the site's `model/`: `YONOS_DEMO_MODEL`, else the x4 model
 * bundled with `yonos` (`packages/yonos/model/x4`; the bundle has one pipeline folder per scale).
 */
const modelDir = process.env['YONOS_DEMO_MODEL'] ?? fileURLToPath(new URL('../../packages/yonos/model/x4', import.meta.url));

export default defineConfig({
  root,
  // Relative URLs: the built site works from any folder of any static host.
  base: './',
  resolve: {
    // Bundle the workspace packages from their TypeScript sources (no package build needed).
    conditions: ['source', 'module', 'browser', 'development|production'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // tfjs-core and the backends are large by nature; they are split per backend already.
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod places /*@__PURE__*/ comments where Rollup cannot use them; harmless, and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && (warning.id ?? '').includes('/node_modules/')) return;
        warn(warning);
      },
    },
  },
  // The threaded wasm build needs a cross-origin isolated page.
  server: { headers: { ...CROSS_ORIGIN_ISOLATION } },
  preview: { headers: { ...CROSS_ORIGIN_ISOLATION } },
  plugins: [demoAssets({ modelDir })],
});
