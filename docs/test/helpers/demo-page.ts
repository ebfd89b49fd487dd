import type { Page } from 'playwright-core';

/** How a test feeds the page its image. */
export type InputMethod = 'picker' | 'drop';

/** Settings of one run of the demo page. */
export interface DemoRun {
  readonly backend: 'wasm' | 'webgpu' | 'webgl' | 'auto' | 'cpu';
  readonly png: Uint8Array;
  readonly fileName: string;
  readonly scale: number;
  readonly seed: number;
  readonly steps: number;
  readonly input: InputMethod;
  /** Milliseconds to wait for the run to finish. */
  readonly timeout: number;
}

/** What the page shows after a run. */
export interface DemoOutcome {
  /** The `#after` canvas: 8-bit RGBA. */
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
  /** `document.body.dataset` after the run (`state`, `backend`, `runMs`, `outputSize`, `tensors`). */
  readonly dataset: Readonly<Record<string, string>>;
  readonly status: string;
  readonly progress: number;
  /** The bytes behind the download link and its file name. */
  readonly download: { readonly name: string; readonly bytes: Uint8Array };
}

/** Hands the page a PNG through the file picker, or by dispatching a drop on the drop zone. */
async function giveImage(page: Page, run: DemoRun): Promise<void> {
  if (run.input === 'picker') {
    await page.setInputFiles('#file', { name: run.fileName, mimeType: 'image/png', buffer: Buffer.from(run.png) });
    return;
  }
  await page.evaluate(
    ({ bytes, name }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
      const zone = document.getElementById('drop-zone')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { bytes: Array.from(run.png), name: run.fileName },
  );
}

/**
 * Sets the controls, gives the page the image, presses Upscale and waits for the result.
 * The page must be in state `ready` or `done`.
 * @throws Error with the page's status line when the run ends in state `error`.
 */
export async function runDemo(page: Page, run: DemoRun): Promise<DemoOutcome> {
  await page.selectOption('#backend', run.backend);
  await page.fill('#seed', String(run.seed));
  await page.fill('#steps', String(run.steps));
  await giveImage(page, run);
  await page.waitForFunction((name) => document.getElementById('input-info')?.textContent?.startsWith(name) === true, run.fileName);
  await page.selectOption('#scale', String(run.scale));
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset['state'] === 'running' || document.body.dataset['state'] === 'done' || document.body.dataset['state'] === 'error');
  await page.waitForFunction(() => document.body.dataset['state'] === 'done' || document.body.dataset['state'] === 'error', undefined, {
    timeout: run.timeout,
  });
  const view = await page.evaluate(async () => {
    const canvas = document.getElementById('after') as HTMLCanvasElement;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const link = document.getElementById('download') as HTMLAnchorElement;
    const bytes = link.href.startsWith('blob:') ? Array.from(new Uint8Array(await (await fetch(link.href)).arrayBuffer())) : [];
    return {
      width: canvas.width,
      height: canvas.height,
      rgba: Array.from(pixels.data),
      dataset: { ...document.body.dataset } as Record<string, string>,
      status: document.getElementById('status')?.textContent ?? '',
      progress: (document.getElementById('progress') as HTMLProgressElement).value,
      download: { name: link.download, bytes },
    };
  });
  if (view.dataset['state'] !== 'done') throw new Error(`the demo run on ${run.backend} failed: ${view.status}`);
  return {
    ...view,
    rgba: Uint8Array.from(view.rgba),
    download: { name: view.download.name, bytes: Uint8Array.from(view.download.bytes) },
  };
}

/** Asks the page for a WebGPU adapter; the reason when there is none. */
export async function webgpuAdapter(page: Page): Promise<{ readonly ok: true; readonly description: string } | { readonly ok: false; readonly reason: string }> {
  return page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string } } | null> } }).gpu;
    if (gpu === undefined) return { ok: false as const, reason: 'navigator.gpu is undefined (no WebGPU in this Chromium)' };
    const adapter = await gpu.requestAdapter().catch(() => null);
    if (adapter === null) return { ok: false as const, reason: 'navigator.gpu.requestAdapter() returned no adapter' };
    return { ok: true as const, description: `${adapter.info?.vendor ?? '?'} ${adapter.info?.architecture ?? '?'}` };
  });
}
