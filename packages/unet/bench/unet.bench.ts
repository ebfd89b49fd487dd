/**
 * U-Net forward throughput: milliseconds and achieved GFLOP/s (FLOPs counted analytically by
 * `unetFlops`) of a tiny and a mid-size `UNet2DConditionModel`, next to the raw conv2d GFLOP/s
 * of the same backend measured in the same run, plus where the time goes (tfjs kernels by
 * share of the profiled time). Run from the repository root:
 *
 *   npx tsx --conditions=source packages/unet/bench/unet.bench.ts [--backends wasm,cpu] [--ms 3000] [--size 32] [--cpu-size 16]
 *
 * `--conditions=source` runs the TypeScript sources of the workspace packages without a build.
 * Not a test: numbers depend on the machine and its load.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { measureConvThroughput } from '@yonos/core/internal';
import type { BackendName } from '@yonos/core';
import { UNet2DConditionModel, unetFlops } from '../src/index.js';
import type { UNet2DConditionConfigInput } from '../src/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const backends = (arg('backends') ?? 'wasm,cpu').split(',') as BackendName[];
const minMs = Number(arg('ms') ?? 3000);
const sizeFor = (backend: BackendName): number => Number(backend === 'cpu' ? (arg('cpu-size') ?? 16) : (arg('size') ?? 32));

interface Case {
  readonly label: string;
  readonly config: UNet2DConditionConfigInput;
  readonly contextLength: number;
}

const CASES: readonly Case[] = [
  {
    // The unet-sd1-tiny fixture: SD 1.x layout at toy width.
    label: 'tiny (32/64 ch, 2 levels, conv proj)',
    config: {
      in_channels: 8,
      out_channels: 4,
      block_out_channels: [32, 64],
      layers_per_block: 1,
      down_block_types: ['CrossAttnDownBlock2D', 'DownBlock2D'],
      up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D'],
      attention_head_dim: 8,
      cross_attention_dim: 16,
      norm_num_groups: 8,
    },
    contextLength: 77,
  },
  {
    // SD 2.x layout (linear projections, per-level heads of 32 channels) at 1/5 of SD's width.
    label: 'mid (128/256/256 ch, 3 levels, linear proj)',
    config: {
      in_channels: 8,
      out_channels: 4,
      block_out_channels: [128, 256, 256],
      layers_per_block: 2,
      down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
      up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
      attention_head_dim: [4, 8, 8],
      cross_attention_dim: 256,
      use_linear_projection: true,
      norm_num_groups: 32,
    },
    contextLength: 77,
  },
];

/** Median milliseconds of `run` (output read back), after one warm-up, over at least 3 runs and `minMs`. */
async function medianMs(run: () => tf.Tensor): Promise<{ ms: number; runs: number }> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const y = run();
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  await once();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || performance.now() - start < minMs) times.push(await once());
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, runs: times.length };
}

/** The kernels taking most of one profiled forward pass, as "Name xx%" strings. */
async function kernelShares(run: () => tf.Tensor, top = 6): Promise<string> {
  const info = await tf.profile(() => {
    const y = run();
    return y;
  });
  const byName = new Map<string, number>();
  for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + Number(await k.kernelTimeMs));
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => `${name} ${((100 * ms) / total).toFixed(0)}%`)
    .join(', ');
}

const fmt = (x: number, digits = 2): string => x.toFixed(digits);

console.log(`# U-Net forward benchmark (${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version})`);
for (const backend of backends) {
  await useBackend(backend);
  const size = sizeFor(backend);
  const conv = await measureConvThroughput(backend, undefined, Math.min(minMs, 2000));
  console.log(
    `\n## ${backend}: raw conv2d ${fmt(conv.gflops)} GFLOP/s ` +
      `(3x3, batch ${conv.shape.batch}, ${conv.shape.size}px, ${conv.shape.inChannels}->${conv.shape.outChannels} ch)`,
  );
  for (const c of CASES) {
    const model = UNet2DConditionModel.fromConfig(c.config).initialize(createRng(0));
    const rng = createRng(1);
    const x = rng.normal([1, size, size, model.inChannels]) as tf.Tensor4D;
    const ctx = rng.normal([1, c.contextLength, model.crossAttentionDim!]) as tf.Tensor3D;
    const run = (): tf.Tensor => model.forward(x, 500, ctx);
    const flops = unetFlops(model, { batch: 1, height: size, width: size, contextLength: c.contextLength });
    const { ms, runs } = await medianMs(run);
    const gflops = flops.total / (ms * 1e6);
    const shares = await kernelShares(run);
    console.log(
      `- ${c.label}, 1x${size}x${size}x8, context ${c.contextLength}: ${fmt(ms, 1)} ms (median of ${runs}), ` +
        `${fmt(flops.total / 1e9, 3)} GFLOP (conv ${fmt((100 * flops.conv) / flops.total, 0)}%, ` +
        `linear ${fmt((100 * flops.linear) / flops.total, 0)}%, attention ${fmt((100 * flops.attention) / flops.total, 0)}%) ` +
        `-> ${fmt(gflops)} GFLOP/s = ${fmt((100 * gflops) / conv.gflops, 0)}% of raw conv2d\n  time by kernel: ${shares}`,
    );
    tf.dispose([x, ctx]);
    model.dispose();
  }
}
