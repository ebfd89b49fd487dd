import * as tf from '@tensorflow/tfjs-core';
import { loadPretrained, savePretrained } from '@yonos/core';
import { Conv2d, GroupNorm, Module, ModuleList, TimestepEmbedding, Timesteps, getActivation } from '@yonos/core/nn';
import type {
  Denoiser,
  DenoiserClassConditioning,
  DenoiserForwardOptions,
  LoadPretrainedOptions,
  ModelConfig,
  ModelLocation,
  SavePretrainedOptions,
} from '@yonos/core';
import type { ActivationFn, ActivationName } from '@yonos/core/nn';
import type { DenoiserMemory, DenoiserMemoryOptions, SpatialShape } from '@yonos/core';
import { createDownBlock, createUpBlock } from './blocks/factory.js';
import { addClassEmbedding, classConditioningOf, createClassEmbedding } from './class-embedding.js';
import type { ClassEmbeddingModule } from './class-embedding.js';
import { checkClassLabelValues, checkClassLabels } from './class-labels.js';
import type { BlockContext } from './blocks/factory.js';
import type { ResnetSettings, UNetDownBlock, UNetMidBlock, UNetUpBlock } from './blocks/types.js';
import { makeUNetMidBlock2D } from './blocks/mid-block-2d.js';
import { UNetMidBlock2DCrossAttn } from './blocks/unet-mid-block-2d-cross-attn.js';
import { parseUNet2DConditionConfig, resolveUNet2DConditionConfig } from './config/unet-2d-condition.js';
import type { UNet2DConditionConfig, UNet2DConditionConfigInput, UNet2DConditionPlan } from './config/unet-2d-condition.js';
import { classEmbeddingConfigFromWeights } from './config/class-from-weights.js';
import { unetConfigFromWeights } from './config/from-weights.js';
import { UnetInputError } from './errors.js';
import { DEFAULT_NUM_TRAIN_TIMESTEPS, checkInputValues } from './input-checks.js';
import type { UNetInputValidation } from './input-checks.js';
import { unetMemory } from './memory.js';
import { checkSample, runUNet } from './run-unet.js';
import { embedTimesteps } from './timestep.js';
import type { TimestepInput } from './timestep.js';

/**
 * diffusers' `UNet2DConditionModel` (the Stable Diffusion 1.x / 2.x U-Net) on NHWC tensors,
 * built from a diffusers `config.json`; its parameter names are diffusers' state-dict names,
 * so `loadStateDict` takes a diffusers checkpoint as is.
 *
 * Construction is shape-only (a full SD U-Net allocates nothing): give it values with
 * `initialize(rng)` or `loadStateDict(dict)`. Implements the {@link Denoiser} contract.
 *
 * @example
 * ```ts
 * const unet = UNet2DConditionModel.fromConfig({ in_channels: 8, block_out_channels: [32, 64], ... });
 * unet.initialize(createRng(0));
 * const v = unet.forward(sample, 999, context); // NHWC in, NHWC out
 * // A class-conditioned U-Net (num_class_embeds / class_embed_type) also takes labels:
 * const w = upscalerUnet.forward(sample, 999, context, { classLabels: 20 });
 * ```
 */
export class UNet2DConditionModel extends Module implements Denoiser {
  /** diffusers class name, written as `_class_name` in `config.json`. */
  static readonly className = 'UNet2DConditionModel';

  /** The full config with diffusers' keys and defaults (unknown keys kept); frozen. */
  readonly config: Readonly<UNet2DConditionConfig>;
  /** The expanded per-level build plan. */
  readonly plan: UNet2DConditionPlan;
  /** {@link Denoiser}: input channels (`in_channels`). */
  readonly inChannels: number;
  /** {@link Denoiser}: output channels (`out_channels`). */
  readonly outChannels: number;
  /**
   * {@link Denoiser}: `2^(levels - 1)`. Samples whose sides are not multiples of it still run
   * (the up blocks resize to the skips' sizes, as diffusers does), but pipelines pad to it.
   */
  readonly downsampleFactor: number;
  /**
   * Timesteps must lie in `[0, numTrainTimesteps)`: `forward` refuses others with a
   * `UnetInputError`. 1000 unless set (diffusers' scheduler default, every Stable
   * Diffusion schedule; diffusers' U-Net config has no such key). Set it to your scheduler's
   * `num_train_timesteps` when that differs.
   */
  numTrainTimesteps = DEFAULT_NUM_TRAIN_TIMESTEPS;
  /**
   * Whether `forward` checks the values of its inputs (NaN or infinity in the sample, a timestep
   * tensor outside `[0, numTrainTimesteps)`), at the cost of one reduction and one synchronous
   * read of at most 4 numbers per call. Default `'auto'`: on the cpu, wasm and tensorflow
   * backends, not on webgl/webgpu (see `UNetInputValidation`). Shapes, empty samples and number
   * timesteps are always checked.
   */
  validateInputs: UNetInputValidation = 'auto';
  /** {@link Denoiser}: context width when a block uses cross-attention; otherwise `undefined`. */
  readonly crossAttentionDim?: number;
  /**
   * {@link Denoiser}: what `forward`'s `options.classLabels` must hold when the config has a
   * class embedding (`num_class_embeds` -> `'index'` with `numClasses`; `class_embed_type`
   * `'timestep'` -> `'timestep'`; `'identity'`, `'projection'`, `'simple_projection'` ->
   * `'vector'` with the label width); `undefined` without one (labels are then refused).
   */
  readonly classConditioning?: DenoiserClassConditioning;

