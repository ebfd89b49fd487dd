import * as tf from '@tensorflow/tfjs-core';
import { loadPretrained, savePretrained } from '@yonos/core';
import { Module } from '@yonos/core/nn';
import type { LatentCodec, LoadPretrainedOptions, ModelConfig, ModelLocation, Rng, SavePretrainedOptions } from '@yonos/core';
import type { InitializeOptions } from '@yonos/core/nn';
import type { LatentCodecMemory, MemoryEstimateOptions, SpatialShape } from '@yonos/core';
import { DeterministicPosterior } from './deterministic-posterior.js';
import { autoencoderTinyMemory } from './memory.js';
import { checkImageLike } from './check-input.js';
import { VaeConfigError } from './errors.js';
import { parseAutoencoderTinyConfig } from './tiny-config.js';
import type { AutoencoderTinyConfig, AutoencoderTinyConfigInput } from './tiny-config.js';
import { DecoderTiny } from './tiny-decoder.js';
import { EncoderTiny } from './tiny-encoder.js';
import { AUTOENCODER_TINY_INIT_SCHEMES, applyPoolingInit } from './tiny-init.js';
import type { AutoencoderTinyInitScheme } from './tiny-init.js';
import { autoencoderTinyConfigFromWeights } from './config-from-weights.js';

/** Options of {@link AutoencoderTiny.initialize}. */
export interface AutoencoderTinyInitializeOptions extends InitializeOptions {
  /** `'default'` (PyTorch's default init, as diffusers) or `'pooling'` (see `applyPoolingInit`). Default `'default'`. */
  readonly scheme?: AutoencoderTinyInitScheme;
}

/**
 * diffusers' `AutoencoderTiny` (TAESD) on NHWC tensors: a norm-free deterministic autoencoder,
 * `encoder` (image in `[-1, 1]` -> latents) and `decoder` (latents -> image). Parameter names,
 * PyTorch layouts and the config are diffusers', so TAESD checkpoints load and save both ways.
 * As a `LatentCodec`, {@link AutoencoderTiny.encode} returns a {@link DeterministicPosterior}
 * (mean = sample = the latents, zero KL).
 *
 * Building is shape-only; give it weights with `fromPretrained`, `loadStateDict` or
 * `initialize(rng, { scheme })` (`'pooling'` starts from average-pool down / nearest up).
 *
 * ```ts
 * const vae = AutoencoderTiny.fromConfig({ latent_channels: 8 }).initialize(createRng(0), { scheme: 'pooling' });
 * const posterior = vae.encode(image);   // image: NHWC [1, 64, 64, 3] in [-1, 1]
 * const decoded = vae.decode(posterior.mean);
 * ```
 */
export class AutoencoderTiny extends Module implements LatentCodec {
  /** diffusers' `_class_name`. */
  static readonly className = 'AutoencoderTiny';

  /** Image to latents. */
  readonly encoder: EncoderTiny;
  /** Latents to image. */
  readonly decoder: DecoderTiny;
  /** The full diffusers config (defaults filled in, unknown keys kept), frozen. */
  readonly config: AutoencoderTinyConfig;
  /** `latent_channels`. */
  readonly latentChannels: number;
  /** `2^(encoder levels - 1)`: image size / latent size (8 for TAESD). */
  readonly downsampleFactor: number;
  /**
   * `scaling_factor`: latents are multiplied by it before diffusion (latent scaling). Not an
   * upscaling factor: a pipeline's is its `scale`.
   */
  readonly scalingFactor: number;
  /**
   * `shift_factor`, 0 when the config has none: what pipelines subtract from latents before
   * scaling. diffusers 0.25 ignores the key, so its pipelines would not subtract a non-zero value.
   */
  readonly shiftFactor: number;

