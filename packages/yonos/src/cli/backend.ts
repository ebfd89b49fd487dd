import { BACKEND_NAMES, useBackend } from '@yonos/core';
import { parseThreadCount } from '@yonos/core/internal';
import type { BackendInfo, BackendName, UseBackendOptions } from '@yonos/core';
import type { Command } from 'commander';
import { type CliIO, writeLine } from './io.js';

/** The options every command accepts (declared on the root command). */
export interface GlobalOptions {
  /** `--backend`; absent: `useBackend`'s default (wasm in Node, cpu if wasm cannot start). */
  readonly backend?: BackendName;
  /** `--verbose`: stack traces for errors. */
  readonly verbose?: boolean;
  /** `--threads`: wasm threads (text as given; checked by {@link backendOptions}). */
  readonly threads?: string;
}

/** The backend names `--backend` accepts. */
export const BACKEND_CHOICES: readonly string[] = BACKEND_NAMES;

/** The global options as seen from `command` (a sub-command or the root). */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/**
 * Starts the backend `--backend` names (through core's `useBackend`, which also makes it able
 * to train). Commands that compute call this; `--help` and `info` never start one. With `io`,
 * a GPU backend on a software rasterizer (SwiftShader, llvmpipe) gets a warning on stderr.
 * @throws `BackendUnavailableError` saying why the backend cannot run here and what to install.
 */
export async function activateBackend(command: Command, io?: CliIO): Promise<BackendInfo> {
  const info = await useBackend(globalOptions(command).backend, backendOptions(command));
  if (info.softwareAdapter !== undefined && io !== undefined) writeLine(io.stderr, softwareAdapterWarning(info));
  return info;
}

/** The warning for a GPU backend asked for by name that runs on a software rasterizer. */
export function softwareAdapterWarning(info: BackendInfo): string {
  return (
    `warning: ${info.name} runs on a software rasterizer (${info.softwareAdapter ?? 'unknown'}), not a GPU: ` +
    'it computes on the CPU, 60-300x slower than --backend wasm here.'
  );
}

/**
 * The backend options the global flags ask for: `--threads N` as `wasmThreads` (without it,
 * core's default: `YONOS_THREADS`, else every core).
 * @throws ThreadCountError when `--threads` is not a whole number from 1 to 256.
 */
export function backendOptions(command: Command): UseBackendOptions {
  const threads = globalOptions(command).threads;
  return threads === undefined ? {} : { wasmThreads: parseThreadCount(threads, '--threads') };
}
