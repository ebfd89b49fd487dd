// Class embeddings of UNet2DConditionModel as diffusers 0.25 builds and applies them: every
// class_embed_type with diffusers' parameter names and shapes, the embedding joined to the time
// embedding (added, or concatenated with class_embeddings_concat), the label forms forward takes,
// and typed errors for labels it cannot take. cpu backend, random weights, tiny sizes.
//
// The semantics are checked by a chain of equivalences against a model WITHOUT class conditioning
// that shares every other weight: 'identity' with zero labels must equal it exactly (so the
// embedding is added to the time embedding and nothing else changes), and every other kind with
// labels L must equal 'identity' fed the class embedding computed here by hand from the weights
// (table row, time_proj then the act_fn MLP, the SiLU MLP, one linear layer).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { getTimestepEmbedding } from '@yonos/core/nn';
import type { Denoiser, DenoiserForwardOptions } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UNet2DConditionModel, UNet2DModel, UnetClassLabelError, UnetConfigError, UnetInputError, unetFlops, unetMemory } from '../src/index.js';
import type { Embedding } from '../src/modules.js';
import { FIXTURES } from './helpers/fixtures.js';

const N = 2;
const TIME_EMBED = 128; // 4 * block_out_channels[0] of unet-sd1-tiny
const PROJ_DIM = 6;

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base = JSON.parse(readFileSync(join(FIXTURES, 'unet-sd1-tiny', 'config.json'), 'utf8')) as Record<string, unknown>;
  // mish, so that the 'timestep' class MLP (which uses act_fn) and 'projection' (always SiLU) differ.
  return { ...base, act_fn: 'mish', ...extra };
}

let x: tf.Tensor4D;
let ctx: tf.Tensor3D;
let base: UNet2DConditionModel;
const T = 321;

/** A model of `extra`'s config with base's weights and its own random class embedding. */
function withBaseWeights(extra: Record<string, unknown>, seed = 1): UNet2DConditionModel {
  const m = UNet2DConditionModel.fromConfig(config(extra)).initialize(createRng(seed));
  const shapes = m.expectedShapes({ layout: 'native' });
  // Every parameter the two share by name and shape (not the widened time_emb_proj of class_embeddings_concat).
  const shared = new Map([...base.stateDict({ layout: 'native' })].filter(([k, v]) => shapes.get(k)?.join() === v.shape.join()));
  return m.loadStateDict(shared, { layout: 'native', strict: false });
}

async function relDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const s = tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(a, b))), tf.max(tf.abs(b))]));
  const [num, den] = Array.from(await s.data());
  s.dispose();
  return num! / den!;
}

/** forward, checked to leave only its output. */
function run(m: Denoiser, options?: DenoiserForwardOptions): tf.Tensor4D {
  const before = tf.memory().numTensors;
  const out = m.forward(x, T, ctx, options);
  expect(tf.memory().numTensors - before).toBe(1);
  return out;
}

const mish = (v: tf.Tensor): tf.Tensor => tf.mul(v, tf.tanh(tf.softplus(v)));
const silu = (v: tf.Tensor): tf.Tensor => tf.mul(v, tf.sigmoid(v));
/** `linear_2(act(linear_1(v)))` from a module's native weights (`[in, out]`). */
function mlp(m: UNet2DConditionModel, v: tf.Tensor2D, act: (t: tf.Tensor) => tf.Tensor): tf.Tensor2D {
  const p = m.stateDict({ layout: 'native' });
  const lin = (h: tf.Tensor, name: string): tf.Tensor => tf.add(tf.matMul(h as tf.Tensor2D, p.get(`${name}.weight`) as tf.Tensor2D), p.get(`${name}.bias`)!);
  return lin(act(lin(v, 'class_embedding.linear_1')), 'class_embedding.linear_2') as tf.Tensor2D;
}

beforeAll(async () => {
  await useBackend('cpu');
  const rng = createRng(7);
  x = rng.normal([N, 8, 8, 8]) as tf.Tensor4D;
  ctx = rng.normal([N, 3, 16]) as tf.Tensor3D;
  base = UNet2DConditionModel.fromConfig(config()).initialize(createRng(0));
});

afterAll(() => {
  base.dispose();
  tf.dispose([x, ctx]);
});

