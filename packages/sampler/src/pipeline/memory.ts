import { MemoryTally } from '@yonos/core/nn';
import type { Denoiser, LatentCodec, LatentCodecMemory, MemoryEstimateOptions, SpatialShape } from '@yonos/core';

const F32 = 4;
/**
 * On wasm, tensors live in one heap that never shrinks; XNNPACK's buffers, allocated among
 * them as layers first run, leave holes that later, larger tensors cannot use. Measured on the
 * bundled model, the heap grew 11 to 18 % beyond the tensors' peak (untiled 512 and 1024 px
 * outputs), so there the tensor part of an estimate is counted this many times.
 */
const WASM_HEAP_SLACK = 1.2;

/** How many times a run's estimate counts its tensors on `backend`: 1.2 on wasm (and when unknown, as on wasm), else 1. */
export function heapSlack(backend: string | undefined): number {
  return backend === undefined || backend === 'wasm' ? WASM_HEAP_SLACK : 1;
}
/** Latent-sized tensors a scheduler step is assumed to hold at its peak when {@link RunMemoryInput.schedulerStepCopies} is not given. */
const SCHEDULER_STEP_COPIES = 8;

/** The options of a model's `estimateMemory` for a run on `backend` (none: as on wasm). */
export function memoryOptions(backend: string | undefined): { readonly backend?: string } {
  return backend !== undefined ? { backend } : {};
}

/**
 * Whether a run's tile sizes come from its memory budget (tiling not off, no size given), in
 * which case a run whose estimate exceeds the budget is refused before it starts.
 */
export function tilesFromBudget(tile: boolean | { readonly vaeTileSize?: number; readonly latentTileSize?: number } | undefined): boolean {
  return tile !== false && (typeof tile !== 'object' || (tile.vaeTileSize === undefined && tile.latentTileSize === undefined));
}

/**
 * The largest square tile edge, a multiple of `multiple` and at most `limit` rounded up to
 * that multiple, whose `cost(edge)` fits in `budget` bytes; never below `minimum`. The top
 * edge (the whole image) is tried first; below it `cost` must not decrease as the edge
 * grows (a bisection finds the edge).
 */
export function largestTileWithin(
  budget: number,
  cost: (edge: number) => number,
  multiple: number,
  limit: number,
  minimum: number,
): number {
  const top = Math.max(minimum, Math.ceil(limit / multiple) * multiple);
  if (cost(top) <= budget) return top;
  // Edges minimum + k * multiple for k in [0, count): find the last that fits.
  const count = Math.ceil((top - minimum) / multiple);
  let lo = 0; // fits, or the minimum
  let hi = count; // does not fit (top)
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cost(minimum + mid * multiple) <= budget) lo = mid;
    else hi = mid;
  }
  return minimum + lo * multiple;
}

/** What {@link estimateRunMemory} needs to know about one `YonosPipeline` run. */
export interface RunMemoryInput {
  /** The codec (its `estimateMemory` sizes the encode and decode tiles). */
  readonly codec: LatentCodec;
  /** The denoiser (its `estimateMemory` sizes the U-Net tiles). */
  readonly denoiser: Denoiser;
  /** Batch size. */
  readonly batch: number;
  /** LR input `[height, width]`. */
  readonly input: readonly [number, number];
  /** Output `[height, width]` (`ceil(side * scale)`). */
  readonly output: readonly [number, number];
  /** The padded image the codec sees, `[height, width]`. */
  readonly padded: readonly [number, number];
  /** VAE tile edge in image pixels (the padded image's longer side when untiled). */
  readonly vaeTileSize: number;
  /** U-Net tile edge in latent pixels (the latent's longer side when untiled). */
  readonly latentTileSize: number;
  /** Tokens of the cross-attention context (1 for the null context). */
  readonly contextLength: number;
  /** The backend the run uses (`tf.getBackend()`): retained bytes only on `wasm`. Default: as on wasm. */
  readonly backend?: string;
  /**
   * Latent-sized tensors one scheduler step holds at its peak, its outputs included. `DDIMScheduler`
   * measures 5 (x0, epsilon, two products and their sum), 6 with `clip_sample`. Default 8.
   */
  readonly schedulerStepCopies?: number | undefined;
  /** Whether a tiled denoise steps each finished stretch of rows (`denoiseLatents`' `stepByRows`). Default `false`. */
  readonly stepByRows?: boolean;
}

/**
 * The estimated peak memory of each stage of a `YonosPipeline` run, in bytes: tensor memory
 * above `tf.memory().numBytes` at the call (the caller's input and the models' weights are
 * not counted, the returned image is), plus the bytes the backend retains for the models'
 * layers by the end of the stage (see {@link estimateRunMemory}).
 */
