/**
 * AutoencoderKL forward benchmark: time of `encode` and `decode` and the GFLOP/s they
 * achieve (FLOPs counted analytically by `autoencoderKLFlops`), next to the raw conv2d
 * GFLOP/s of the same backend measured in the same run. Not a test: numbers are printed,
 * never asserted.
 *
 *   npx tsx --conditions=source bench/vae.bench.ts [--backends=wasm,cpu] [--min-ms=1500] [--json]
 *
 * (`--conditions=source` runs `@yonos/core` from its sources; drop it after a build.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { measureConvThroughput } from '@yonos/core/internal';
import type { BackendName } from '@yonos/core';
import { AutoencoderKL, autoencoderKLFlops } from '../src/index.js';
import type { AutoencoderKLConfigInput } from '../src/index.js';

interface BenchCase {
  readonly name: string;
  readonly config: AutoencoderKLConfigInput;
  /** Image side fed to encode. */
  readonly size: number;
  readonly batch: number;
}

const levels = (n: number): { down_block_types: string[]; up_block_types: string[] } => ({
  down_block_types: Array<string>(n).fill('DownEncoderBlock2D'),
  up_block_types: Array<string>(n).fill('UpDecoderBlock2D'),
});

const CASES: readonly BenchCase[] = [
  {
    // The vae-tiny fixture's config.
    name: 'tiny [16,32,32] x2',
    config: { ...levels(3), block_out_channels: [16, 32, 32], layers_per_block: 2, norm_num_groups: 8 },
    size: 32,
    batch: 1,
  },
  {
    // SD's VAE at half width: same depth, same block structure.
    name: 'mid [64,128,256,256] x2',
    config: { ...levels(4), block_out_channels: [64, 128, 256, 256], layers_per_block: 2, norm_num_groups: 32 },
    size: 32,
    batch: 1,
  },
];

interface Row {
  backend: string;
  model: string;
  input: string;
  gflopEncode: number;
  gflopDecode: number;
  msEncode: number;
  msDecode: number;
  gflopsEncode: number;
  gflopsDecode: number;
  gflopsForward: number;
  rawConvGflops: number;
  percentOfRawConv: number;
}

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

/** Median milliseconds of `run` (data read back included) after one warm-up; at least 3 runs and `minMs`. */
async function medianMs(run: () => tf.Tensor, minMs: number): Promise<number> {
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
  return times[Math.floor(times.length / 2)]!;
}

async function benchCase(backend: string, c: BenchCase, rawConv: number, minMs: number): Promise<Row> {
  const vae = AutoencoderKL.fromConfig(c.config).initialize(createRng(0));
  const image = tf.tidy(() => tf.sub(tf.mul(createRng(1).uniform([c.batch, c.size, c.size, 3]), 2), 1) as tf.Tensor4D);
  const latentSize = Math.floor(c.size / vae.downsampleFactor);
  const latent = createRng(2).normal([c.batch, latentSize, latentSize, vae.latentChannels]) as tf.Tensor4D;
  try {
    const flops = autoencoderKLFlops(c.config, [c.size, c.size], c.batch);
    const msEncode = await medianMs(() => {
      const posterior = vae.encode(image);
      const mode = posterior.mode();
      posterior.dispose();
      return mode;
    }, minMs);
    const msDecode = await medianMs(() => vae.decode(latent), minMs);
    const gflopsForward = flops.total / ((msEncode + msDecode) * 1e6);
    return {
      backend,
      model: c.name,
      input: `${c.batch}x${c.size}x${c.size}x3`,
      gflopEncode: flops.encode / 1e9,
      gflopDecode: flops.decode / 1e9,
      msEncode,
      msDecode,
      gflopsEncode: flops.encode / (msEncode * 1e6),
      gflopsDecode: flops.decode / (msDecode * 1e6),
      gflopsForward,
      rawConvGflops: rawConv,
      percentOfRawConv: (100 * gflopsForward) / rawConv,
    };
  } finally {
    tf.dispose([image, latent]);
    vae.dispose();
  }
}

function printTable(rows: readonly Row[]): void {
  const header = ['backend', 'model', 'input', 'GFLOP enc/dec', 'ms enc', 'ms dec', 'GFLOP/s enc', 'GFLOP/s dec', 'GFLOP/s fwd', 'raw conv GFLOP/s', '% of raw'];
  const body = rows.map((r) => [
    r.backend,
    r.model,
    r.input,
    `${r.gflopEncode.toFixed(3)}/${r.gflopDecode.toFixed(3)}`,
    r.msEncode.toFixed(1),
    r.msDecode.toFixed(1),
    r.gflopsEncode.toFixed(2),
    r.gflopsDecode.toFixed(2),
    r.gflopsForward.toFixed(2),
    r.rawConvGflops.toFixed(2),
    r.percentOfRawConv.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const backends = option('backends', 'wasm,cpu').split(',') as BackendName[];
  const minMs = Number(option('min-ms', '1500'));
  const rows: Row[] = [];
  for (const backend of backends) {
    await useBackend(backend);
    const raw = await measureConvThroughput(backend, undefined, minMs);
    for (const c of CASES) {
      const before = tf.memory().numTensors;
      rows.push(await benchCase(backend, c, raw.gflops, minMs));
      if (tf.memory().numTensors !== before) throw new Error(`${backend} ${c.name}: tensors leaked`);
      console.error(`done: ${backend} ${c.name}`);
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else printTable(rows);
}

await main();
