/**
 * The demo page: wires the controls to a {@link DemoSession}. The page's state is mirrored in
 * `document.body.dataset` (`state`: starting | no-model | ready | running | done | error;
 * `backend`, `runMs`, `outputSize`, `tensors` after a run) so that tests and users can see it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getBackendInfo } from '@yonos/core';
import { PipelineAbortedError } from '@yonos/sampler';
import { BACKEND_CHOICES } from './backend.js';
import type { BackendChoice } from './backend.js';
import { CompareView } from './compare.js';
import { offerDownload, outputFileName } from './download.js';
import { NoModelError } from './errors.js';
import { firstImageFile, readImageFile } from './image-input.js';
import { probeModel } from './model.js';
import { describeProgress, overallProgress } from './progress.js';
import { DemoSession } from './session.js';

type PageState = 'starting' | 'no-model' | 'ready' | 'running' | 'done' | 'error';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`index.html has no #${id}`);
  return element as T;
}

const ui = {
  modelMissing: byId<HTMLElement>('model-missing'),
  modelMissingDetail: byId<HTMLElement>('model-missing-detail'),
  dropZone: byId<HTMLElement>('drop-zone'),
  file: byId<HTMLInputElement>('file'),
  inputInfo: byId<HTMLElement>('input-info'),
  scale: byId<HTMLSelectElement>('scale'),
  backend: byId<HTMLSelectElement>('backend'),
  seed: byId<HTMLInputElement>('seed'),
  steps: byId<HTMLInputElement>('steps'),
  run: byId<HTMLButtonElement>('run'),
  cancel: byId<HTMLButtonElement>('cancel'),
  progress: byId<HTMLProgressElement>('progress'),
  status: byId<HTMLElement>('status'),
  download: byId<HTMLAnchorElement>('download'),
  result: byId<HTMLElement>('result'),
};
const compare = new CompareView(byId('before'), byId('after'), byId('slider'));

// Relative to the page, so the built site works from any folder of a static host.
const MODEL_URL = new URL('model/', document.baseURI);
const WASM_URL = new URL('wasm/', document.baseURI);

let session: DemoSession | undefined;
let input: { readonly image: ImageData; readonly name: string } | undefined;
let running: AbortController | undefined;

function setState(state: PageState): void {
  document.body.dataset['state'] = state;
  ui.run.disabled = session === undefined || input === undefined || state === 'running';
  ui.cancel.disabled = state !== 'running';
}

function status(message: string): void {
  ui.status.textContent = message;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function selectedScale(): number {
  return Number(ui.scale.value);
}

function describeInput(): void {
  if (input === undefined) return;
  const s = selectedScale();
  const { width, height } = input.image;
  ui.inputInfo.textContent = `${input.name}: ${width}×${height} → ${Math.ceil(width * s)}×${Math.ceil(height * s)}`;
}

async function takeFile(file: File | undefined): Promise<void> {
  if (file === undefined) return;
  try {
    input = { image: await readImageFile(file), name: file.name || 'pasted.png' };
    describeInput();
    if (session !== undefined && running === undefined) {
      setState('ready');
      status('Ready: press Upscale.');
    }
  } catch (error) {
    status(message(error));
  }
}

async function upscale(): Promise<void> {
  if (session === undefined || input === undefined || running !== undefined) return;
  const controller = new AbortController();
  running = controller;
  const scale = selectedScale();
  const source = input;
  setState('running');
  ui.progress.value = 0;
  try {
    const result = await session.upscale({
      image: source.image,
      scale,
      seed: Math.trunc(Number(ui.seed.value) || 0),
      steps: Math.max(1, Math.trunc(Number(ui.steps.value) || 1)),
      backend: ui.backend.value as BackendChoice,
      signal: controller.signal,
      onStatus: status,
      onProgress: (event) => {
        ui.progress.value = overallProgress(event);
        status(describeProgress(event));
      },
    });
    compare.show(source.image, result.output);
    await offerDownload(compare.outputCanvas, ui.download, outputFileName(source.name, scale));
    ui.result.hidden = false;
    ui.progress.value = 1;
    Object.assign(document.body.dataset, {
      backend: result.backend,
      runMs: String(Math.round(result.runMs)),
      outputSize: `${result.output.width}x${result.output.height}`,
      // Live tensors after the run (the loaded model's weights): constant from run to run unless something leaks.
      tensors: String(tf.memory().numTensors),
      // Threads of the wasm backend ('' on other backends): more than 1 only on a cross-origin
      // isolated page (served with COOP/COEP headers, see the README).
      threads: String(getBackendInfo().wasm?.threads ?? ''),
      crossOriginIsolated: String(globalThis.crossOriginIsolated === true),
    });
    status(`Done: ${result.output.width}×${result.output.height} in ${(result.runMs / 1000).toFixed(2)} s on ${result.backend}.`);
    setState('done');
  } catch (error) {
    if (error instanceof PipelineAbortedError) {
      status('Cancelled.');
      ui.progress.value = 0;
      setState('ready');
    } else {
      console.error(error);
      status(`Error: ${message(error)}`);
      setState('error');
    }
  } finally {
    running = undefined;
    ui.cancel.disabled = true;
    ui.run.disabled = false;
  }
}

function wireInputs(): void {
  ui.file.addEventListener('change', () => void takeFile(firstImageFile(ui.file.files)));
  ui.dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.dropZone.classList.add('dragging');
  });
  ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('dragging'));
  ui.dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.dropZone.classList.remove('dragging');
    void takeFile(firstImageFile(event.dataTransfer?.files));
  });
  document.addEventListener('paste', (event) => void takeFile(firstImageFile(event.clipboardData?.files)));
  ui.scale.addEventListener('change', describeInput);
  ui.run.addEventListener('click', () => void upscale());
  ui.cancel.addEventListener('click', () => running?.abort(new Error('cancelled by the user')));
}

function chooseScale(modelScale: number): void {
  if (![...ui.scale.options].some((o) => Number(o.value) === modelScale)) {
    ui.scale.add(new Option(`×${modelScale}`, String(modelScale)));
  }
  ui.scale.value = String(modelScale);
  for (const option of ui.scale.options) {
    option.textContent = `×${option.value}${Number(option.value) === modelScale ? ' (trained)' : ''}`;
  }
}

async function start(): Promise<void> {
  for (const option of ui.backend.options) option.disabled = !(BACKEND_CHOICES as readonly string[]).includes(option.value);
  wireInputs();
  try {
    const model = await probeModel(MODEL_URL);
    session = new DemoSession(model, WASM_URL);
    chooseScale(model.index.scale_factor);
    describeInput();
    status(`Model found (trained for ×${model.index.scale_factor}). Pick or drop an image.`);
    setState('ready');
  } catch (error) {
    if (error instanceof NoModelError) {
      ui.modelMissing.hidden = false;
      ui.modelMissingDetail.textContent = error.message;
      status('No model is present, so nothing can be upscaled.');
      setState('no-model');
    } else {
      console.error(error);
      status(`Error: ${message(error)}`);
      setState('error');
    }
  }
}

void start();
