// diffusers parity and a training step on wasm (the fast backend in Node).
import { backendSuite } from './helpers/suites.js';

backendSuite('wasm', {
  parity: ['unet-sd2-tiny', 'unet-sd1-tiny', 'unet2d-tiny'],
  train: ['unet-sd2-tiny', 'unet-sd1-tiny', 'unet2d-tiny'],
  trainSize: 8,
  control: true,
});
