// JSONL metrics log, progress bar, rate meter.
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MetricsLog, createProgressBar, readMetricsLog } from '../src/index.js';
import { RateMeter, formatDuration, formatProgressLine } from '../src/loop/index.js';
import { removeDir, tempDir } from './helpers/fs.js';

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await removeDir(root);
});

describe('MetricsLog', () => {
  test('appends one JSON object per line, in order, visible before close; non-finite numbers stay valid JSON', async () => {
    const path = join(root, 'logs', 'm.jsonl');
    const log = await MetricsLog.open(path);
    await Promise.all([log.append({ step: 1, loss: 0.5 }), log.append({ step: 2, loss: Number.NaN })]);
    const text = await readFile(path, 'utf8');
    expect(text).toBe('{"step":1,"loss":0.5}\n{"step":2,"loss":"NaN"}\n');
    await log.close();
    await expect(log.append({ step: 3 })).rejects.toThrow(/closed/);
  });

  test('a resumed run drops lines after its step and a torn last line', async () => {
    const path = join(root, 'resume.jsonl');
    const log = await MetricsLog.open(path);
    for (let s = 1; s <= 5; s++) await log.append({ step: s, loss: s });
    await log.append({ event: 'note' });
    await log.close();
    await appendFile(path, '{"step":6,"lo'); // killed mid-line
    expect((await readMetricsLog(path)).length).toBe(6);
    const resumed = await MetricsLog.open(path, { truncateAfterStep: 3 });
    await resumed.append({ step: 4, loss: 40 });
    await resumed.close();
    expect((await readMetricsLog(path)).map((r) => r['step'] ?? r['event'])).toEqual([1, 2, 3, 'note', 4]);
    expect(await readMetricsLog(join(root, 'none.jsonl'))).toEqual([]);
  });
});

describe('progress', () => {
  test('rate meter: steps/s over a window and ETA, driven by an injected clock', () => {
    let now = 0;
    const meter = new RateMeter(4, () => now);
    meter.tick();
    expect(meter.stepsPerSecond).toBe(0);
    expect(meter.etaSeconds(10)).toBe(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 6; i++) {
      now += i < 3 ? 1000 : 500;
      meter.tick();
    }
    // The window holds the last 4 steps: 1000, 500, 500, 500 ms.
    expect(meter.stepsPerSecond).toBeCloseTo(4 / 2.5, 12);
    expect(meter.etaSeconds(8)).toBeCloseTo(5, 12);
  });

  test('bar text; redraws in place on a terminal, sparse lines otherwise', () => {
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('--:--');
    const line = formatProgressLine(
      { stage: 'train', completed: 5, total: 10, detail: { loss: 0.123456, lr: 1e-4, stepsPerSecond: 2, etaSeconds: 2.5 } },
      10,
    );
    expect(line).toBe('[#####.....] 5/10 2.00 it/s ETA 0:03 loss 0.1235 lr 1.00e-4');

    const tty: string[] = [];
    const bar = createProgressBar({ stream: { isTTY: true, write: (t: string) => tty.push(t) }, width: 4 });
    for (let s = 1; s <= 3; s++) bar({ stage: 'train', completed: s, total: 3, detail: { loss: 1 } });
    expect(tty[0]!.startsWith('\r[#...] 1/3')).toBe(true);
    expect(tty[2]!.endsWith('\n')).toBe(true);

    const plain: string[] = [];
    const log = createProgressBar({ stream: { write: (t: string) => plain.push(t) }, lineEvery: 2 });
    for (let s = 1; s <= 5; s++) log({ stage: 'train', completed: s, total: 5 });
    log({ stage: 'validate', completed: 1, total: 1, detail: { psnr: 30.123456 } });
    expect(plain.map((l) => l.trim().split(' ')[1])).toEqual(['2/5', '4/5', '5/5', 'psnr']);
    expect(plain.at(-1)).toBe('validate psnr 30.123\n');
    // Step numbers are integers: `step 30`, not `step 30.000`.
    log({ stage: 'checkpoint', completed: 1, total: 1, detail: { step: 30, path: 'runs/x/checkpoint-00000030' } });
    log({ stage: 'validate', completed: 1, total: 1, detail: { step: 4, psnr: 27, ssim: 0.5 } });
    expect(plain.slice(-2)).toEqual(['checkpoint step 30 path runs/x/checkpoint-00000030\n', 'validate step 4 psnr 27 ssim 0.50000\n']);
  });
});
