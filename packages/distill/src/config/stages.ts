import { z } from 'zod';
import {
  commonShape,
  degradationSchema,
  diffusionLossSchema,
  modelSourceSchema,
  nonNegative,
  path,
  positiveInt,
  residualSchema,
  scaleSchema,
} from './common.js';
import { upscalerRunSchema, upscalerSourceSchema } from './upscaler.js';

/** Total optimizer updates of a single-stage run. */
const steps = positiveInt();

/** `yonos train vae`: an `AutoencoderKL` trained from scratch (or further) on image crops. */
export const vaeConfigSchema = z.strictObject({
  ...commonShape,
  steps,
  /** The model trained. */
  models: z.strictObject({
    /** The `AutoencoderKL` to train: usually a `config` (from scratch), or a `pretrained` folder to train further. */
    vae: modelSourceSchema,
  }),
  /** The reconstruction objective: `l1_weight * mean|x - decode(z)| + kl_weight * KL / (H W 3)`. */
  loss: z
    .strictObject({
      /** Weight of the mean absolute reconstruction error in `[-1, 1]` pixel units (default 1). */
      l1_weight: nonNegative().default(1),
      /** Stable Diffusion's `kl_weight` (see `createVaeStage`). */
      kl_weight: nonNegative().default(1e-6),
      /** Decode a posterior draw rather than its mean, as LDM trains (default `true`). */
      sample_posterior: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * After training, set the saved config's `scaling_factor` to `1 / std` of the latents of
   * training crops (as Stable Diffusion's 0.18215 was chosen), so diffusion sees unit-variance
   * latents. Default `true`.
   */
  fit_scaling_factor: z.boolean().default(true),
  /**
   * Which parameters train: `"all"` (default) or `"decoder"` (`decoder.*`, `post_quant_conv.*`:
   * the encoder is frozen, so the latent space, and every U-Net trained on it, stays valid while
   * the reconstruction improves). `"decoder"` needs `fit_scaling_factor: false`: a refitted
   * scaling factor would move the latents the U-Nets were trained on.
   */
  trainable: z.literal(['all', 'decoder'], { error: 'must be "all" or "decoder"' }).default('all'),
}).refine((c) => !(c.trainable === 'decoder' && c.fit_scaling_factor), {
  error: 'trainable "decoder" keeps the encoder and its latents: set fit_scaling_factor to false',
  path: ['trainable'],
});

/** `yonos train sr`: direct SR training of a U-Net (the baseline, and the x2 teacher of distillation). */
export const srConfigSchema = z.strictObject({
  ...commonShape,
  steps,
  /** The upscaling factor trained for, an integer in `[1, 16]`; `data.crop_size` must be a multiple of it. */
  scale: scaleSchema,
  /** The models: the frozen VAE, the U-Net to train, and the noise scheduler. */
  models: z.strictObject({
    /** The frozen VAE (a diffusers folder, e.g. Stable Diffusion's `vae/`, or one trained with `yonos train vae`). */
    vae: modelSourceSchema,
    /** The U-Net to train: `in_channels = 2 * latent_channels`. */
    unet: modelSourceSchema,
    /** Default: DDIM, v-prediction, trailing spacing (`YONOS_SCHEDULER_CONFIG`). */
    scheduler: modelSourceSchema.optional(),
  }),
  /** How LR inputs are made from the HR crops. */
  degradation: degradationSchema,
  /** Residual diffusion: the U-Net works on `z_0 - z_lr` (see {@link residualSchema}). */
  residual: residualSchema,
  /** The diffusion loss: MSE to the scheduler's target (`v` with the default scheduler), optionally Min-SNR weighted. */
  loss: diffusionLossSchema,
});

/** One link of the distillation chain. */
export const distillLinkSchema = z.strictObject({
  /** The student's factor; its teacher is the previous link's student (or the x2 teacher), trained for `scale / 2`. */
  scale: scaleSchema,
  steps,
  /** Peak learning rate for this link (default `optimizer.lr`). */
  lr: z.number().positive({ error: 'must be > 0' }).optional(),
});

/** The first teacher of the chain: a trained direct-SR model folder, or a direct-SR config to train first. */
export const teacherSchema = z
  .strictObject({
    /** A pipeline folder (`model_index.json`, `unet/`, `vae/`) or a U-Net folder of an x2 direct-SR model. */
    pretrained: path().optional(),
    /** The U-Net's subfolder of `pretrained` (default: `unet/` of a pipeline folder, else the folder itself). */
    subfolder: z.string().optional(),
    /** A `yonos train sr` config (scale 2) trained first, in the same command; its output is the teacher. */
    sr_config: path().optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.pretrained === undefined) === (v.sr_config === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "pretrained" (a trained x2 model folder) and "sr_config" (a direct-SR config to train it)' });
    }
  });

/**
 * `yonos train distill`: the scale-distillation chain, e.g. x2 -> x4 -> x8, each link's student
 * initialized from and distilled against the previous link's model. Each link writes its
 * pipeline folder to `<output>/x<scale>` and checkpoints to `<checkpoint.dir>/x<scale>`.
 */
export const distillConfigSchema = z
  .strictObject({
    ...commonShape,
    /** The x2 model the chain starts from (see {@link teacherSchema}). */
    teacher: teacherSchema,
    /** The links, in order: each doubles the previous factor, starting from 4 (see {@link distillLinkSchema}). */
    stages: z.array(distillLinkSchema, { error: 'must be a list such as [{ "scale": 4, "steps": 1000 }, { "scale": 8, "steps": 1000 }]' }).min(1, {
      error: 'stages needs at least one link, e.g. [{ "scale": 4, "steps": 1000 }]',
    }),
    /** The frozen VAE and the noise scheduler; the U-Nets come from the teacher. */
    models: z
      .strictObject({
        /** Default: the teacher folder's `vae/` (the VAE the teacher was trained with). */
        vae: modelSourceSchema.optional(),
        /** Default: the teacher folder's `scheduler/`, else `YONOS_SCHEDULER_CONFIG`. */
        scheduler: modelSourceSchema.optional(),
      })
      .prefault({}),
    /** How the LR inputs are made: one sample gives the student's (`1/scale`) and the teacher's (`2/scale`). */
    degradation: degradationSchema,
    /** Residual diffusion: the U-Net works on `z_0 - z_lr` (see {@link residualSchema}). */
    residual: residualSchema,
    /** The distillation loss: MSE to the teacher's prediction, optionally Min-SNR weighted. */
    loss: diffusionLossSchema,
  })
  .superRefine((v, ctx) => {
    let previous = 2;
    v.stages.forEach((link, i) => {
      if (link.scale !== 2 * previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'scale'],
          message: `expected ${2 * previous} (each link doubles the previous factor, starting from the x2 teacher)`,
        });
      }
      previous = link.scale;
    });
  });

