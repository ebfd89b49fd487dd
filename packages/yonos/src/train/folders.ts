import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseTrainConfig, TRAIN_STAGES } from '@yonos/distill';
import type { ModelSource, TrainStageName } from '@yonos/distill';
import { TrainSetupError } from './errors.js';

/** The keys every stage config has that say where a run writes. */
interface WritesTo {
  readonly output: string;
  readonly checkpoint: { readonly dir: string };
  readonly metrics_log?: string | undefined;
}

/** `yonos train --output` and `--checkpoint-dir`: where this run writes instead of the config's folders. */
export interface FolderOverrides {
  /** Replaces `output` (for `distill`, the folder that gets `x4/`, `x8/`...). */
  readonly output?: string;
  /** Replaces `checkpoint.dir` (validation samples and the metrics log follow it). */
  readonly checkpointDir?: string;
}

function inside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The config with `output` and `checkpoint.dir` replaced by the command line's folders, resolved
 * against the working directory (as any command-line path). With a new checkpoint folder, a
 * `metrics_log` inside the old one keeps its place relative to it, and one elsewhere becomes
 * `<checkpoint-dir>/metrics.jsonl`, so two runs of one config never share a log.
 */
export function withFolderOverrides<C extends WritesTo>(config: C, overrides: FolderOverrides): C {
  let next: C = config;
  if (overrides.output !== undefined) next = { ...next, output: resolve(overrides.output) };
  if (overrides.checkpointDir !== undefined) {
    const dir = resolve(overrides.checkpointDir);
    const log = config.metrics_log;
    const moved = log === undefined ? undefined : inside(log, config.checkpoint.dir) ? join(dir, relative(config.checkpoint.dir, log)) : join(dir, 'metrics.jsonl');
    next = { ...next, checkpoint: { ...next.checkpoint, dir }, ...(moved !== undefined ? { metrics_log: moved } : {}) };
  }
  return next;
}

/** A path as the user would type it: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

async function kind(path: string): Promise<'folder' | 'file' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'missing';
  }
}

/** A config next to `configFile` whose run writes `target` (its `output`, or a folder inside it), with its stage. */
async function producerOf(target: string, configFile: string | undefined): Promise<{ readonly stage: TrainStageName; readonly file: string } | undefined> {
  if (configFile === undefined) return undefined;
  const folder = dirname(resolve(configFile));
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const file = join(folder, name);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      continue;
    }
    for (const stage of TRAIN_STAGES) {
      let output: string;
      try {
        output = parseTrainConfig(stage, raw, { baseDir: folder }).output;
      } catch {
        continue;
      }
      if (inside(target, output)) return { stage, file };
      break;
    }
  }
  return undefined;
}

/** The stage that usually writes what a model key reads. */
const USUAL_STAGE: Readonly<Record<string, string>> = {
  'models.vae': 'vae',
  'models.unet': 'sr',
  'models.scheduler': 'sr',
  'models.upscaler': 'decoder',
  teacher: 'sr',
};

/** `http:` and `https:` locations: read through the URL loader, so not checked here. */
function isUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

async function missingModel(key: string, path: string, configFile: string | undefined): Promise<string> {
  const producer = await producerOf(path, configFile);
  const make =
    producer !== undefined
      ? `It is written by an earlier stage: run \`yonos train ${producer.stage} --config ${shown(producer.file)}\` first`
      : `If it is the output of an earlier stage, run that stage first (\`yonos train ${USUAL_STAGE[key] ?? '<stage>'} --config <its config>\`, whose "output" is this folder)`;
  return `${key}.pretrained: the model folder ${shown(path)} does not exist. ${make}, or point ${key}.pretrained at an existing model folder.`;
}

/** The repository's scripts that make its data folders, by the end of the folder's path. */
const DATA_SCRIPTS: readonly (readonly [string, string])[] = [
  [join('data', 'train'), 'scripts/data/gather-training-set.ts'],
  [join('data', 'eval', 'hr'), 'scripts/data/make-eval-set.ts'],
];