  /** `Conv2d(in_channels, block_out_channels[0], conv_in_kernel)`. */
  readonly conv_in: Conv2d;
  /** Sinusoidal timestep projection (no parameters). */
  readonly time_proj: Timesteps;
  /** `linear_1 -> act -> linear_2` on the timestep projection. */
  readonly time_embedding: TimestepEmbedding;
  /**
   * diffusers' `class_embedding`: an `Embedding` table (`num_class_embeds`), a
   * `TimestepEmbedding` (`'timestep'`, `'projection'`) or a `Linear` (`'simple_projection'`);
   * `null` for `'identity'` and without class conditioning.
   */
  readonly class_embedding: ClassEmbeddingModule | null;
  /** Down blocks, shallow to deep. */
  readonly down_blocks: ModuleList<UNetDownBlock>;
  /** Up blocks, deep to shallow. */
  readonly up_blocks: ModuleList<UNetUpBlock>;
  /** Mid block, or `null` (`mid_block_type: null`). */
  readonly mid_block: UNetMidBlock | null;
  /** Output GroupNorm over `block_out_channels[0]`. */
  readonly conv_norm_out: GroupNorm;
  /** `Conv2d(block_out_channels[0], out_channels, conv_out_kernel)`. */
  readonly conv_out: Conv2d;
  readonly #act: ActivationFn;
  readonly #timeEmbedAct: ActivationFn | null;

  /**
   * Builds the network shape-only from a config (see {@link UNet2DConditionModel.fromConfig}).
   * @throws `UnetConfigError` for an invalid or unsupported config.
   */
  constructor(config: UNet2DConditionConfigInput | Readonly<Record<string, unknown>>) {
    super();
    const c = parseUNet2DConditionConfig(config);
    const plan = resolveUNet2DConditionConfig(c);
    this.config = Object.freeze(c);
    this.plan = plan;
    this.inChannels = c.in_channels;
    this.outChannels = c.out_channels;
    this.downsampleFactor = 2 ** (plan.down.length - 1);
    const usesContext =
      plan.down.some((l) => l.type === 'CrossAttnDownBlock2D') ||
      plan.up.some((l) => l.type === 'CrossAttnUpBlock2D') ||
      plan.mid === 'UNetMidBlock2DCrossAttn';
    if (usesContext) this.crossAttentionDim = plan.down[0]!.cross_attention_dim;

    const channels0 = c.block_out_channels[0]!;
    const act = c.act_fn.toLowerCase() as ActivationName;
    this.#act = getActivation(act);
    this.#timeEmbedAct = c.time_embedding_act_fn === null ? null : getActivation(c.time_embedding_act_fn);

    this.conv_in = new Conv2d(c.in_channels, channels0, c.conv_in_kernel, { padding: (c.conv_in_kernel - 1) / 2 });
    this.time_proj = new Timesteps(channels0, c.flip_sin_to_cos, c.freq_shift);
    this.time_embedding = new TimestepEmbedding(channels0, plan.time_embed_dim, {
      act_fn: act,
      post_act_fn: c.timestep_post_act === null ? null : (c.timestep_post_act.toLowerCase() as ActivationName),
      cond_proj_dim: c.time_cond_proj_dim,
    });
    this.class_embedding = createClassEmbedding(plan.class_embedding, channels0, plan.time_embed_dim, act);
    const classConditioning = classConditioningOf(plan.class_embedding);
    if (classConditioning !== undefined) this.classConditioning = classConditioning;

    const resnet: ResnetSettings = {
      temb_channels: plan.blocks_time_embed_dim,
      eps: c.norm_eps,
      groups: plan.groups,
      act_fn: act,
      dropout: c.dropout,
      time_scale_shift: plan.time_scale_shift,
    };
    const ctx: BlockContext = {
      resnet,
      downsample_padding: c.downsample_padding,
      use_linear_projection: c.use_linear_projection,
      upcast_attention: c.upcast_attention,
    };
    this.down_blocks = new ModuleList(plan.down.map((level) => createDownBlock(level, ctx)));
    this.up_blocks = new ModuleList(plan.up.map((level) => createUpBlock(level, ctx)));

    const deepest = plan.down[plan.down.length - 1]!;
    const midResnet: ResnetSettings = { ...resnet, output_scale_factor: c.mid_block_scale_factor };
    if (plan.mid === 'UNetMidBlock2DCrossAttn') {
      this.mid_block = new UNetMidBlock2DCrossAttn({
        in_channels: deepest.out_channels,
        resnet: midResnet,
        attention: {
          num_attention_heads: deepest.num_attention_heads,
          cross_attention_dim: deepest.cross_attention_dim,
          transformer_layers: plan.mid_transformer_layers,
          use_linear_projection: c.use_linear_projection,
          only_cross_attention: false,
          upcast_attention: c.upcast_attention,
        },
      });
    } else if (plan.mid === 'UNetMidBlock2D') {
      // diffusers builds this one with num_layers=0 and no attention: a single ResNet.
      this.mid_block = makeUNetMidBlock2D(midResnet, { in_channels: deepest.out_channels, num_layers: 0, add_attention: false });
    } else {
      this.mid_block = null;
    }

    this.conv_norm_out = new GroupNorm(plan.groups, channels0, { eps: c.norm_eps });
    this.conv_out = new Conv2d(channels0, c.out_channels, c.conv_out_kernel, { padding: (c.conv_out_kernel - 1) / 2 });
  }

