// Each stage trains a couple of steps on wasm and webgpu (stand-in models): losses are finite,
// the first step's loss (computed on the initial weights, from the same seeded draws) agrees
// with cpu's, and nothing leaks.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BackendUnavailableError, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { createDecoderStage, createDistillStage, createSrStage, createVaeStage, runStage, yonosOneStepLatent } from '../src/index.js';
import type { Stage } from '../src/index.js';
import { FixedBatches, TestScheduler, makeCodec, makeDenoiser, makePoolPair, poolDegradation } from './stages-fixtures.js';

type StageKind = 'vae' | 'sr' | 'distill' | 'decoder';
const KINDS: readonly StageKind[] = ['vae', 'sr', 'distill', 'decoder'];

/** Builds the stage with fresh, seeded models; `dispose` frees them. */
function build(kind: StageKind): { stage: Stage<tf.TensorContainer>; dispose: () => void } {
  const codec = makeCodec();
  const data = new FixedBatches(2, 16);
  const scheduler = new TestScheduler();
  const nets = [makeDenoiser(2), makeDenoiser(3)];
  const dispose = (): void => {
    codec.dispose();
    for (const n of nets) n.dispose();
  };
  const [a, b] = nets as [ReturnType<typeof makeDenoiser>, ReturnType<typeof makeDenoiser>];
  switch (kind) {
    case 'vae':
      return { stage: createVaeStage({ codec, data }) as Stage<tf.TensorContainer>, dispose };
    case 'sr':
      return { stage: createSrStage({ codec, unet: a, scheduler, data, degradation: poolDegradation, scale: 2, snrGamma: 5 }) as Stage<tf.TensorContainer>, dispose };
    case 'distill':
      return { stage: createDistillStage({ codec, student: a, teacher: b, scheduler, data, makePair: makePoolPair, scale: 4 }) as Stage<tf.TensorContainer>, dispose };
    case 'decoder':
      return { stage: createDecoderStage({ codec, oneStepLatent: yonosOneStepLatent({ codec, unet: a, scheduler }), data, degradation: poolDegradation, scale: 2 }) as Stage<tf.TensorContainer>, dispose };
  }
}

async function losses(kind: StageKind): Promise<number[]> {
  const { stage, dispose } = build(kind);
  const out: number[] = [];
  try {
    await runStage(stage, {
      seed: 21,
      maxSteps: 2,
      optimizer: { lr: 1e-3 },
      ema: { decay: 0.9 },
      resume: false,
      onProgress: (e) => {
        if (e.stage === 'train') out.push(e.detail?.['loss'] as number);
      },
    });
  } finally {
    dispose();
  }
  return out;
}

const cpu = new Map<StageKind, number[]>();
beforeAll(async () => {
  await useBackend('cpu');
  for (const kind of KINDS) cpu.set(kind, await losses(kind));
});
afterAll(async () => {
  await useBackend('cpu');
});

for (const backend of ['wasm', 'webgpu'] as BackendName[]) {
  describe(`stages on ${backend}`, () => {
    test('every stage trains 2 steps; the first loss matches cpu to 1e-5 relative; nothing leaks', async (ctx) => {
      try {
        await useBackend(backend);
      } catch (err) {
        if (err instanceof BackendUnavailableError) ctx.skip(`${backend} cannot be initialized here: ${err.message}`);
        throw err;
      }
      expect(tf.getBackend()).toBe(backend);
      for (const kind of KINDS) {
        const before = tf.memory().numTensors;
        const got = await losses(kind);
        expect(tf.memory().numTensors).toBe(before);
        expect(got).toHaveLength(2);
        expect(got.every(Number.isFinite)).toBe(true);
        const ref = cpu.get(kind)![0]!;
        const rel = Math.abs(got[0]! - ref) / Math.abs(ref);
        console.info(`${backend} ${kind}: losses ${got.map((l) => l.toPrecision(6)).join(', ')}; cpu ${cpu.get(kind)!.map((l) => l.toPrecision(6)).join(', ')}; first-step rel diff ${rel.toExponential(1)} (tolerance 1e-5)`);
        expect(rel).toBeLessThan(1e-5);
      }
    }, 600_000);
  });
}
