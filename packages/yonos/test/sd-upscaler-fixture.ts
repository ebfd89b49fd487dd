// The tiny Stable Diffusion x4 upscaler fixture for the `yonos upscale` / `yonos train decoder`
// tests on upscaler folders: prompt-embeddings files made from its recorded tensors, the
// library pipeline run as YONOS samples, and a local HTTP server laid out as Hugging Face serves.
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openWritableModelStore } from '@yonos/core';
import type { RawImage } from '@yonos/core';
import { encodeImage, readImage } from '@yonos/core/node';
import {
  DDIMScheduler,
  StableDiffusionUpscalePipeline,
  X4_UPSCALER_SCHEDULER_CONFIG,
  disposePromptEmbeddings,
  readPromptEmbeddings,
  writePromptEmbeddings,
} from '@yonos/sampler';
import type { StableDiffusionUpscaleRunOptions } from '@yonos/sampler';
import '../src/model-classes.js';
import { DIFFUSERS_FIXTURES } from './tiny-pipeline.js';

/** The tiny upscaler folder (fixtures/README.md): 16/16/32/32 U-Net with class labels, 3-level VAE, no prompt embeddings. */
export const UPSCALER_FIXTURE = join(DIFFUSERS_FIXTURES, 'sd-x4-upscaler-tiny');

/**
 * Writes `<dir>/embeds.safetensors` (the fixture's recorded `prompt_embeds` and
 * `negative_prompt_embeds`, `[1, 7, 32]`) and `<dir>/prompt-only.safetensors` (`prompt_embeds` alone).
 */
export async function writeEmbeddingFiles(dir: string): Promise<{ both: string; promptOnly: string }> {
  const recorded = await readPromptEmbeddings(join(UPSCALER_FIXTURE, 'io.safetensors'));
  try {
    const store = await openWritableModelStore(dir);
    await writePromptEmbeddings(store, 'embeds.safetensors', recorded);
    await writePromptEmbeddings(store, 'prompt-only.safetensors', { promptEmbeds: recorded.promptEmbeds });
  } finally {
    disposePromptEmbeddings(recorded);
  }
  return { both: join(dir, 'embeds.safetensors'), promptOnly: join(dir, 'prompt-only.safetensors') };
}

/**
 * The scheduler YONOS samples an upscaler with, built here from the checkpoint's published
 * config (not from the CLI's code): DDIM, trailing spacing, last step onto z_0.
 */
export function yonosStepScheduler(): DDIMScheduler {
  return new DDIMScheduler({ ...X4_UPSCALER_SCHEDULER_CONFIG, timestep_spacing: 'trailing', set_alpha_to_one: true });
}

/**
 * What the library makes of an image file: `StableDiffusionUpscalePipeline.fromPretrained`
 * (with `yonosStepScheduler()` unless `ownScheduler`), `upscale`, PNG bytes.
 */
export async function libraryPng(
  model: string,
  image: string,
  run: StableDiffusionUpscaleRunOptions,
  options: { readonly promptEmbeddings?: string; readonly ownScheduler?: boolean } = {},
): Promise<Buffer> {
  const pipe = await StableDiffusionUpscalePipeline.fromPretrained(model, {
    ...(options.promptEmbeddings !== undefined ? { promptEmbeddings: options.promptEmbeddings } : {}),
    ...(options.ownScheduler === true ? {} : { components: { scheduler: yonosStepScheduler() } }),
  });
  try {
    const out: RawImage = await pipe.upscale(await readImage(image), run);
    return await encodeImage(out, { format: 'png', quality: 95, dropAlpha: false });
  } finally {
    pipe.dispose();
  }
}

/** A local HTTP server that serves folders under URL prefixes, recording the paths asked for. */
export interface FolderServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Request paths, in order. */
  readonly requested: string[];
  close(): Promise<void>;
}

/**
 * Serves each folder of `folders` under its prefix (e.g. `/stabilityai/sd-x4-upscaler-tiny/resolve/main/`,
 * the layout of Hugging Face's file URLs), GET and HEAD; anything else is a 404.
 */
export async function serveFolders(folders: Readonly<Record<string, string>>): Promise<FolderServer> {
  const requested: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    requested.push(path);
    const prefix = Object.keys(folders).find((p) => path.startsWith(p));
    const file = prefix !== undefined ? join(folders[prefix]!, path.slice(prefix.length)) : undefined;
    if (file === undefined || path.includes('..') || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requested,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
