import { z } from 'zod';

const positiveInt = () => z.number({ error: 'expected a number' }).int({ error: 'expected a whole number' }).positive({ error: 'expected a number > 0' });
const nonNegativeInt = () =>
  z.number({ error: 'expected a number' }).int({ error: 'expected a whole number' }).nonnegative({ error: 'expected a number >= 0' });
const nonNegative = () => z.number({ error: 'expected a number' }).nonnegative({ error: 'expected a number >= 0' });
const path = () => z.string({ error: 'expected a path (a string)' }).min(1, { error: 'expected a non-empty path' });

/** Field builders whose messages say what is expected (the error formatter adds the key path). */
export { positiveInt, nonNegativeInt, nonNegative, path };

/**
 * Where a model comes from: a diffusers folder (`pretrained`, with an optional `subfolder` and
 * weights `variant`), or a diffusers-style `config` object for a model trained from scratch
 * (initialized from the run's seed). Exactly one of `pretrained` and `config`.
 */
export const modelSourceSchema = z
  .strictObject({
    /** A diffusers model folder, or a pipeline folder (`model_index.json`) holding the model in a subfolder. */
    pretrained: path().optional(),
    /**
     * The model's subfolder of `pretrained`. Default: the role's name (`"vae"`, `"unet"`,
     * `"scheduler"`) when `pretrained` is a pipeline folder, else the folder itself; `""` forces the folder itself.
     */
    subfolder: z.string({ error: 'must be a string such as "unet" or "vae"' }).optional(),
    /** Weights variant: reads `diffusion_pytorch_model.<variant>.safetensors` (e.g. `"fp16"`). */
    variant: z.string({ error: 'must be a string such as "fp16"' }).optional(),
    /** A diffusers `config.json` object (snake_case keys) for a new model, initialized from the run's seed. */
    config: z.record(z.string(), z.unknown(), { error: 'must be a diffusers config object ({ "block_out_channels": [...], ... })' }).optional(),
    /**
     * How a new model (`config`) is initialized: `"default"` (PyTorch's default init, as
     * diffusers) or `"pooling"` (an `AutoencoderTiny` that starts as average-pool down /
     * nearest up). Only with `config`; classes without the scheme reject it when loading.
     */
    init: z.literal(['default', 'pooling'], { error: 'must be "default" or "pooling"' }).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.pretrained === undefined) === (v.config === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of "pretrained" (a diffusers model or pipeline folder) and "config" (a diffusers config object for a new model)',
      });
    }
    if (v.config !== undefined && (v.subfolder !== undefined || v.variant !== undefined)) {
      ctx.addIssue({ code: 'custom', message: '"subfolder" and "variant" only apply to "pretrained"' });
    }
    if (v.init !== undefined && v.config === undefined) {
      ctx.addIssue({ code: 'custom', path: ['init'], message: 'only applies to a new model built from "config" (a "pretrained" model keeps its weights)' });
    }
  });

/** Where a model comes from (see {@link modelSourceSchema}). */
export type ModelSource = z.output<typeof modelSourceSchema>;

/** Training and validation images. */
export const dataSchema = z.strictObject({
  /** Folder of HR training images (recursive; PNG, JPEG, WebP). */
  train: path(),
  /** Folder of held-out HR images for validation (optional). */
  validation: path().optional(),
  /** Side of the square training crops in pixels. */
  crop_size: positiveInt(),
  /** Crops per micro-batch. */
  batch_size: positiveInt(),
  /** Decoded images kept in memory, in MiB (default 256). */
  cache_mb: nonNegative().default(256),
  /** Mirror each crop left-right with probability 1/2 (default `true`). */
  hflip: z.boolean().default(true),
  /** Mirror each crop top-bottom with probability 1/2 (default `false`). */
  vflip: z.boolean().default(false),
  /** Transpose each crop with probability 1/2, giving 90-degree rotations with the flips (default `false`). */
  rot90: z.boolean().default(false),
});

/** AdamW, learning-rate schedule, clipping and accumulation. */
export const optimizerSchema = z.strictObject({
  /** Peak learning rate. */
  lr: z.number({ error: 'must be a number such as 1e-4' }).positive({ error: 'must be > 0' }),
  /** AdamW's `[beta1, beta2]` moment decay rates, each in `[0, 1)` (default `[0.9, 0.999]`). */
  betas: z
    .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)], { error: 'must be two numbers in [0, 1), e.g. [0.9, 0.999]' })
    .default([0.9, 0.999]),
  /** AdamW's denominator epsilon (default `1e-8`). */
  eps: nonNegative().default(1e-8),
  /** AdamW's decoupled weight decay (default `1e-2`, PyTorch's). */
  weight_decay: nonNegative().default(1e-2),
  // A literal list rather than z.enum: same values and messages, but no synthetic
  // `{ constant: 'constant', ... }` object type in the declared type.
  /**
   * Learning-rate schedule by diffusers' `get_scheduler` name: `constant` (ignores
   * `warmup_steps`), `constant_with_warmup`, `cosine` (half cosine to 0) or `linear` (to 0), over
   * the stage's `steps`. Default `constant`.
   */
  schedule: z
    .literal(['constant', 'constant_with_warmup', 'cosine', 'linear'], {
      error: 'must be one of constant, constant_with_warmup, cosine, linear',
    })
    .default('constant'),
  /** Updates of linear warmup from 0 to `lr` (default 0). */
  warmup_steps: nonNegativeInt().default(0),
  /** Clip the global gradient norm to this; `null` for no clipping. */
  clip_norm: z.number().positive({ error: 'must be > 0 (or null for no clipping)' }).nullable().default(1),
  /** Micro-batches per update. */
  grad_accumulation: positiveInt().default(1),
});