describe('config and parameters, as diffusers 0.25 names them', () => {
  test.each([
    [{ num_class_embeds: 10 }, { kind: 'index', numClasses: 10 }, { 'class_embedding.weight': [10, TIME_EMBED] }],
    [
      { class_embed_type: 'timestep' },
      { kind: 'timestep' },
      {
        'class_embedding.linear_1.weight': [TIME_EMBED, 32],
        'class_embedding.linear_1.bias': [TIME_EMBED],
        'class_embedding.linear_2.weight': [TIME_EMBED, TIME_EMBED],
        'class_embedding.linear_2.bias': [TIME_EMBED],
      },
    ],
    // diffusers ignores num_class_embeds when class_embed_type is set.
    [{ class_embed_type: 'timestep', num_class_embeds: 10 }, { kind: 'timestep' }, { 'class_embedding.linear_1.weight': [TIME_EMBED, 32] }],
    [{ class_embed_type: 'identity' }, { kind: 'vector', dim: TIME_EMBED }, {}],
    [
      { class_embed_type: 'projection', projection_class_embeddings_input_dim: PROJ_DIM },
      { kind: 'vector', dim: PROJ_DIM },
      { 'class_embedding.linear_1.weight': [TIME_EMBED, PROJ_DIM], 'class_embedding.linear_2.weight': [TIME_EMBED, TIME_EMBED] },
    ],
    [
      { class_embed_type: 'simple_projection', projection_class_embeddings_input_dim: PROJ_DIM },
      { kind: 'vector', dim: PROJ_DIM },
      { 'class_embedding.weight': [TIME_EMBED, PROJ_DIM], 'class_embedding.bias': [TIME_EMBED] },
    ],
  ])('%j: classConditioning %j, parameters %j', (extra, conditioning, params) => {
    const m = UNet2DConditionModel.fromConfig(config(extra));
    expect(m.classConditioning).toEqual(conditioning);
    const shapes = m.expectedShapes();
    const classKeys = [...shapes.keys()].filter((k) => k.startsWith('class_embedding.'));
    for (const [k, s] of Object.entries(params)) expect([k, shapes.get(k)]).toEqual([k, s]);
    const baseCount = base.numParameters();
    const classCount = classKeys.reduce((sum, k) => sum + shapes.get(k)!.reduce((a, b) => a * b, 1), 0);
    expect(m.numParameters()).toBe(baseCount + classCount);
    // diffusers registers class_embedding right after time_embedding.
    const names = [...shapes.keys()];
    if (classKeys.length > 0) expect(names.indexOf(classKeys[0]!)).toBe(names.indexOf('time_embedding.linear_2.bias') + 1);
    expect(UNet2DConditionModel.fromConfig(config(extra)).config).toMatchObject(extra);
  });

  test('class_embeddings_concat: the ResNets take the time embedding and the class embedding side by side', () => {
    const m = UNet2DConditionModel.fromConfig(config({ class_embed_type: 'identity', class_embeddings_concat: true }));
    expect(m.plan.blocks_time_embed_dim).toBe(2 * TIME_EMBED);
    const shapes = m.expectedShapes();
    const projections = [...shapes].filter(([k]) => k.endsWith('time_emb_proj.weight'));
    expect(projections.length).toBe([...base.expectedShapes().keys()].filter((k) => k.endsWith('time_emb_proj.weight')).length);
    for (const [, s] of projections) expect(s[1]).toBe(2 * TIME_EMBED);
    expect(shapes.get('time_embedding.linear_2.weight')).toEqual([TIME_EMBED, TIME_EMBED]);
  });

  test.each([
    [{ class_embed_type: 'projection' }, /projection_class_embeddings_input_dim/],
    [{ class_embed_type: 'simple_projection' }, /projection_class_embeddings_input_dim/],
    [{ class_embeddings_concat: true }, /class_embeddings_concat is true but there is no class embedding/],
    [{ class_embed_type: 'learned' }, /class_embed_type = "learned" is not supported.*"timestep", "identity"/],
    [{ num_class_embeds: 2.5 }, /num_class_embeds/],
    [{ num_class_embeds: 0 }, /num_class_embeds/],
    [{ class_embed_type: 'projection', projection_class_embeddings_input_dim: -3 }, /projection_class_embeddings_input_dim/],
  ])('%j is refused with UnetConfigError', (extra, pattern) => {
    expect(() => UNet2DConditionModel.fromConfig(config(extra))).toThrow(UnetConfigError);
    expect(() => UNet2DConditionModel.fromConfig(config(extra))).toThrow(pattern);
  });

  test('configFromWeights reads what the shapes tell of the class embedding', () => {
    const implied = (extra: Record<string, unknown>): Record<string, unknown> =>
      UNet2DConditionModel.configFromWeights(UNet2DConditionModel.fromConfig(config(extra)).expectedShapes()) as Record<string, unknown>;
    expect(implied({ num_class_embeds: 10 })).toMatchObject({ class_embed_type: null, num_class_embeds: 10, class_embeddings_concat: false });
    expect(implied({})).toMatchObject({ num_class_embeds: null, class_embeddings_concat: false });
    expect(implied({ class_embed_type: 'simple_projection', projection_class_embeddings_input_dim: PROJ_DIM })).toMatchObject({
      class_embed_type: 'simple_projection',
      projection_class_embeddings_input_dim: PROJ_DIM,
    });
    expect(implied({ num_class_embeds: 10, class_embeddings_concat: true })).toMatchObject({ class_embeddings_concat: true });
    // 'timestep' and 'projection' share a layout: nothing is claimed about them.
    const ts = implied({ class_embed_type: 'timestep' });
    expect(ts).not.toHaveProperty('class_embed_type');
    expect(ts).not.toHaveProperty('num_class_embeds');
  });
});

