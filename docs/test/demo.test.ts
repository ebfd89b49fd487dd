/**
 * End to end: the browser demo, built with Vite and served from 127.0.0.1, upscales a small
 * PNG in headless Chromium with the model it ships (the x4 model bundled with `yonos`:
 * AutoencoderTiny + UNet2DModel), and its pixels equal a Node run of the same pipeline folder,
 * input and seed: exactly on wasm, within one 8-bit level on WebGPU (SwiftShader; its float
 * rounding differs from wasm's). Screenshots go to `.reports/` (a CI artifact).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { psnrHost, useBackend } from '@yonos/core';
import type { RawImage } from '@yonos/core';
import { encodeImage, readImage } from '@yonos/core/node';
import { YonosPipeline } from '@yonos/sampler';
import { runOptions } from '../demo/src/session.js';
import { CROSS_ORIGIN_ISOLATION } from '../demo/build/headers.js';
import { buildDemo } from './helpers/build-demo.js';
import { CHROMIUM_PATH, hasChromium, launchChromium } from './helpers/chromium.js';
import type { Chromium } from './helpers/chromium.js';
import { runDemo, webgpuAdapter } from './helpers/demo-page.js';
import type { DemoOutcome, DemoRun } from './helpers/demo-page.js';
import { serveStatic } from './helpers/static-server.js';
import type { StaticServer } from './helpers/static-server.js';
import { rgbaToRgb, testImage } from './helpers/test-image.js';

const REPORTS = fileURLToPath(new URL('../../.reports/', import.meta.url));
/** The x4 model bundled with `yonos` (AutoencoderTiny + UNet2DModel): what the built demo ships. */
const BUNDLED_X4 = fileURLToPath(new URL('../../packages/yonos/model/x4', import.meta.url));
const SCALE = 4;
const SIDE = 24;
const SEED = 7;
/** Most a WebGPU pixel may differ from Node's wasm result, in 8-bit levels (measured: 1). */
const WEBGPU_MAX_LEVELS = 1;

