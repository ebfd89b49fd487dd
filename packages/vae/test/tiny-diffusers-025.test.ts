// AutoencoderTiny against diffusers 0.25, the version YONOS reads and writes: the TAESD fixture
// reproduced, and the keys of later versions (upsample_fn, shift_factor) written only where they
// change something, refused where 0.25 would decode the same weights differently.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { readSafetensorsFile } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderTiny, VaeConfigError, parseAutoencoderTinyConfig } from '../src/index.js';
import { DIFFUSERS_FIXTURES, TAESD_PARITY_TOL, relError } from './helpers.js';

const TAESD = join(DIFFUSERS_FIXTURES, 'vae-tiny-taesd');
/** The VAE of the model the `yonos` package ships (an AutoencoderTiny saved before this change). */
const BUNDLED_VAE = fileURLToPath(new URL('../../yonos/model/x4/vae', import.meta.url));

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'yonos-taesd-025-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(folder: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
}

describe('AutoencoderTiny and diffusers 0.25', () => {
  it('reproduces diffusers 0.25 on the vae-tiny-taesd fixture (encode and decode), leak-free', async () => {
    const { tensors } = await readSafetensorsFile(join(TAESD, 'io.safetensors'));
    const nhwc = (name: string): tf.Tensor4D => tf.transpose(tensors.get(name) as tf.Tensor4D, [0, 2, 3, 1]);
    const [image, latents, z, decoded] = ['image', 'latents', 'z', 'decoded'].map(nhwc) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    tf.dispose([...tensors.values()]);
    const before = tf.memory().numTensors;
    for (const upsample of [undefined, 'nearest', 'nearest-exact']) {
      const config = await configFile(TAESD);
      const vae = AutoencoderTiny.fromConfig(upsample === undefined ? config : { ...config, upsample_fn: upsample });
      const reference = await AutoencoderTiny.fromPretrained(TAESD);
      const weights = reference.stateDict();
      vae.loadStateDict(weights);
      tf.dispose([...weights.values()]);
      reference.dispose();
      const posterior = vae.encode(image);
      const out = vae.decode(z);
      expect(await relError(posterior.mean, latents), `latents, upsample_fn ${upsample}`).toBeLessThanOrEqual(TAESD_PARITY_TOL);
      expect(await relError(out, decoded), `decoded, upsample_fn ${upsample}`).toBeLessThanOrEqual(TAESD_PARITY_TOL);
      posterior.dispose();
      out.dispose();
      vae.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([image, latents, z, decoded]);
  });

  it('drops upsample_fn and shift_factor when they change nothing, keeps a non-zero shift_factor', () => {
    for (const input of [{}, { upsample_fn: 'nearest', shift_factor: 0 }, { upsample_fn: 'nearest-exact', shift_factor: null }]) {
      const c = parseAutoencoderTinyConfig(input);
      expect('upsample_fn' in c, JSON.stringify(input)).toBe(false);
      expect('shift_factor' in c, JSON.stringify(input)).toBe(false);
      expect(AutoencoderTiny.fromConfig(input).shiftFactor).toBe(0);
    }
    const shifted = parseAutoencoderTinyConfig({ shift_factor: 0.1159 });
    expect(shifted.shift_factor).toBe(0.1159);
    expect(AutoencoderTiny.fromConfig({ shift_factor: 0.1159 }).shiftFactor).toBe(0.1159);
  });

  it('refuses an upsample_fn diffusers 0.25 cannot reproduce, saying so', () => {
    for (const mode of ['bilinear', 'bicubic']) {
      expect(() => AutoencoderTiny.fromConfig({ upsample_fn: mode })).toThrow(VaeConfigError);
      expect(() => parseAutoencoderTinyConfig({ upsample_fn: mode })).toThrow(
        `upsample_fn: is "${mode}", which diffusers 0.25 cannot reproduce: its AutoencoderTiny has no upsample_fn and always upsamples with "nearest"`,
      );
    }
  });

  it('saves upsample_fn and shift_factor only when they differ from what diffusers 0.25 does', async () => {
    const small = { encoder_block_out_channels: [8, 8], decoder_block_out_channels: [8, 8], num_encoder_blocks: [1, 1], num_decoder_blocks: [1, 1] };
    const plain = AutoencoderTiny.fromConfig({ ...small, upsample_fn: 'nearest', shift_factor: 0 }).initialize(createRng(1));
    await plain.savePretrained(join(dir, 'plain'));
    const written = await configFile(join(dir, 'plain'));
    expect(Object.keys(written)).not.toContain('upsample_fn');
    expect(Object.keys(written)).not.toContain('shift_factor');
    plain.dispose();

    const shifted = AutoencoderTiny.fromConfig({ ...small, shift_factor: 0.25 }).initialize(createRng(1));
    await shifted.savePretrained(join(dir, 'shifted'));
    expect((await configFile(join(dir, 'shifted')))['shift_factor']).toBe(0.25);
    const loaded = await AutoencoderTiny.fromPretrained(join(dir, 'shifted'));
    expect(loaded.shiftFactor).toBe(0.25);
    shifted.dispose();
    loaded.dispose();
  });

  it("loads the bundled model's VAE config (which carries both keys) and saves it back without them", async () => {
    const file = await configFile(BUNDLED_VAE);
    expect(file['upsample_fn']).toBe('nearest');
    expect(file['shift_factor']).toBe(0);
    const vae = await AutoencoderTiny.fromPretrained(BUNDLED_VAE);
    expect(vae.shiftFactor).toBe(0);
    const { upsample_fn: _u, shift_factor: _s, ...rest } = file;
    expect({ ...vae.config }).toEqual(rest);
    await vae.savePretrained(join(dir, 'bundled'));
    expect(await configFile(join(dir, 'bundled'))).toEqual(rest);
    vae.dispose();
  });
});