describe('forward: the class embedding joins the time embedding as in diffusers', () => {
  test("'identity' with zero labels equals the same network without class conditioning; other labels change it", async () => {
    const identity = withBaseWeights({ class_embed_type: 'identity' });
    const zeros = tf.zeros([N, TIME_EMBED]) as tf.Tensor2D;
    const ones = tf.ones([1, TIME_EMBED]) as tf.Tensor2D;
    const [a, b, c] = [run(base), run(identity, { classLabels: zeros }), run(identity, { classLabels: ones })];
    expect(await relDiff(b, a)).toBe(0);
    expect(await relDiff(c, a)).toBeGreaterThan(1e-3);
    tf.dispose([zeros, ones, a, b, c]);
    identity.dispose();
  });

  test.each([
    ['a table (num_class_embeds)', { num_class_embeds: 10 }, [3, 7]],
    ["'timestep' (time_proj, then an act_fn MLP)", { class_embed_type: 'timestep' }, [20, 350]],
    ["'projection' (a SiLU MLP)", { class_embed_type: 'projection', projection_class_embeddings_input_dim: PROJ_DIM }, 'vectors'],
    ["'simple_projection' (one linear layer)", { class_embed_type: 'simple_projection', projection_class_embeddings_input_dim: PROJ_DIM }, 'vectors'],
  ] as const)('%s equals identity fed the embedding computed by hand', async (_, extra, labelSpec) => {
    const model = withBaseWeights(extra);
    const identity = withBaseWeights({ class_embed_type: 'identity' });
    const labels = labelSpec === 'vectors' ? (createRng(3).normal([N, PROJ_DIM]) as tf.Tensor2D) : [...labelSpec];
    const embedded = tf.tidy((): tf.Tensor2D => {
      const p = model.stateDict({ layout: 'native' });
      if ('num_class_embeds' in extra) {
        const table = p.get('class_embedding.weight')!.arraySync() as number[][];
        return tf.tensor2d((labels as number[]).map((l) => table[l]!));
      }
      if (extra.class_embed_type === 'timestep') {
        // diffusers: class_embedding(time_proj(labels)); time_proj as the U-Net's (flip_sin_to_cos, freq_shift 0).
        return mlp(model, getTimestepEmbedding(labels as number[], 32, { flip_sin_to_cos: true, downscale_freq_shift: 0 }), mish);
      }
      if (extra.class_embed_type === 'projection') return mlp(model, labels as tf.Tensor2D, silu);
      return tf.add(tf.matMul(labels as tf.Tensor2D, p.get('class_embedding.weight') as tf.Tensor2D), p.get('class_embedding.bias')!);
    });
    const got = run(model, { classLabels: labels });
    const want = run(identity, { classLabels: embedded });
    const err = await relDiff(got, want);
    expect(err).toBeLessThan(1e-5);
    const plain = run(base);
    expect(await relDiff(got, plain)).toBeGreaterThan(1e-3);
    tf.dispose([got, want, plain, embedded, ...(labels instanceof tf.Tensor ? [labels] : [])]);
    model.dispose();
    identity.dispose();
  });

  test('class_embeddings_concat: zero class embeddings through zero-padded time_emb_proj inputs equal the plain network', async () => {
    const concat = withBaseWeights({ class_embed_type: 'identity', class_embeddings_concat: true });
    // Each ResNet computes time_emb_proj(act(concat(temb, c))) = W1 act(temb) + W2 act(c) + b; with c = 0
    // (act(0) = 0) that is the plain network's projection when W1 is its weight, whatever W2 is.
    const baseWeights = base.stateDict({ layout: 'native' });
    const rng = createRng(5);
    const widened = new Map<string, tf.Tensor>();
    for (const [k, w] of baseWeights) {
      if (k.endsWith('time_emb_proj.weight')) widened.set(k, tf.concat([w, rng.normal(w.shape)], 0));
    }
    concat.loadStateDict(widened, { layout: 'native', strict: false });
    tf.dispose([...widened.values()]);
    const zeros = tf.zeros([N, TIME_EMBED]) as tf.Tensor2D;
    const ones = tf.ones([N, TIME_EMBED]) as tf.Tensor2D;
    const [a, b, c] = [run(base), run(concat, { classLabels: zeros }), run(concat, { classLabels: ones })];
    expect(await relDiff(b, a)).toBeLessThan(1e-6);
    expect(await relDiff(c, a)).toBeGreaterThan(1e-3);
    tf.dispose([zeros, ones, a, b, c]);
    concat.dispose();
  });
});

