// Choosing, listing and describing backends; typed errors; the kernel registry bookkeeping.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { YonosError } from '../src/errors.js';
import {
  BACKEND_NAMES,
  BackendUnavailableError,
  UnknownBackendError,
  availableBackends,
  getBackendInfo,
  listBackends,
  measureConvThroughput,
  nativeKernel,
  polyfilledKernels,
  registerGradients,
  registerTrainingKernels,
  softwareAdapterName,
  unregisterTrainingKernels,
  useBackend,
} from '../src/backend/index.js';
import type { BackendName } from '../src/backend/index.js';

const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'ResizeNearestNeighborGrad',
  // Replacements of wasm kernels measured far slower (see training-kernels.ts).
  'BatchMatMul',
  'Sum',
  'Slice',
  'SplitV',
  'Concat',
  'Reverse',
  'StridedSlice',
  'Identity',
];

describe('useBackend', () => {
  test('with no name picks wasm in Node, ready to train', async () => {
    const info = await useBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.platform).toBe('node');
    expect(typeof info.wasm?.simd).toBe('boolean');
    expect(info.wasm?.threads).toBeGreaterThanOrEqual(1);
    expect([...info.polyfilledKernels].sort()).toEqual([...WASM_TRAINING_KERNELS].sort());
    expect(getBackendInfo()).toEqual(info);
    expect(tf.getGradient('Conv2D')).toBeDefined();
  });

  test('an unknown name is a typed error and changes nothing', async () => {
    await useBackend('cpu');
    await expect(useBackend('metal' as BackendName)).rejects.toThrow(UnknownBackendError);
    await expect(useBackend('metal' as BackendName)).rejects.toThrow(/Use one of: cpu, wasm, webgpu, webgl, tensorflow/);
    expect(tf.getBackend()).toBe('cpu');
  });

  test("'tensorflow' without @tensorflow/tfjs-node says how to install it", async () => {
    await useBackend('cpu');
    const err: unknown = await useBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err).toBeInstanceOf(YonosError);
    const e = err as BackendUnavailableError;
    expect(e.backend).toBe('tensorflow');
    expect(e.name).toBe('BackendUnavailableError');
    expect(e.message).toContain('npm install @tensorflow/tfjs-node');
    expect(tf.getBackend()).toBe('cpu');
  });

  test("'webgl' in Node is unavailable, with the alternatives named", async () => {
    const err: unknown = await useBackend('webgl').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).reason).toMatch(/browser.*'wasm' or 'webgpu'/);
  });

  test('cpu gets the fast filter gradient and a correct nearest-resize gradient', async () => {
    const info = await useBackend('cpu');
    expect([...info.polyfilledKernels].sort()).toEqual(['Conv2DBackpropFilter', 'ResizeNearestNeighborGrad']);
  });

  test('webgpu reports its adapter', async (ctx) => {
    let info;
    try {
      info = await useBackend('webgpu');
    } catch (err) {
      if (err instanceof BackendUnavailableError) return ctx.skip(`no WebGPU adapter here: ${err.reason}`);
      throw err;
    }
    expect(info.name).toBe('webgpu');
    expect(info.adapter?.description.length ?? 0).toBeGreaterThan(0);
    expect(info.polyfilledKernels).toEqual(expect.arrayContaining(['Sin', 'Cos', 'ResizeNearestNeighborGrad']));
    console.log('webgpu adapter:', JSON.stringify(info.adapter));
    // Dawn on SwiftShader (machines without a GPU driver) is reported as a software rasterizer.
    expect(info.softwareAdapter).toBe(softwareAdapterName(info.adapter));
    if (info.adapter?.architecture === 'swiftshader') {
      expect(info.softwareAdapter).toBe('SwiftShader');
      expect((await listBackends()).find((s) => s.name === 'webgpu')?.softwareAdapter).toBe('SwiftShader');
    }
  });

  test('Dawn starts without "XDG_RUNTIME_DIR is invalid" on stderr when the variable is unset', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = "import { useBackend } from './src/index.ts'; const i = await useBackend('webgpu').catch((e) => ({ name: 'none: ' + e.message })); console.log('BACKEND', i.name);";
    const env = { ...process.env };
    delete env['XDG_RUNTIME_DIR'];
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', '--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url).pathname,
      env,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/BACKEND /);
    expect(run.stderr).not.toMatch(/XDG_RUNTIME_DIR/);
  });
});

