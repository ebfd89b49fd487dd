import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, PretrainedError } from '@yonos/core';
import { PipelineAbortedError, PipelineInputError } from '@yonos/sampler';
import { AUTO_ORDER, backendCandidates, isBackendFailure } from '../demo/src/backend.js';
import { outputFileName } from '../demo/src/download.js';
import { describeProgress, overallProgress, STAGE_SPANS } from '../demo/src/progress.js';
import { WASM_FILES, hasModel, wasmDistDir } from '../demo/build/assets-plugin.js';
import { DIFFUSERS_FIXTURES } from './helpers/tiny-pipeline.js';

describe('demo progress bar', () => {
  it('fills each stage span in order and ends at 1', () => {
    const events = [
      { stage: 'encode', completed: 1, total: 2 },
      { stage: 'encode', completed: 2, total: 2 },
      { stage: 'denoise', completed: 1, total: 4 },
      { stage: 'denoise', completed: 4, total: 4 },
      { stage: 'decode', completed: 1, total: 1 },
    ];
    const values = events.map(overallProgress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values[1]).toBeCloseTo(STAGE_SPANS['encode']![1]);
    expect(values[2]).toBeCloseTo(STAGE_SPANS['denoise']![0] + (STAGE_SPANS['denoise']![1] - STAGE_SPANS['denoise']![0]) / 4);
    expect(values.at(-1)).toBe(1);
    expect(overallProgress({ stage: 'unknown', completed: 1, total: 1 })).toBe(0);
  });

  it('spans cover [0, 1] without gaps', () => {
    const spans = Object.values(STAGE_SPANS).sort((a, b) => a[0] - b[0]);
    expect(spans[0]![0]).toBe(0);
    expect(spans.at(-1)![1]).toBe(1);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1]);
  });

  it('describes steps and tiles', () => {
    expect(describeProgress({ stage: 'denoise', completed: 3, total: 4, detail: { step: 1, steps: 1, tile: 3, tiles: 4, timestep: 999 } })).toBe(
      'Denoising: step 1/1, tile 3/4',
    );
    expect(describeProgress({ stage: 'decode', completed: 1, total: 2 })).toBe('Decoding: tile 1/2');
  });
});

describe('demo backend choice', () => {
  it('tries WebGPU, then WebGL, then wasm for auto, and only the chosen one otherwise', () => {
    expect(AUTO_ORDER).toEqual(['webgpu', 'webgl', 'wasm']);
    expect(backendCandidates('auto')).toEqual(AUTO_ORDER);
    expect(backendCandidates('wasm')).toEqual(['wasm']);
  });

  it('falls back only on backend failures, not on input, model or abort errors', () => {
    expect(isBackendFailure(new BackendUnavailableError('webgpu', 'no adapter'))).toBe(true);
    expect(isBackendFailure(new Error('shader compile failed'))).toBe(true);
    expect(isBackendFailure(new PipelineInputError('bad image'))).toBe(false);
    expect(isBackendFailure(new PretrainedError('missing file'))).toBe(false);
    expect(isBackendFailure(new PipelineAbortedError())).toBe(false);
  });
});

describe('demo download name', () => {
  it('names the PNG after the input and the scale', () => {
    expect(outputFileName('photo.jpg', 4)).toBe('photo-x4.png');
    expect(outputFileName('archive.tar.png', 2)).toBe('archive.tar-x2.png');
    expect(outputFileName('.hidden', 8)).toBe('.hidden-x8.png');
    expect(outputFileName('', 4)).toBe('image-x4.png');
  });
});

describe('demo build assets', () => {
  it('finds the wasm binaries the page serves', () => {
    for (const name of WASM_FILES) expect(existsSync(join(wasmDistDir(), name))).toBe(true);
  });

  it('recognizes a pipeline folder by its model_index.json', () => {
    expect(hasModel(fileURLToPath(new URL('../../packages/yonos/model/x4', import.meta.url)))).toBe(true);
    expect(hasModel(join(DIFFUSERS_FIXTURES, 'sd-x4-upscaler-tiny'))).toBe(true);
    expect(hasModel(join(DIFFUSERS_FIXTURES, 'vae-tiny'))).toBe(false);
    expect(hasModel(join(DIFFUSERS_FIXTURES, 'no-such-folder'))).toBe(false);
  });
});
