import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** `docs/demo/vite.config.ts`. */
export const DEMO_CONFIG = fileURLToPath(new URL('../../demo/vite.config.ts', import.meta.url));

/**
 * Builds the demo with its own Vite config into `outDir`, publishing `modelDir` as the
 * site's `model/` (through `YONOS_DEMO_MODEL`, which the config reads).
 */
export async function buildDemo(outDir: string, modelDir: string): Promise<void> {
  const previous = process.env['YONOS_DEMO_MODEL'];
  process.env['YONOS_DEMO_MODEL'] = modelDir;
  try {
    await build({ configFile: DEMO_CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    if (previous === undefined) delete process.env['YONOS_DEMO_MODEL'];
    else process.env['YONOS_DEMO_MODEL'] = previous;
  }
}
