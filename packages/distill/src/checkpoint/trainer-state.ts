import { z } from 'zod';

/** Identifies `trainer_state.json` files this package writes. */
export const TRAINER_STATE_FORMAT = 'yonos-trainer-state';
/** Version of the `trainer_state.json` layout. */
export const TRAINER_STATE_VERSION = 1;

const json: z.ZodType<unknown> = z.unknown();

/** Zod schema of `trainer_state.json`. */
export const trainerStateSchema = z.object({
  /** Always {@link TRAINER_STATE_FORMAT}: marks the file as this package's. */
  format: z.literal(TRAINER_STATE_FORMAT),
  /** Always {@link TRAINER_STATE_VERSION}: the layout this package reads. */
  version: z.literal(TRAINER_STATE_VERSION),
  /** Optimizer updates completed when the checkpoint was written. */
  step: z.number().int().nonnegative(),
  /** The run generator's position (`Rng.getState()`), or null. */
  rng_state: z
    .object({
      /** The generator's seed as a decimal string (`RngState.seed`). */
      seed: z.string(),
      /** 128-bit blocks consumed so far, as a decimal string (`RngState.counter`). */
      counter: z.string(),
    })
    .nullable(),
  /** Saved models: name -> subfolder (diffusers layout) and class name. */
  models: z.record(
    z.string(),
    z.object({
      /** Folder of the model inside the checkpoint, relative (`config.json` + safetensors weights). */
      subfolder: z.string(),
      /** The model's diffusers class name (`_class_name` of its config, e.g. `'UNet2DConditionModel'`). */
      class_name: z.string(),
    }),
  ),
  /** Optimizer state file and hyperparameters, or null. */
  optimizer: z
    .object({
      /** The optimizer state's safetensors file, relative to the checkpoint folder. */
      file: z.string(),
      /** The optimizer's hyperparameters when saved (informational: `loadCheckpoint` does not read them). */
      hyperparameters: z.record(z.string(), json),
    })
    .nullable(),
  /** EMA state file and settings, or null. */
  ema: z
    .object({
      /** The EMA state's safetensors file (averaged weights and update count), relative to the checkpoint folder. */
      file: z.string(),
      /** The EMA settings when saved (informational: `loadCheckpoint` does not read them). */
      options: z.record(z.string(), json),
    })
    .nullable(),
  /** Anything the trainer wants back on resume (configs, data positions...). */
  extra: json,
  /** ISO time of writing. */
  created_at: z.string(),
});

/** The parsed `trainer_state.json` of a checkpoint. */
export type TrainerStateFile = z.infer<typeof trainerStateSchema>;