/** EMA of the trained weights (diffusers' `EMAModel` options); `null` or absent: no EMA. */
export const emaSchema = z
  .strictObject({
    /** Upper bound of the per-update decay, in `[0, 1]` (default 0.9999). */
    decay: z.number().min(0).max(1, { error: 'must be in [0, 1]' }).default(0.9999),
    /** Lower bound of the per-update decay, in `[0, 1]` (default 0). */
    min_decay: z.number().min(0).max(1, { error: 'must be in [0, 1]' }).default(0),
    /** Updates before averaging starts; until then the average copies the weights (default 0). */
    update_after_step: nonNegativeInt().default(0),
    /** Decay `1 - (1 + s / inv_gamma)^-power` instead of `(1 + s) / (10 + s)` after `s` averaging updates (default `false`). */
    use_ema_warmup: z.boolean().default(false),
    /** Warmup scale of `use_ema_warmup`, > 0 (default 1). */
    inv_gamma: z.number().positive({ error: 'must be > 0' }).default(1),
    /** Warmup exponent of `use_ema_warmup` (default 2/3). */
    power: z.number().default(2 / 3),
  })
  .nullable()
  .default(null);

/** Checkpoints: where, how often, how many kept. */
export const checkpointSchema = z.strictObject({
  /** Folder of the `checkpoint-<step>/` folders (created if missing); `yonos train --resume auto` continues from the latest. */
  dir: path(),
  /** Save every this many steps (0: only at the end and when stopped). */
  every: nonNegativeInt().default(0),
  /** Checkpoints kept. */
  keep: positiveInt().default(3),
});

/** Validation on `data.validation` (PSNR/SSIM of one-step results, sample PNGs). */
export const validationSchema = z
  .strictObject({
    /** Every this many steps (0: never). */
    every: nonNegativeInt().default(0),
    /** Images validated, the first ones of the folder in path order (default 4). */
    max_images: positiveInt().default(4),
    /** Largest HR side validated (centre crops). */
    max_size: positiveInt().default(128),
    /** Sample PNGs written per validation (into `<checkpoint.dir>/samples/<step>/`). */
    samples: nonNegativeInt().default(2),
    /** Seed of the one-step noise. */
    seed: nonNegativeInt().default(0),
  })
  .prefault({});

/** Degradation of HR crops into LR inputs: MATLAB bicubic, or Real-ESRGAN's second-order pipeline. */
export const degradationSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      /** MATLAB-exact bicubic downscaling by the stage's scale (core's `imresize`). */
      type: z.literal('bicubic'),
      /** Antialias when downscaling, as MATLAB's `imresize` does by default (default `true`). */
      antialiasing: z.boolean().default(true),
      /** Round to 8 bits as a saved LR PNG would be. */
      quantize: z.boolean().default(true),
    }),
    z.strictObject({
      /** Real-ESRGAN's second-order degradation (blur, resize, noise, JPEG, twice; `@yonos/degrade`). */
      type: z.literal('realesrgan'),
      /** `RealESRGANOptions` of `@yonos/degrade` (camelCase keys, e.g. `{ "noiseRange": [1, 20] }`); defaults are Real-ESRGAN's. */
      options: z.record(z.string(), z.unknown()).default({}),
    }),
  ],
  { error: 'must be "bicubic" or "realesrgan"' },
);

/** A degradation config (see {@link degradationSchema}). */
export type DegradationConfig = z.output<typeof degradationSchema>;

/** The upscaling factor. */
export const scaleSchema = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number such as 2, 4 or 8' })
  .min(1, { error: 'must be >= 1' })
  .max(16, { error: 'must be <= 16' });

