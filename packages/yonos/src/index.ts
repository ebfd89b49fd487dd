/**
 * `yonos`: the umbrella package. Re-exports every `@yonos/*` package (importing them registers
 * their model classes with core's pretrained registry, so `YonosPipeline.fromPretrained` finds
 * them) and registers the bundled pretrained model (`model/x4/`, `model/x8/`) as the default
 * model, so `YonosPipeline.fromPretrained()` without a location loads it. The `yonos` command
 * lives in `src/cli` (not exported).
 * @packageDocumentation
 */
import './model-classes.js';
import { registerBundledModel } from './register.js';

export * from '@yonos/core';
export * from '@yonos/vae';
export * from '@yonos/unet';
export * from '@yonos/sampler';
export * from '@yonos/degrade';
export * from '@yonos/distill';

// Names several packages export as different bindings: `export *` would drop them silently,
// so they are chosen here. The diffusers version is core's (sampler re-exports it; naming it
// here keeps it exported should an install hold two copies of core).
export { DIFFUSERS_VERSION } from '@yonos/core';

export { registerBundledModel } from './register.js';
export { bundledModelDir, bundledModelProvider, bundledModelRoot, bundledScales } from './bundled-model.js';
export type { BundledModelProvider } from './bundled-model.js';

registerBundledModel();
