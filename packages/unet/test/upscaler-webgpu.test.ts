// The sd-x4-upscaler-tiny U-Net (class-conditioned) against diffusers on webgpu (skipped where it cannot be created).
import { upscalerUnetSuite } from './helpers/upscaler-suite.js';

upscalerUnetSuite('webgpu', { skipIfUnavailable: true, control: false });