/** Keys every stage config has. */
export const commonShape = {
  /** Editors' JSON schema reference; ignored. */
  $schema: z.string().optional(),
  /** Free text; ignored. */
  description: z.string().optional(),
  /** Seed of initialization, data order, crops, noise, timesteps and degradations. */
  seed: nonNegativeInt().default(0),
  /** Training and validation images (see {@link dataSchema}). */
  data: dataSchema,
  /** AdamW, learning-rate schedule, clipping and accumulation (see {@link optimizerSchema}). */
  optimizer: optimizerSchema,
  /** EMA of the trained weights, or `null` for none (see {@link emaSchema}). */
  ema: emaSchema,
  /** Checkpoint folder, frequency and count (see {@link checkpointSchema}). */
  checkpoint: checkpointSchema,
  /** Periodic validation on `data.validation` (see {@link validationSchema}). */
  validation: validationSchema,
  /** JSONL metrics log (default `<checkpoint.dir>/metrics.jsonl`). */
  metrics_log: path().optional(),
  /** Where the trained model is written as a diffusers folder. */
  output: path(),
} as const;

/**
 * Residual diffusion (`YonosPipeline`'s `residual`): the U-Net works on `z_0 - z_lr`, so an
 * untrained one already gives the bicubic result. Written to the output's `model_index.json`;
 * a distillation teacher or a decoder stage's U-Net must have been trained the same way.
 * Default `false` (YONOS-SR as published).
 */
export const residualSchema = z.boolean().default(false);

/** Diffusion-loss options of the SR and distillation stages. */
export const diffusionLossSchema = z
  .strictObject({
    /** Min-SNR-gamma weighting (5 is usual); `null`: plain MSE. */
    snr_gamma: z.number().positive({ error: 'must be > 0 (or null)' }).nullable().default(null),
    /**
     * What the MSE is measured in: `"prediction"` (the network's output, v by default, as
     * diffusers trains) or `"x0"` (the implied clean latent: every timestep weighted by how its
     * `x_0` estimate errs, which is what one-step inference returns). `"x0"` excludes `snr_gamma`.
     */
    weighting: z.literal(['prediction', 'x0'], { error: 'must be "prediction" or "x0"' }).default('prediction'),
    /**
     * `[first, last]`: train on these timesteps only (inclusive; default all). `[999, 999]` trains
     * just the one timestep one-step inference uses (with the default 1000-step schedule).
     */
    timestep_range: z.tuple([z.int().min(0), z.int().min(0)]).nullable().default(null),
    /**
     * Share of each batch (a probability per item, in `[0, 1]`) trained on the range's last
     * timestep, the one a single DDIM step uses; the rest are uniform over the range. Keeps a
     * diffusion model (every timestep is trained) while weighting one-step quality. Default 0.
     */
    timestep_last_share: z.number().min(0, { error: 'must be in [0, 1]' }).max(1, { error: 'must be in [0, 1]' }).default(0),
    /**
     * Loss weight of the items not at the range's last timestep, relative to those at it, in
     * `(0, 1]` (default 1). With `timestep_last_share`, how much the uniform part of the mixture
     * steers the update: its errors are larger, so at weight 1 they can swamp the one-step one.
     */
    timestep_uniform_weight: z.number().gt(0, { error: 'must be in (0, 1]' }).max(1, { error: 'must be in (0, 1]' }).default(1),
    /**
     * Weight of a pixel term (default 0: none): the L1 between the image decoded from the
     * U-Net's `x_0` estimate and the HR crop (`sr`), or the image decoded from the teacher's
     * (`distill`), each item weighted as `timestep_uniform_weight` says. Measures the error where
     * the evaluation does; the frozen decoder runs forward and backward every step.
     */
    pixel_weight: z.number().min(0, { error: 'must be >= 0' }).default(0),
    /** `z_0` from a posterior draw (`sample`, as diffusers trains) or its `mean`. */
    latent: z.literal(['sample', 'mean'], { error: 'must be "sample" or "mean"' }).default('sample'),
    /**
     * Per-latent-channel weights of the MSE: `null` (all 1), one non-negative number per latent
     * channel, or `"decoder"`: measured from the frozen VAE's decoder at startup so the latent
     * MSE tracks the pixel MSE (`decoderChannelWeights`).
     */
    channel_weights: z
      .union([z.literal('decoder'), z.array(z.number().nonnegative({ error: 'must be >= 0' })).min(1)], {
        error: 'must be null, "decoder" or an array of non-negative numbers (one per latent channel)',
      })
      .nullable()
      .default(null),
  })
  .refine((loss) => !(loss.weighting === 'x0' && loss.snr_gamma !== null), { error: 'snr_gamma and weighting "x0" are two timestep weightings: set one', path: ['weighting'] })
  .refine((loss) => loss.timestep_uniform_weight === 1 || loss.timestep_last_share > 0, {
    error: 'weighs the uniform part of a timestep mixture: set timestep_last_share > 0 too',
    path: ['timestep_uniform_weight'],
  })
  .prefault({});

/** The `loss` entry of the SR and distillation configs, defaults filled in. */
export type DiffusionLossConfig = z.output<typeof diffusionLossSchema>;
