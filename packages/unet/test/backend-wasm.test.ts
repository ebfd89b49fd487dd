// diffusers parity and a training step on wasm (the fast backend in Node).
// tfjs-core itself first: the gradient files would otherwise create tfjs's engine from a
// partial copy of tfjs-core whose tensors lack chained methods (dy.clone() in Cast's gradient).
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { backendSuite } from './helpers/suites.js';

backendSuite('wasm', {
  parity: ['unet-sd2-tiny', 'unet-sd1-tiny', 'unet2d-tiny'],
  train: ['unet-sd2-tiny', 'unet-sd1-tiny', 'unet2d-tiny'],
  trainSize: 8,
});
