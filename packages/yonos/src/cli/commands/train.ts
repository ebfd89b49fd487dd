import { createProgressBar, TRAIN_STAGES } from '@yonos/distill';
import type { TrainStageName } from '@yonos/distill';
import { type Command, Argument } from 'commander';
import { z } from 'zod';
import { overrideStageFolders, readStageConfig, trainStage } from '../../train/index.js';
import type { TrainedModelSummary, TrainReporter } from '../../train/index.js';
import { CliUsageError, TrainInterruptedError } from '../errors.js';
import { writeLine } from '../io.js';
import type { CliContext } from '../program.js';

const optionsSchema = z.object({
  config: z.string().min(1, { error: '--config needs a JSON file' }),
  maxSteps: z.coerce
    .number({ error: '--max-steps must be a number' })
    .int({ error: '--max-steps must be a whole number' })
    .positive({ error: '--max-steps must be at least 1' })
    .optional(),
  resume: z.string().min(1, { error: '--resume needs "auto" or a checkpoint folder' }).optional(),
  output: z.string().min(1, { error: '--output needs a folder' }).optional(),
  checkpointDir: z.string().min(1, { error: '--checkpoint-dir needs a folder' }).optional(),
});

/** The validated options of `yonos train`. */
export type TrainOptions = z.infer<typeof optionsSchema>;

/** Validates the raw option strings. @throws {@link CliUsageError} naming the option. */
export function parseTrainOptions(raw: Record<string, unknown>): TrainOptions {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliUsageError(`${issue?.message ?? 'invalid options'} (got ${JSON.stringify(raw[String(issue?.path[0])])}).`);
  }
  return parsed.data;
}

function describe(s: TrainedModelSummary): string {
  const loss = s.lastLoss !== undefined ? `, last loss ${s.lastLoss.toPrecision(4)}` : '';
  const resumed = s.resumedFrom !== undefined ? `, resumed from ${s.resumedFrom}` : '';
  if (s.output === undefined) return `${s.label}: stopped at step ${s.step} of ${s.steps}${loss}${resumed}; rerun with --resume auto to continue.`;
  const partial = s.step < s.steps ? ` (of ${s.steps}: rerun with --resume auto to continue)` : '';
  return `${s.label}: trained to step ${s.step}${partial}${loss}${resumed}; wrote ${s.output}`;
}

/** Runs `yonos train` once its arguments are parsed. */
async function runTrain(stage: TrainStageName, options: TrainOptions, command: Command, context: CliContext): Promise<void> {
  const { io } = context;
  // The config is checked before the backend starts, so a typo fails at once.
  const config = overrideStageFolders(await readStageConfig(stage, options.config), {
    ...(options.output !== undefined ? { output: options.output } : {}),
    ...(options.checkpointDir !== undefined ? { checkpointDir: options.checkpointDir } : {}),
  });
  const backend = await context.activateBackend(command);
  const bar = createProgressBar({ stream: io.stderr, lineEvery: 10 });
  const reporter: TrainReporter = { progress: bar, log: (line) => writeLine(io.stderr, line) };
  const stop = new AbortController();
  const onSignal = (): void => {
    reporter.log('Stopping after this step (a checkpoint is saved); press Ctrl-C again to kill.');
    process.removeListener('SIGINT', onSignal);
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  let summaries: TrainedModelSummary[];
  try {
    const folders = [
      ...(options.output !== undefined ? [`output ${config.config.output}`] : []),
      ...(options.checkpointDir !== undefined ? [`checkpoints ${config.config.checkpoint.dir}`] : []),
    ];
    reporter.log(`yonos train ${stage}: ${options.config} on ${backend.name}${folders.length > 0 ? ` (${folders.join(', ')})` : ''}`);
    summaries = await trainStage(config, {
      reporter,
      signal: stop.signal,
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      ...(options.resume !== undefined ? { resume: options.resume } : {}),
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
  for (const s of summaries) writeLine(io.stdout, describe(s));
  // A run stopped by Ctrl-C did not finish: a non-zero exit keeps a script from going on to the next stage.
  if (stop.signal.aborted) throw new TrainInterruptedError('training was interrupted (Ctrl-C) after saving a checkpoint; rerun with --resume auto to continue.');
}

/**
 * Adds `yonos train <vae|sr|distill|decoder> --config <file.json> [--max-steps N]
 * [--resume auto|<checkpoint-dir>] [--output <dir>] [--checkpoint-dir <dir>]`: one YONOS
 * training stage from a validated JSON config (see `examples/configs/`), with checkpoints, exact
 * resume and the trained model written as a diffusers folder. `--output` and `--checkpoint-dir`
 * replace the config's `output` and `checkpoint.dir`, so one config can train into several
 * folders. Without `--resume`, a checkpoint folder that already holds checkpoints is refused;
 * `--resume auto` continues from the latest one. Missing data or model folders are reported with
 * the command that makes them, before any work.
 */
export function registerTrainCommand(program: Command, context: CliContext): Command {
  return program
    .command('train')
    .description('train a YONOS stage from a JSON config: vae, sr (direct SR), distill (x2 -> x4 -> x8 chain), decoder')
    .addArgument(new Argument('<stage>', 'what to train').choices([...TRAIN_STAGES]))
    .requiredOption('-c, --config <file>', 'the JSON config of the stage (see examples/configs/)')
    .option('--max-steps <n>', 'stop after N steps (at most the config\'s; the LR schedule keeps the config\'s length)')
    .option('--resume <auto|dir>', '"auto": continue from the latest checkpoint in checkpoint.dir; or a checkpoint folder')
    .option('--output <dir>', "write the trained model here instead of the config's \"output\" (distill: the folder of x4/, x8/...)")
    .option('--checkpoint-dir <dir>', "write checkpoints, samples and metrics here instead of the config's \"checkpoint.dir\"")
    .action(async (stage: TrainStageName, raw: Record<string, unknown>, command: Command) => {
      await runTrain(stage, parseTrainOptions(raw), command, context);
    });
}
