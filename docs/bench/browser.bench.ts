/**
 * Speed of the browser backends on this machine: the demo page (built with Vite, served from
 * 127.0.0.1) upscales one image in headless Chromium on each backend, twice (the first run
 * includes shader compilation and weight upload, the second is warm). The model is the tiny
 * fixture pipeline; the numbers compare backends, they are not the speed of a full-size model.
 *
 *   npx tsx --conditions=source docs/bench/browser.bench.ts [--backends wasm,webgl,webgpu,cpu] [--size 32]
 *
 * Not a test: it prints, it never asserts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@yonos/core';
import { encodeImage } from '@yonos/core/node';
import { buildDemo } from '../test/helpers/build-demo.js';
import { launchChromium } from '../test/helpers/chromium.js';
import { runDemo, webgpuAdapter } from '../test/helpers/demo-page.js';
import type { DemoRun } from '../test/helpers/demo-page.js';
import { serveStatic } from '../test/helpers/static-server.js';
import { TINY_SCALE, saveTinyPipeline } from '../test/helpers/tiny-pipeline.js';
import { testImage } from '../test/helpers/test-image.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const backends = arg('backends', 'wasm,webgl,webgpu,cpu').split(',') as Array<DemoRun['backend']>;
const size = Number(arg('size', '32'));

await useBackend('wasm');
const work = mkdtempSync(join(os.tmpdir(), 'yonos-browser-bench-'));
try {
  const modelDir = join(work, 'model');
  await saveTinyPipeline(modelDir);
  await buildDemo(join(work, 'site'), modelDir);
  const server = await serveStatic({ '/': join(work, 'site'), '/model/': modelDir });
  const browser = await launchChromium();
  const png = await encodeImage(testImage(size, size), { format: 'png' });
  console.log(`# Browser backends: demo page, tiny fixture pipeline, ${size}x${size} -> ${size * TINY_SCALE}x${size * TINY_SCALE}, 1 step`);
  console.log(`machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; ${browser.context.browser()?.version() ?? 'Chromium'} headless (SwiftShader for GPU APIs)`);
  console.log('| backend | first run (ms) | warm run (ms) |');
  console.log('|---|---|---|');
  try {
    for (const backend of backends) {
      const page = await browser.context.newPage();
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"]');
      if (backend === 'webgpu') {
        const adapter = await webgpuAdapter(page);
        if (!adapter.ok) {
          console.log(`| webgpu | unavailable: ${adapter.reason} | |`);
          await page.close();
          continue;
        }
      }
      const settings: DemoRun = { backend, png, fileName: 'bench.png', scale: TINY_SCALE, seed: 0, steps: 1, input: 'picker', timeout: 1_800_000 };
      try {
        const cold = await runDemo(page, settings);
        const warm = await runDemo(page, settings);
        console.log(`| ${cold.dataset['backend']} | ${cold.dataset['runMs']} | ${warm.dataset['runMs']} |`);
      } catch (error) {
        console.log(`| ${backend} | failed: ${(error as Error).message} | |`);
      }
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