describe('label forms and typed errors', () => {
  let table: UNet2DConditionModel;
  let timestep: UNet2DConditionModel;
  let identity: UNet2DConditionModel;

  beforeAll(() => {
    table = withBaseWeights({ num_class_embeds: 10 });
    timestep = withBaseWeights({ class_embed_type: 'timestep' });
    identity = withBaseWeights({ class_embed_type: 'identity' });
  });

  afterAll(() => {
    table.dispose();
    timestep.dispose();
    identity.dispose();
  });

  test('a number, a list of one, a list per item, int32/float32/scalar tensors: one label broadcasts to the batch', async () => {
    const forms = [3, [3], [3, 3], tf.tensor1d([3, 3], 'int32'), tf.tensor1d([3]), tf.scalar(3, 'int32') as unknown as tf.Tensor1D];
    const outs = forms.map((classLabels) => run(table, { classLabels }));
    for (const o of outs.slice(1)) expect(await relDiff(o, outs[0]!)).toBe(0);
    // Per-item labels: item i matches the run with label l_i for the whole batch.
    const mixed = run(table, { classLabels: [3, 8] });
    const eight = run(table, { classLabels: 8 });
    const row = (t: tf.Tensor, i: number): tf.Tensor => tf.slice(t, [i, 0, 0, 0], [1, -1, -1, -1]);
    const [m0, m1, a0, b1] = [row(mixed, 0), row(mixed, 1), row(outs[0]!, 0), row(eight, 1)];
    expect(await relDiff(m0, a0)).toBeLessThan(1e-6);
    expect(await relDiff(m1, b1)).toBeLessThan(1e-6);
    expect(await relDiff(m1, row(outs[0]!, 1))).toBeGreaterThan(1e-3);
    tf.dispose([...forms.filter((f) => f instanceof tf.Tensor), ...outs, mixed, eight, m0, m1, a0, b1]);
  });

  const expectRefused = (m: Denoiser, options: DenoiserForwardOptions | undefined, pattern: RegExp): void => {
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      tf.dispose(m.forward(x, T, ctx, options));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnetClassLabelError);
    expect(caught).toBeInstanceOf(UnetInputError);
    expect((caught as Error).message).toMatch(pattern);
    expect(tf.memory().numTensors, 'a refused call allocates nothing').toBe(before);
  };

  test('missing labels on a class-conditioned U-Net', () => {
    expectRefused(table, undefined, /class-conditioned \(index\) and needs options\.classLabels: integer labels in \[0, 10\)/);
    expectRefused(identity, {}, /needs options\.classLabels: a float32 \[2, 128\] tensor/);
  });

  test('labels given to U-Nets without class conditioning', () => {
    expectRefused(base, { classLabels: 1 }, /has no class embedding.*call forward without them/);
    const plain = UNet2DModel.fromConfig(JSON.parse(readFileSync(join(FIXTURES, 'unet2d-tiny', 'config.json'), 'utf8')) as Record<string, unknown>);
    expect(plain.classConditioning).toBeUndefined();
    const sample = tf.zeros([1, 8, 8, plain.inChannels]) as tf.Tensor4D;
    expect(() => plain.forward(sample, 1, undefined, { classLabels: [1] })).toThrow(UnetClassLabelError);
    sample.dispose();
  });

  test.each([
    [10, /class label 10 is not an integer in \[0, 10\)/],
    [-1, /class label -1 is not an integer/],
    [2.5, /class label 2\.5 is not an integer/],
    [[1, 10], /class label 10/],
    [Number.NaN, /not a finite number/],
  ])('table labels out of range or not integers: %j', (classLabels, pattern) => {
    expectRefused(table, { classLabels }, pattern);
  });

  test('table label tensors are range-checked (validateInputs, on cpu by default)', () => {
    const cases: Array<[tf.Tensor1D, RegExp]> = [
      [tf.tensor1d([3, 12], 'int32'), /range from 3 to 12; the class embedding table has 10 rows/],
      [tf.tensor1d([-2, 1], 'int32'), /range from -2 to 1/],
      [tf.tensor1d([1.5, 2]), /not all integers/],
      [tf.tensor1d([1, Number.NaN]), /NaN or infinite/],
    ];
    for (const [labels, pattern] of cases) expectRefused(table, { classLabels: labels }, pattern);
    tf.dispose(cases.map(([t]) => t));
  });

  test('wrong batch sizes, ranks, dtypes and kinds', () => {
    const bools = tf.tensor1d([true, false], 'bool');
    const wide = tf.zeros([N, 5]) as tf.Tensor2D;
    const tall = tf.zeros([3, TIME_EMBED]) as tf.Tensor2D;
    const three = tf.tensor1d([1, 2, 3], 'int32');
    const matrix = tf.zeros([N, 1], 'int32') as tf.Tensor2D;
    expectRefused(table, { classLabels: [1, 2, 3] }, /have 3 entries for a batch of 2/);
    expectRefused(table, { classLabels: [] }, /have 0 entries for a batch of 2/);
    expectRefused(table, { classLabels: three }, /have 3 entries for a batch of 2/);
    expectRefused(table, { classLabels: matrix }, /have shape \[2, 1\]/);
    expectRefused(table, { classLabels: bools }, /are a bool tensor/);
    expectRefused(timestep, { classLabels: [Number.POSITIVE_INFINITY] }, /not a finite number/);
    expectRefused(identity, { classLabels: 1 }, /are 1, not a tensor; pass a float32 \[2, 128\] tensor/);
    expectRefused(identity, { classLabels: wide }, /have shape \[2, 5\]/);
    expectRefused(identity, { classLabels: tall }, /have 3 rows for a batch of 2/);
    tf.dispose([bools, wide, tall, three, matrix]);
  });

  test('a training step reaches exactly the table rows that were looked up', async () => {
    const weight = table.class_embedding as Embedding;
    const labels = [3, 8];
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(table.forward(x, T, ctx, { classLabels: labels }))) as tf.Scalar, [
      weight.weight.value,
    ]);
    const g = grads[weight.weight.value.name]!;
    const rowNorms = Array.from(await tf.tidy(() => tf.sum(tf.abs(g), 1)).data());
    tf.dispose([value, g]);
    rowNorms.forEach((norm, row) => {
      if (labels.includes(row)) expect(norm, `row ${row}`).toBeGreaterThan(0);
      else expect(norm, `row ${row}`).toBe(0);
    });
  });
});

