import * as tf from '@tensorflow/tfjs-core';
import { loadPretrained, savePretrained } from '@yonos/core';
import { Conv2d, DiagonalGaussianDistribution, Module } from '@yonos/core/nn';
import type { LatentCodec, LoadPretrainedOptions, ModelConfig, ModelLocation, Rng, SavePretrainedOptions } from '@yonos/core';
import type { LatentCodecMemory, MemoryEstimateOptions, SpatialShape } from '@yonos/core';
import { parseAutoencoderKLConfig } from './config.js';
import { autoencoderKLMemory } from './memory.js';
import type { AutoencoderKLConfig, AutoencoderKLConfigInput } from './config.js';
import { Decoder } from './decoder.js';
import { Encoder } from './encoder.js';
import { checkImageLike } from './check-input.js';
import { VaeInputError } from './errors.js';
import { autoencoderKLConfigFromWeights } from './config-from-weights.js';

/** Options of {@link AutoencoderKL.forward}. */
export interface AutoencoderKLForwardOptions {
  /** Decode a draw from the posterior instead of its mode (default `false`). */
  readonly samplePosterior?: boolean;
  /** The generator for that draw (required with `samplePosterior`). */
  readonly rng?: Rng;
}

/**
 * diffusers' `AutoencoderKL` (the Stable Diffusion VAE) on NHWC tensors: `encoder` +
 * `quant_conv` map an image to a diagonal Gaussian posterior over latents,
 * `post_quant_conv` + `decoder` map a latent back to an image. Parameter names, PyTorch
 * layouts and the config are diffusers', so diffusers checkpoints load and save both ways
 * ({@link AutoencoderKL.fromPretrained}, {@link AutoencoderKL.savePretrained}).
 *
 * Building is shape-only (even the full SD VAE allocates nothing); give it weights with
 * `fromPretrained`, `loadStateDict` or `initialize(rng)`. Latents are unscaled: multiply by
 * {@link AutoencoderKL.scalingFactor} (after subtracting {@link AutoencoderKL.shiftFactor})
 * before diffusion, as diffusers' pipelines do.
 *
 * ```ts
 * const vae = await AutoencoderKL.fromPretrained('models/sd-vae');
 * const posterior = vae.encode(image);          // image: NHWC [1, 512, 512, 3] in [-1, 1]
 * const z = posterior.sample(createRng(42));    // [1, 64, 64, 4]
 * const decoded = vae.decode(z);                // [1, 512, 512, 3]
 * ```
 */
export class AutoencoderKL extends Module implements LatentCodec {
  /** diffusers' `_class_name`. */
  static readonly className = 'AutoencoderKL';

  /** Image to moments `[N, h, w, 2 * latent_channels]`. */
  readonly encoder: Encoder;
  /** Latent to image. */
  readonly decoder: Decoder;
  /** 1x1 conv on the moments, or `null` when `use_quant_conv` is false. */
  readonly quant_conv: Conv2d | null;
  /** 1x1 conv on the latent before decoding, or `null` when `use_post_quant_conv` is false. */
  readonly post_quant_conv: Conv2d | null;
  /** The full diffusers config (defaults filled in, unknown keys kept), frozen. */
  readonly config: AutoencoderKLConfig;
  /** `latent_channels`. */
  readonly latentChannels: number;
  /** `2^(levels - 1)`: image size / latent size (8 for SD). */
  readonly downsampleFactor: number;
  /**
   * `scaling_factor`: latents are multiplied by it before diffusion (latent scaling). Not an
   * upscaling factor: a pipeline's is its `scale`.
   */
  readonly scalingFactor: number;
  /** `shift_factor`, or 0 when the config has none. */
  readonly shiftFactor: number;

  /**
   * Builds the model shape-only from a config (same as {@link AutoencoderKL.fromConfig}).
   * @throws {@link VaeConfigError} for an invalid config.
   */
  constructor(config: AutoencoderKLConfigInput | ModelConfig = {}) {
    super();
    const c = parseAutoencoderKLConfig(config);
    this.encoder = new Encoder({
      in_channels: c.in_channels,
      out_channels: c.latent_channels,
      block_out_channels: c.block_out_channels,
      layers_per_block: c.layers_per_block,
      norm_num_groups: c.norm_num_groups,
      act_fn: c.act_fn,
      double_z: true,
      mid_block_add_attention: c.mid_block_add_attention ?? true,
    });
    this.decoder = new Decoder({
      in_channels: c.latent_channels,
      out_channels: c.out_channels,
      block_out_channels: c.block_out_channels,
      layers_per_block: c.layers_per_block,
      norm_num_groups: c.norm_num_groups,
      act_fn: c.act_fn,
      mid_block_add_attention: c.mid_block_add_attention ?? true,
    });
    const moments = 2 * c.latent_channels;
    this.quant_conv = (c.use_quant_conv ?? true) ? new Conv2d(moments, moments, 1) : null;
    this.post_quant_conv = (c.use_post_quant_conv ?? true) ? new Conv2d(c.latent_channels, c.latent_channels, 1) : null;
    this.config = c;
    this.latentChannels = c.latent_channels;
    this.downsampleFactor = 2 ** (c.block_out_channels.length - 1);
    this.scalingFactor = c.scaling_factor;
    this.shiftFactor = c.shift_factor ?? 0;
  }

