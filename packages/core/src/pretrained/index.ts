export { ConfigMismatchError, PretrainedError, WeightDtypeError } from './errors.js';
export type { ConfigKeyConflict, ConfigMismatchDetails, WeightDtypeProblem } from './errors.js';
export type { ModelStore, WritableModelStore } from './store.js';
export { joinStorePath } from './store.js';
export { UrlModelStore } from './url-store.js';
export { openModelStore, openWritableModelStore } from './open-store.js';
export type { ModelLocation } from './open-store.js';
export { loadWeights } from './weights.js';
export { childIndices } from './shapes.js';
export type { LoadWeightsOptions } from './weights.js';
export {
  CONFIG_NAME,
  DIFFUSERS_VERSION,
  configJson,
  loadPretrained,
  readModelConfig,
  savePretrained,
  weightsFileName,
} from './model-folder.js';
export type {
  LoadPretrainedOptions,
  ModelConfig,
  PretrainedModel,
  PretrainedModelClass,
  SavePretrainedOptions,
} from './model-folder.js';
export {
  UnknownPretrainedClassError,
  findPretrainedClassOf,
  lookupPretrainedClass,
  registerPretrainedClass,
  registeredPretrainedClasses,
  resolvePretrainedClass,
} from './registry.js';
export type {
  PretrainedClass,
  PretrainedClassEntry,
  PretrainedClassKind,
  RegisterPretrainedClassOptions,
  ResolvePretrainedClassOptions,
} from './registry.js';
