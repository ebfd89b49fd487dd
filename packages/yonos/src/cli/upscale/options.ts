import { z } from 'zod';
import { UPSCALER_SCHEDULES } from '@yonos/distill';
import { CliUsageError } from '../errors.js';
import { REDIS_URL } from '../queue/command-options.js';
import { scaleOption } from '../scale-option.js';
import { OUTPUT_FORMATS } from './output-plan.js';
import { PROGRESS_MODES } from './progress.js';

const wholeNumber = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int({ error: `${name} must be a whole number` })
    .min(min, { error: `${name} must be at least ${min}` })
    .max(max, { error: `${name} must be at most ${max}` });

const optionsSchema = z.object({
  out: z.string().min(1, { error: '--out needs a folder name' }),
  scale: scaleOption.optional(),
  steps: wholeNumber('--steps', 1, 1000),
  tile: wholeNumber('--tile', 0, 1 << 20).optional(),
  memory: wholeNumber('--memory', 16, 1 << 24).optional(),
  seed: wholeNumber('--seed', 0, Number.MAX_SAFE_INTEGER),
  model: z.string().min(1, { error: '--model needs a folder' }).optional(),
  promptEmbeds: z.string().min(1, { error: '--prompt-embeds needs a .safetensors file' }).optional(),
  guidance: z.coerce
    .number({ error: '--guidance must be a number' })
    .min(1, { error: '--guidance must be at least 1 (1: no guidance)' })
    .max(100, { error: '--guidance must be at most 100' })
    .optional(),
  noiseLevel: wholeNumber('--noise-level', 0, 1_000_000).optional(),
  schedule: z.enum(UPSCALER_SCHEDULES, { error: `--schedule must be one of ${UPSCALER_SCHEDULES.join(', ')}` }).optional(),
  format: z.enum(OUTPUT_FORMATS).optional(),
  quality: wholeNumber('--quality', 1, 100),
  overwrite: z.boolean().default(false),
  progress: z.enum(PROGRESS_MODES, { error: `--progress must be one of ${PROGRESS_MODES.join(', ')}` }).default('auto'),
  queue: z.string().regex(REDIS_URL, { error: '--queue must be a Redis URL such as redis://localhost:6379 (rediss:// for TLS)' }).optional(),
  queueName: z.string().min(1, { error: '--queue-name needs a name' }).optional(),
  detach: z.boolean().default(false),
  attempts: wholeNumber('--attempts', 1, 100).optional(),
});

/** Options that only mean something with `--queue`. */
const QUEUE_ONLY = [
  ['queueName', '--queue-name'],
  ['detach', '--detach'],
  ['attempts', '--attempts'],
] as const;

/** The validated options of `yonos upscale`. */
export type UpscaleOptions = z.infer<typeof optionsSchema>;

/** Validates the raw option strings. @throws {@link CliUsageError} naming the option and the values it takes. */
export function parseUpscaleOptions(raw: Record<string, unknown>): UpscaleOptions {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliUsageError(`${issue?.message ?? 'invalid options'} (got ${JSON.stringify(raw[String(issue?.path[0])])}).`);
  }
  const options = parsed.data;
  if (options.queue === undefined) {
    for (const [key, flag] of QUEUE_ONLY) {
      if (options[key] !== undefined && options[key] !== false) throw new CliUsageError(`${flag} needs --queue redis://host:port (the Redis server of the queue).`);
    }
  }
  return options;
}
