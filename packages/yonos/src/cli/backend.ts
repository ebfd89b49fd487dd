import { BACKEND_NAMES, useBackend } from '@yonos/core';
import type { BackendInfo, BackendName } from '@yonos/core';
import type { Command } from 'commander';

/** The options every command accepts (declared on the root command). */
export interface GlobalOptions {
  /** `--backend`; absent: `useBackend`'s default (wasm in Node, cpu if wasm cannot start). */
  readonly backend?: BackendName;
  /** `--verbose`: stack traces for errors. */
  readonly verbose?: boolean;
}

/** The backend names `--backend` accepts. */
export const BACKEND_CHOICES: readonly string[] = BACKEND_NAMES;

/** The global options as seen from `command` (a sub-command or the root). */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/**
 * Starts the backend `--backend` names (through core's `useBackend`, which also makes it able
 * to train). Commands that compute call this; `--help` and `info` never start one.
 * @throws `BackendUnavailableError` saying why the backend cannot run here and what to install.
 */
export function activateBackend(command: Command): Promise<BackendInfo> {
  return useBackend(globalOptions(command).backend);
}
