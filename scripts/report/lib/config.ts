import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ReportError } from './errors.js';
import { threadsSchema } from './threads.js';

const positiveInt = () => z.number({ error: 'expected a number' }).int({ error: 'expected a whole number' }).positive({ error: 'expected a number > 0' });
const path = () => z.string({ error: 'expected a path (a string)' }).min(1, { error: 'expected a non-empty path' });
const name = () =>
  z
    .string({ error: 'expected a name (a string)' })
    .regex(/^[a-z][a-z0-9-]*$/, { error: 'names are lower-case letters, digits and "-" (they become folder names <name>_s<steps>_x<S>)' });
const ascending = (what: string) =>
  z.array(positiveInt(), { error: `expected a list of ${what}` }).min(1, { error: `expected at least one of ${what}` }).refine(
    (v) => v.every((x, i) => i === 0 || x > v[i - 1]!),
    { error: `list the ${what} in increasing order, each once` },
  );

/** The known UpscalerJS models of bench-baselines/run-esrgan.mjs. */
export const ESRGAN_MODELS = ['esrgan-slim', 'esrgan-medium', 'esrgan-thick'] as const;

/** One YONOS model family: a pipeline folder per scale, sampled at the given step counts. */
const modelSchema = z.strictObject({
  /** Shown in tables and plots (default: the model's key). */
  label: z.string().min(1).optional(),
  /** Which VAE decoder the folders hold: the VAE's own (`original`) or the one fine-tuned under the one-step U-Net. */
  decoder: z.enum(['original', 'fine-tuned'], { error: 'decoder must be "original" or "fine-tuned"' }),
  /** DDIM step counts to sample with (increasing). */
  steps: ascending('step counts'),
  /** Pipeline folder per scale, keyed `x<S>` (e.g. `"x4"`), relative to the config file. */
  folders: z.record(z.string().regex(/^x[1-9][0-9]*$/, { error: 'folder keys look like "x4" or "x8"' }), path(), {
    error: 'folders must map "x<S>" to a pipeline folder, e.g. { "x4": "../../training/recipe/direct-x4/final" }',
  }),
});

const timingRunSchema = z.strictObject({
  /** A key of `models`. */
  model: name(),
  /** DDIM steps. */
  steps: positiveInt(),
  /** Time only the first N eval images (sorted by name); default `timing.images`. */
  images: positiveInt().optional(),
  /** Timed runs per image (median kept); default `timing.repeats`. */
  repeats: positiveInt().optional(),
});

const cropSchema = z.strictObject({
  /** Eval image name (the HR file without `.png`). */
  image: z.string().min(1),
  /** Left edge of the square crop in HR pixels. */
  left: z.number().int().nonnegative(),
  /** Top edge of the square crop in HR pixels. */
  top: z.number().int().nonnegative(),
  /** Side of the square crop in HR pixels. */
  size: positiveInt(),
});

