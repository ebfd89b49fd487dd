import { ThreadCountError } from '@yonos/core';
import { Command, CommanderError, Option } from 'commander';
import { bundledModelRoot } from '../bundled-model.js';
import { activateBackend, BACKEND_CHOICES } from './backend.js';
import { registerDegradeCommand } from './commands/degrade.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerInfoCommand } from './commands/info.js';
import { registerQueueCommand } from './commands/queue.js';
import { registerTrainCommand } from './commands/train.js';
import { registerUpscaleCommand } from './commands/upscale.js';
import { registerWorkerCommand } from './commands/worker.js';
import { CliUsageError, describeError, oneLine } from './errors.js';
import { type CliIO, processIO, writeLine } from './io.js';
import { nodeOutputFiles } from './upscale/output-files.js';
import type { OutputFiles } from './upscale/output-files.js';
import { packageVersions } from './versions.js';

/** The exit code of a usage error (as most Unix tools; 1 is any other failure). */
export const USAGE_EXIT_CODE = 2;

/** What every command gets from the root: where to write, and how to start the backend. */
export interface CliContext {
  readonly io: CliIO;
  /** Starts the backend chosen with `--backend` (see {@link activateBackend}). */
  readonly activateBackend: typeof activateBackend;
  /** The bundled model's root folder (`model/` of the package: the card and `x<N>/` pipeline folders). */
  readonly bundledModelRoot: string;
  /** How `yonos upscale` writes its outputs (`node:fs`, or a test's stand-in). */
  readonly outputFiles: OutputFiles;
}

/** Options of {@link createProgram} and {@link runCli}. */
export interface CliOptions {
  /** Where the bundled model is, default `bundledModelRoot()` (another folder of the same layout for tests). */
  readonly bundledModelRoot?: string;
  /** How `yonos upscale` writes its outputs, default `node:fs` (tests simulate a full disk or a read-only folder). */
  readonly outputFiles?: OutputFiles;
}

/**
 * The `yonos` command tree (commander), writing to `io`. It never exits the process: errors
 * surface from `parseAsync` (commander's own as `CommanderError`, already printed). Build a
 * new one per run; commander keeps parsed state.
 */
export function createProgram(io: CliIO, options: CliOptions = {}): Command {
  const version = packageVersions().find((p) => p.name === 'yonos')?.version ?? '0.0.0';
  const program = new Command('yonos')
    .description('YONOS-SR: one-step diffusion super-resolution on TensorFlow.js.')
    .version(version, '-V, --version', 'print the version of yonos')
    .addOption(new Option('--backend <name>', 'tfjs backend to compute on (default: wasm, or cpu if wasm cannot start)').choices([...BACKEND_CHOICES]))
    .option('--threads <n>', 'threads for the wasm backend (default: YONOS_THREADS, else every core); results are the same for any count')
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`${oneLine(text)}\n`),
    });
  const context: CliContext = {
    io,
    // Commands start the backend through this, so a software GPU warning reaches the user's stderr.
    activateBackend: (command, output = io) => activateBackend(command, output),
    bundledModelRoot: options.bundledModelRoot ?? bundledModelRoot(),
    outputFiles: options.outputFiles ?? nodeOutputFiles,
  };
  registerInfoCommand(program, context);
  registerDegradeCommand(program, context);
  registerTrainCommand(program, context);
  registerUpscaleCommand(program, context);
  registerWorkerCommand(program, context);
  registerQueueCommand(program, context);
  registerEvalCommand(program, context);
  return program;
}

/**
 * Runs the `yonos` command with `argv` (the arguments after the program name) and returns
 * the exit code: 0 on success (and for `--help` / `--version`), 2 for a usage error (an
 * unknown command or option, a missing argument, a bad option value: {@link CliUsageError},
 * `ThreadCountError`), 1 for any other error. Errors are printed to `io.stderr` as one line
 * saying what to do; YONOS's own errors show their message, anything else adds a hint to
 * rerun with `--verbose` (which prints the stack).
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO(), options: CliOptions = {}): Promise<number> {
  const program = createProgram(io, options);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its message (or the help / version) already.
      return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    }
    writeLine(io.stderr, describeError(err, program.opts<{ verbose?: boolean }>().verbose === true || argv.includes('--verbose')));
    return err instanceof CliUsageError || err instanceof ThreadCountError ? USAGE_EXIT_CODE : 1;
  }
}
