import { dirname, resolve } from 'node:path';
import { findLatestCheckpoint, readTrainerState } from '@yonos/distill';
import type { StageName } from '@yonos/distill';
import { TrainSetupError } from './errors.js';

/** `--resume`: absent (start fresh, refusing to mix with existing checkpoints), `'auto'`, or a checkpoint folder. */
export type ResumeFlag = 'auto' | string | undefined;

/** What a checkpoint's `extra` records about the run that wrote it. */
export interface RunIdentity {
  readonly stage: StageName;
  /** The factor trained for (absent for the VAE). */
  readonly scale?: number;
}

function describe(id: Partial<RunIdentity>): string {
  return `'${String(id.stage)}'${id.scale !== undefined ? ` x${id.scale}` : ''}`;
}

async function checkIdentity(path: string, expected: RunIdentity): Promise<void> {
  const state = await readTrainerState(path);
  const extra = (state.extra ?? {}) as Partial<RunIdentity>;
  if (extra.stage !== expected.stage || extra.scale !== expected.scale) {
    throw new TrainSetupError(
      `${path} was written by a ${describe(extra)} training run, not this ${describe(expected)} one: ` +
        'resume from a checkpoint of the same stage and scale, or set checkpoint.dir to another folder.',
    );
  }
}

/**
 * Turns `--resume` into `trainLoop`'s `resume` option for the run whose checkpoints go to `dir`,
 * checking first that what would be resumed was written by the same stage and scale.
 * Without the flag, a `dir` that already holds checkpoints is refused rather than silently
 * mixed with a new run.
 * @throws {@link TrainSetupError} / `CheckpointError` saying what to pass instead.
 */
export async function resolveResume(dir: string, flag: ResumeFlag, expected: RunIdentity): Promise<'auto' | string | false> {
  if (flag === undefined) {
    const latest = await findLatestCheckpoint(dir);
    if (latest !== undefined) {
      throw new TrainSetupError(
        `checkpoint.dir ${dir} already holds checkpoints (the latest after ${latest.step} steps): pass --resume auto to continue that run, ` +
          'or set checkpoint.dir to a new folder to start over.',
      );
    }
    return false;
  }
  if (flag === 'auto') {
    const latest = await findLatestCheckpoint(dir, { cleanStale: true });
    if (latest !== undefined) await checkIdentity(latest.path, expected);
    return 'auto';
  }
  await checkIdentity(flag, expected);
  return flag;
}

/**
 * `--resume` for one run of a multi-run command (the distillation chain and its teacher): a
 * checkpoint folder applies to the run whose checkpoint dir holds it, every other run continues
 * with `'auto'`; `'auto'` and no flag apply to all.
 */
export function resumeFlagFor(dir: string, flag: ResumeFlag): ResumeFlag {
  if (flag === undefined || flag === 'auto') return flag;
  return dirname(resolve(flag)) === resolve(dir) ? flag : 'auto';
}