if (!hasChromium()) throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: apt-get install chromium, or set YONOS_CHROMIUM.`);

let work: string;
let png: Uint8Array;
let expected: RawImage;
/** The Node result for seed `SEED + 1`: a control showing that the comparisons tell outputs apart. */
let otherSeed: RawImage;
let nodeLeaked: number;
let server: StaticServer;
let emptyServer: StaticServer;
let browser: Chromium;

/** Requests a page made to anything but the test server (the demo must need no other network). */
function watchNetwork(page: Page): string[] {
  const outside: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(server.url) && !/^(data|blob):/.test(url)) outside.push(url);
  });
  return outside;
}

function psnrAgainstNode(outcome: DemoOutcome, reference: RawImage = expected): number {
  const rgb = rgbaToRgb(outcome.rgba);
  return psnrHost({ data: rgb, width: outcome.width, height: outcome.height, channels: 3 }, { ...reference, channels: 3 });
}

/** Largest difference of any RGB value from the Node result, in 8-bit levels. */
function maxAbsDiff(outcome: DemoOutcome, reference: RawImage = expected): number {
  const rgb = rgbaToRgb(outcome.rgba);
  expect(rgb.length).toBe(reference.data.length);
  let max = 0;
  for (let i = 0; i < rgb.length; i++) max = Math.max(max, Math.abs(rgb[i]! - reference.data[i]!));
  return max;
}

/** Logs how far `outcome` is from Node's result (and, as a control, from another seed's). */
function compareWithNode(label: string, outcome: DemoOutcome): { diff: number; otherSeedDiff: number } {
  const diff = maxAbsDiff(outcome);
  const otherSeedDiff = maxAbsDiff(outcome, otherSeed);
  console.info(
    `demo ${label}: max |diff| vs Node ${diff} levels (PSNR ${psnrAgainstNode(outcome).toFixed(2)} dB); ` +
      `vs Node with another seed ${otherSeedDiff} levels (PSNR ${psnrAgainstNode(outcome, otherSeed).toFixed(2)} dB); run ${outcome.dataset['runMs']} ms`,
  );
  return { diff, otherSeedDiff };
}

function run(page: Page, overrides: Partial<DemoRun> & Pick<DemoRun, 'backend'>): Promise<DemoOutcome> {
  return runDemo(page, { png, fileName: 'cat.png', scale: SCALE, seed: SEED, steps: 1, input: 'picker', timeout: 240_000, ...overrides });
}

beforeAll(async () => {
  await useBackend('wasm');
  work = mkdtempSync(join(tmpdir(), 'yonos-demo-test-'));

  // The Node result the page must reproduce: same folder, same decoded pixels, same options
  // (one wasm thread here; the page runs it on several).
  png = await encodeImage(testImage(SIDE, SIDE), { format: 'png' });
  const decoded = await readImage(png);
  // The model classes are registered by the demo's own model.ts (session.ts imports it).
  const pipe = await YonosPipeline.fromPretrained(BUNDLED_X4);
  const before = tf.memory().numTensors;
  expected = await pipe.upscale(decoded, runOptions({ scale: SCALE, seed: SEED, steps: 1 }));
  nodeLeaked = tf.memory().numTensors - before;
  otherSeed = await pipe.upscale(decoded, runOptions({ scale: SCALE, seed: SEED + 1, steps: 1 }));
  pipe.dispose();

  const site = process.env['YONOS_DEMO_DIST'] ?? join(work, 'site');
  if (process.env['YONOS_DEMO_DIST'] === undefined) await buildDemo(site, BUNDLED_X4);
  // model/ is mounted explicitly, so a prebuilt site (YONOS_DEMO_DIST) serves the bundled model too.
  // Served cross-origin isolated, as the demo's own servers do, so wasm runs threaded.
  server = await serveStatic({ '/': site, '/model/': BUNDLED_X4 }, { headers: CROSS_ORIGIN_ISOLATION });
  mkdirSync(join(work, 'empty'));
  emptyServer = await serveStatic({ '/': site, '/model/': join(work, 'empty') });
  browser = await launchChromium();
  mkdirSync(REPORTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await emptyServer?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('browser demo (headless Chromium)', () => {
  it('computes the Node reference without leaking; another seed gives another image', () => {
    expect(nodeLeaked).toBe(0);
    expect([expected.width, expected.height, expected.channels]).toEqual([SIDE * SCALE, SIDE * SCALE, 3]);
    // The control of the comparisons below: outputs that should differ are told apart.
    let otherSeedDiff = 0;
    for (let i = 0; i < expected.data.length; i++) otherSeedDiff = Math.max(otherSeedDiff, Math.abs(expected.data[i]! - otherSeed.data[i]!));
    expect(otherSeedDiff).toBeGreaterThan(WEBGPU_MAX_LEVELS);
  });

  it('upscales on wasm exactly as Node does, twice without leaking, offline, with a download', async () => {
    const page = await browser.context.newPage();
    const outside = watchNetwork(page);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]');

    const first = await run(page, { backend: 'wasm' });
    expect(first.dataset['backend']).toBe('wasm');
    expect([first.width, first.height]).toEqual([SIDE * SCALE, SIDE * SCALE]);
    expect(first.dataset['outputSize']).toBe(`${SIDE * SCALE}x${SIDE * SCALE}`);
    expect(first.progress).toBe(1);
    const { diff, otherSeedDiff } = compareWithNode(`wasm ${first.dataset['threads']} threads`, first);
    expect(diff).toBe(0);
    expect(otherSeedDiff).toBeGreaterThan(0);
    // Opaque input, opaque output.
    expect(first.rgba.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);

    // The download is the canvas, losslessly.
    expect(first.download.name).toBe(`cat-x${SCALE}.png`);
    const downloaded = await readImage(first.download.bytes);
    expect([downloaded.width, downloaded.height]).toEqual([first.width, first.height]);
    expect(rgbaToRgb(first.rgba)).toEqual(downloaded.channels === 4 ? rgbaToRgb(downloaded.data) : Uint8Array.from(downloaded.data));

    await page.screenshot({ path: join(REPORTS, 'demo.png'), fullPage: true });

    // Same seed, same pixels; the live tensors are the model's weights only, before and after.
    const second = await run(page, { backend: 'wasm' });
    expect(second.rgba).toEqual(first.rgba);
    expect(second.dataset['tensors']).toBe(first.dataset['tensors']);

    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  }, 300_000);

  it('on auto picks threaded wasm here and matches Node exactly, cancels, with no failed request', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);

    // Auto: WebGPU and WebGL on a software rasterizer (SwiftShader here) are skipped for wasm.
    const adapter = await webgpuAdapter(page);
    const outcome = await run(page, { backend: 'auto' });
    if (!adapter.ok || /swiftshader/i.test(adapter.description)) expect(outcome.dataset['backend']).toBe('wasm');
    expect(outcome.dataset['crossOriginIsolated']).toBe('true');
    if (outcome.dataset['backend'] === 'wasm') {
      expect(Number(outcome.dataset['threads'])).toBeGreaterThan(1);
      expect(compareWithNode(`auto: wasm ${outcome.dataset['threads']} threads`, outcome).diff).toBe(0);
    }
    await page.screenshot({ path: join(REPORTS, 'demo-bundled.png'), fullPage: true });

    // Cancel a long run (many steps yield to the page between steps): the page is ready again.
    await page.fill('#steps', '50');
    await page.click('#run');
    await page.waitForSelector('body[data-state="running"]');
    await page.click('#cancel');
    await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
    expect(await page.textContent('#status')).toBe('Cancelled.');

    expect(problems).toEqual([]);
    await page.close();
  }, 600_000);

  it(`upscales on WebGPU (SwiftShader) within ${WEBGPU_MAX_LEVELS} level of Node, from a dropped file`, async (ctx) => {
    const page = await browser.context.newPage();
    const outside = watchNetwork(page);
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]');
    const adapter = await webgpuAdapter(page);
    if (!adapter.ok) {
      await page.close();
      ctx.skip(`WebGPU adapter cannot be created in this Chromium: ${adapter.reason}`);
      return;
    }
    const outcome = await run(page, { backend: 'webgpu', input: 'drop' });
    expect(outcome.dataset['backend']).toBe('webgpu');
    expect([outcome.width, outcome.height]).toEqual([SIDE * SCALE, SIDE * SCALE]);
    const { diff, otherSeedDiff } = compareWithNode(`webgpu (${adapter.description})`, outcome);
    expect(diff).toBeLessThanOrEqual(WEBGPU_MAX_LEVELS);
    expect(otherSeedDiff).toBeGreaterThan(WEBGPU_MAX_LEVELS);
    await page.screenshot({ path: join(REPORTS, 'demo-webgpu.png'), fullPage: true });
    expect(outside).toEqual([]);
    await page.close();
  }, 600_000);

  it('says clearly that no model is present when the site has none', async () => {
    const page = await browser.context.newPage();
    await page.goto(emptyServer.url);
    await page.waitForSelector('body[data-state="no-model"]');
    expect(await page.isVisible('#model-missing')).toBe(true);
    expect(await page.textContent('#model-missing h2')).toBe('No model is present');
    expect(await page.textContent('#model-missing-detail')).toMatch(/packages\/yonos\/model\/x4\//);
    expect(await page.isDisabled('#run')).toBe(true);
    await page.screenshot({ path: join(REPORTS, 'demo-no-model.png'), fullPage: true });
    await page.close();
  });
});
