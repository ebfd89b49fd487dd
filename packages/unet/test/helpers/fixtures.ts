import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensorsFile } from '@yonos/core/node';

/** The diffusers golden-data folder (fixtures/diffusers in the repository). */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/diffusers');

/** The U-Net fixture cases. */
export type UnetCase = 'unet-sd2-tiny' | 'unet-sd1-tiny' | 'unet2d-tiny';

/** A fixture case: config, weights (torch layout), io tensors converted to NHWC. */
export interface LoadedCase {
  readonly dir: string;
  readonly config: Record<string, unknown>;
  readonly weights: Map<string, tf.Tensor>;
  readonly sample: tf.Tensor4D;
  readonly timestep: tf.Tensor1D;
  readonly context: tf.Tensor3D | undefined;
  readonly expected: tf.Tensor4D;
  dispose(): void;
}

/** Reads a case; the NCHW io tensors are transposed to NHWC here, at the test boundary. */
export async function loadCase(name: UnetCase): Promise<LoadedCase> {
  const dir = join(FIXTURES, name);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const weights = (await readSafetensorsFile(join(dir, 'diffusion_pytorch_model.safetensors'))).tensors;
  const io = (await readSafetensorsFile(join(dir, 'io.safetensors'))).tensors;
  const nhwc = (t: tf.Tensor): tf.Tensor4D => tf.transpose(t as tf.Tensor4D, [0, 2, 3, 1]);
  const sample = nhwc(io.get('sample')!);
  const expected = nhwc(io.get('out')!);
  const timestep = io.get('timestep') as tf.Tensor1D;
  const context = io.get('encoder_hidden_states') as tf.Tensor3D | undefined;
  io.get('sample')!.dispose();
  io.get('out')!.dispose();
  return {
    dir,
    config,
    weights,
    sample,
    timestep,
    context,
    expected,
    dispose() {
      for (const t of weights.values()) t.dispose();
      sample.dispose();
      expected.dispose();
      timestep.dispose();
      context?.dispose();
    },
  };
}

/** max |got - expected| / max |expected| (the parity metric of the fixtures). Async: webgpu cannot read synchronously. */
export async function relativeError(got: tf.Tensor, expected: tf.Tensor): Promise<number> {
  const [num, den] = tf.tidy(() => [tf.max(tf.abs(tf.sub(got, expected))), tf.max(tf.abs(expected))]);
  const values = [(await num!.data())[0]!, (await den!.data())[0]!];
  num!.dispose();
  den!.dispose();
  return values[0]! / values[1]!;
}
