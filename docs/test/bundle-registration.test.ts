/**
 * The model packages register their classes when imported, and a bundle must keep that: an
 * app that imports `@yonos/vae` and `@yonos/unet` only for their registrations (the quick
 * start's browser section, the demo's model.ts) is bundled here with Vite, as the demo is, and
 * the registrations must be in the output. Their packages' `sideEffects` must name the entry
 * module for this: with only `register.js` named, Rollup dropped both.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { Plugin, Rollup } from 'vite';
import { describe, expect, it } from 'vitest';

const DOCS = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'virtual:registrations';

/** An entry module with the given source, resolved from the docs workspace. */
function entry(source: string): Plugin {
  return {
    name: 'registration-entry',
    resolveId: (id) => (id === ENTRY ? `\0${ENTRY}` : undefined),
    load: (id) => (id === `\0${ENTRY}` ? source : undefined),
  };
}

/** The code Vite bundles for `source` (not minified, not written). */
async function bundle(source: string): Promise<string> {
  const result = (await build({
    root: DOCS,
    configFile: false,
    logLevel: 'silent',
    resolve: { conditions: ['source', 'module', 'browser', 'development|production'] },
    plugins: [entry(source)],
    build: { write: false, minify: false, target: 'es2022', rollupOptions: { input: ENTRY } },
  })) as Rollup.RollupOutput;
  return result.output.map((chunk) => (chunk.type === 'chunk' ? chunk.code : '')).join('\n');
}

describe('bundled registrations', () => {
  it("keeps the model packages' registrations when they are imported for them alone", async () => {
    const code = await bundle("import '@yonos/vae';\nimport '@yonos/unet';\n");
    const registered = [...code.matchAll(/registerPretrainedClass\("(@yonos\/[a-z]+)", (\w+)\)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(registered.sort()).toEqual(['@yonos/unet UNet2DConditionModel', '@yonos/unet UNet2DModel', '@yonos/vae AutoencoderKL', '@yonos/vae AutoencoderTiny']);
  }, 120_000);

  it('drops a package imported for nothing it registers (the control: the bundler does shake)', async () => {
    const code = await bundle("import { createRng } from '@yonos/core';\nconsole.log(createRng(1));\n");
    expect(code).toMatch(/createRng/);
    expect(code).not.toMatch(/registerPretrainedClass\("@yonos/);
  }, 120_000);
});
