// Shared test helpers: fixture paths and loading, NCHW -> NHWC at the boundary, error metrics.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensorsFile } from '@yonos/core/node';
import { AutoencoderKL } from '../src/index.js';

/** `fixtures/diffusers/` in the repository. */
export const DIFFUSERS_FIXTURES = fileURLToPath(new URL('../../../fixtures/diffusers/', import.meta.url));
/** The `vae-tiny` case folder, as diffusers' save_pretrained wrote it. */
export const VAE_TINY = `${DIFFUSERS_FIXTURES}vae-tiny`;

/** The `vae-tiny` config.json, parsed. */
export function tinyConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(`${VAE_TINY}/config.json`, 'utf8')) as Record<string, unknown>;
}

/** Builds the tiny VAE from its config and loads the fixture weights with loadStateDict (no pretrained mechanism). */
export async function loadTinyWithStateDict(file = 'diffusion_pytorch_model.safetensors'): Promise<AutoencoderKL> {
  const vae = AutoencoderKL.fromConfig(tinyConfig());
  const { tensors } = await readSafetensorsFile(`${VAE_TINY}/${file}`);
  try {
    vae.loadStateDict(tensors);
  } finally {
    tf.dispose([...tensors.values()]);
  }
  return vae;
}

/** The fixture inputs and expected outputs, converted from NCHW to NHWC. Caller disposes. */
export interface TinyIo {
  image: tf.Tensor4D;
  mean: tf.Tensor4D;
  logvar: tf.Tensor4D;
  z: tf.Tensor4D;
  decoded: tf.Tensor4D;
}

export async function loadTinyIo(): Promise<TinyIo> {
  const { tensors } = await readSafetensorsFile(`${VAE_TINY}/io.safetensors`);
  const nhwc = (name: string): tf.Tensor4D => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`io.safetensors lacks ${name}`);
    return tf.transpose(t as tf.Tensor4D, [0, 2, 3, 1]);
  };
  try {
    return { image: nhwc('image'), mean: nhwc('mean'), logvar: nhwc('logvar'), z: nhwc('z'), decoded: nhwc('decoded') };
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

export function disposeIo(io: TinyIo): void {
  tf.dispose([io.image, io.mean, io.logvar, io.z, io.decoded]);
}

/** Max absolute error divided by the max absolute expected value, in float64 on the host. */
export async function relError(actual: tf.Tensor, expected: tf.Tensor): Promise<number> {
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`shape [${actual.shape.join(', ')}] differs from expected [${expected.shape.join(', ')}]`);
  }
  const a = await actual.data();
  const e = await expected.data();
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i]! - e[i]!);
    if (!(err <= maxErr)) maxErr = err; // NaN propagates
    maxRef = Math.max(maxRef, Math.abs(e[i]!));
  }
  return maxErr / maxRef;
}

/** Parity tolerance of the brief: 1e-4 relative (max abs error / max abs expected). */
export const PARITY_TOL = 1e-4;
