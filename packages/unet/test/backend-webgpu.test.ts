// diffusers parity and a training step on webgpu (Dawn + SwiftShader in Node: slow, so one
// conditioned and one unconditioned case at tiny sizes).
import { backendSuite } from './helpers/suites.js';

backendSuite('webgpu', {
  parity: ['unet-sd1-tiny', 'unet2d-tiny'],
  train: ['unet-sd1-tiny', 'unet2d-tiny'],
  trainSize: 8,
  skipIfUnavailable: true,
});
