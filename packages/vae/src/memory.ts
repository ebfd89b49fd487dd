import {
  Conv2d,
  MemoryTally,
  ResnetBlock2D,
  Upsample2D,
  activationMemory,
  conv2dMemory,
  conv2dOutputSize,
  downsample2DMemory,
  groupNormMemory,
  resnetBlock2DMemory,
  tensorMemory,
  unetMidBlock2DMemory,
  upsample2DMemory,
} from '@yonos/core/nn';
import type { LatentCodecMemory, MemoryEstimateOptions, SpatialShape } from '@yonos/core';
import type { Downsample2D, MemoryCost } from '@yonos/core/nn';
import type { AutoencoderKL } from './autoencoder-kl.js';
import type { AutoencoderTiny } from './autoencoder-tiny.js';
import { AutoencoderTinyBlock } from './tiny-block.js';
import { Activation, Upsample } from './tiny-layers.js';
import type { Sequential } from './tiny-layers.js';

const F32 = 4;

/** Whether `options.backend` keeps XNNPACK's buffers (wasm, or not said). */
const retains = (options: MemoryEstimateOptions): boolean => options.backend === undefined || options.backend === 'wasm';

/** A spatial size and how it changes along a chain of layers. */
interface Size {
  height: number;
  width: number;
}

const pixels = (s: Size): number => s.height * s.width;

/**
 * Runs `layers` one after the other, each freeing its input once the next output exists (the
 * first input belongs to the caller), as `Sequential.forward` and the VAE blocks' `chain` do.
 * @returns The chain's cost, holding its last output.
 */
function chain(size: Size, layers: ReadonlyArray<(size: Size) => MemoryCost>): MemoryCost {
  const t = new MemoryTally();
  let previous = 0;
  for (const layer of layers) {
    const held = t.add(layer(size));
    t.free(previous);
    previous = held;
  }
  return t.result(previous);
}

/**
 * Walks one of AutoencoderTiny's `Sequential`s on an input of `channels` channels; `size`
 * ends as the size of its output.
 */
function sequentialMemory(seq: Sequential, size: Size, channels: number): MemoryCost {
  let c = channels;
  return chain(
    size,
    seq.layers().map((layer) => (s: Size): MemoryCost => {
      if (layer instanceof Conv2d) {
        [s.height, s.width] = conv2dOutputSize(layer, s.height, s.width);
        c = layer.out_channels;
        return conv2dMemory(layer, pixels(s));
      }
      if (layer instanceof Activation) return activationMemory(layer.name, c * pixels(s));
      if (layer instanceof Upsample) {
        s.height *= layer.scale_factor;
        s.width *= layer.scale_factor;
        return tensorMemory(c * pixels(s));
      }
      if (layer instanceof AutoencoderTinyBlock) {
        c = (layer.conv[4] as Conv2d).out_channels;
        return tinyBlockMemory(layer, pixels(s));
      }
      throw new TypeError(`autoencoderTinyMemory: unknown layer ${layer.constructor.name}.`);
    }),
  );
}

/** `AutoencoderTinyBlock.forward`: skip, the conv chain, sum and ReLU, all in one tidy. */
function tinyBlockMemory(block: AutoencoderTinyBlock, p: number): MemoryCost {
  const t = new MemoryTally();
  const out = (block.conv[4] as Conv2d).out_channels;
  const inChannels = (block.conv[0] as Conv2d).in_channels;
  if (block.skip !== null) t.add(conv2dMemory(block.skip, p));
  t.add(sequentialMemory(block.conv, { height: p, width: 1 }, inChannels));
  t.add(tensorMemory(2 * out * p)); // sum, ReLU
  return t.result(F32 * out * p);
}

/**
 * Peak tensor memory of `AutoencoderTiny.encode` and `decode` (see `LatentCodec.estimateMemory`
 * of `@yonos/core`), computed layer by layer as the model's `forward` holds and frees tensors.
 *
 * - encode: the image mapped to `[0, 1]` stays held under the encoder's `Sequential`, which
 *   keeps each layer's input and output; a block holds its input plus three of its width
 *   (two conv outputs, then sum and ReLU). At full resolution that is about
 *   `4 * 4 * encoder channels + 12` bytes per pixel. The posterior adds its log-variance.
 * - decode: the soft-clamped latent, then the same chain up to full resolution (about
 *   `4 * 4 * decoder channels + 24` bytes per output pixel), then `x * 2 - 1`.
 * - retained (wasm): XNNPACK's indirection buffers, `36` bytes per output pixel of every 3x3
 *   conv (see `conv2dMemory` of `@yonos/core`).
 * @param image `[N, H, W]` of the image.
 * @param options `backend`: the backend it runs on (retained bytes only on wasm; default as on wasm).
 * @returns Bytes, for the batch.
 */
