import { registerPretrainedClass } from '@yonos/core';
import { AutoencoderKL } from './autoencoder-kl.js';
import { AutoencoderTiny } from './autoencoder-tiny.js';

// Importing the package makes `["@yonos/vae", "AutoencoderKL"]` (and `"AutoencoderTiny"`) entries of pipeline folders
// loadable, in browsers too (where the registry cannot import packages by name).
registerPretrainedClass('@yonos/vae', AutoencoderKL);
registerPretrainedClass('@yonos/vae', AutoencoderTiny);
