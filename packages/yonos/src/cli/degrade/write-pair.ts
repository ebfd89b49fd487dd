import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { YonosError } from '@yonos/core';
import type { Degradation, RawImage } from '@yonos/core';
import { encodeImage, readImage } from '@yonos/core/node';
import type { PairLayout } from './layout.js';
import { outputName } from './layout.js';
import { imageRng } from './image-rng.js';

/** An input image cannot be made into a pair (for example: smaller than the scale). */
export class PairInputError extends YonosError {}

/** What one `yonos degrade` image needs besides its file. */
export interface PairJob {
  readonly layout: PairLayout;
  readonly scale: number;
  readonly degradation: Degradation;
  readonly seed: number;
}

/** The files written for one input. */
export interface WrittenPair {
  readonly hr: string;
  readonly lr: string;
  /** Size of the written HR image (the input cropped to a multiple of the scale). */
  readonly width: number;
  readonly height: number;
}

/**
 * 8-bit RGB pixels of a decoded image, cropped to `height x width` from the top-left (BasicSR's
 * `mod_crop`): 16-bit values reduced with `round(v / 257)`, gray replicated, alpha dropped.
 */
export function croppedRgb8(raw: RawImage, height: number, width: number): RawImage {
  const { channels, bitDepth } = raw;
  const color = channels >= 3 ? 3 : 1;
  const out = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * raw.width + x) * channels;
      const dst = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = raw.data[src + (color === 3 ? c : 0)]!;
        out[dst + c] = bitDepth === 8 ? v : Math.round(v / 257);
      }
    }
  }
  return { data: out, width, height, channels: 3, bitDepth: 8 };
}

/** Writes through a temporary file and a rename, so an interrupted run never leaves a truncated PNG. */
async function writePng(path: string, image: RawImage): Promise<void> {
  const bytes = await encodeImage(image, { format: 'png' });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Makes one LR/HR pair from an image file: decodes it (PNG, JPEG, WebP), crops it to a
 * multiple of the scale, degrades it with the image's own generator (see {@link imageRng})
 * and writes `<hr>/<name>.png` (the crop, 8-bit RGB) and `<lr>/<name>.png` (8-bit RGB at
 * `1/scale`). The degradation sees exactly the written HR pixels. Leak-free.
 * @throws `ImageDecodeError` for an unreadable image, {@link PairInputError} for one smaller than the scale.
 */
export async function writePair(input: string, job: PairJob): Promise<WrittenPair> {
  const raw = await readImage(input);
  const height = raw.height - (raw.height % job.scale);
  const width = raw.width - (raw.width % job.scale);
  if (height === 0 || width === 0) {
    throw new PairInputError(`'${basename(input)}' is ${raw.width}x${raw.height}, smaller than the scale ${job.scale}: use images at least ${job.scale} pixels on each side.`);
  }
  const hr = croppedRgb8(raw, height, width);
  const hrTensor = tf.tidy(() => tf.div(tf.tensor4d(Float32Array.from(hr.data), [1, height, width, 3]), 255) as tf.Tensor4D);
  let lrData: Float32Array;
  try {
    const lr = job.degradation.degrade(hrTensor, job.scale, imageRng(job.seed, basename(input)));
    try {
      // Async read: the only kind the webgpu backend offers in Node.
      lrData = (await lr.data()) as Float32Array;
    } finally {
      lr.dispose();
    }
  } finally {
    hrTensor.dispose();
  }
  const lrImage: RawImage = {
    data: Uint8Array.from(lrData, (v) => Math.min(255, Math.max(0, Math.round(v * 255)))),
    width: width / job.scale,
    height: height / job.scale,
    channels: 3,
    bitDepth: 8,
  };
  const name = outputName(input);
  const paths = { hr: join(job.layout.hrDir, name), lr: join(job.layout.lrDir, name) };
  await writePng(paths.hr, hr);
  await writePng(paths.lr, lrImage);
  return { ...paths, width, height };
}
