/**
 * `@yonos/core/internal`: helpers the YONOS packages share with each other, their tests and
 * benchmarks, and the repository's scripts. Not part of the API: no stability promise, not in
 * the API reference. Users compose through `@yonos/core`, `@yonos/core/nn` and `@yonos/core/node`.
 * @module
 */
export { CONFIG_NAME, childIndices, configJson, joinStorePath, loadWeights, readModelConfig, weightsFileName } from '../pretrained/index.js';
export type { LoadWeightsOptions } from '../pretrained/index.js';
export { convFlops, measureConvThroughput, nativeKernel, parseThreadCount } from '../backend/index.js';
export type { ConvBenchShape, ConvThroughput } from '../backend/index.js';
export { bicubicWeights, cubic } from '../resize/index.js';
export { float16BitsToFloat32, float32ToFloat16Bits } from '../safetensors/index.js';
