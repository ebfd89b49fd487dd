import * as tf from '@tensorflow/tfjs-core';
import { DiagonalGaussianDistribution } from '@yonos/core/nn';
import type { LatentCodec, LatentCodecMemory, LatentPosterior, MemoryEstimateOptions, SpatialShape } from '@yonos/core';
import { tiledCodecMemory } from './memory.js';
import { PipelineInputError } from './errors.js';
import { blendTiles, blendTilesSync } from './tile-blend.js';
import type { TileLoopHooks, TileRegion } from './tile-blend.js';
import { planTiles } from './tile-plan.js';
import type { TilePlan } from './tile-plan.js';

/** Options of {@link TiledLatentCodec}. */
export interface TiledLatentCodecOptions {
  /**
   * Tile edge in image pixels (diffusers' `tile_sample_min_size`), a multiple of the codec's
   * `downsampleFactor`. Decoding uses `tileSampleSize / downsampleFactor` latent pixels.
   */
  readonly tileSampleSize: number;
  /** Fraction of a tile shared with each neighbour, in `[0, 0.5]`. Default 0.25 (diffusers' `tile_overlap_factor`). */
  readonly overlap?: number;
}

/**
 * Any {@link LatentCodec}, encoding and decoding large images tile by tile, like diffusers'
 * `AutoencoderKL.tiled_encode` / `tiled_decode`: overlapping tiles, linearly blended across
 * the overlaps, so peak memory is that of one tile plus the output. Images that fit in one
 * tile go straight to the wrapped codec.
 *
 * Differences from diffusers: every tile has the full size (the last tile of a row is
 * shifted to end at the border instead of being cut short), and the blend weights are
 * normalized per pixel, so the result is exact for any overlap the shift produces. The
 * posterior's `mean` and `logvar` are blended separately, as diffusers blends the moments.
 *
 * Seams: a purely local codec gives the same output tiled and untiled; a codec with
 * normalization or attention over the whole image (the SD VAE's mid-block) differs
 * smoothly across overlaps, never with a hard edge.
 */
export class TiledLatentCodec implements LatentCodec {
  /** The wrapped codec's latent channels. */
  readonly latentChannels: number;
  /** The wrapped codec's image / latent size ratio. */
  readonly downsampleFactor: number;
  /** The wrapped codec's `scalingFactor`. */
  readonly scalingFactor: number;
  /** The wrapped codec's `shiftFactor`. */
  readonly shiftFactor: number;
  /** Tile edge in image pixels. */
  readonly tileSampleSize: number;
  /** Tile edge in latent pixels. */
  readonly tileLatentSize: number;
  /** Fraction of a tile shared with each neighbour. */
  readonly overlap: number;
  readonly #codec: LatentCodec;

  /**
   * @param codec The codec to wrap (not owned: disposing it stays with the caller).
   * @throws PipelineInputError if the tile size is not a positive multiple of the downsample factor.
   */
  constructor(codec: LatentCodec, options: TiledLatentCodecOptions) {
    const f = codec.downsampleFactor;
    const { tileSampleSize, overlap = 0.25 } = options;
    if (!Number.isInteger(tileSampleSize) || tileSampleSize < f || tileSampleSize % f !== 0) {
      throw new PipelineInputError(
        `TiledLatentCodec: tileSampleSize must be a positive multiple of the codec's downsample factor ${f}; got ${tileSampleSize}.`,
      );
    }
    this.#codec = codec;
    this.latentChannels = codec.latentChannels;
    this.downsampleFactor = f;
    this.scalingFactor = codec.scalingFactor;
    this.shiftFactor = codec.shiftFactor;
    this.tileSampleSize = tileSampleSize;
    this.tileLatentSize = tileSampleSize / f;
    this.overlap = overlap;
  }

  /** The wrapped codec. */
  get codec(): LatentCodec {
    return this.#codec;
  }

  /** The tiles an encode of an `[N, height, width, 3]` image uses (input in pixels, output in latent pixels). */
  encodePlan(height: number, width: number): TilePlan {
    const f = this.downsampleFactor;
    if (height % f !== 0 || width % f !== 0) {
      throw new PipelineInputError(
        `TiledLatentCodec.encode: the image is ${height}x${width}; tiled encoding needs sides that are multiples of ${f} (pad the image first).`,
      );
    }
    return planTiles({ height: height / f, width: width / f, tile: this.tileLatentSize, overlap: this.overlap, inputScale: f });
  }

  /** The tiles a decode of an `[N, height, width, C]` latent uses (input in latent pixels, output in pixels). */
  decodePlan(height: number, width: number): TilePlan {
    return planTiles({ height, width, tile: this.tileLatentSize, overlap: this.overlap, outputScale: this.downsampleFactor });
  }

