import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { AutoencoderKL } from '@yonos/vae';
import { UNet2DConditionModel } from '@yonos/unet';
import { StableDiffusionUpscalePipeline } from '../src/index.js';
import { UPSCALER_FIXTURE, loadUpscalerIo, maxAbsDiff, maxRelDiff, toNhwc } from './helpers.js';
import { RecordingCodec, RecordingDenoiser, readKept } from './upscale-recorders.js';

/**
 * The whole x4-upscaler pipeline against diffusers 0.25 (fixtures/diffusers/sd-x4-upscaler-tiny):
 * the four runs, replaying the saved low-res noise and initial latents, compared tensor by
 * tensor (the noised image, every step's U-Net output and latents, the final latents, the
 * decoded image): max |ours - diffusers| / max |diffusers| for each. The issue asks <= 1e-4;
 * measured worst 2.2e-6 (cpu), 3.3e-6 (wasm, a step's latents), 2.8e-6 (webgpu), so about 2x the
 * worst, while swapping the guidance halves gives 1.35.
 */
const TOL = 7e-6;
/**
 * Node's webgpu is a software adapter here (SwiftShader, about 1/280 of wasm's convolution speed):
 * all four runs took 500 s on a busy 2-core machine, so webgpu replays the two that cover both
 * paths (no guidance, 1 step; guidance, 5 steps).
 */
const WEBGPU_RUNS = new Set(['g1_s1', 'g9_s5']);
const WEBGPU_TIMEOUT_MS = 600_000;
const RUNS = [
  { name: 'g1_s1', guidanceScale: 1, steps: 1 },
  { name: 'g1_s5', guidanceScale: 1, steps: 5 },
  { name: 'g9_s1', guidanceScale: 9, steps: 1 },
  { name: 'g9_s5', guidanceScale: 9, steps: 5 },
] as const;

/** The fixture's tensors as NHWC host data (rank-4 NCHW tensors transposed), read once on cpu. */
interface HostTensor {
  readonly data: Float32Array;
  readonly shape: number[];
}
let fixture: Map<string, HostTensor>;

beforeAll(async () => {
  await useBackend('cpu');
  const io = loadUpscalerIo();
  fixture = new Map();
  for (const [key, t] of io) {
    const nhwc = t.rank === 4 ? toNhwc(t) : tf.clone(t);
    fixture.set(key, { data: Float32Array.from(nhwc.dataSync()), shape: [...nhwc.shape] });
    nhwc.dispose();
  }
  tf.dispose([...io.values()]);
});

function host(key: string): Float32Array {
  const t = fixture.get(key);
  if (t === undefined) throw new Error(`fixture has no ${key}`);
  return t.data;
}

/** A fixture tensor (NHWC) on the active backend. */
function tensor<T extends tf.Tensor>(key: string): T {
  const t = fixture.get(key)!;
  return tf.tensor(t.data, t.shape, 'float32') as T;
}

/** Channels [from, from + count) of NHWC host data with `channels` channels. */
function channels(data: Float32Array, total: number, from: number, count: number): Float32Array {
  const pixels = data.length / total;
  const out = new Float32Array(pixels * count);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < count; c++) out[p * count + c] = data[p * total + from + c]!;
  return out;
}

