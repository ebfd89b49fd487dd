#!/usr/bin/env node
// Runs the UpscalerJS ESRGAN models (esrgan-slim, -medium, -thick: tfjs layers models shipped
// in their npm packages) on the YONOS eval set's LR images, on tfjs's wasm backend, writes the
// SR images as PNG and prints the wall time per image. Metrics are a separate step
// (scripts/data/score-sr.ts) so this process never loads the product's tfjs 4.22 next to the
// models' tfjs 4.11. See scripts/data/README.md.
//
// wasm runs on --threads N threads (default: YONOS_THREADS, else every core, as YONOS does),
// on tfjs 4.11's threaded SIMD build for N > 1. tfjs keeps that build off in Node; YONOS turns
// it on with @yonos/core/wasm-threads, a module that loads no tfjs of its own, so this script
// uses the same code with its tfjs 4.11 (from the repository root's install: `npm ci && npm run
// build` there). --threads 1 runs the single-threaded SIMD build and needs nothing from the root.
//
//   cd bench-baselines && npm ci && node run-esrgan.mjs [--models esrgan-slim,...] [--scales 4,8] [--threads N]
import { createRequire } from 'node:module';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findModel, loadModel, MODEL_PACKAGES } from './lib/models.mjs';
import { readRgb, writeRgb } from './lib/png.mjs';

const require = createRequire(import.meta.url);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    eval: { type: 'string', default: join(REPO, 'data/eval') },
    out: { type: 'string' },
    models: { type: 'string', default: Object.keys(MODEL_PACKAGES).join(',') },
    scales: { type: 'string', default: '4,8' },
    backend: { type: 'string', default: 'wasm' },
    images: { type: 'string' },
    range: { type: 'string', default: 'definition' },
    repeat: { type: 'string', default: '3' },
    threads: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`Usage: node run-esrgan.mjs [--eval DIR] [--out DIR] [--models ${Object.keys(MODEL_PACKAGES).join(',')}] [--scales 4,8] [--backend wasm|cpu] [--images a,b] [--range definition|unit] [--threads N]
Reads DIR/lr_x<S>/*.png, writes OUT/<model>_x<S>/*.png and timings.json (OUT defaults to DIR/sr).
--repeat N times each image N times and keeps the median (default 3; the machine may be shared).
--images a,b runs only those images (a quick check): other outputs in the folder are kept, and
timings.json then describes only these images.
--range definition (default) feeds each model the value range its UpscalerJS definition declares
(RDN slim/medium: [0, 255], RRDN thick: [0, 1]), as UpscalerJS does; --range unit feeds [0, 1] to the
models whose definition says otherwise and writes OUT/<model>-unit_x<S>/ (see scripts/data/README.md).
--threads N: wasm threads, 1 to 256 (default: YONOS_THREADS, else every core: ${availableParallelism()} here); N > 1 runs
tfjs's threaded SIMD build through @yonos/core/wasm-threads (build the repository root first).
timings.json records the count in use (env.wasmThreads).`);
  process.exit(0);
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/** LR pixels (0..255) -> the model's input range, e.g. [0, 1] for RRDN and [0, 255] for RDN. */
function toModelRange(tf, rgb, [lo, hi]) {
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(rgb.data), [1, rgb.height, rgb.width, 3], 'float32');
    return lo === 0 && hi === 255 ? x : tf.add(tf.mul(x, (hi - lo) / 255), lo);
  });
}

/** Model output in its range -> rounded, saturated 8-bit RGB (as UpscalerJS clips to 0..255). */
function toU8(values, [lo, hi]) {
  const out = new Uint8Array(values.length);
  const k = 255 / (hi - lo);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, Math.round((values[i] - lo) * k)));
  return out;
}