  /**
   * Builds the model shape-only from a config (same as {@link AutoencoderTiny.fromConfig}).
   * @throws {@link VaeConfigError} for an invalid config.
   */
  constructor(config: AutoencoderTinyConfigInput | ModelConfig = {}) {
    super();
    const c = parseAutoencoderTinyConfig(config);
    this.encoder = new EncoderTiny({
      in_channels: c.in_channels,
      out_channels: c.latent_channels,
      num_blocks: c.num_encoder_blocks,
      block_out_channels: c.encoder_block_out_channels,
      act_fn: c.act_fn,
    });
    this.decoder = new DecoderTiny({
      in_channels: c.latent_channels,
      out_channels: c.out_channels,
      num_blocks: c.num_decoder_blocks,
      block_out_channels: c.decoder_block_out_channels,
      upsampling_scaling_factor: c.upsampling_scaling_factor,
      act_fn: c.act_fn,
      upsample_fn: 'nearest',
    });
    this.config = c;
    this.latentChannels = c.latent_channels;
    this.downsampleFactor = 2 ** (c.encoder_block_out_channels.length - 1);
    this.scalingFactor = c.scaling_factor;
    this.shiftFactor = c.shift_factor ?? 0;
  }

  /**
   * Builds the model shape-only (no tensor is allocated) from a diffusers config or any subset
   * of its keys (diffusers' defaults fill the rest: TAESD's architecture).
   * @throws {@link VaeConfigError} for an invalid config.
   */
  static fromConfig(config: AutoencoderTinyConfigInput | ModelConfig = {}): AutoencoderTiny {
    return new AutoencoderTiny(config);
  }

  /**
   * Loads a diffusers model folder (`config.json` + `diffusion_pytorch_model[.variant].safetensors`),
   * e.g. `madebyollin/taesd`. `location` is a directory (Node) or a URL.
   * @throws PretrainedError if a file is missing or the config names another class.
   * @throws ConfigMismatchError (core; a StateDictError listing every missing, unexpected and
   *   mis-shaped key) if the weights do not match the config: it names `config.json`, the keys
   *   that disagree with the weights and the keys that took defaults.
   * @throws WeightDtypeError (core) for weights stored as integers (unless `allowDtypeCast`).
   * @throws {@link VaeConfigError} for an invalid config.
   */
  static fromPretrained(location: ModelLocation, options: LoadPretrainedOptions = {}): Promise<AutoencoderTiny> {
    return loadPretrained(AutoencoderTiny, location, options);
  }