/** The schema of `report.config.json` (paths relative to the config file). */
export const reportConfigSchema = z
  .strictObject({
    /** Free text. */
    description: z.string().optional(),
    /** Eval set made by scripts/data/make-eval-set.ts: `hr/`, `lr_x<S>/`. */
    eval: path(),
    /** Root of the `<method>_x<S>/` SR folders (score-sr.ts's convention). */
    sr: path(),
    /** Where results.json, results.md and the plots go. */
    output: path(),
    /** Upscaling factors evaluated (increasing). */
    scales: ascending('scales'),
    /** Seeds of the initial noise; every YONOS folder is sampled once per seed. */
    seeds: z.array(z.number().int().nonnegative(), { error: 'seeds must be a list of whole numbers >= 0' }).min(1, { error: 'give at least one seed' }),
    /** tfjs backend for the quality and timing phases. */
    backend: z.enum(['wasm', 'cpu', 'webgpu', 'webgl', 'tensorflow']).default('wasm'),
    /**
     * wasm threads for every phase, YONOS and run-esrgan.mjs alike: `"all"` (every core,
     * `os.availableParallelism()`) or a count. Absent: `YONOS_THREADS`, else every core.
     * `--threads` overrides it.
     */
    threads: threadsSchema.optional(),
    /** Let the pipeline tile large images (false: each image whole, as the eval images are small). */
    tile: z.boolean().default(false),
    /** YONOS model families by name. */
    models: z.record(name(), modelSchema),
    /** The models of the steps sweep (PSNR/SSIM-vs-steps plots and table). */
    sweep: z.array(name()).min(1, { error: 'name at least one model for the steps sweep' }),
    /** The model shown as "YONOS" in the montage (sampled at its first step count). */
    final: name(),
    esrgan: z.strictObject({
      /** bench-baselines/run-esrgan.mjs, relative to the config file. */
      script: path(),
      /** UpscalerJS models to run. */
      models: z.array(z.enum(ESRGAN_MODELS, { error: `esrgan models are ${ESRGAN_MODELS.join(', ')}` })),
      /**
       * Also run the RDN models (slim, medium) on [0, 1] values (run-esrgan.mjs --range unit),
       * reported as `<model>-unit`; see "Range caveat" in scripts/data/README.md.
       */
      unit_variants: z.boolean().default(false),
      /** Repeats per image in run-esrgan.mjs (median kept). */
      repeat: positiveInt().default(3),
    }),
    timing: z.strictObject({
      /** Timed runs per image, median kept, after one untimed warm-up. */
      repeats: positiveInt().default(3),
      /** Time only the first N eval images (sorted by name); default all. */
      images: positiveInt().optional(),
      /** Time core's bicubic (imresize) too. */
      bicubic: z.boolean().default(true),
      /** Time the esrgan models too (run-esrgan.mjs on the same images, in the same run). */
      esrgan: z.boolean().default(true),
      /** YONOS model/step combinations to time, at every scale the model has a folder for. */
      runs: z.array(timingRunSchema),
    }),
    montage: z.strictObject({
      /** Which esrgan model's outputs to show. */
      esrgan: z.enum(ESRGAN_MODELS),
      /** Crops shown (one row each). */
      crops: z.array(cropSchema).min(1),
      /** Nearest-neighbour enlargement of every crop. */
      zoom: positiveInt().default(2),
    }),
  })
  .superRefine((c, ctx) => {
    const models = Object.keys(c.models);
    const unknown = (key: string, path: (string | number)[]) => {
      if (!models.includes(key)) ctx.addIssue({ code: 'custom', path, message: `"${key}" is not a key of "models" (${models.join(', ') || 'none'})` });
    };
    c.sweep.forEach((m, i) => unknown(m, ['sweep', i]));
    unknown(c.final, ['final']);
    c.timing.runs.forEach((r, i) => unknown(r.model, ['timing', 'runs', i, 'model']));
    for (const [key, model] of Object.entries(c.models)) {
      for (const folderKey of Object.keys(model.folders)) {
        const scale = Number(folderKey.slice(1));
        if (!c.scales.includes(scale)) {
          ctx.addIssue({ code: 'custom', path: ['models', key, 'folders', folderKey], message: `scale ${scale} is not in "scales" [${c.scales.join(', ')}]: add it there or remove this folder` });
        }
      }
    }
    if (!c.esrgan.models.includes(c.montage.esrgan)) {
      ctx.addIssue({ code: 'custom', path: ['montage', 'esrgan'], message: `"${c.montage.esrgan}" is not run: add it to esrgan.models` });
    }
  });

/** `report.config.json` as written (see {@link reportConfigSchema}). */
export type ReportConfigInput = z.input<typeof reportConfigSchema>;

/** A validated config with every path made absolute. */
export type ReportConfig = z.output<typeof reportConfigSchema> & {
  /** The config file's absolute path (empty for a config given as an object). */
  readonly file: string;
};

/** One line per problem: `key.path: message`. */
function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      // A bad record key (a model name, a folder key) carries the key schema's own message inside.
      const nested = i.code === 'invalid_key' ? i.issues.map((n) => n.message).join('; ') : '';
      return `  ${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${nested !== '' ? `invalid name: ${nested}` : i.message}`;
    })
    .join('\n');
}

/**
 * Validates a config object and resolves its paths against `baseDir`.
 * @throws {@link ReportError} listing every problem with its key path.
 */
export function parseReportConfig(raw: unknown, baseDir: string, file = ''): ReportConfig {
  const parsed = reportConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ReportError(`Invalid report config${file !== '' ? ` ${file}` : ''}; fix these keys:\n${formatIssues(parsed.error)}`);
  }
  const c = parsed.data;
  const abs = (p: string) => resolve(baseDir, p);
  return {
    ...c,
    file,
    eval: abs(c.eval),
    sr: abs(c.sr),
    output: abs(c.output),
    models: Object.fromEntries(
      Object.entries(c.models).map(([k, m]) => [k, { ...m, folders: Object.fromEntries(Object.entries(m.folders).map(([s, p]) => [s, abs(p)])) }]),
    ),
    esrgan: { ...c.esrgan, script: abs(c.esrgan.script) },
  };
}

/**
 * Reads and validates a `report.config.json`; its paths are relative to the file.
 * @throws {@link ReportError} if the file is missing, is not JSON, or does not match the schema.
 */
export async function loadReportConfig(file: string): Promise<ReportConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ReportError(`Cannot read the report config ${path}: pass an existing file with --config.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ReportError(`${path} is not valid JSON (${(error as Error).message}).`);
  }
  return parseReportConfig(raw, dirname(path), path);
}

/** The label of a model (its `label`, else its key). */
export function modelLabel(config: ReportConfig, model: string): string {
  return config.models[model]?.label ?? model;
}