function missingData(key: string, path: string, what: string, orElse: string): string {
  const script = DATA_SCRIPTS.find(([end]) => path.endsWith(`${sep}${end}`) || path === end)?.[1];
  const point = `point ${key} at a folder of PNG, JPEG or WebP images${orElse}`;
  return script !== undefined
    ? `${key}: the ${what} folder ${shown(path)} does not exist. In the YONOS repository, \`npx tsx --conditions=source ${script}\` makes it (see scripts/data/README.md); otherwise ${point}.`
    : `${key}: the ${what} folder ${shown(path)} does not exist: ${point}.`;
}

/** What {@link checkStageInputs} reads of a config: the folders and models a run needs before it starts. */
export interface StageInputs {
  readonly data: { readonly train: string; readonly validation?: string | undefined };
  readonly validation: { readonly every: number };
  readonly models?: {
    readonly vae?: ModelSource | undefined;
    readonly unet?: ModelSource | undefined;
    readonly scheduler?: ModelSource | undefined;
    readonly upscaler?: { readonly pretrained: string } | undefined;
  };
  readonly teacher?: { readonly pretrained?: string | undefined };
  readonly upscaler?: { readonly prompt_embeds?: string | undefined } | undefined;
}

/**
 * Checks, before any model is built, that the folders a config reads exist: `data.train`,
 * `data.validation` (when validation is on), every `pretrained` model that is not a URL, and
 * the upscaler's `prompt_embeds` file. A missing one is
 * reported with the command that makes it: the repository's data script for `data/train` and
 * `data/eval/hr`, and for a model folder the `yonos train <stage> --config <file>` of the config
 * next to `configFile` whose `output` it is (else the stage that usually writes it).
 * @param configFile The config's file, to find the configs beside it.
 * @throws {@link TrainSetupError} naming every missing folder, with what to run or change.
 */
export async function checkStageInputs(config: StageInputs, configFile?: string): Promise<void> {
  const problems: string[] = [];
  const sources: (readonly [string, string | undefined])[] = [
    ['models.vae', config.models?.vae?.pretrained],
    ['models.unet', config.models?.unet?.pretrained],
    ['models.scheduler', config.models?.scheduler?.pretrained],
    ['models.upscaler', config.models?.upscaler?.pretrained],
    ['teacher', config.teacher?.pretrained],
  ];
  const seen = new Set<string>();
  for (const [key, path] of sources) {
    if (path === undefined || seen.has(path) || isUrl(path)) continue;
    seen.add(path);
    if ((await kind(path)) === 'missing') problems.push(await missingModel(key, path, configFile));
  }
  const embeddings = config.upscaler?.prompt_embeds;
  if (embeddings !== undefined && !isUrl(embeddings) && (await kind(embeddings)) !== 'file') {
    problems.push(`upscaler.prompt_embeds: ${shown(embeddings)} is not a file; point it at the .safetensors file of the prompt embeddings (the "Bring Stable Diffusion weights" guide shows how to make it).`);
  }
  const train = await kind(config.data.train);
  if (train === 'missing') problems.push(missingData('data.train', config.data.train, 'training images', ''));
  else if (train === 'file') problems.push(`data.train: ${shown(config.data.train)} is a file; point data.train at a folder of PNG, JPEG or WebP images.`);
  const validation = config.data.validation;
  if (config.validation.every > 0 && validation !== undefined && (await kind(validation)) === 'missing') {
    problems.push(missingData('data.validation', validation, 'held-out images', ', or set validation.every to 0 to train without validation'));
  }
  if (problems.length === 1) throw new TrainSetupError(problems[0]!);
  if (problems.length > 1) {
    const name = configFile !== undefined ? ` of ${shown(configFile)}` : '';
    throw new TrainSetupError(`${problems.length} folders the config${name} reads are missing. ${problems.map((p, i) => `(${i + 1}) ${p}`).join(' ')}`);
  }
}