export function autoencoderTinyMemory(vae: AutoencoderTiny, image: SpatialShape, options: MemoryEstimateOptions = {}): LatentCodecMemory {
  const [n, height, width] = image;
  const inChannels = vae.config.in_channels;

  const enc = new MemoryTally();
  const unit = enc.add({ peak: 2 * F32 * inChannels * height * width, held: F32 * inChannels * height * width });
  const size: Size = { height, width };
  const latent = enc.add(sequentialMemory(vae.encoder.layers, size, inChannels));
  enc.free(unit);
  enc.alloc(latent); // the log-variance of the DeterministicPosterior

  const dec = new MemoryTally();
  const lat = { height: size.height, width: size.width };
  const latentPixels = pixels(lat);
  const clamped = dec.add({ peak: 3 * F32 * vae.latentChannels * latentPixels, held: F32 * vae.latentChannels * latentPixels });
  const decoded = dec.add(sequentialMemory(vae.decoder.layers, lat, vae.latentChannels));
  dec.free(clamped);
  dec.add({ peak: 2 * decoded, held: decoded });
  dec.free(decoded);
  const r = retains(options) ? n : 0;
  return { encode: n * enc.peak, decode: n * dec.peak, encodeRetained: r * enc.retained, decodeRetained: r * dec.retained };
}

/** A VAE ResNet or resampler of a `chain`, with its effect on the size. */
function klLayer(layer: ResnetBlock2D | Upsample2D | Downsample2D): (size: Size) => MemoryCost {
  return (size) => {
    if (layer instanceof ResnetBlock2D) return resnetBlock2DMemory(layer, pixels(size), false);
    if (layer instanceof Upsample2D) {
      size.height *= 2;
      size.width *= 2;
      return upsample2DMemory(layer, pixels(size));
    }
    if (layer.conv !== null) [size.height, size.width] = conv2dOutputSize(layer.conv, size.height, size.width);
    else [size.height, size.width] = [Math.floor(size.height / 2), Math.floor(size.width / 2)];
    return downsample2DMemory(layer, pixels(size));
  };
}

/** `conv_out(silu(conv_norm_out(h)))` in one tidy. */
function headMemory(norm: Parameters<typeof groupNormMemory>[0], conv: Conv2d, p: number): MemoryCost {
  const t = new MemoryTally();
  t.add(groupNormMemory(norm, p));
  t.add(activationMemory('silu', norm.num_channels * p));
  t.add(conv2dMemory(conv, p));
  return t.result(F32 * conv.out_channels * p);
}

/**
 * Peak tensor memory of `AutoencoderKL.encode` and `decode` (see `LatentCodec.estimateMemory`
 * of `@yonos/core`), computed block by block as the model's `forward` holds and frees tensors:
 * each block runs on its input and frees it once its output exists; a ResNet holds about
 * `2 * in + 8 * out` channels at its peak (norm, activation, conv, norm, activation, conv,
 * shortcut, sum), and the mid-block's single-head attention holds the `tokens^2` score and
 * softmax matrices (`tokens` = latent pixels), which dominates at large sizes.
 * Retained bytes (wasm) are XNNPACK's indirection buffers of its 3x3 convs (see `conv2dMemory`
 * of `@yonos/core`).
 * @param image `[N, H, W]` of the image.
 * @param options `backend`: the backend it runs on (retained bytes only on wasm; default as on wasm).
 * @returns Bytes, for the batch.
 */
export function autoencoderKLMemory(vae: AutoencoderKL, image: SpatialShape, options: MemoryEstimateOptions = {}): LatentCodecMemory {
  const [n, height, width] = image;
  const size: Size = { height, width };
  const encoder = vae.encoder;
  const enc = new MemoryTally();
  const steps: Array<(s: Size) => MemoryCost> = [
    (s) => {
      [s.height, s.width] = conv2dOutputSize(encoder.conv_in, s.height, s.width);
      return conv2dMemory(encoder.conv_in, pixels(s));
    },
  ];
  for (const block of encoder.down_blocks) {
    steps.push((s) => chain(s, [...block.resnets, ...block.downsamplers].map((l) => klLayer(l))));
  }
  steps.push((s) => unetMidBlock2DMemory(encoder.mid_block, pixels(s), false, n));
  steps.push((s) => headMemory(encoder.conv_norm_out, encoder.conv_out, pixels(s)));
  let moments = enc.add(chain(size, steps));
  if (vae.quant_conv !== null) {
    const quant = enc.add(conv2dMemory(vae.quant_conv, pixels(size)));
    enc.free(moments);
    moments = quant;
  }
  // DiagonalGaussianDistribution: split into mean and log-variance, clip the log-variance.
  enc.add({ peak: 1.5 * moments, held: moments });
  enc.free(moments);

  const decoder = vae.decoder;
  const lat: Size = { height: size.height, width: size.width };
  const dec = new MemoryTally();
  if (vae.post_quant_conv !== null) dec.add(conv2dMemory(vae.post_quant_conv, pixels(lat)));
  const up: Array<(s: Size) => MemoryCost> = [
    (s) => conv2dMemory(decoder.conv_in, pixels(s)),
    (s) => unetMidBlock2DMemory(decoder.mid_block, pixels(s), false, n),
  ];
  for (const block of decoder.up_blocks) up.push((s) => chain(s, [...block.resnets, ...block.upsamplers].map((l) => klLayer(l))));
  up.push((s) => headMemory(decoder.conv_norm_out, decoder.conv_out, pixels(s)));
  dec.add(chain(lat, up));
  const r = retains(options) ? n : 0;
  return { encode: n * enc.peak, decode: n * dec.peak, encodeRetained: r * enc.retained, decodeRetained: r * dec.retained };
}
