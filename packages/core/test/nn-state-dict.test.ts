import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Attention,
  Conv2d,
  GroupNorm,
  Linear,
  Module,
  ModuleList,
  ResnetBlock2D,
  StateDictError,
  checkStateDictShapes,
} from '../src/nn/index.js';
import { useBackend } from '../src/backend/index.js';
import { createRng } from '../src/random/index.js';
import { openSafetensorsFile } from '../src/safetensors/node.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/diffusers/', import.meta.url));

class Small extends Module {
  readonly conv = new Conv2d(3, 4, [3, 2], { padding: 1 });
  readonly lin = new Linear(4, 5);
  readonly norm = new GroupNorm(2, 4);
}

function disposeAll(dict: Map<string, tf.Tensor>): void {
  for (const t of dict.values()) t.dispose();
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('stateDict / loadStateDict', () => {
  it('torch layout: OIHW conv and [out, in] linear, new tensors; round trip into a fresh module', () => {
    const a = new Small().initialize(createRng(11));
    const before = tf.memory().numTensors;
    const sd = a.stateDict({ layout: 'torch' });
    expect(sd.get('conv.weight')!.shape).toEqual([4, 3, 3, 2]);
    expect(sd.get('lin.weight')!.shape).toEqual([5, 4]);
    expect(tf.memory().numTensors).toBe(before + sd.size);

    // Element by element: torch[o, i, y, x] == native[y, x, i, o]; torch[o, i] == native[i, o].
    const nat = a.conv.weight.value.arraySync() as number[][][][];
    const tor = sd.get('conv.weight')!.arraySync() as number[][][][];
    for (let o = 0; o < 4; o++)
      for (let i = 0; i < 3; i++)
        for (let y = 0; y < 3; y++) for (let x = 0; x < 2; x++) expect(tor[o]![i]![y]![x]).toBe(nat[y]![x]![i]![o]);
    const natLin = a.lin.weight.value.arraySync() as number[][];
    const torLin = sd.get('lin.weight')!.arraySync() as number[][];
    for (let o = 0; o < 5; o++) for (let i = 0; i < 4; i++) expect(torLin[o]![i]).toBe(natLin[i]![o]);

    const b = new Small().loadStateDict(sd);
    disposeAll(sd); // the module does not keep the caller's tensors alive through their handles
    for (const [name, p] of b.namedParameters()) {
      const src = a.namedParameters().find(([n]) => n === name)![1];
      expect(Array.from(p.value.dataSync())).toEqual(Array.from(src.value.dataSync()));
      expect(p.value.dtype).toBe('float32');
    }
    a.dispose();
    b.dispose();
  });

  it('native layout returns the live variables; loading it copies nothing wrong', () => {
    const a = new Small().initialize(createRng(2));
    const before = tf.memory().numTensors;
    const sd = a.stateDict({ layout: 'native' });
    expect(tf.memory().numTensors).toBe(before);
    expect(sd.get('conv.weight')).toBe(a.conv.weight.value);
    expect(sd.get('conv.weight')!.shape).toEqual([3, 2, 3, 4]);
    const b = new Small().loadStateDict(sd, { layout: 'native' });
    expect(Array.from(b.lin.weight.value.dataSync())).toEqual(Array.from(a.lin.weight.value.dataSync()));
    a.dispose(); // b must not depend on a's variables
    expect(b.lin.weight.value.isDisposed).toBe(false);
    expect(b.lin.weight.value.dataSync().length).toBe(20);
    b.dispose();
  });

  it('loading into an initialized module replaces values without leaking', () => {
    const a = new Small().initialize(createRng(1));
    const b = new Small().initialize(createRng(2));
    const sd = a.stateDict();
    const before = tf.memory().numTensors;
    b.loadStateDict(sd);
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(sd);
    expect(Array.from(b.conv.weight.value.dataSync())).toEqual(Array.from(a.conv.weight.value.dataSync()));
    a.dispose();
    b.dispose();
  });

  it('casts to float32', () => {
    const lin = new Linear(2, 2);
    const dict = { weight: tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), bias: tf.tensor1d([5, 6], 'int32') };
    lin.loadStateDict(dict);
    expect(lin.weight.value.dtype).toBe('float32');
    expect(lin.weight.value.arraySync()).toEqual([[1, 3], [2, 4]]);
    dict.weight.dispose();
    dict.bias.dispose();
    lin.dispose();
  });

  it('strict: one StateDictError lists every missing, unexpected and mis-shaped key; nothing is assigned', () => {
    const source = new Small().initialize(createRng(5));
    const sd = source.stateDict();
    sd.get('lin.bias')!.dispose();
    sd.delete('lin.bias');
    sd.get('norm.bias')!.dispose();
    sd.delete('norm.bias');
    sd.set('extra.weight', tf.zeros([1]));
    sd.get('conv.bias')!.dispose();
    sd.set('conv.bias', tf.zeros([7]));
    sd.get('lin.weight')!.dispose();
    sd.set('lin.weight', tf.zeros([5, 4, 1]));

    const target = new Small();
    let error: StateDictError | undefined;
    try {
      target.loadStateDict(sd);
    } catch (e) {
      error = e as StateDictError;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect([...error!.missing].sort()).toEqual(['lin.bias', 'norm.bias']);
    expect(error!.unexpected).toEqual(['extra.weight']);
    expect(error!.mismatched).toEqual([
      { name: 'conv.bias', expected: [4], got: [7] },
      { name: 'lin.weight', expected: [5, 4], got: [5, 4, 1] },
    ]);
    expect(error!.message).toMatch(/lin\.bias/);
    expect(error!.message).toMatch(/extra\.weight/);
    expect(error!.message).toMatch(/conv\.bias: expected \[4\], got \[7\]/);
    expect(target.parameters().some((p) => p.isInitialized)).toBe(false);

    // Non-strict still rejects the mis-shaped keys (and only lists those).
    expect(() => target.loadStateDict(sd, { strict: false })).toThrow(StateDictError);
    try {
      target.loadStateDict(sd, { strict: false });
    } catch (e) {
      expect((e as StateDictError).missing).toEqual([]);
      expect((e as StateDictError).mismatched.length).toBe(2);
    }
    expect(target.parameters().some((p) => p.isInitialized)).toBe(false);
    disposeAll(sd);
    source.dispose();
  });

  it('non-strict ignores missing and unexpected keys and loads the rest', () => {
    const source = new Small().initialize(createRng(5));
    const sd = source.stateDict();
    sd.get('lin.bias')!.dispose();
    sd.delete('lin.bias');
    sd.set('something.else', tf.zeros([2]));
    const target = new Small().loadStateDict(sd, { strict: false });
    expect(target.lin.bias!.isInitialized).toBe(false);
    expect(target.lin.weight.isInitialized).toBe(true);
    target.initialize(createRng(0), { onlyMissing: true });
    expect(target.isInitialized()).toBe(true);
    disposeAll(sd);
    source.dispose();
    target.dispose();
  });

  it('a dict in the other layout gets a hint', () => {
    const source = new Small().initialize(createRng(5));
    const native = source.stateDict({ layout: 'native' });
    expect(() => new Small().loadStateDict(native)).toThrow(/did you mean \{ layout: 'native' \}/);
    source.dispose();
  });

  it('checkStateDictShapes checks names and shapes alone (a checkpoint header), allocating nothing', () => {
    const module = new Small();
    const before = tf.memory().numTensors;
    const shapes = new Map(module.expectedShapes());
    expect(() => checkStateDictShapes(module, shapes)).not.toThrow();
    shapes.set('conv.weight', [4, 3, 2, 3]);
    shapes.delete('norm.bias');
    shapes.set('stray', [1]);
    try {
      checkStateDictShapes(module, shapes);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StateDictError);
      expect((e as StateDictError).missing).toEqual(['norm.bias']);
      expect((e as StateDictError).unexpected).toEqual(['stray']);
      expect((e as StateDictError).mismatched).toEqual([{ name: 'conv.weight', expected: [4, 3, 3, 2], got: [4, 3, 2, 3] }]);
    }
    expect(() => checkStateDictShapes(module, shapes, { strict: false })).toThrow(/conv\.weight/);
    shapes.set('conv.weight', [4, 3, 3, 2]);
    expect(() => checkStateDictShapes(module, shapes, { strict: false })).not.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads the vae-tiny fixture (diffusers safetensors) by name, and saves it back bit-exactly', async () => {
    const reader = await openSafetensorsFile(`${FIXTURES}vae-tiny/diffusion_pytorch_model.safetensors`);
    const prefix = 'decoder.mid_block.';
    const dict = new Map<string, tf.Tensor>();
    for (const name of reader.keys()) {
      expect(reader.info(name).dtype).toBe('F32');
      if (name.startsWith(prefix)) dict.set(name.slice(prefix.length), await reader.tensor(name));
    }
    await reader.close();
    class MidBlock extends Module {
      readonly attentions = new ModuleList([
        new Attention({ query_dim: 32, heads: 1, dim_head: 32, norm_num_groups: 8, eps: 1e-6, bias: true, residual_connection: true }),
      ]);
      readonly resnets = new ModuleList([
        new ResnetBlock2D({ in_channels: 32, temb_channels: null, groups: 8, eps: 1e-6 }),
        new ResnetBlock2D({ in_channels: 32, temb_channels: null, groups: 8, eps: 1e-6 }),
      ]);
    }
    const mid = new MidBlock().loadStateDict(dict);
    const back = mid.stateDict();
    expect([...back.keys()].sort()).toEqual([...dict.keys()].sort());
    for (const [name, t] of back) expect(Array.from(t.dataSync())).toEqual(Array.from(dict.get(name)!.dataSync()));
    disposeAll(back);
    disposeAll(dict);
    mid.dispose();
  });
});