/**
 * `yonos train decoder`: fine-tunes the VAE decoder on the one-step latents of a frozen model:
 * a (distilled) YONOS U-Net (`models.vae` and `models.unet`), or a Stable Diffusion x4 upscaler
 * folder (`models.upscaler`, run as `upscaler` says).
 */
export const decoderConfigSchema = z
  .strictObject({
    ...commonShape,
    steps,
    /** The upscaling factor of the frozen model (4 for the x4 upscaler); `data.crop_size` must be a multiple of it. */
    scale: scaleSchema,
    /** The VAE whose decoder is tuned and the frozen one-step model: `vae`, `unet` (and `scheduler`), or `upscaler` alone. */
    models: z.strictObject({
      /** The VAE whose decoder is fine-tuned (its encoder stays frozen). */
      vae: modelSourceSchema.optional(),
      /** The frozen U-Net (e.g. the last distillation link's `unet/`). */
      unet: modelSourceSchema.optional(),
      /** Default: DDIM, v-prediction, trailing spacing (`YONOS_SCHEDULER_CONFIG`). */
      scheduler: modelSourceSchema.optional(),
      /** A Stable Diffusion x4 upscaler folder instead of `vae` and `unet`: its own VAE decoder is tuned under its frozen U-Net. */
      upscaler: upscalerSourceSchema.optional(),
    }),
    /** With `models.upscaler`: how it makes the one-step latents (prompt embeddings, noise level, guidance, steps, schedule). */
    upscaler: upscalerRunSchema.optional(),
    /** How LR inputs are made from the HR crops. */
    degradation: degradationSchema,
    /** Residual diffusion: the U-Net works on `z_0 - z_lr` (see {@link residualSchema}); not with `models.upscaler`. */
    residual: residualSchema,
    /** The decoder objective: L1 between the decoded one-step result and the HR crop. */
    loss: z
      .strictObject({
        /** Weight of the mean absolute error in `[-1, 1]` pixel units (default 1). */
        l1_weight: nonNegative().default(1),
      })
      .prefault({}),
  })
  .superRefine((v, ctx) => {
    const { vae, unet, scheduler, upscaler } = v.models;
    if (upscaler === undefined) {
      for (const [key, source] of [['vae', vae], ['unet', unet]] as const) {
        if (source === undefined) {
          ctx.addIssue({ code: 'custom', path: ['models', key], message: `is required: give models.vae and models.unet (a YONOS model), or models.upscaler (a Stable Diffusion x4 upscaler folder)` });
        }
      }
      if (v.upscaler !== undefined) ctx.addIssue({ code: 'custom', path: ['upscaler'], message: 'only applies with models.upscaler (a Stable Diffusion x4 upscaler folder)' });
      return;
    }
    for (const [key, source] of [['vae', vae], ['unet', unet], ['scheduler', scheduler]] as const) {
      if (source !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['models', key], message: 'not with models.upscaler, which brings its own VAE, U-Net and schedulers: remove one of them' });
      }
    }
    if (v.residual) ctx.addIssue({ code: 'custom', path: ['residual'], message: 'must be false with models.upscaler (its U-Net is not a residual YONOS U-Net)' });
  });

