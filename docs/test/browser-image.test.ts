/**
 * `@yonos/core`'s browser image helpers in a real browser (headless Chromium; the unit tests in
 * core use a stand-in canvas): exact for opaque pixels on every path, and for semi-transparent
 * pixels exact through `ImageData` but moved by the canvas's premultiplied alpha through a
 * canvas or `ImageBitmap`, within the bound the helpers' TSDoc and the backends guide state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { encodeImage } from '@yonos/core/node';
import { CHROMIUM_PATH, hasChromium, launchChromium } from './helpers/chromium.js';
import type { Chromium } from './helpers/chromium.js';
import { serveStatic } from './helpers/static-server.js';
import type { StaticServer } from './helpers/static-server.js';
import type { ImageHelpers, Outcome, Pixels } from './browser-image-page/main.js';

const PAGE = fileURLToPath(new URL('./browser-image-page/', import.meta.url));
const [WIDTH, HEIGHT] = [16, 12];

if (!hasChromium()) throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: apt-get install chromium, or set YONOS_CHROMIUM.`);

/** RGBA test pixels: every color value 0-255 occurs, with the given alpha per pixel. */
function pixels(alphaOf: (p: number) => number): Pixels {
  const data: number[] = [];
  for (let p = 0; p < WIDTH * HEIGHT; p++) {
    data.push((p * 7) % 256, (p * 53 + 11) % 256, 255 - ((p * 29) % 256), alphaOf(p));
  }
  return { data, width: WIDTH, height: HEIGHT };
}

const OPAQUE = pixels(() => 255);
/** Every alpha from 0 to 255 but for a few, and some opaque pixels among them. */
const TRANSLUCENT = pixels((p) => (p % 5 === 0 ? 255 : (p * 3) % 256));

let work: string;
let server: StaticServer;
let browser: Chromium;
let page: Page;