export interface RunMemoryEstimate {
  /** Bicubic upsampling and padding of the LR image. */
  readonly upsample: number;
  /** Encoding the upsampled image (tile by tile), then scaling the mean to `z_lr`. */
  readonly encode: number;
  /** The denoising loop: `z_lr`, `z_t`, U-Net tiles and their blend, scheduler steps. */
  readonly denoise: number;
  /** Decoding (tile by tile), cropping and clamping. */
  readonly decode: number;
  /** The largest of the four: the run's estimated peak. */
  readonly peak: number;
  /** Of that, the bytes the backend retains outside tensors once the run is over (0 but on wasm). */
  readonly retained: number;
}

/**
 * One blended tile loop on top of what a tally holds: `evaluation` is one tile's own peak
 * (window, model, output). Untiled, that is all (the tile's output is the result). Tiled,
 * the blend holds at most the output's finished stretches (`whole`), the open strip and the
 * strip's finished stretches (a strip each) and the open tile, plus the weighting and merging
 * copies of a tile (7 tiles), or assembles a strip (up to 5 strips with the canvas merge) or
 * the whole output (2 `whole`).
 */
function tileLoop(tally: MemoryTally, evaluation: number, tiled: boolean, whole: number, strip: number, tile: number): void {
  if (!tiled) {
    tally.add({ peak: evaluation, held: 0 });
    return;
  }
  const state = whole + 2 * strip + tile;
  tally.add({ peak: Math.max(state + evaluation, state + 8 * tile, whole + 5 * strip, 2 * whole), held: 0 });
}

/**
 * Memory of `TiledLatentCodec`'s `encode` and `decode` of an image of `[N, H, W]` with tiles of
 * `tileSampleSize` pixels (see `LatentCodec.estimateMemory` for what counts), in bytes. When one
 * tile covers the image, the codec's own estimate (the whole image goes to it). Otherwise, per
 * tile, its window, the codec's estimate on it and (encode) the tile's moments, mean and
 * log-variance side by side; plus the blend of the tiles' outputs (the moments, split into the
 * posterior at the end; the image); the retained bytes are the codec's on one tile.
 */
export function tiledCodecMemory(codec: LatentCodec, image: SpatialShape, tileSampleSize: number, options: MemoryEstimateOptions = {}): LatentCodecMemory {
  const [n, height, width] = image;
  const [th, tw] = [Math.min(tileSampleSize, height), Math.min(tileSampleSize, width)];
  if (th === height && tw === width) return codec.estimateMemory(image, options);
  const f = codec.downsampleFactor;
  const tile = codec.estimateMemory([n, th, tw], options);
  const pixels = (channels: number, h: number, w: number): number => channels * F32 * n * h * w;
  const momentsTile = pixels(2 * codec.latentChannels, th / f, tw / f);
  const moments = pixels(2 * codec.latentChannels, height / f, width / f);
  const enc = new MemoryTally();
  tileLoop(enc, pixels(3, th, tw) + tile.encode + momentsTile, true, moments, pixels(2 * codec.latentChannels, th / f, width / f), momentsTile);
  enc.add({ peak: 2 * moments, held: 0 }); // the blended moments and the posterior split from them
  const dec = new MemoryTally();
  const iTile = pixels(3, th, tw);
  tileLoop(dec, pixels(codec.latentChannels, th / f, tw / f) + tile.decode, true, pixels(3, height, width), pixels(3, th, width), iTile);
  return {
    encode: enc.peak,
    decode: dec.peak,
    ...(tile.encodeRetained !== undefined ? { encodeRetained: tile.encodeRetained } : {}),
    ...(tile.decodeRetained !== undefined ? { decodeRetained: tile.decodeRetained } : {}),
  };
}

/**
 * Estimates the peak tensor memory of a `YonosPipeline` run, stage by stage, from the
 * components' estimates and the pipeline's own tensors (N the batch, `I = 12 N H W` bytes of
 * an RGB float32 image at the padded size, `Z = 4 N C h w` bytes of a latent):
 *
 * - upsample: MATLAB bicubic (`imresize`: two dense weight matrices, the transposes and
 *   products of both passes, 4 copies of the once-resized and 3 of the resized image), then
 *   mirrored padding (2 `I`);
 * - encode: the upsampled image (`I`), plus per tile its input window, the codec's encode
 *   estimate and a copy of the mean, plus the blend of the means; then scaling to `z_lr` (3 `Z`);
 * - denoise: `z_lr` and `z_t` (2 `Z`; `z_t` starts as `z_T`), plus per tile its two windows,
 *   their concatenation and the denoiser's estimate, plus the blend of the outputs; then the
 *   model output and a scheduler step (`(1 + 5) Z` for DDIM), or, stepping by rows, the
 *   stepped rows in place of the blend and one stretch's step; then the residual sum and the
 *   unscaled latent (3 `Z`);
 * - decode: the latent (`Z`), plus per tile its window and the codec's decode estimate, plus
 *   the blend of the tiles; then cropping and clamping (the decoded image and 2 outputs).
 *
 * A blend holds up to the whole blended result plus two strips and a few tiles (see the
 * source); untiled stages have no window and no blend. The tensor part of each stage bounds
 * what `tf.memory().numBytes` rises to when the component estimates are bounds (the
 * pipeline's tests measure both on several sizes and tilings). On wasm, each stage also
 * counts the bytes XNNPACK retains for the layers run so far (the components' `*Retained`):
 * the encoder's from the encode stage on, the denoiser's from the denoise stage on, the
 * decoder's in the decode stage; and the tensor part counts 1.2 times, for the heap's
 * fragmentation.
 */
