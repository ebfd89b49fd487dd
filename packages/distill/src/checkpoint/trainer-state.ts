import { z } from 'zod';

/** Identifies `trainer_state.json` files this package writes. */
export const TRAINER_STATE_FORMAT = 'yonos-trainer-state';
/** Version of the `trainer_state.json` layout. */
export const TRAINER_STATE_VERSION = 1;

const json: z.ZodType<unknown> = z.unknown();

/** Zod schema of `trainer_state.json`. */
export const trainerStateSchema = z.object({
  format: z.literal(TRAINER_STATE_FORMAT),
  version: z.literal(TRAINER_STATE_VERSION),
  /** Optimizer updates completed when the checkpoint was written. */
  step: z.number().int().nonnegative(),
  /** The run generator's position (`Rng.getState()`), or null. */
  rng_state: z.object({ seed: z.string(), counter: z.string() }).nullable(),
  /** Saved models: name -> subfolder (diffusers layout) and class name. */
  models: z.record(z.string(), z.object({ subfolder: z.string(), class_name: z.string() })),
  /** Optimizer state file and hyperparameters, or null. */
  optimizer: z.object({ file: z.string(), hyperparameters: z.record(z.string(), json) }).nullable(),
  /** EMA state file and settings, or null. */
  ema: z.object({ file: z.string(), options: z.record(z.string(), json) }).nullable(),
  /** Anything the trainer wants back on resume (configs, data positions...). */
  extra: json,
  /** ISO time of writing. */
  created_at: z.string(),
});

/** The parsed `trainer_state.json` of a checkpoint. */
export type TrainerStateFile = z.infer<typeof trainerStateSchema>;