/** Calls a helper of the page with JSON arguments. */
function call<K extends keyof ImageHelpers>(name: K, ...args: Parameters<ImageHelpers[K]>): Promise<Awaited<ReturnType<ImageHelpers[K]>>> {
  return page.evaluate(
    ([n, a]) => (globalThis as unknown as { imageHelpers: Record<string, (...x: unknown[]) => unknown> }).imageHelpers[n as string]!(...(a as unknown[])),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<ImageHelpers[K]>>>;
}

/** The bound on a color read back through a canvas, for a pixel of alpha `a` (0 < a < 255). */
function premultipliedBound(a: number): number {
  return Math.ceil(255 / (2 * a));
}

/** Per alpha, the largest color change; and how many bytes changed. */
function changes(out: Pixels, input: Pixels): { byAlpha: Map<number, number>; changedBytes: number } {
  const byAlpha = new Map<number, number>();
  let changedBytes = 0;
  for (let p = 0; p < input.width * input.height; p++) {
    const a = input.data[4 * p + 3]!;
    for (let c = 0; c < 4; c++) {
      const d = Math.abs(out.data[4 * p + c]! - input.data[4 * p + c]!);
      if (d > 0) changedBytes++;
      if (c < 3) byAlpha.set(a, Math.max(byAlpha.get(a) ?? 0, d));
    }
  }
  return { byAlpha, changedBytes };
}

function expectExact(out: Outcome, input: Pixels, label: string): void {
  expect([out.width, out.height], label).toEqual([input.width, input.height]);
  expect(out.data, label).toEqual(input.data);
  expect(out.leaked, `${label}: tensors left behind`).toBe(0);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'yonos-browser-image-'));
  const site = join(work, 'site');
  await build({
    configFile: false,
    root: PAGE,
    base: './',
    logLevel: 'warn',
    resolve: { conditions: ['source', 'module', 'browser', 'development|production'] },
    build: { outDir: site, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  });
  server = await serveStatic({ '/': site });
  browser = await launchChromium();
  page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(server.url);
  await page.waitForSelector('body[data-state="ready"]', { state: 'attached' });
  expect(errors).toEqual([]);
  expect(await call('start')).toBe('cpu');
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('browser image helpers in Chromium', () => {
  it('are exact for opaque pixels on every path (ImageData, canvas, OffscreenCanvas, ImageBitmap, <img>), without leaks', async () => {
    const read = await call('fromImageData', OPAQUE);
    expectExact(read, OPAQUE, 'fromImageData');
    expect(read.channels, 'opaque alpha is dropped').toBe(3);
    expectExact(await call('toImageData', OPAQUE), OPAQUE, 'toImageData');
    expectExact(await call('toCanvas', OPAQUE), OPAQUE, 'toCanvas');
    expectExact(await call('canvasRoundTrip', OPAQUE), OPAQUE, 'toCanvas -> fromCanvas');
    expectExact(await call('bitmapRoundTrip', OPAQUE), OPAQUE, 'toImageBitmap -> fromImageBitmap');
    const png = await encodeImage({ data: Uint8Array.from(OPAQUE.data), width: WIDTH, height: HEIGHT, channels: 4, bitDepth: 8 }, { format: 'png' });
    expectExact(await call('fromImageElement', Array.from(png)), OPAQUE, 'fromImageElement (PNG)');
    for (const [source, out] of Object.entries(await call('fromBrowserImage', OPAQUE))) expectExact(out, OPAQUE, `fromBrowserImage(${source})`);
  });

  it('keep semi-transparent pixels exact through ImageData', async () => {
    const read = await call('fromImageData', TRANSLUCENT);
    expectExact(read, TRANSLUCENT, 'fromImageData');
    expect(read.channels).toBe(4);
    expectExact(await call('toImageData', TRANSLUCENT), TRANSLUCENT, 'toImageData');
    expectExact((await call('fromBrowserImage', TRANSLUCENT))['imageData']!, TRANSLUCENT, 'fromBrowserImage(ImageData)');
  });

  it('through a canvas or ImageBitmap keep alpha and opaque pixels, and move colors by premultiplied alpha: within ceil(255 / 2a), black where a = 0', async () => {
    const bare = await call('bareCanvas', TRANSLUCENT);
    const paths: Record<string, Outcome | Pixels> = {
      'the bare canvas (no helper)': bare,
      toCanvas: await call('toCanvas', TRANSLUCENT),
      'toCanvas -> fromCanvas': await call('canvasRoundTrip', TRANSLUCENT),
      'toImageBitmap -> fromImageBitmap': await call('bitmapRoundTrip', TRANSLUCENT),
      ...Object.fromEntries(
        Object.entries(await call('fromBrowserImage', TRANSLUCENT))
          .filter(([source]) => source !== 'imageData')
          .map(([source, out]) => [`fromBrowserImage(${source})`, out]),
      ),
    };
    for (const [label, out] of Object.entries(paths)) {
      const { byAlpha, changedBytes } = changes(out, TRANSLUCENT);
      const worst = [...byAlpha].filter(([a]) => a > 0 && a < 255).reduce((m, [a, d]) => Math.max(m, d / premultipliedBound(a)), 0);
      console.info(`${label}: ${changedBytes} of ${TRANSLUCENT.data.length} bytes changed; worst color change ${worst.toFixed(2)} of the bound`);
      // The helpers add nothing to what the canvas itself does.
      expect(out.data, label).toEqual(bare.data);
      if ('leaked' in out) expect(out.leaked, `${label}: tensors left behind`).toBe(0);
      for (let p = 0; p < WIDTH * HEIGHT; p++) {
        const a = TRANSLUCENT.data[4 * p + 3]!;
        const got = out.data.slice(4 * p, 4 * p + 4);
        const want = TRANSLUCENT.data.slice(4 * p, 4 * p + 4);
        expect(got[3], `${label}: alpha of pixel ${p}`).toBe(a);
        if (a === 255) expect(got, `${label}: opaque pixel ${p}`).toEqual(want);
        else if (a === 0) expect(got, `${label}: transparent pixel ${p}`).toEqual([0, 0, 0, 0]);
        else for (let c = 0; c < 3; c++) expect(Math.abs(got[c]! - want[c]!), `${label}: pixel ${p} channel ${c}, alpha ${a}`).toBeLessThanOrEqual(premultipliedBound(a));
      }
      expect(changedBytes, `${label}: premultiplication shows`).toBeGreaterThan(0);
    }
  });
});
