// Builds a tiny YONOS pipeline folder from the diffusers fixture models (random weights:
// it exercises every stage of the pipeline, it does not super-resolve anything) and writes
// a small real photograph from the BasicSR fixture as the input, for the README's main job
// until the bundled model exists.
//   node scripts/make-smoke-model.mjs <out-dir>
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { AutoencoderKL, UNet2DConditionModel, YonosPipeline, readSafetensors, useBackend } from 'yonos';
import { writeImage } from '@yonos/core/node';
import { readFileSync } from 'node:fs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const fixtures = join(root, '..', 'shared', 'fixtures');
const out = resolve(process.argv[2] ?? 'smoke');
mkdirSync(out, { recursive: true });

await useBackend('wasm');
const vae = await AutoencoderKL.fromPretrained(join(fixtures, 'diffusers', 'vae-tiny'));
const unet = await UNet2DConditionModel.fromPretrained(join(fixtures, 'diffusers', 'unet-sd2-tiny'));
const pipeline = new YonosPipeline({ vae, unet, scaleFactor: 4 });
await pipeline.savePretrained(join(out, 'model'));
pipeline.dispose();

const { tensors } = readSafetensors(readFileSync(join(fixtures, 'basicsr', 'degrade.safetensors')));
const image = tensors.get('image'); // HWC RGB in [0, 1]
const [height, width] = image.shape;
const data = Uint8Array.from(await image.data(), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
await writeImage(join(out, 'photo.png'), { data, width, height, channels: 3, bitDepth: 8 });
tf.dispose([...tensors.values()]);
console.log(`smoke model in ${join(out, 'model')}, input ${join(out, 'photo.png')} (${width}x${height})`);