  /**
   * Builds a model shape-only from a diffusers config object (a parsed `config.json`, or any
   * subset of its keys; the rest take diffusers 0.25 defaults). Unknown keys are kept in
   * {@link UNet2DConditionModel.config}.
   * @throws `UnetConfigError` listing mistyped keys, or naming an unsupported option.
   */
  static fromConfig(config: UNet2DConditionConfigInput | Readonly<Record<string, unknown>>): UNet2DConditionModel {
    return new UNet2DConditionModel(config);
  }

  /**
   * Loads a diffusers model folder (`config.json` + `diffusion_pytorch_model[.variant].safetensors`,
   * PyTorch layouts), as diffusers' `UNet2DConditionModel.from_pretrained`. `location` is a directory
   * (Node) or a URL; `subfolder: 'unet'` reads the U-Net of a pipeline folder; `variant: 'fp16'`
   * reads the fp16 file (converted to float32).
   * @throws PretrainedError (core) if a file is missing or the config names another class.
   * @throws ConfigMismatchError (core; a StateDictError listing every missing, unexpected and
   *   mis-shaped key) if the weights do not match the config: it names `config.json`, the keys
   *   that disagree with the weights and the keys that took defaults.
   * @throws WeightDtypeError (core) for weights stored as integers (unless `allowDtypeCast`).
   * @throws `UnetConfigError` for an invalid or unsupported config.
   */
  static fromPretrained(location: ModelLocation, options: LoadPretrainedOptions = {}): Promise<UNet2DConditionModel> {
    return loadPretrained(UNet2DConditionModel, location, options);
  }

