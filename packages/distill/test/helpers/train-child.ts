// Child process for the kill/resume tests: runs the tiny training on cpu and reports what it
// does on stdout, one event per line, so the parent can SIGKILL it at chosen moments.
import { useBackend } from '@yonos/core';
import { runTinyTraining } from './tiny-run.js';
import type { TinyRunOptions } from './tiny-run.js';

const options = JSON.parse(process.argv[2] ?? '{}') as TinyRunOptions;
await useBackend('cpu');
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const run = await runTinyTraining({
  ...options,
  onProgress: (e) => {
    if (e.stage === 'train') say(`STEP ${e.completed}`);
    else if (e.stage === 'checkpoint') say(`${e.completed === 0 ? 'SAVE-START' : 'SAVE-DONE'} ${String(e.detail?.['step'])}`);
  },
});
say(`DONE ${run.result.step} ${run.result.resumedFrom ?? '-'}`);
run.dispose();
