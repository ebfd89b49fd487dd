// A GPU backend asked for by name that runs on a software rasterizer gets a warning on stderr.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendUnavailableError, getBackendInfo, useBackend } from '@yonos/core';
import { writeImage } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testImage, yonos } from './helpers.js';

let root: string;
let software: string | undefined;
let webgpu = true;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'yonos-software-gpu-'));
  await mkdir(join(root, 'in'));
  await writeImage(join(root, 'in', 'a.png'), testImage(16, 16, 1));
  try {
    software = (await useBackend('webgpu')).softwareAdapter;
  } catch (err) {
    if (!(err instanceof BackendUnavailableError)) throw err;
    webgpu = false;
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('--backend on a software rasterizer', () => {
  it('warns that webgpu computes on the CPU (SwiftShader here), and says nothing for wasm', async (ctx) => {
    if (!webgpu) return ctx.skip('no WebGPU adapter here');
    const run = await yonos('--backend', 'webgpu', 'degrade', join(root, 'in'), '--out', join(root, 'out-gpu'), '--scale', '2');
    expect(run.code, run.stderr).toBe(0);
    expect(getBackendInfo().name).toBe('webgpu');
    if (software === undefined) {
      expect(run.stderr).not.toMatch(/software rasterizer/);
    } else {
      expect(run.stderr).toContain(`warning: webgpu runs on a software rasterizer (${software}), not a GPU: it computes on the CPU, 60-300x slower than --backend wasm here.`);
    }
    const wasm = await yonos('--backend', 'wasm', 'degrade', join(root, 'in'), '--out', join(root, 'out-wasm'), '--scale', '2');
    expect(wasm.code, wasm.stderr).toBe(0);
    expect(wasm.stderr).not.toMatch(/software rasterizer/);
  });
});