/** Parsed `yonos train vae` config (defaults filled, paths absolute). */
export type VaeTrainConfig = z.output<typeof vaeConfigSchema>;
/** Parsed `yonos train sr` config. */
export type SrTrainConfig = z.output<typeof srConfigSchema>;
/** Parsed `yonos train distill` config. */
export type DistillTrainConfig = z.output<typeof distillConfigSchema>;
/** Parsed `yonos train decoder` config. */
export type DecoderTrainConfig = z.output<typeof decoderConfigSchema>;

/** The stage configs by `yonos train` stage name. */
export const STAGE_CONFIG_SCHEMAS = {
  /** The `yonos train vae` config ({@link vaeConfigSchema}). */
  vae: vaeConfigSchema,
  /** The `yonos train sr` config ({@link srConfigSchema}). */
  sr: srConfigSchema,
  /** The `yonos train distill` config ({@link distillConfigSchema}). */
  distill: distillConfigSchema,
  /** The `yonos train decoder` config ({@link decoderConfigSchema}). */
  decoder: decoderConfigSchema,
} as const;

/** A stage name `yonos train` accepts. */
export type TrainStageName = keyof typeof STAGE_CONFIG_SCHEMAS;

/** The parsed config of each stage. */
export interface TrainConfigs {
  /** `yonos train vae`. */
  vae: VaeTrainConfig;
  /** `yonos train sr`. */
  sr: SrTrainConfig;
  /** `yonos train distill`. */
  distill: DistillTrainConfig;
  /** `yonos train decoder`. */
  decoder: DecoderTrainConfig;
}
