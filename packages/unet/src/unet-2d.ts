import * as tf from '@tensorflow/tfjs-core';
import { loadPretrained, savePretrained } from '@yonos/core';
import { Conv2d, GroupNorm, Module, ModuleList, TimestepEmbedding, Timesteps, silu } from '@yonos/core/nn';
import type { UNetMidBlock2D, ActivationName } from '@yonos/core/nn';
import type {
  Denoiser,
  DenoiserClassConditioning,
  DenoiserForwardOptions,
  LoadPretrainedOptions,
  ModelConfig,
  ModelLocation,
  SavePretrainedOptions,
} from '@yonos/core';
import type { DenoiserMemory, DenoiserMemoryOptions, SpatialShape } from '@yonos/core';
import { createDownBlock, createUpBlock } from './blocks/factory.js';
import type { BlockContext } from './blocks/factory.js';
import type { ResnetSettings, UNetDownBlock, UNetUpBlock } from './blocks/types.js';
import { makeUNetMidBlock2D } from './blocks/mid-block-2d.js';
import { parseUNet2DConfig, resolveUNet2DConfig } from './config/unet-2d.js';
import type { UNet2DConfig, UNet2DConfigInput, UNet2DPlan } from './config/unet-2d.js';
import { unetConfigFromWeights } from './config/from-weights.js';
import { UnetInputError } from './errors.js';
import { DEFAULT_NUM_TRAIN_TIMESTEPS, checkInputValues } from './input-checks.js';
import type { UNetInputValidation } from './input-checks.js';
import { unetMemory } from './memory.js';
import { checkClassLabels } from './class-labels.js';
import { checkSample, runUNet } from './run-unet.js';
import { embedTimesteps } from './timestep.js';
import type { TimestepInput } from './timestep.js';

/**
 * diffusers' `UNet2DModel`: a U-Net without text conditioning (`DownBlock2D` /
 * `AttnDownBlock2D` levels, a mid block with self-attention), for small models trained from
 * scratch. NHWC; parameter names are diffusers' state-dict names. Construction is shape-only;
 * give it values with `initialize(rng)` or `loadStateDict(dict)`. Implements {@link Denoiser}
 * (without `crossAttentionDim`).
 */
export class UNet2DModel extends Module implements Denoiser {
  /** diffusers class name, written as `_class_name` in `config.json`. */
  static readonly className = 'UNet2DModel';

  /** The full config with diffusers' keys and defaults (unknown keys kept); frozen. */
  readonly config: Readonly<UNet2DConfig>;
  /** The expanded per-level build plan. */
  readonly plan: UNet2DPlan;
  /** {@link Denoiser}: input channels. */
  readonly inChannels: number;
  /** {@link Denoiser}: output channels. */
  readonly outChannels: number;
  /** {@link Denoiser}: `2^(levels - 1)`; `forward` refuses sample sides that are not multiples of it. */
  readonly downsampleFactor: number;
  /** {@link Denoiser}: always `undefined`: class embeddings of `UNet2DModel` are not implemented, so `forward` refuses labels. */
  readonly classConditioning?: DenoiserClassConditioning;
  /**
   * Timesteps must lie in `[0, numTrainTimesteps)`: `forward` refuses others with a
   * `UnetInputError`. The config's `num_train_timesteps` when set, else 1000 (diffusers'
   * scheduler default, every Stable Diffusion schedule). Set it to your scheduler's
   * `num_train_timesteps` when that differs.
   */
  numTrainTimesteps: number;
  /**
   * Whether `forward` checks the values of its inputs (NaN or infinity in the sample, a timestep
   * tensor outside `[0, numTrainTimesteps)`), at the cost of one reduction and one synchronous
   * read of at most 4 numbers per call. Default `'auto'`: on the cpu, wasm and tensorflow
   * backends, not on webgl/webgpu (see `UNetInputValidation`). Shapes, empty samples and number
   * timesteps are always checked.
   */
  validateInputs: UNetInputValidation = 'auto';

