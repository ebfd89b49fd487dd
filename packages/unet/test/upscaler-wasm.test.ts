// The sd-x4-upscaler-tiny U-Net (class-conditioned) against diffusers on wasm.
import { upscalerUnetSuite } from './helpers/upscaler-suite.js';

upscalerUnetSuite('wasm');