async function upscale(tf, model, found, rgb) {
  const x = toModelRange(tf, rgb, found.definition.inputRange);
  const y = model.predict(x);
  try {
    const [, h, w, c] = y.shape;
    if (c !== 3 || h !== rgb.height * found.scale || w !== rgb.width * found.scale) {
      throw new Error(`${found.pkg} x${found.scale} returned shape [${y.shape}] for a ${rgb.width}x${rgb.height} input.`);
    }
    return { data: toU8(await y.data(), found.definition.outputRange), width: w, height: h };
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** A thread count as YONOS checks it: a whole number from 1 to 256. */
function parseThreads(text, source) {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`${source} must be a whole number of threads from 1 to 256, got '${text}'.`);
  return n;
}

function requestedThreads() {
  if (args.threads !== undefined) return parseThreads(args.threads, '--threads');
  const fromEnv = process.env.YONOS_THREADS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseThreads(fromEnv, 'YONOS_THREADS');
  return availableParallelism();
}

async function loadWasmThreads() {
  try {
    return await import('@yonos/core/wasm-threads');
  } catch (error) {
    throw new Error(
      `--threads > 1 runs tfjs's threaded wasm build through @yonos/core/wasm-threads, which did not load (${error.message}): ` +
        'run `npm ci && npm run build` at the repository root, or pass --threads 1.',
      { cause: error },
    );
  }
}

/** Starts tfjs 4.11's wasm backend on `threads` threads (the threaded SIMD build when > 1). */
async function startWasm(tf, threads) {
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  if (threads === 1) return { wasm, ok: await tf.setBackend('wasm') };
  const { installNodeWasmThreads, withNodeLogicalCores } = await loadWasmThreads();
  installNodeWasmThreads({ require, env: tf.env() });
  wasm.setThreadsCount(threads);
  const ok = await withNodeLogicalCores(threads, () => tf.setBackend('wasm'));
  return { wasm, ok };
}

async function main() {
  const tf = require('@tensorflow/tfjs');
  const threads = args.backend === 'wasm' ? requestedThreads() : undefined;
  const started = args.backend === 'wasm' ? await startWasm(tf, threads) : { ok: await tf.setBackend(args.backend) };
  if (!started.ok) throw new Error(`tfjs backend '${args.backend}' did not initialize.`);
  await tf.ready();
  const wasm = started.wasm;
  // A pool of another size would time the baseline on other terms than YONOS.
  if (wasm && wasm.getThreadsCount() !== threads) throw new Error(`asked for ${threads} wasm threads but the backend runs ${wasm.getThreadsCount()}.`);
  const env = {
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    ...(wasm ? { wasmThreads: wasm.getThreadsCount(), wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') } : {}),
    node: process.version,
  };
  console.log(`tfjs ${env.tfjs} on ${env.backend}${wasm ? ` (threads ${env.wasmThreads}, simd ${env.wasmSimd})` : ''}`);

  const evalDir = resolve(args.eval);
  const outRoot = resolve(args.out ?? join(evalDir, 'sr'));
  const only = args.images?.split(',').map((s) => s.trim());
  const scales = args.scales.split(',').map(Number);
  const repeat = Number(args.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got '${args.repeat}'.`);
  if (args.range !== 'definition' && args.range !== 'unit') throw new Error(`--range must be 'definition' or 'unit', got '${args.range}'.`);
  const summary = [];
  for (const scale of scales) {
    const lrDir = join(evalDir, `lr_x${scale}`);
    const names = (await readdir(lrDir)).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).filter((n) => !only || only.includes(n)).sort();
    if (names.length === 0) throw new Error(`No LR images in ${lrDir}: run scripts/data/make-eval-set.ts first.`);
    for (const short of args.models.split(',').map((s) => s.trim())) {
      const found = findModel(short, scale);
      if (found === undefined) {
        console.log(`${short}: no x${scale} model in its package, skipped`);
        continue;
      }
      let method = short;
      if (args.range === 'unit') {
        const isUnit = (r) => r[0] === 0 && r[1] === 1;
        if (isUnit(found.definition.inputRange) && isUnit(found.definition.outputRange)) {
          console.log(`${short} x${scale}: its definition already uses [0, 1], skipped with --range unit`);
          continue;
        }
        found.definition = { ...found.definition, inputRange: [0, 1], outputRange: [0, 1] };
        method = `${short}-unit`;
      }
      const model = await loadModel(tf, found);
      const outDir = join(outRoot, `${method}_x${scale}`);
      await mkdir(outDir, { recursive: true });
      // A full run replaces the folder's outputs; an --images run only overwrites its own images.
      if (!only) for (const f of await readdir(outDir)) if (f.endsWith('.png') || f === 'timings.json') await rm(join(outDir, f));

      // The first call compiles kernels and uploads weights; time it separately.
      const first = await readRgb(join(lrDir, `${names[0]}.png`));
      let t0 = performance.now();
      await upscale(tf, model, found, first);
      const warmupMs = performance.now() - t0;
      const perImageMs = {};
      const tensorsBefore = tf.memory().numTensors;
      for (const name of names) {
        const lr = await readRgb(join(lrDir, `${name}.png`));
        const runs = [];
        let sr;
        for (let r = 0; r < repeat; r++) {
          t0 = performance.now();
          sr = await upscale(tf, model, found, lr);
          runs.push(performance.now() - t0);
        }
        perImageMs[name] = median(runs);
        await writeRgb(join(outDir, `${name}.png`), sr);
        console.log(`${method} x${scale} ${name}: ${lr.width}x${lr.height} -> ${sr.width}x${sr.height} in ${perImageMs[name].toFixed(1)} ms (median of ${repeat})`);
      }
      const leaked = tf.memory().numTensors - tensorsBefore;
      if (leaked !== 0) throw new Error(`${leaked} tensors leaked while upscaling with ${method} x${scale}.`);
      const times = Object.values(perImageMs);
      const meanMs = times.reduce((a, b) => a + b, 0) / times.length;
      const record = { model: short, method, rangeMode: args.range, package: found.pkg, version: found.version, scale, modelJson: found.modelJson.slice(found.modelJson.indexOf('node_modules')), inputRange: found.definition.inputRange, outputRange: found.definition.outputRange, meta: found.definition.meta, env, repeat, timing: 'median of repeat runs per image: tensor upload + predict + download, after one warm-up call', warmupMs, meanMs, perImageMs };
      await writeFile(join(outDir, 'timings.json'), JSON.stringify(record, null, 1) + '\n');
      model.dispose();
      summary.push(`${method} x${scale}: ${names.length} images, mean ${meanMs.toFixed(1)} ms/image (first call ${warmupMs.toFixed(0)} ms) -> ${outDir}`);
    }
  }
  console.log(summary.join('\n'));
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
