// Child process for the kill/resume tests: runs the tiny training (on cpu, or on wasm with a
// given thread count: the second argument, JSON) and reports what it does on stdout, one event
// per line, so the parent can SIGKILL it at chosen moments.
import { useBackend } from '@yonos/core';
import { runTinyTraining } from './tiny-run.js';
import type { TinyRunOptions } from './tiny-run.js';
import type { ChildBackend } from './child.js';

const options = JSON.parse(process.argv[2] ?? '{}') as TinyRunOptions;
const backend = JSON.parse(process.argv[3] ?? '{"name":"cpu"}') as ChildBackend;
await useBackend(backend.name, backend.threads !== undefined ? { wasmThreads: backend.threads } : {});
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
