import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberFlag, parseFlags, stringFlag } from '../../data/lib/args.js';
import { parseShard } from './jobs.js';
import { PHASES, parsePhases } from './phases.js';
import type { ReportRunOptions } from './phases.js';
import { parseThreadsFlag } from './threads.js';

/** The config next to run-report.ts. */
export const DEFAULT_CONFIG = join(dirname(dirname(fileURLToPath(import.meta.url))), 'report.config.json');

const USAGE = `Usage: npx tsx --conditions=source scripts/report/run-report.ts [flags]

Phases (run in this order, whichever are chosen):
  quality  upscale every eval LR image with every YONOS model x steps x seed (wasm) -> <sr>/<model>_s<steps>_x<S>/
  esrgan   run bench-baselines/run-esrgan.mjs (a child process) -> <sr>/esrgan-*_x<S>/
  timing   wall time per image on wasm (the same threads for all), sequential: bicubic, esrgan, the YONOS timing runs -> results.json
  score    PSNR/SSIM (BasicSR, Y, border = scale) of every folder -> results.json, results.md
  plots    PSNR/SSIM-vs-steps charts and the visual comparison montage (SVG + PNG)
A long run can be split: e.g. two processes '--phases quality --shard 1/2' and '--shard 2/2',
then '--phases esrgan,timing,score,plots' alone on the idle machine.`;

const FLAGS = [
  { name: 'config', help: 'report config (paths in it are relative to the file)', default: DEFAULT_CONFIG },
  { name: 'phases', help: `comma-separated phases: ${PHASES.join(', ')}, or all`, default: 'all' },
  { name: 'shard', help: 'quality only: do the i-th of n parts of the folders (e.g. 1/2 and 2/2 in two processes)', default: '' },
  { name: 'timing-images', help: 'timing only: time the first N eval images for every method (default: the config)', default: '' },
  {
    name: 'threads',
    help: 'quality, esrgan, timing: wasm threads, "all" or N, for YONOS and run-esrgan.mjs alike (default: the config\'s "threads", else YONOS_THREADS, else every core)',
    default: '',
  },
  { name: 'force', help: 'quality: redo folders that are already complete' },
  { name: 'allow-missing', help: 'quality, timing: skip models whose pipeline folder does not exist yet instead of failing' },
];

/** Parsed command line of run-report.ts. */
export interface ReportArgs {
  /** Config file path. */
  readonly config: string;
  readonly run: ReportRunOptions;
}

/**
 * Parses run-report.ts's flags.
 * @returns the arguments, or `undefined` after printing `--help`.
 * @throws ReportError / DataScriptError (both `YonosError`s) for an unknown flag, phase, shard or count.
 */
export function parseReportArgs(argv: readonly string[]): ReportArgs | undefined {
  const flags = parseFlags(argv, FLAGS, USAGE);
  if (flags === undefined) return undefined;
  const shard = flags['shard'] ? parseShard(flags['shard']) : undefined;
  const timingImages = flags['timing-images'] ? numberFlag(flags, 'timing-images', { integer: true, min: 1 }) : undefined;
  const threads = flags['threads'] ? parseThreadsFlag(flags['threads']) : undefined;
  return {
    config: stringFlag(flags, 'config'),
    run: {
      phases: parsePhases(stringFlag(flags, 'phases')),
      force: flags['force'] === 'true',
      allowMissing: flags['allow-missing'] === 'true',
      ...(shard !== undefined ? { shard } : {}),
      ...(timingImages !== undefined ? { timingImages } : {}),
      ...(threads !== undefined ? { threads } : {}),
    },
  };
}
