/**
 * What one run of Stable Diffusion's x4 upscaler (`stabilityai/stable-diffusion-x4-upscaler`)
 * costs at 128x128 -> 512x512, from the project's counters, with nothing loaded: the real U-Net
 * and VAE are built shape-only from the configs the upscaler fixture records
 * (`fixtures/diffusers/sd-x4-upscaler-tiny/io.json`, `configs.real_stable_diffusion_x4_upscaler`).
 * Prints the weights, FLOPs per denoising step (`unetFlops`, with and without classifier-free
 * guidance) and of the decode (`autoencoderKLFlops`), the peak tensor memory of one U-Net call
 * and of the decode (the models' `estimateMemory`) and of the whole run
 * (`estimateUpscaleMemory`, `chooseUpscaleTiling` at the default 1024 MiB budget), per backend.
 * With `--measure`, the raw 3x3-convolution speed of each backend given (`--backends wasm,webgpu`,
 * default wasm) and the time a step would take at that speed (a lower bound: the U-Net's other
 * work and its smaller layers run slower than a large convolution). Not a test: nothing asserted.
 *
 *   npx tsx --conditions=source packages/yonos/bench/sd-upscaler-costs.ts [--size 128] [--measure] [--backends wasm,webgpu]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@yonos/core';
import { measureConvThroughput } from '@yonos/core/internal';
import type { BackendName } from '@yonos/core';
import { chooseUpscaleTiling, estimateUpscaleMemory } from '@yonos/sampler';
import { UNet2DConditionModel, unetFlops } from '@yonos/unet';
import { AutoencoderKL, autoencoderKLFlops } from '@yonos/vae';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(HERE, '..', '..', '..', 'fixtures', 'diffusers', 'sd-x4-upscaler-tiny');
const MIB = 2 ** 20;
const GIB = 2 ** 30;

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1]! : fallback;
}

const size = Number(flag('size', '128'));
const measure = process.argv.includes('--measure');
const backends = flag('backends', 'wasm').split(',') as BackendName[];
const CONTEXT = 77; // CLIP's tokens

const real = (JSON.parse(readFileSync(join(FIXTURE, 'io.json'), 'utf8')) as {
  configs: { real_stable_diffusion_x4_upscaler: { unet: Record<string, unknown>; vae: Record<string, unknown> } };
}).configs.real_stable_diffusion_x4_upscaler;
// The fixture lists the keys that differ from diffusers' defaults; the block types and the rest
// are the tiny copy's, which has the same three levels.
const tinyVae = JSON.parse(readFileSync(join(FIXTURE, 'vae', 'config.json'), 'utf8')) as Record<string, unknown>;
const unet = UNet2DConditionModel.fromConfig(real.unet);
const vaeConfig = { ...tinyVae, ...real.vae };
const vae = AutoencoderKL.fromConfig(vaeConfig);
const f = vae.downsampleFactor;
const out = size * f;

const tflops = (x: number): string => `${(x / 1e12).toFixed(3)} TFLOPs`;
const gib = (x: number): string => `${(x / GIB).toFixed(2)} GiB`;

console.log(`Stable Diffusion x4 upscaler, ${size}x${size} -> ${out}x${out} (latent ${size}x${size}x${vae.latentChannels}), context ${CONTEXT} tokens`);
console.log(`weights: U-Net ${unet.numParameters().toLocaleString('en-US')} parameters (${gib(4 * unet.numParameters())} float32), ` +
  `VAE ${vae.numParameters().toLocaleString('en-US')} (${gib(4 * vae.numParameters())}; the decoder alone runs)`);

const guided = unetFlops(unet, { batch: 2, height: size, width: size, contextLength: CONTEXT });
const plain = unetFlops(unet, { batch: 1, height: size, width: size, contextLength: CONTEXT });
const decode = autoencoderKLFlops(vaeConfig, [out, out]).decode;
console.log(`U-Net per step, guidance > 1 (batch 2): ${tflops(guided.total)} (conv ${tflops(guided.conv)}, linear ${tflops(guided.linear)}, attention products ${tflops(guided.attention)})`);
console.log(`U-Net per step, guidance 1 (batch 1):   ${tflops(plain.total)}`);
console.log(`VAE decode, once:                     ${tflops(decode)}`);
for (const steps of [1, 20, 75]) {
  console.log(`  ${steps} step(s) with guidance: ${tflops(steps * guided.total + decode)} in all`);
}

for (const backend of ['wasm', 'webgpu'] as const) {
  const forward = unet.estimateMemory([2, size, size], { contextLength: CONTEXT, backend });
  const codec = vae.estimateMemory([1, out, out], { backend });
  const input = { unet, vae, batch: 1, guided: true, contextLength: CONTEXT, latent: [size, size] as const, backend };
  const untiled = estimateUpscaleMemory(input, size, out);
  const tiling = chooseUpscaleTiling(input, 8, {});
  console.log(
    `${backend}: U-Net call (batch 2) peak ${gib(forward.forward)}${forward.forwardRetained ? ` + ${gib(forward.forwardRetained)} retained` : ''}, ` +
      `decode peak ${gib(codec.decode)}${codec.decodeRetained ? ` + ${gib(codec.decodeRetained)} retained` : ''}; ` +
      `whole run untiled: denoise ${gib(untiled.denoise)}, decode ${gib(untiled.decode)}; ` +
      `at the default 1024 MiB budget: U-Net tiles ${tiling.latentTileSize} (${tiling.latentTiles}), VAE tiles ${tiling.vaeTileSize} (${tiling.vaeTiles}), ` +
      `estimate ${(tiling.estimatedPeakBytes / MIB).toFixed(0)} MiB`,
  );
  for (const [u, v] of [[size / 2, out / 2], [size / 4, out / 4]] as const) {
    const tiled = estimateUpscaleMemory(input, u, v);
    console.log(`  ${backend}, U-Net tiles ${u}, VAE tiles ${v}: denoise ${gib(tiled.denoise)}, decode ${gib(tiled.decode)}`);
  }
}

if (measure) {
  for (const backend of backends) {
    try {
      await useBackend(backend);
      const conv = await measureConvThroughput(backend);
      const gflops = conv.gflops;
      console.log(
        `${backend}: raw 3x3 conv ${gflops.toFixed(2)} GFLOP/s -> at that speed one guided step takes ${(guided.total / 1e9 / gflops).toFixed(0)} s, ` +
          `one unguided ${(plain.total / 1e9 / gflops).toFixed(0)} s, the decode ${(decode / 1e9 / gflops).toFixed(0)} s`,
      );
    } catch (error) {
      console.log(`${backend}: not measured (${(error as Error).message})`);
    }
  }
}
