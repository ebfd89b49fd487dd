// diffusers parity and a training step on the reference cpu backend.
import { backendSuite } from './helpers/suites.js';

backendSuite('cpu', {
  parity: ['unet-sd2-tiny', 'unet-sd1-tiny', 'unet2d-tiny'],
  train: ['unet-sd1-tiny', 'unet2d-tiny'],
  trainSize: 8,
  control: true,
});