  /**
   * The config values a state dict's PyTorch shapes imply (see `autoencoderTinyConfigFromWeights`), by parameter name.
   * {@link AutoencoderTiny.fromPretrained} uses them to name the `config.json` keys that disagree with the weights.
   */
  static configFromWeights(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig {
    return autoencoderTinyConfigFromWeights(shapes);
  }

  /** Saves as diffusers' `save_pretrained` does: `config.json` and the weights in PyTorch layouts. */
  savePretrained(location: ModelLocation, options: SavePretrainedOptions = {}): Promise<void> {
    return savePretrained(this, location, options);
  }

  /**
   * Gives every parameter a value: PyTorch's default init, then, with `scheme: 'pooling'`, the
   * pooling initialization (`applyPoolingInit`). Each parameter's default draw comes from
   * `rng.fork(name)`; `rng` is not advanced.
   * @throws {@link VaeConfigError} for an unknown scheme, `'pooling'` with `onlyMissing`, or a
   *   config the pooling init cannot be built for.
   */
  override initialize(rng: Rng, options: AutoencoderTinyInitializeOptions = {}): this {
    const scheme = options.scheme ?? 'default';
    if (!AUTOENCODER_TINY_INIT_SCHEMES.includes(scheme)) {
      throw new VaeConfigError(`Unknown AutoencoderTiny init scheme ${JSON.stringify(scheme)}: use ${AUTOENCODER_TINY_INIT_SCHEMES.map((s) => `"${s}"`).join(' or ')}.`);
    }
    if (scheme === 'pooling' && options.onlyMissing === true) {
      throw new VaeConfigError('The "pooling" init sets whole layers: it cannot be combined with onlyMissing; initialize the full model instead.');
    }
    super.initialize(rng, options);
    if (scheme === 'pooling') applyPoolingInit(this.encoder, this.decoder, this.config);
    return this;
  }

  /**
   * Encodes images to latents (unscaled).
   * @param image NHWC `[N, H, W, in_channels]`, float32 in `[-1, 1]`.
   * @returns A {@link DeterministicPosterior} over `[N, ceil(H/f), ceil(W/f), latent_channels]`
   *   (`f` = {@link AutoencoderTiny.downsampleFactor}); it owns its tensors (call `dispose()`).
   * @throws {@link VaeInputError} for a wrong rank, channel count or dtype.
   */
  encode(image: tf.Tensor4D): DeterministicPosterior {
    checkImageLike('AutoencoderTiny.encode', image, this.config.in_channels, 'image');
    return new DeterministicPosterior(this.encoder.forward(image));
  }

  /**
   * Decodes unscaled latents to images.
   * @param latent NHWC `[N, h, w, latent_channels]`, float32 (divide diffusion latents by
   *   {@link AutoencoderTiny.scalingFactor} and add {@link AutoencoderTiny.shiftFactor} first).
   * @returns NHWC `[N, h*f, w*f, out_channels]`, float32, nominally in `[-1, 1]` (not clamped).
   * @throws {@link VaeInputError} for a wrong rank, channel count or dtype.
   */
  decode(latent: tf.Tensor4D): tf.Tensor4D {
    checkImageLike('AutoencoderTiny.decode', latent, this.latentChannels, 'latent');
    return this.decoder.forward(latent);
  }

  /**
   * Peak tensor memory of {@link AutoencoderTiny.encode} of an image `[N, H, W, in_channels]`
   * and of {@link AutoencoderTiny.decode} of its latent, in bytes (see `autoencoderTinyMemory`;
   * `LatentCodec.estimateMemory` of `@yonos/core` says what counts). Needs no weights.
   * @param image `[N, H, W]` of the image.
   * @param options `backend`: the backend it runs on (retained bytes only on wasm; default as on wasm).
   */
  estimateMemory(image: SpatialShape, options: MemoryEstimateOptions = {}): LatentCodecMemory {
    return autoencoderTinyMemory(this, image, options);
  }

  /**
   * Encode then decode, without diffusers' byte quantization of the latents (which has no
   * gradient); for training and round-trip checks.
   * @param image NHWC `[N, H, W, in_channels]`, float32 in `[-1, 1]`.
   * @returns NHWC `[N, f*ceil(H/f), f*ceil(W/f), out_channels]`.
   * @throws {@link VaeInputError} for a bad image.
   */
  forward(image: tf.Tensor4D): tf.Tensor4D {
    const posterior = this.encode(image);
    try {
      return this.decode(posterior.mean);
    } finally {
      posterior.dispose();
    }
  }

  /**
   * diffusers' `scale_latents`: raw latents to `[0, 1]`,
   * `clamp(z / (2 * latent_magnitude) + latent_shift, 0, 1)` (how TAESD latents are stored as bytes).
   * @param latents Any shape, float32. @returns A new tensor of the same shape.
   */
  scaleLatents(latents: tf.Tensor): tf.Tensor {
    const m = this.config.latent_magnitude;
    return tf.tidy(() => tf.clipByValue(tf.add(tf.div(latents, 2 * m), this.config.latent_shift), 0, 1));
  }

  /**
   * diffusers' `unscale_latents`: `[0, 1]` back to raw latents, `(x - latent_shift) * 2 * latent_magnitude`.
   * @param scaled Any shape, float32. @returns A new tensor of the same shape.
   */
  unscaleLatents(scaled: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(tf.sub(scaled, this.config.latent_shift), 2 * this.config.latent_magnitude));
  }
}