  /** `Conv2d(in_channels, block_out_channels[0], 3, padding 1)`. */
  readonly conv_in: Conv2d;
  /** Sinusoidal timestep projection (no parameters). */
  readonly time_proj: Timesteps;
  /** `linear_1 -> SiLU -> linear_2`. */
  readonly time_embedding: TimestepEmbedding;
  /** Down blocks, shallow to deep. */
  readonly down_blocks: ModuleList<UNetDownBlock>;
  /** Mid block (core's `UNetMidBlock2D`): ResNet, self-attention (unless `add_attention: false`), ResNet. */
  readonly mid_block: UNetMidBlock2D;
  /** Up blocks, deep to shallow. */
  readonly up_blocks: ModuleList<UNetUpBlock>;
  /** Output GroupNorm. */
  readonly conv_norm_out: GroupNorm;
  /** `Conv2d(block_out_channels[0], out_channels, 3, padding 1)`. */
  readonly conv_out: Conv2d;

  /**
   * Builds the network shape-only from a config (see {@link UNet2DModel.fromConfig}).
   * @throws `UnetConfigError` for an invalid or unsupported config.
   */
  constructor(config: UNet2DConfigInput | Readonly<Record<string, unknown>>) {
    super();
    const c = parseUNet2DConfig(config);
    const plan = resolveUNet2DConfig(c);
    this.config = Object.freeze(c);
    this.plan = plan;
    this.inChannels = c.in_channels;
    this.outChannels = c.out_channels;
    this.downsampleFactor = 2 ** (plan.down.length - 1);
    this.numTrainTimesteps = c.num_train_timesteps ?? DEFAULT_NUM_TRAIN_TIMESTEPS;
    const channels0 = c.block_out_channels[0]!;

    this.conv_in = new Conv2d(c.in_channels, channels0, 3, { padding: 1 });
    this.time_proj = new Timesteps(channels0, c.flip_sin_to_cos, c.freq_shift);
    // diffusers builds this one with its default activation (SiLU), whatever act_fn says.
    this.time_embedding = new TimestepEmbedding(channels0, plan.time_embed_dim);

    const resnet: ResnetSettings = {
      temb_channels: plan.time_embed_dim,
      eps: c.norm_eps,
      groups: c.norm_num_groups,
      act_fn: c.act_fn.toLowerCase() as ActivationName,
      dropout: c.dropout,
      time_scale_shift: plan.time_scale_shift,
    };
    const ctx: BlockContext = {
      resnet,
      downsample_padding: c.downsample_padding,
      use_linear_projection: false,
      upcast_attention: false,
      downsample_type: c.downsample_type,
      upsample_type: c.upsample_type,
    };
    this.down_blocks = new ModuleList(plan.down.map((level) => createDownBlock(level, ctx)));
    this.mid_block = makeUNetMidBlock2D(
      { ...resnet, output_scale_factor: c.mid_block_scale_factor },
      {
        in_channels: c.block_out_channels[c.block_out_channels.length - 1]!,
        add_attention: c.add_attention,
        attention_head_dim: plan.mid_attention_head_dim,
        attn_groups: plan.mid_attention_groups,
      },
    );
    this.up_blocks = new ModuleList(plan.up.map((level) => createUpBlock(level, ctx)));
    this.conv_norm_out = new GroupNorm(c.norm_num_groups, channels0, { eps: c.norm_eps });
    this.conv_out = new Conv2d(channels0, c.out_channels, 3, { padding: 1 });
  }

  /**
   * Builds a model shape-only from a diffusers config object (or any subset of its keys).
   * @throws `UnetConfigError` listing mistyped keys, or naming an unsupported option.
   */
  static fromConfig(config: UNet2DConfigInput | Readonly<Record<string, unknown>>): UNet2DModel {
    return new UNet2DModel(config);
  }

  /**
   * Loads a diffusers model folder (`config.json` + `diffusion_pytorch_model[.variant].safetensors`,
   * PyTorch layouts), as diffusers' `UNet2DModel.from_pretrained`. `location` is a directory
   * (Node) or a URL; `subfolder: 'unet'` reads the U-Net of a pipeline folder; `variant: 'fp16'`
   * reads the fp16 file (converted to float32).
   * @throws PretrainedError (core) if a file is missing or the config names another class.
   * @throws ConfigMismatchError (core; a StateDictError listing every missing, unexpected and
   *   mis-shaped key) if the weights do not match the config: it names `config.json`, the keys
   *   that disagree with the weights and the keys that took defaults.
   * @throws WeightDtypeError (core) for weights stored as integers (unless `allowDtypeCast`).
   * @throws `UnetConfigError` for an invalid or unsupported config.
   */
  static fromPretrained(location: ModelLocation, options: LoadPretrainedOptions = {}): Promise<UNet2DModel> {
    return loadPretrained(UNet2DModel, location, options);
  }

