// The sd-x4-upscaler-tiny U-Net (class-conditioned) against diffusers on the reference cpu backend.
import { upscalerUnetSuite } from './helpers/upscaler-suite.js';

upscalerUnetSuite('cpu');