  /**
   * The config values a state dict's PyTorch shapes imply (`in_channels`, `out_channels`,
   * `block_out_channels`, `layers_per_block`, `cross_attention_dim`, and of the class embedding
   * what the shapes tell: `num_class_embeds`, `class_embed_type` for a table or a simple
   * projection, `projection_class_embeddings_input_dim`, `class_embeddings_concat`), by parameter
   * name. {@link UNet2DConditionModel.fromPretrained} uses them to name the `config.json` keys
   * that disagree with the weights.
   */
  static configFromWeights(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig {
    return { ...unetConfigFromWeights(shapes, true), ...classEmbeddingConfigFromWeights(shapes) };
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
   * One evaluation, as diffusers' `forward(sample, timestep, encoder_hidden_states, class_labels=...).sample`.
   * @param sample NHWC `[N, H, W, in_channels]`, float32 (YONOS: noisy latent and LR latent
   *   concatenated along channels). Any H, W >= 1; sizes that are not multiples of
   *   `2^(levels-1)` are handled as diffusers does (upsampling to the skip sizes).
   * @param timestep One number for the batch, or a `[N]` / `[1]` / scalar tensor (int32 or float32);
   *   in `[0, numTrainTimesteps)`.
   * @param encoderHiddenStates Context `[N, L, cross_attention_dim]` (or `[1, L, ...]`, shared by
   *   the batch). Required when {@link UNet2DConditionModel.crossAttentionDim} is set; without
   *   text, pass a fixed null context (e.g. the empty-prompt embedding, or zeros `[1, 1, dim]`).
   * @param options `classLabels`: required when {@link UNet2DConditionModel.classConditioning} is
   *   set, refused otherwise. For a table (`num_class_embeds`), integers in `[0, num_class_embeds)`:
   *   a number for the batch, a list, or an int32 (or integer float32) `[N]` / `[1]` tensor; for
   *   `'timestep'`, numbers in the same forms; for the vector kinds, a `[N, dim]` / `[1, dim]`
   *   float32 tensor. A single label is shared by the batch.
   * @returns NHWC `[N, H, W, out_channels]`, float32; a new tensor.
   * @throws {@link UnetInputError} for a mis-shaped or empty sample, a mis-shaped timestep or
   *   context, a timestep outside `[0, numTrainTimesteps)`, or (see
   *   {@link UNet2DConditionModel.validateInputs}) NaN or infinity in the sample.
   * @throws `UnetClassLabelError` (a {@link UnetInputError}) for class labels that are missing,
   *   not accepted, mis-shaped, or (numbers always; tensors as `validateInputs` says) outside the
   *   embedding table.
   * @throws `UninitializedParameterError` (from core) before `initialize` or `loadStateDict`.
   */
  forward(sample: tf.Tensor4D, timestep: TimestepInput, encoderHiddenStates?: tf.Tensor3D, options: DenoiserForwardOptions = {}): tf.Tensor4D {
    const where = UNet2DConditionModel.className;
    checkSample(sample, this.inChannels, where);
    const n = sample.shape[0];
    const context = this.checkContext(encoderHiddenStates, n);
    const labels = options.classLabels;
    checkClassLabels(where, this.classConditioning, labels, n);
    checkInputValues(where, sample, timestep, this.numTrainTimesteps, this.validateInputs);
    checkClassLabelValues(where, this.classConditioning, labels, this.validateInputs);
    return tf.tidy(() => {
      let temb = this.time_embedding.forward(embedTimesteps(this.time_proj, timestep, n, where));
      const classPlan = this.plan.class_embedding;
      if (classPlan !== null) temb = addClassEmbedding(temb, classPlan, this.class_embedding, this.time_proj, labels!);
      if (this.#timeEmbedAct !== null) temb = this.#timeEmbedAct(temb) as tf.Tensor2D;
      const ctx = context !== undefined && context.shape[0] !== n ? tf.tile(context, [n, 1, 1]) : context;
      let x: tf.Tensor4D = sample;
      if (this.config.center_input_sample) x = tf.sub(tf.mul(x, 2), 1);
      const h = runUNet(
        {
          convIn: this.conv_in,
          down: [...this.down_blocks],
          mid: this.mid_block,
          up: [...this.up_blocks],
          forwardUpsampleSize: true,
        },
        x,
        temb,
        ctx,
      );
      return this.conv_out.forward(this.#act(this.conv_norm_out.forward(h)) as tf.Tensor4D);
    });
  }

  private checkContext(context: tf.Tensor3D | undefined, n: number): tf.Tensor3D | undefined {
    const dim = this.crossAttentionDim;
    if (dim === undefined) return undefined;
    if (context === undefined) {
      throw new UnetInputError(
        `UNet2DConditionModel: this network has cross-attention and needs encoderHiddenStates [N, L, ${dim}]; ` +
          'without text, pass a fixed null context (the empty-prompt embedding, or zeros [1, 1, ' + dim + ']).',
      );
    }
    if (context.rank !== 3 || context.shape[2] !== dim || (context.shape[0] !== n && context.shape[0] !== 1)) {
      throw new UnetInputError(
        `UNet2DConditionModel: encoderHiddenStates must be [${n} or 1, L, ${dim}], got [${context.shape.join(', ')}].`,
      );
    }
    return context;
  }

  /**
   * Peak tensor memory of one {@link UNet2DConditionModel.forward} on a sample `[N, h, w, in_channels]`,
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
