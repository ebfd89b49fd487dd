// Tiny `yonos train` configs and image folders for the training command tests.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensorsFile, writeImage } from '@yonos/core/node';
import { testImage } from './helpers.js';

/** A from-scratch AutoencoderKL: 2 levels (latent /2), 8/16 channels. */
export const TINY_VAE = {
  block_out_channels: [8, 16],
  down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D'],
  up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D'],
  layers_per_block: 1,
  latent_channels: 4,
  norm_num_groups: 4,
  sample_size: 16,
};

/** A UNet2DConditionModel with one cross-attention level (so the null context is exercised). */
export const TINY_UNET = {
  in_channels: 8,
  out_channels: 4,
  block_out_channels: [16, 32],
  layers_per_block: 1,
  down_block_types: ['CrossAttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D'],
  attention_head_dim: 4,
  cross_attention_dim: 8,
  norm_num_groups: 8,
  sample_size: 8,
};

/** A temporary folder with `train/` (6 PNGs, 24-40 px) and `val/` (2 PNGs, 32 px). */
export async function trainingFolders(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'yonos-train-'));
  await mkdir(join(dir, 'train'));
  await mkdir(join(dir, 'val'));
  for (let i = 0; i < 6; i++) await writeImage(join(dir, 'train', `t${i}.png`), testImage(24 + 4 * (i % 5), 24 + 4 * ((i + 2) % 5), i));
  for (let i = 0; i < 2; i++) await writeImage(join(dir, 'val', `v${i}.png`), testImage(32, 32, 10 + i));
  return dir;
}

/** The sections every stage config shares, with paths under `run` (relative to the config file in `dir`). */
export function common(run: string, steps?: number): Record<string, unknown> {
  return {
    seed: 3,
    data: { train: 'train', validation: 'val', crop_size: 16, batch_size: 2, cache_mb: 4 },
    optimizer: { lr: 1e-3, schedule: 'cosine', warmup_steps: 1, clip_norm: 1 },
    ema: { decay: 0.9 },
    checkpoint: { dir: `${run}/checkpoints`, every: 2, keep: 2 },
    output: `${run}/final`,
    ...(steps !== undefined ? { steps } : {}),
  };
}

/** Writes `config` as `<dir>/<name>.json` and returns its path. */
export async function writeConfig(dir: string, name: string, config: unknown): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/** The float32 weights of `<folder>/<sub>/diffusion_pytorch_model.safetensors` by name. */
export async function weights(folder: string, sub = ''): Promise<Map<string, Float32Array>> {
  const { tensors } = await readSafetensorsFile(join(folder, sub, 'diffusion_pytorch_model.safetensors'));
  const out = new Map<string, Float32Array>();
  for (const [k, t] of tensors) out.set(k, (await t.data()) as Float32Array);
  tf.dispose([...tensors.values()]);
  return out;
}

/** Names whose float32 bits differ. */
export function changed(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  return [...a.keys()].filter((k) => {
    const x = new Uint32Array(a.get(k)!.buffer.slice(0));
    const y = new Uint32Array(b.get(k)!.buffer.slice(0));
    return x.length !== y.length || x.some((v, i) => v !== y[i]);
  });
}