describe('softwareAdapterName', () => {
  test('names SwiftShader, llvmpipe and lavapipe; a real GPU is undefined', () => {
    expect(softwareAdapterName({ vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader driver 5.0.0' })).toBe('SwiftShader');
    expect(softwareAdapterName({ vendor: 'Mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe('llvmpipe');
    expect(softwareAdapterName({ vendor: 'mesa', architecture: '', device: '', description: 'Vulkan 1.3 lavapipe' })).toBe('lavapipe');
    expect(softwareAdapterName({ vendor: 'Google Inc. (Google)', architecture: '', device: '', description: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)' })).toBe('SwiftShader');
    expect(softwareAdapterName({ vendor: 'nvidia', architecture: 'hopper', device: '0x2330', description: 'NVIDIA H100 80GB HBM3' })).toBeUndefined();
    expect(softwareAdapterName(undefined)).toBeUndefined();
  });
});

describe('listBackends / availableBackends', () => {
  test('report every backend, why the unavailable ones are, and leave the active one alone', async () => {
    await useBackend('cpu');
    const list = await listBackends();
    expect(list.map((s) => s.name)).toEqual([...BACKEND_NAMES]);
    const byName = Object.fromEntries(list.map((s) => [s.name, s]));
    expect(byName['cpu']?.available).toBe(true);
    expect(byName['wasm']?.available).toBe(true);
    expect(byName['webgl']?.available).toBe(false);
    expect(byName['tensorflow']?.available).toBe(false);
    expect(byName['tensorflow']?.reason).toContain('npm install @tensorflow/tfjs-node');
    for (const s of list) expect(s.available || (s.reason ?? '').length > 0).toBe(true);
    expect(tf.getBackend()).toBe('cpu');
    console.log(list.map((s) => `${s.name}: ${s.available ? 'yes' : `no (${s.reason})`}`).join('\n'));

    const names = await availableBackends();
    expect(names).toEqual(list.filter((s) => s.available).map((s) => s.name));
  });
});

describe('training kernels in the registry', () => {
  test('registration is idempotent and reversible; the displaced wasm kernel still runs', async () => {
    await useBackend('wasm');
    const polyfilled = tf.getKernel('Conv2DBackpropInput', 'wasm');
    expect(registerTrainingKernels('wasm')).toEqual(polyfilledKernels('wasm'));
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(polyfilled);

    const dy = tf.randomNormal([2, 4, 4, 6], 0, 1, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 5, 6], 0, 1, 'float32', 4) as tf.Tensor4D;
    const ours = await tf.conv2dTranspose(dy, w, [2, 8, 8, 5], 2, 'same').data();

    const own = nativeKernel('Conv2DBackpropInput', 'wasm');
    expect(own).toBeDefined();
    unregisterTrainingKernels('wasm');
    expect(polyfilledKernels('wasm')).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(own?.kernelFunc);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const theirs = await tf.conv2dTranspose(dy, w, [2, 8, 8, 5], 2, 'same').data();
    let diff = 0;
    let scale = 0;
    theirs.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - (ours[i] ?? NaN)));
      scale = Math.max(scale, Math.abs(v));
    });
    expect(diff / scale).toBeLessThan(1e-5);

    registerTrainingKernels('wasm');
    expect([...polyfilledKernels('wasm')].sort()).toEqual([...WASM_TRAINING_KERNELS].sort());
    tf.dispose([dy, w]);
  });

  test('registerGradients is idempotent', async () => {
    await registerGradients();
    const g = tf.getGradient('Conv2D');
    await registerGradients();
    expect(tf.getGradient('Conv2D')).toBe(g);
  });
});

describe('measureConvThroughput', () => {
  test('times a forward conv on the given backend, restores the active one, leaks nothing', async () => {
    await useBackend('cpu');
    const before = tf.memory().numTensors;
    const r = await measureConvThroughput('wasm', { batch: 2, size: 16, inChannels: 16, outChannels: 16 }, 50);
    expect(r.backend).toBe('wasm');
    expect(r.gflops).toBeGreaterThan(0);
    expect(r.iterations).toBeGreaterThanOrEqual(3);
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
    console.log(`wasm conv2d 2x16x16x16 -> 16: ${r.gflops.toFixed(2)} GFLOP/s`);
  });
});
