import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { TrainingConfigError } from './errors.js';
import { STAGE_CONFIG_SCHEMAS } from './stages.js';
import type { TrainConfigs, TrainStageName } from './stages.js';

/** Options of {@link parseTrainConfig}. */
export interface ParseTrainConfigOptions {
  /** Relative paths in the config are resolved against this folder (default: the current directory). */
  readonly baseDir?: string;
  /** Named in error messages (default `'config'`). */
  readonly source?: string;
}

/** The stage names `yonos train` accepts, in pipeline order. */
export const TRAIN_STAGES: readonly TrainStageName[] = ['vae', 'sr', 'distill', 'decoder'];

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `a.b[0].c` from a zod path. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  return out === '' ? '(top level)' : out;
}

function problemsOf(error: z.ZodError, raw: unknown): string[] {
  return error.issues.map((issue) => {
    const where = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling)`;
    return `${where}: ${issue.message} (got ${describe(valueAt(raw, issue.path))})`;
  });
}

const lcm = (a: number, b: number): number => {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a * b) / gcd(a, b);
};

/** Checks zod cannot express per field: the crop must be divisible by every factor the stage uses and by 8 (the VAE). */
function crossChecks(stage: TrainStageName, config: TrainConfigs[TrainStageName]): string[] {
  const crop = config.data.crop_size;
  const factors: number[] = [8];
  if (stage === 'sr' || stage === 'decoder') factors.push((config as TrainConfigs['sr']).scale);
  if (stage === 'distill') factors.push(...(config as TrainConfigs['distill']).stages.map((s) => s.scale));
  const multiple = factors.reduce(lcm, 1);
  return crop % multiple === 0
    ? []
    : [`data.crop_size: must be a multiple of ${multiple} (the VAE's 8 and every scale of this stage) (got ${crop})`];
}

/** `http:` and `https:` locations, which the URL loader reads as they are. */
const URL_LOCATION = /^https?:\/\//i;

function resolveIn(baseDir: string, p: string): string {
  return isAbsolute(p) || URL_LOCATION.test(p) ? p : resolve(baseDir, p);
}

/** Every path-valued key, resolved against `baseDir` (URLs are kept as they are). */
function resolvePaths<T extends Record<string, unknown>>(config: T, baseDir: string): T {
  const c = structuredClone(config) as Record<string, unknown> & {
    data: { train: string; validation?: string };
    checkpoint: { dir: string };
    output: string;
    metrics_log?: string;
    models?: Record<string, { pretrained?: string } | undefined>;
    teacher?: { pretrained?: string; sr_config?: string };
    upscaler?: { prompt_embeds?: string };
  };
  c.data.train = resolveIn(baseDir, c.data.train);
  if (c.data.validation !== undefined) c.data.validation = resolveIn(baseDir, c.data.validation);
  c.checkpoint.dir = resolveIn(baseDir, c.checkpoint.dir);
  c.output = resolveIn(baseDir, c.output);
  if (c.metrics_log !== undefined) c.metrics_log = resolveIn(baseDir, c.metrics_log);
  for (const source of Object.values(c.models ?? {})) {
    if (source?.pretrained !== undefined) source.pretrained = resolveIn(baseDir, source.pretrained);
  }
  if (c.teacher?.pretrained !== undefined) c.teacher.pretrained = resolveIn(baseDir, c.teacher.pretrained);
  if (c.teacher?.sr_config !== undefined) c.teacher.sr_config = resolveIn(baseDir, c.teacher.sr_config);
  if (c.upscaler?.prompt_embeds !== undefined) c.upscaler.prompt_embeds = resolveIn(baseDir, c.upscaler.prompt_embeds);
  return c as unknown as T;
}

/**
 * Validates a parsed JSON config for a `yonos train` stage, fills the defaults, and resolves
 * its relative paths against `options.baseDir`.
 * @throws {@link TrainingConfigError} listing every problem as `<key path>: <what is expected> (got <value>)`.
 */
export function parseTrainConfig<S extends TrainStageName>(stage: S, raw: unknown, options: ParseTrainConfigOptions = {}): TrainConfigs[S] {
  const source = options.source ?? 'config';
  const schema = STAGE_CONFIG_SCHEMAS[stage] as unknown as z.ZodType<TrainConfigs[S]> | undefined;
  if (schema === undefined) {
    throw new TrainingConfigError(`Unknown training stage '${String(stage)}': use one of ${TRAIN_STAGES.join(', ')}.`);
  }
  const parsed = schema.safeParse(raw);
  const problems = parsed.success ? crossChecks(stage, parsed.data) : problemsOf(parsed.error, raw);
  if (!parsed.success || problems.length > 0) {
    throw new TrainingConfigError(
      `${source} is not a valid '${stage}' training config: ${problems.join('; ')}. See examples/configs/ for complete examples.`,
      problems,
    );
  }
  return resolvePaths(parsed.data as TrainConfigs[S] & Record<string, unknown>, options.baseDir ?? process.cwd());
}

/**
 * Reads a JSON config file and validates it with {@link parseTrainConfig}; relative paths in it
 * are relative to the file's folder.
 * @throws {@link TrainingConfigError} if the file cannot be read, is not JSON, or is invalid.
 */
export async function readTrainConfig<S extends TrainStageName>(stage: S, file: string): Promise<TrainConfigs[S]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new TrainingConfigError(`Cannot read the config file ${file}: ${(cause as Error).message}; pass an existing JSON file with --config.`, [], { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new TrainingConfigError(`${file} is not valid JSON (${(cause as Error).message}); fix the syntax (no comments or trailing commas).`, [], { cause });
  }
  return parseTrainConfig(stage, raw, { baseDir: dirname(resolve(file)), source: file });
}