describe('FLOPs and memory account for the class embedding', () => {
  const size = { batch: 2, height: 16, width: 16, contextLength: 7 };

  test("a 'timestep' or 'projection' MLP adds its two linears per sample; a table lookup adds nothing", () => {
    const plain = unetFlops(base, size).linear;
    const ts = UNet2DConditionModel.fromConfig(config({ class_embed_type: 'timestep' }));
    const proj = UNet2DConditionModel.fromConfig(config({ class_embed_type: 'projection', projection_class_embeddings_input_dim: PROJ_DIM }));
    const simple = UNet2DConditionModel.fromConfig(config({ class_embed_type: 'simple_projection', projection_class_embeddings_input_dim: PROJ_DIM }));
    const tableModel = UNet2DConditionModel.fromConfig(config({ num_class_embeds: 1000 }));
    expect(unetFlops(ts, size).linear - plain).toBe(size.batch * 2 * (32 * TIME_EMBED + TIME_EMBED * TIME_EMBED));
    expect(unetFlops(proj, size).linear - plain).toBe(size.batch * 2 * (PROJ_DIM * TIME_EMBED + TIME_EMBED * TIME_EMBED));
    expect(unetFlops(simple, size).linear - plain).toBe(size.batch * 2 * PROJ_DIM * TIME_EMBED);
    expect(unetFlops(tableModel, size).total).toBe(unetFlops(base, size).total);
  });

  test('the memory estimate grows with a class embedding, more with concatenation', () => {
    const plain = unetMemory(base, size).forward;
    const tableModel = unetMemory(UNet2DConditionModel.fromConfig(config({ num_class_embeds: 1000 })), size).forward;
    const concat = unetMemory(UNet2DConditionModel.fromConfig(config({ num_class_embeds: 1000, class_embeddings_concat: true })), size).forward;
    expect(tableModel).toBeGreaterThan(plain);
    expect(concat).toBeGreaterThan(tableModel);
    // The class embedding is a few rows per sample: well under 1% of the pass.
    expect(tableModel - plain).toBeLessThan(0.01 * plain);
  });
});
