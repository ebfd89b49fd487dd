import { registerPretrainedClass } from '@yonos/core';
import { UNet2DConditionModel } from './unet-2d-condition.js';
import { UNet2DModel } from './unet-2d.js';

// Importing the package makes `["@yonos/unet", ...]` entries of pipeline folders loadable, in
// browsers too (where the registry cannot import packages by name).
registerPretrainedClass('@yonos/unet', UNet2DConditionModel);
registerPretrainedClass('@yonos/unet', UNet2DModel);