  /**
   * Builds the model shape-only (no tensor is allocated) from a diffusers config: the
   * contents of `config.json` or any subset of its keys (diffusers' defaults fill the rest).
   * @throws {@link VaeConfigError} for an invalid config.
   */
  static fromConfig(config: AutoencoderKLConfigInput | ModelConfig = {}): AutoencoderKL {
    return new AutoencoderKL(config);
  }

  /**
   * Loads a diffusers model folder: `config.json` and
   * `diffusion_pytorch_model[.variant].safetensors` (PyTorch layouts; `variant: 'fp16'` reads
   * the fp16 file and converts to float32). `location` is a directory (Node) or a URL.
   * @throws PretrainedError if a file is missing or the config names another class.
   * @throws ConfigMismatchError (core; a StateDictError listing every missing, unexpected and
   *   mis-shaped key) if the weights do not match the config: it names `config.json`, the keys
   *   that disagree with the weights and the keys that took defaults.
   * @throws WeightDtypeError (core) for weights stored as integers (unless `allowDtypeCast`).
   * @throws {@link VaeConfigError} for an invalid config.
   */
  static fromPretrained(location: ModelLocation, options: LoadPretrainedOptions = {}): Promise<AutoencoderKL> {
    return loadPretrained(AutoencoderKL, location, options);
  }

  /**
   * The config values a state dict's PyTorch shapes imply (see `autoencoderKLConfigFromWeights`), by parameter name.
   * {@link AutoencoderKL.fromPretrained} uses them to name the `config.json` keys that disagree with the weights.
   */
  static configFromWeights(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig {
    return autoencoderKLConfigFromWeights(shapes);
  }

  /**
   * Saves as diffusers' `save_pretrained` does: `config.json` (diffusers keys, sorted) and
   * `diffusion_pytorch_model[.variant].safetensors` with diffusers names in PyTorch layouts
   * (`variant: 'fp16'` stores float16 unless `dtype` says otherwise). Node directories or a
   * writable store.
   */
  savePretrained(location: ModelLocation, options: SavePretrainedOptions = {}): Promise<void> {
    return savePretrained(this, location, options);
  }

  /**
   * Encodes images to the posterior over latents (unscaled).
   * @param image NHWC `[N, H, W, in_channels]`, float32 in `[-1, 1]`.
   * @returns The posterior over `[N, floor(H/f), floor(W/f), latent_channels]`, `f` =
   *   {@link AutoencoderKL.downsampleFactor}; it owns its tensors (call `dispose()`).
   * @throws {@link VaeInputError} for a wrong rank, channel count or dtype.
   */
  encode(image: tf.Tensor4D): DiagonalGaussianDistribution {
    checkImageLike('AutoencoderKL.encode', image, this.config.in_channels, 'image');
    const moments = tf.tidy(() => {
      const h = this.encoder.forward(image);
      return this.quant_conv !== null ? this.quant_conv.forward(h) : h;
    });
    try {
      return DiagonalGaussianDistribution.fromMoments(moments);
    } finally {
      moments.dispose();
    }
  }

  /**
   * Decodes unscaled latents to images.
   * @param latent NHWC `[N, h, w, latent_channels]`, float32 (divide diffusion latents by
   *   {@link AutoencoderKL.scalingFactor} and add {@link AutoencoderKL.shiftFactor} first).
   * @returns NHWC `[N, h*f, w*f, out_channels]`, float32, nominally in `[-1, 1]` (not clamped).
   * @throws {@link VaeInputError} for a wrong rank, channel count or dtype.
   */
  decode(latent: tf.Tensor4D): tf.Tensor4D {
    checkImageLike('AutoencoderKL.decode', latent, this.latentChannels, 'latent');
    return tf.tidy(() => {
      const z = this.post_quant_conv !== null ? this.post_quant_conv.forward(latent) : latent;
      return this.decoder.forward(z);
    });
  }
  /**
   * Peak tensor memory of {@link AutoencoderKL.encode} of an image `[N, H, W, in_channels]`
   * and of {@link AutoencoderKL.decode} of its latent, in bytes (see `autoencoderKLMemory`;
   * `LatentCodec.estimateMemory` of `@yonos/core` says what counts). Needs no weights.
   * @param image `[N, H, W]` of the image.
   * @param options `backend`: the backend it runs on (retained bytes only on wasm; default as on wasm).
   */
  estimateMemory(image: SpatialShape, options: MemoryEstimateOptions = {}): LatentCodecMemory {
    return autoencoderKLMemory(this, image, options);
  }


  /**
   * Encode then decode (diffusers' `forward`): decodes the posterior's mode, or a draw from
   * it with `samplePosterior`.
   * @param image NHWC `[N, H, W, in_channels]`, float32 in `[-1, 1]`.
   * @returns NHWC `[N, f * floor(H/f), f * floor(W/f), out_channels]` (the input size when it is a multiple of `f`).
   * @throws {@link VaeInputError} for a bad image, or `samplePosterior` without `rng`.
   */
  forward(image: tf.Tensor4D, options: AutoencoderKLForwardOptions = {}): tf.Tensor4D {
    const { samplePosterior = false, rng } = options;
    if (samplePosterior && rng === undefined) {
      throw new VaeInputError('AutoencoderKL.forward: samplePosterior needs a generator: pass { rng: createRng(seed) }.');
    }
    const posterior = this.encode(image);
    try {
      return tf.tidy(() => this.decode(samplePosterior ? posterior.sample(rng!) : posterior.mode()));
    } finally {
      posterior.dispose();
    }
  }
}