export function estimateRunMemory(input: RunMemoryInput): RunMemoryEstimate {
  const { codec, denoiser, batch: n, contextLength, backend } = input;
  const f = codec.downsampleFactor;
  const c = codec.latentChannels;
  const [inH, inW] = input.input;
  const [outH, outW] = input.output;
  const [ph, pw] = input.padded;
  const [lh, lw] = [ph / f, pw / f];
  const image = (h: number, w: number): number => 3 * F32 * n * h * w;
  const latent = (h: number, w: number): number => c * F32 * n * h * w;
  const I = image(ph, pw);
  const Z = latent(lh, lw);

  // Upsample: imresize's tidy, then padding while the unpadded image is alive.
  const up = new MemoryTally();
  const once = image(inW, outH); // after the first pass: [N, W, 3, outH]
  const resized = image(outH, outW);
  const matrices = F32 * (outH * inH + outW * inW);
  up.add({ peak: matrices + 2 * image(inH, inW) + 4 * once + 3 * resized, held: resized });
  up.add({ peak: 2 * I, held: I });

  // Encode: one codec tile size serves encode and decode.
  const [vth, vtw] = [Math.min(input.vaeTileSize, ph), Math.min(input.vaeTileSize, pw)];
  const vaeTiled = vth < ph || vtw < pw;
  const tileCodec = codec.estimateMemory([n, vth, vtw], memoryOptions(backend));
  const zTile = latent(vth / f, vtw / f);
  const enc = new MemoryTally();
  enc.alloc(I);
  tileLoop(enc, (vaeTiled ? image(vth, vtw) : 0) + tileCodec.encode + zTile, vaeTiled, Z, latent(vth / f, lw), zTile);
  enc.add({ peak: 3 * Z, held: 0 }); // mean, then (mean - shift) * scale
  const encodeRetained = tileCodec.encodeRetained ?? 0;

  // Denoise.
  const [uth, utw] = [Math.min(input.latentTileSize, lh), Math.min(input.latentTileSize, lw)];
  const unetTiled = uth < lh || utw < lw;
  const uTile = latent(uth, utw);
  const unet = denoiser.estimateMemory([n, uth, utw], { contextLength, ...memoryOptions(backend) });
  const den = new MemoryTally();
  den.alloc(2 * Z); // z_lr, z_t (which starts as z_T)
  const stepCopies = input.schedulerStepCopies ?? SCHEDULER_STEP_COPIES;
  const uStrip = latent(uth, lw);
  const evaluation = (unetTiled ? 2 * uTile : 0) + 2 * uTile + unet.forward;
  if (unetTiled && input.stepByRows === true) {
    // The blend's finished stretches are stepped at once: the stepped rows (up to Z) take the
    // canvas's place; a stretch's step holds its rows, z's rows and the step's tensors.
    tileLoop(den, evaluation, true, Z, uStrip, uTile);
    den.add({ peak: Z + (4 + stepCopies) * uStrip, held: 0 });
    den.add({ peak: 2 * Z, held: 0 }); // the stepped stretches, joined
  } else {
    tileLoop(den, evaluation, unetTiled, Z, uStrip, uTile);
    den.add({ peak: (1 + stepCopies) * Z, held: 0 }); // model output, scheduler step
  }
  den.add({ peak: 3 * Z, held: 0 }); // residual sum, unscaled latent
  const denoiseRetained = unet.forwardRetained ?? 0;

  // Decode.
  const dec = new MemoryTally();
  dec.alloc(Z);
  dec.add({ peak: tiledCodecMemory(codec, [n, ph, pw], input.vaeTileSize, memoryOptions(backend)).decode, held: 0 });
  dec.add({ peak: I + 2 * image(outH, outW), held: 0 }); // decoded, cropped, clamped
  const retained = encodeRetained + denoiseRetained + (tileCodec.decodeRetained ?? 0);

  const upsample = up.peak;
  const heap = heapSlack(backend);
  const stages = {
    upsample: heap * upsample,
    encode: heap * enc.peak + encodeRetained,
    denoise: heap * den.peak + encodeRetained + denoiseRetained,
    decode: heap * dec.peak + retained,
  };
  return { ...stages, peak: Math.max(stages.upsample, stages.encode, stages.denoise, stages.decode), retained };
}
