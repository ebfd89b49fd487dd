import { rename, writeFile } from 'node:fs/promises';
import { YonosError } from '@yonos/core';
import type { UpscaleJobContext, UpscaleJobData, UpscaleJobProcessor, UpscaleJobResult, UpscaleJobSpec } from '../src/index.js';

/** A typed error a retry cannot fix, as an undecodable image would be. */
export class FakeDecodeError extends YonosError {}

/** What the fake processor saw: the start time of every attempt, by input. */
export const starts = new Map<string, number[]>();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    }, { once: true });
  });
}

/**
 * A processor standing in for the upscale: it waits `delayMs` (reporting progress), then writes
 * the input's name to the output through a temporary file and a rename. Inputs named `bad*`
 * throw {@link FakeDecodeError}; `flaky<N>*` throw a plain error on their first N attempts.
 */
export function fakeProcessor(delayMs: number): UpscaleJobProcessor {
  return async (job: UpscaleJobData, context: UpscaleJobContext): Promise<UpscaleJobResult> => {
    const name = job.input.split('/').at(-1)!;
    starts.set(name, [...(starts.get(name) ?? []), Date.now()]);
    if (name.startsWith('bad')) throw new FakeDecodeError(`Cannot decode image '${job.input}'`);
    const flaky = /^flaky(\d+)/.exec(name);
    if (flaky !== null && context.attempt <= Number(flaky[1])) throw new Error(`flaky attempt ${context.attempt}`);
    context.progress({ completed: 0, total: 2, stage: 'encode' });
    await sleep(delayMs / 2, context.signal);
    context.progress({ completed: 1, total: 2, stage: 'denoise' });
    await sleep(delayMs / 2, context.signal);
    const temp = `${job.output}.${process.pid}.tmp`;
    await writeFile(temp, name);
    await rename(temp, job.output);
    return { output: job.output, width: 1, height: 1, channels: 3, frames: 1, droppedAlpha: false, backend: 'fake', seconds: delayMs / 1000 };
  };
}

/** Specs for `names` in `dir`: input `/in/<name>`, output `<dir>/<name>.out`. */
export function specs(dir: string, names: readonly string[]): UpscaleJobSpec[] {
  return names.map((name) => ({ input: `/in/${name}`, output: `${dir}/${name}.out`, options: { scale: 4, steps: 1, seed: 0, format: 'png', quality: 95 } }));
}