  /**
   * The config values a state dict's PyTorch shapes imply (`in_channels`, `out_channels`,
   * `block_out_channels`, `layers_per_block`), by parameter name.
   * {@link UNet2DModel.fromPretrained} uses them to name the `config.json` keys that disagree with the weights.
   */
  static configFromWeights(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig {
    return unetConfigFromWeights(shapes);
  }

  /**
   * Saves as diffusers' `save_pretrained` does, so diffusers can load it: `config.json`
   * (diffusers keys, sorted, with `_class_name` and `_diffusers_version`) and
   * `diffusion_pytorch_model[.variant].safetensors` (diffusers names, PyTorch layouts,
   * float32; float16 for `variant: 'fp16'` unless `dtype` says otherwise).
   * @param location A directory (Node) or a writable model store.
   */
  savePretrained(location: ModelLocation, options: SavePretrainedOptions = {}): Promise<void> {
    return savePretrained(this, location, options);
  }

  /**
   * One evaluation, as diffusers' `forward(sample, timestep).sample`.
   * @param sample NHWC `[N, H, W, in_channels]`, float32; H and W multiples of `2^(levels-1)`.
   * @param timestep One number for the batch (rounded toward zero, as diffusers makes it a
   *   `long`), or a `[N]` / `[1]` / scalar tensor; in `[0, numTrainTimesteps)`.
   * @param encoderHiddenStates Must be omitted: this network has no cross-attention.
   * @param options Must not hold `classLabels`: this network has no class embedding.
   * @returns NHWC `[N, H, W, out_channels]`, float32; a new tensor.
   * @throws {@link UnetInputError} for a mis-shaped or empty sample, a mis-shaped timestep, a
   *   timestep outside `[0, numTrainTimesteps)`, a context, or (see
   *   {@link UNet2DModel.validateInputs}) NaN or infinity in the sample.
   * @throws `UnetClassLabelError` (a {@link UnetInputError}) when class labels are given.
   */
  forward(sample: tf.Tensor4D, timestep: TimestepInput, encoderHiddenStates?: tf.Tensor3D, options: DenoiserForwardOptions = {}): tf.Tensor4D {
    const where = UNet2DModel.className;
    checkSample(sample, this.inChannels, where);
    checkClassLabels(where, undefined, options.classLabels, sample.shape[0]);
    if (encoderHiddenStates !== undefined) {
      throw new UnetInputError(`${where} has no cross-attention: call forward(sample, timestep) without encoderHiddenStates.`);
    }
    const factor = this.downsampleFactor;
    if (sample.shape[1] % factor !== 0 || sample.shape[2] % factor !== 0) {
      throw new UnetInputError(
        `${where}: height and width must be multiples of ${factor} (2^(levels-1)), got ${sample.shape[1]}x${sample.shape[2]}; pad the sample.`,
      );
    }
    checkInputValues(where, sample, timestep, this.numTrainTimesteps, this.validateInputs);
    const n = sample.shape[0];
    return tf.tidy(() => {
      const temb = this.time_embedding.forward(embedTimesteps(this.time_proj, timestep, n, where, true));
      let x: tf.Tensor4D = sample;
      if (this.config.center_input_sample) x = tf.sub(tf.mul(x, 2), 1);
      const h = runUNet(
        { convIn: this.conv_in, down: [...this.down_blocks], mid: this.mid_block, up: [...this.up_blocks], forwardUpsampleSize: false },
        x,
        temb,
        undefined,
      );
      return this.conv_out.forward(silu(this.conv_norm_out.forward(h)) as tf.Tensor4D);
    });
  }

  /**
   * Peak tensor memory of one {@link UNet2DModel.forward} on a sample `[N, h, w, in_channels]`,
   * in bytes (see `unetMemory`; `Denoiser.estimateMemory` of `@yonos/core` says what counts).
   * Needs no weights.
   * @param sample `[N, h, w]` of the sample.
   * @param options `contextLength`: tokens of the cross-attention context (default 77);
   *   `backend`: the backend it runs on (retained bytes only on wasm; default as on wasm).
   */
  estimateMemory(sample: SpatialShape, options: DenoiserMemoryOptions = {}): DenoiserMemory {
    const [batch, height, width] = sample;
    return unetMemory(this, { batch, height, width, ...options });
  }
}