/** Runs the four fixture runs on a backend; the errors per compared tensor, or why the backend is unavailable. */
async function paritiesOn(backend: BackendName): Promise<Map<string, number> | string> {
  try {
    await useBackend(backend);
  } catch (err) {
    if (backend === 'webgpu' && err instanceof BackendUnavailableError) return err.message;
    throw err;
  }
  const unet = new RecordingDenoiser(await UNet2DConditionModel.fromPretrained(join(UPSCALER_FIXTURE, 'unet')));
  const vae = new RecordingCodec(await AutoencoderKL.fromPretrained(join(UPSCALER_FIXTURE, 'vae')));
  // Schedulers and max_noise_level come from the folder; the recorders stand in for its models.
  const pipe = await StableDiffusionUpscalePipeline.fromPretrained(UPSCALER_FIXTURE, { components: { unet, vae } });
  expect(pipe.maxNoiseLevel).toBe(350);
  const errors = new Map<string, number>();
  const record = (key: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): void => {
    errors.set(key, maxRelDiff(ours, theirs));
  };
  const image = tensor<tf.Tensor4D>('low_res_image');
  const lowResNoise = tensor<tf.Tensor4D>('low_res_noise');
  const latents = tensor<tf.Tensor4D>('latents_init');
  const promptEmbeds = tensor<tf.Tensor3D>('prompt_embeds');
  const negativePromptEmbeds = tensor<tf.Tensor3D>('negative_prompt_embeds');
  const noiseLevel = host('noise_level')[0]!;
  const noised = host('image_noised');
  const promptData = Array.from(host('prompt_embeds'));
  const negativeData = Array.from(host('negative_prompt_embeds'));
  const before = tf.memory().numTensors;
  for (const run of RUNS.filter((r) => backend !== 'webgpu' || WEBGPU_RUNS.has(r.name))) {
    const keptLatents: tf.Tensor[] = [];
    const out = await pipe.run(image, {
      promptEmbeddings: { promptEmbeds, negativePromptEmbeds },
      guidanceScale: run.guidanceScale,
      steps: run.steps,
      noiseLevel,
      lowResNoise,
      latents,
      tile: false,
      onStepEnd: (e) => keptLatents.push(tf.keep(tf.clone(e.latents))),
    });
    const stepLatents = await readKept(keptLatents);
    const calls = await unet.collect();
    const decodes = await vae.collect();
    const timesteps = Array.from(host(`${run.name}_timesteps`));
    expect(calls.map((c) => c.timestep)).toEqual(timesteps);
    expect(calls.length).toBe(run.steps);
    const batch = run.guidanceScale > 1 ? 2 : 1;
    for (const [i, call] of calls.entries()) {
      expect(call.inputShape).toEqual([batch, 16, 16, 7]);
      expect(call.classLabels).toBe(noiseLevel);
      // Latents first, then the noised low-res image, in every batch item.
      const perItem = call.input.length / batch;
      for (let b = 0; b < batch; b++) {
        const item = call.input.subarray(b * perItem, (b + 1) * perItem);
        record(`${run.name} step${i} image_noised[${b}]`, channels(item, 7, 4, 3), noised);
      }
      // Context order [uncond, text] with guidance.
      const context = batch === 2 ? [...negativeData, ...promptData] : promptData;
      expect(Array.from(call.context!)).toEqual(context);
      record(`${run.name} step${i} unet_out`, call.output, host(`${run.name}_step${i}_unet_out`));
      record(`${run.name} step${i} latents`, stepLatents[i]!, host(`${run.name}_step${i}_latents`));
    }
    const final = host(`${run.name}_latents_final`);
    record(`${run.name} latents_final`, stepLatents[run.steps - 1]!, final);
    expect(decodes.length).toBe(1);
    const decode = decodes[0]!;
    record(`${run.name} decode input (latents / scaling_factor)`, decode.input, final.map((v) => v / 0.08333));
    const decoded = host(`${run.name}_decoded`);
    record(`${run.name} decoded`, decode.output, decoded);
    expect(out.shape).toEqual([1, 64, 64, 3]);
    // Clamping cannot add error, but it shrinks the scale the error is divided by (the decoded
    // image reaches beyond [-1, 1]); so the clamped output is measured on the decoded image's scale.
    const clampedErr = maxAbsDiff(await out.data(), decoded.map((v) => Math.min(1, Math.max(-1, v))));
    errors.set(`${run.name} output (clamped, on the decoded scale)`, clampedErr / decoded.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    out.dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([image, lowResNoise, latents, promptEmbeds, negativePromptEmbeds]);
  pipe.dispose();
  return errors;
}

afterAll(async () => {
  await useBackend('cpu');
});

describe('StableDiffusionUpscalePipeline vs diffusers 0.25 (sd-x4-upscaler-tiny, every random tensor replayed)', () => {
  for (const backend of ['cpu', 'wasm', 'webgpu'] as BackendName[]) {
    const runs = backend === 'webgpu' ? [...WEBGPU_RUNS].join(' and ') : RUNS.map((r) => r.name).join(', ');
    it(`matches every intermediate tensor of ${runs} on ${backend} to ${TOL} relative, without leaks`, async (ctx) => {
      const result = await paritiesOn(backend);
      if (typeof result === 'string') ctx.skip(`webgpu adapter cannot be created here: ${result}`);
      const errors = result as Map<string, number>;
      expect(tf.getBackend()).toBe(backend);
      const worst = [...errors.entries()].sort((a, b) => b[1] - a[1]);
      const byKind = (pattern: RegExp): number => Math.max(...worst.filter(([k]) => pattern.test(k)).map(([, e]) => e));
      console.info(
        `${backend}: max relative error: image_noised ${byKind(/image_noised/).toExponential(2)}, unet_out ${byKind(/unet_out/).toExponential(2)}, ` +
          `step latents ${byKind(/ latents$/).toExponential(2)}, final latents ${byKind(/latents_final/).toExponential(2)}, ` +
          `decoded ${byKind(/ decoded$/).toExponential(2)}; worst: ${worst[0]![0]} ${worst[0]![1].toExponential(2)}`,
      );
      for (const [key, err] of errors) expect(err, key).toBeLessThanOrEqual(TOL);
    }, backend === 'webgpu' ? WEBGPU_TIMEOUT_MS : undefined);
  }

  it('a control: the guidance halves swapped ([text, uncond]) fail the same check on cpu', async () => {
    await useBackend('cpu');
    const pipe = await StableDiffusionUpscalePipeline.fromPretrained(UPSCALER_FIXTURE);
    const image = tensor<tf.Tensor4D>('low_res_image');
    const lowResNoise = tensor<tf.Tensor4D>('low_res_noise');
    const latents = tensor<tf.Tensor4D>('latents_init');
    const promptEmbeds = tensor<tf.Tensor3D>('prompt_embeds');
    const negativePromptEmbeds = tensor<tf.Tensor3D>('negative_prompt_embeds');
    const z0 = await pipe.denoise(image, {
      promptEmbeddings: { promptEmbeds: negativePromptEmbeds, negativePromptEmbeds: promptEmbeds },
      guidanceScale: 9,
      steps: 5,
      noiseLevel: 20,
      lowResNoise,
      latents,
      tile: false,
    });
    const err = maxRelDiff(await z0.data(), host('g9_s5_latents_final'));
    console.info(`control, swapped guidance halves: final latents relative error ${err.toExponential(2)}`);
    expect(err).toBeGreaterThan(100 * TOL);
    tf.dispose([z0, image, lowResNoise, latents, promptEmbeds, negativePromptEmbeds]);
    pipe.dispose();
  });
});
