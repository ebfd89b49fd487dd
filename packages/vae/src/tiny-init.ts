import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from '@yonos/core/nn';
import type { Parameter } from '@yonos/core/nn';
import type { AutoencoderTinyConfig } from './tiny-config.js';
import { AutoencoderTinyBlock } from './tiny-block.js';
import type { DecoderTiny } from './tiny-decoder.js';
import type { EncoderTiny } from './tiny-encoder.js';
import { VaeConfigError } from './errors.js';

/**
 * How `AutoencoderTiny.initialize` sets the weights: `'default'` is PyTorch's default init
 * (what diffusers gives a new model); `'pooling'` starts from an autoencoder that already
 * computes "average-pool down, nearest up" (see `applyPoolingInit`).
 */
export type AutoencoderTinyInitScheme = 'default' | 'pooling';

/** The init schemes, for validation and messages. */
export const AUTOENCODER_TINY_INIT_SCHEMES: readonly AutoencoderTinyInitScheme[] = ['default', 'pooling'];

/** Latents hold the block means times this, so the decoder's `tanh(z / 3) * 3` stays within 0.3% of identity. */
export const POOLING_LATENT_GAIN = 0.25;

type Tap = readonly [number, number];
const CENTRE: readonly Tap[] = [[1, 1]];
// PyTorch padding 1, stride 2: output i reads input rows 2i-1, 2i, 2i+1, so its aligned 2x2
// block (rows 2i, 2i+1) is taps 1 and 2.
const BLOCK_2X2: readonly Tap[] = [
  [1, 1],
  [1, 2],
  [2, 1],
  [2, 2],
];

function assignData(p: Parameter, data: Float32Array): void {
  const t = tf.tensor(data, [...p.shape]);
  try {
    p.assign(t);
  } finally {
    t.dispose();
  }
}

/**
 * Makes outputs `[0, k)` of a 3x3 conv copy input channel `o` (gain times the sum of `taps`)
 * and nothing else, bias 0; scales the other outputs' default weights and bias by `otherScale`.
 */
function setIdentity(conv: Conv2d, k: number, taps: readonly Tap[], gain: number, otherScale: number): void {
  const [kh, kw, cin, cout] = conv.weight.shape as [number, number, number, number];
  const w = conv.weight.value.dataSync() as Float32Array;
  const out = new Float32Array(w.length);
  for (let h = 0; h < kh; h++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          const at = ((h * kw + x) * cin + i) * cout + o;
          out[at] = o < k ? 0 : w[at]! * otherScale;
        }
      }
    }
  }
  for (const [h, x] of taps) {
    for (let o = 0; o < k; o++) out[((h * kw + x) * cin + o) * cout + o] = gain;
  }
  assignData(conv.weight, out);
  if (conv.bias !== null) {
    const b = conv.bias.value.dataSync() as Float32Array;
    assignData(
      conv.bias,
      Float32Array.from(b, (v, o) => (o < k ? 0 : v * otherScale)),
    );
  }
}

/** Zeroes a block's last conv, so the block is `relu(x)`: the identity on non-negative inputs. */
function zeroLastConv(block: AutoencoderTinyBlock): void {
  const last = block.conv[4] as Conv2d;
  for (const p of [last.weight, last.bias!]) {
    const z = tf.zeros([...p.shape]);
    p.assign(z);
    z.dispose();
  }
}

/**
 * Checks that a config can hold the pooling init.
 * @throws {@link VaeConfigError} saying which key to change.
 */
export function checkPoolingInit(c: AutoencoderTinyConfig): void {
  const k = c.in_channels;
  const problems: string[] = [];
  if (c.out_channels !== k) problems.push(`out_channels (${c.out_channels}) must equal in_channels (${k})`);
  if (c.latent_channels < k) problems.push(`latent_channels (${c.latent_channels}) must be at least in_channels (${k})`);
  if (c.encoder_block_out_channels[0]! < k) problems.push(`encoder_block_out_channels must be at least in_channels (${k})`);
  if (c.decoder_block_out_channels[0]! < k) problems.push(`decoder_block_out_channels must be at least in_channels (${k})`);
  if (c.act_fn !== 'relu') problems.push(`act_fn must be "relu" (the decoder's first activation must pass non-negative values through), got "${c.act_fn}"`);
  if (problems.length > 0) {
    throw new VaeConfigError(`The "pooling" init cannot be built for this AutoencoderTiny config: ${problems.join('; ')}. Fix the config or use the "default" init.`);
  }
}

/**
 * The "pooling" initialization, applied on top of default-initialized weights: with `k` image
 * channels and `f = 2^(levels-1)`, `decode(encode(x))` is the nearest-neighbour upsampling of
 * the `f x f` block means of `x` (up to the decoder's `tanh(z/3)*3` clamp, within 0.3% here),
 * while every other weight stays trainable:
 * - encoder conv_in: outputs `[0, k)` copy the image channels (centre tap 1, bias 0);
 * - every `AutoencoderTinyBlock`: last conv zero (weights and bias), so the block is `relu(x)`;
 * - stride-2 convs: outputs `[0, k)` average their 2x2 block of the same channel; other outputs
 *   default init times 0.1;
 * - encoder conv_out: latents `[0, k)` = {@link POOLING_LATENT_GAIN} x the identity channels;
 *   other latents default init times 0.1;
 * - decoder conv_in: outputs `[0, k)` = latents `[0, k)` / {@link POOLING_LATENT_GAIN};
 * - post-upsample convs and the last conv: outputs `[0, k)` copy their channel (centre tap, bias 0).
 * The image enters the encoder as `(x + 1) / 2` in `[0, 1]`, so identity channels are
 * non-negative everywhere and every ReLU passes them through.
 * @throws {@link VaeConfigError} (from {@link checkPoolingInit}) for a config that cannot hold it.
 */
export function applyPoolingInit(encoder: EncoderTiny, decoder: DecoderTiny, config: AutoencoderTinyConfig): void {
  checkPoolingInit(config);
  const k = config.in_channels;
  const enc = encoder.layers.layers();
  enc.forEach((layer, i) => {
    if (layer instanceof AutoencoderTinyBlock) zeroLastConv(layer);
    else if (layer instanceof Conv2d) {
      if (i === 0) setIdentity(layer, k, CENTRE, 1, 1);
      else if (i === enc.length - 1) setIdentity(layer, k, CENTRE, POOLING_LATENT_GAIN, 0.1);
      else setIdentity(layer, k, BLOCK_2X2, 0.25, 0.1);
    }
  });
  decoder.layers.layers().forEach((layer, i) => {
    if (layer instanceof AutoencoderTinyBlock) zeroLastConv(layer);
    else if (layer instanceof Conv2d) setIdentity(layer, k, CENTRE, i === 0 ? 1 / POOLING_LATENT_GAIN : 1, 1);
  });
}
