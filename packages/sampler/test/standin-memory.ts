// Memory estimates of the test stand-ins (PatchCodec, ConvDenoiser, LocalDenoiser): the shapes
// of real models, so that tiles chosen from a budget in the tests are those a Stable
// Diffusion-sized VAE or a U-Net of the stand-in's widths would get, and the tiling tests keep
// their numbers. The stand-ins themselves are far smaller; these bound them from above.
import type { DenoiserMemory, LatentCodecMemory, SpatialShape } from '@yonos/core';

const F32 = 4;
/** Float32 tensors alive per channel and pixel of a level: a ResNet peaks at about 10 (`2 * in + 8 * out` channels); a U-Net also keeps its skips. */
const CODEC_COPIES = 10;
const DENOISER_COPIES = 24;
/** XNNPACK's indirection buffer per pixel of a 3x3 convolution (9 taps, 4-byte pointers). */
const INDIRECTION = 36;
/** 3x3 convolutions per level of a codec (encoder and decoder alike). */
const CODEC_CONVS = 8;
/** Attention keeps the scores and their softmax, plus slack for the projections. */
const ATTENTION_COPIES = 2.5;
/** Stable Diffusion's VAE. */
const SD_VAE_CHANNELS: readonly number[] = [128, 256, 512, 512];
const LAYERS = 2;
const HEADS = 5;

const retainedOn = (backend: string | undefined): boolean => backend === undefined || backend === 'wasm';

/**
 * The memory of Stable Diffusion's VAE (`[128, 256, 512, 512]`, mid-block attention over all
 * latent pixels) on images of `[N, H, W]`: 10 float32 copies per channel and pixel of every
 * level, 2.5 copies of the `tokens^2` attention scores, and on wasm 36 bytes per pixel of
 * every level for each of 8 convolutions.
 * @param downsampleFactor The codec's factor `f` (latent pixels are `ceil(H / f) * ceil(W / f)`).
 */
export function sdVaeShapedMemory(image: SpatialShape, downsampleFactor: number, backend?: string): LatentCodecMemory {
  const [n, height, width] = image;
  let perPixel = 0;
  let levels = 0;
  SD_VAE_CHANNELS.forEach((c, level) => {
    perPixel += (CODEC_COPIES * c * F32) / 4 ** level;
    levels += 1 / 4 ** level;
  });
  const tokens = Math.ceil(height / downsampleFactor) * Math.ceil(width / downsampleFactor);
  const bytes = n * (height * width * perPixel + ATTENTION_COPIES * F32 * tokens * tokens);
  const retained = retainedOn(backend) ? n * height * width * levels * CODEC_CONVS * INDIRECTION : 0;
  return { encode: bytes, decode: bytes, encodeRetained: retained, decodeRetained: retained };
}

/**
 * The memory of a U-Net with levels of `blockOutChannels`, 2 ResNets per level and 5 attention
 * heads at the first level (none with a single level) on a sample of `[N, h, w]`: 28 float32
 * copies per channel and pixel of every level, 2.5 copies of the attention scores
 * (`heads * tokens * (tokens + context)`), and on wasm 36 bytes per pixel of every level for
 * each of 16 convolutions.
 */
export function unetShapedMemory(sample: SpatialShape, blockOutChannels: readonly number[], contextLength: number, backend?: string): DenoiserMemory {
  const [n, height, width] = sample;
  let perPixel = 0;
  let levels = 0;
  blockOutChannels.forEach((c, l) => {
    perPixel += ((2 * LAYERS + DENOISER_COPIES) * c * F32) / 4 ** l;
    levels += 1 / 4 ** l;
  });
  const tokens = height * width;
  const attention = blockOutChannels.length > 1 ? ATTENTION_COPIES * F32 * HEADS * tokens * (tokens + contextLength) : 0;
  const retained = retainedOn(backend) ? n * height * width * levels * (6 * LAYERS + 4) * INDIRECTION : 0;
  return { forward: n * (height * width * perPixel + attention), forwardRetained: retained };
}