  /**
   * The peak tensor memory of {@link TiledLatentCodec.encode} and {@link TiledLatentCodec.decode}
   * of an image `[N, H, W]` (see `LatentCodec.estimateMemory` of `@yonos/core`): the wrapped
   * codec's estimate on one tile, plus the windows and the blend of the tiles; the wrapped
   * codec's own estimate when one tile covers the image.
   */
  estimateMemory(image: SpatialShape, options: MemoryEstimateOptions = {}): LatentCodecMemory {
    return tiledCodecMemory(this.#codec, image, this.tileSampleSize, options);
  }

  /**
   * Encodes tile by tile.
   * @param image NHWC `[N, H, W, 3]`, float32 in `[-1, 1]`; H and W multiples of `downsampleFactor`.
   * @returns The blended posterior over `[N, H/f, W/f, C]`; caller disposes it.
   */
  encode(image: tf.Tensor4D): LatentPosterior {
    const plan = this.encodePlan(image.shape[1], image.shape[2]);
    if (plan.count === 1) return this.#codec.encode(image);
    return this.#split(blendTilesSync(plan, (r) => this.#encodeTile(image, r)));
  }

  /** {@link TiledLatentCodec.encode} with hooks between tiles (progress, abort, yielding). */
  async encodeAsync(image: tf.Tensor4D, hooks: TileLoopHooks = {}): Promise<LatentPosterior> {
    const plan = this.encodePlan(image.shape[1], image.shape[2]);
    return this.#split(await blendTiles(plan, (r) => this.#encodeTile(image, r), hooks));
  }

  /**
   * The posterior mean of {@link TiledLatentCodec.encodeAsync} alone (what the pipeline
   * conditions on): each tile's log-variance is freed as soon as the tile is encoded and is
   * never blended, which halves the blended canvas. Equal to `encodeAsync(image).mean`.
   * @param image NHWC `[N, H, W, 3]`, float32 in `[-1, 1]`; H and W multiples of `downsampleFactor`.
   * @returns The blended mean `[N, H/f, W/f, C]`; caller owns it.
   */
  encodeMeanAsync(image: tf.Tensor4D, hooks: TileLoopHooks = {}): Promise<tf.Tensor4D> {
    const plan = this.encodePlan(image.shape[1], image.shape[2]);
    return blendTiles(
      plan,
      (r) => {
        const posterior = this.#codec.encode(window(image, r));
        try {
          return tf.clone(posterior.mean);
        } finally {
          posterior.dispose();
        }
      },
      hooks,
    );
  }

  /**
   * Decodes tile by tile.
   * @param latent NHWC `[N, h, w, C]`, unscaled.
   * @returns NHWC `[N, h*f, w*f, 3]`, not clamped; caller owns it.
   */
  decode(latent: tf.Tensor4D): tf.Tensor4D {
    const plan = this.decodePlan(latent.shape[1], latent.shape[2]);
    if (plan.count === 1) return this.#codec.decode(latent);
    return blendTilesSync(plan, (r) => this.#codec.decode(window(latent, r)));
  }

  /** {@link TiledLatentCodec.decode} with hooks between tiles. */
  decodeAsync(latent: tf.Tensor4D, hooks: TileLoopHooks = {}): Promise<tf.Tensor4D> {
    const plan = this.decodePlan(latent.shape[1], latent.shape[2]);
    return blendTiles(plan, (r) => this.#codec.decode(window(latent, r)), hooks);
  }

  /** Moments of one tile, `[N, h, w, 2C]`: mean then logvar, the layout that is blended. */
  #encodeTile(image: tf.Tensor4D, region: TileRegion): tf.Tensor4D {
    const posterior = this.#codec.encode(window(image, region));
    try {
      return tf.concat([posterior.mean, posterior.logvar], 3);
    } finally {
      posterior.dispose();
    }
  }

  #split(moments: tf.Tensor4D): LatentPosterior {
    const [mean, logvar] = tf.split(moments, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    moments.dispose();
    return new DiagonalGaussianDistribution(mean, logvar);
  }
}

/** The tile's part of `x`: `x` itself when the tile is the whole of it (no copy), else a slice. */
function window(x: tf.Tensor4D, r: TileRegion): tf.Tensor4D {
  return r.y === 0 && r.x === 0 && r.height === x.shape[1] && r.width === x.shape[2]
    ? x
    : tf.slice(x, [0, r.y, r.x, 0], [-1, r.height, r.width, -1]);
}
