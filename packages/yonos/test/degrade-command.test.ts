import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { imresize } from '@yonos/core';
import { readImage, writeImage } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFolder, testImage, yonos } from './helpers.js';

let root: string;
let input: string;

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

async function bytesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const sub of await files(dir)) {
    for (const name of await files(join(dir, sub))) out.set(`${sub}/${name}`, await readFile(join(dir, sub, name)));
  }
  return out;
}

describe('yonos degrade', () => {
  beforeAll(async () => {
    root = await imageFolder();
    input = join(root, 'in');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes cropped HR and bicubic LR PNGs, skips the corrupt file, and exits with 1', async () => {
    const out = join(root, 'bicubic');
    const run = await yonos('degrade', input, '--out', out, '--scale', '4', '--backend', 'cpu');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Wrote 3 LR\/HR pairs to .* \(hr\/, lr_x4\/\): scale 4, bicubic, seed 0, backend cpu\.$/m);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warning: skipped 'bad\.png': Cannot decode image/);
    expect(lines[1]).toMatch(/^error: 1 of 4 images failed \(bad\.png; reasons above\)/);
    expect(await files(out)).toEqual(['hr', 'lr_x4']);
    expect(await files(join(out, 'hr'))).toEqual(['a.png', 'b.png', 'c.png']);
    expect(await files(join(out, 'lr_x4'))).toEqual(['a.png', 'b.png', 'c.png']);

    // a.png is 35x30: cropped to 32x28 from the top-left, pixels unchanged.
    const source = await readImage(join(input, 'a.png'));
    const hr = await readImage(join(out, 'hr', 'a.png'));
    expect([hr.width, hr.height, hr.channels, hr.bitDepth]).toEqual([32, 28, 3, 8]);
    for (let y = 0; y < 28; y++) {
      expect(Array.from(hr.data.subarray(y * 32 * 3, (y + 1) * 32 * 3))).toEqual(Array.from(source.data.subarray(y * 35 * 3, y * 35 * 3 + 32 * 3)));
    }
    // The LR is MATLAB bicubic of that HR, rounded to 8 bits (recomputed here on the host-read pixels).
    const lr = await readImage(join(out, 'lr_x4', 'a.png'));
    expect([lr.width, lr.height]).toEqual([8, 7]);
    const expected = tf.tidy(() => {
      const x = tf.div(tf.tensor4d(Float32Array.from(hr.data), [1, 28, 32, 3]), 255) as tf.Tensor4D;
      return tf.clipByValue(tf.round(tf.mul(imresize(x, { height: 7, width: 8 }), 255)), 0, 255);
    });
    const want = Array.from(expected.dataSync());
    expected.dispose();
    const got = Array.from(lr.data);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBe(0);

    // Inputs are untouched, nothing was written into the input folder.
    expect(await files(input)).toEqual(['a.png', 'b.jpg', 'bad.png', 'c.webp', 'notes.txt']);
  });

  it('is reproducible: a rerun writes identical files; another seed changes Real-ESRGAN LRs only', async () => {
    const first = join(root, 'res1');
    const second = join(root, 'res2');
    const other = join(root, 'res3');
    const a = await yonos('degrade', input, '-o', first, '--scale', '2', '--pipeline', 'realesrgan', '--seed', '5');
    const b = await yonos('degrade', input, '-o', second, '--scale', '2', '--pipeline', 'realesrgan', '--seed', '5');
    const c = await yonos('degrade', input, '-o', other, '--scale', '2', '--pipeline', 'realesrgan', '--seed', '6');
    expect([a.code, b.code, c.code]).toEqual([1, 1, 1]);
    expect(a.stdout).toContain('backend wasm');
    const [x, y, z] = await Promise.all([bytesOf(first), bytesOf(second), bytesOf(other)]);
    expect([...x.keys()]).toEqual(['hr/a.png', 'hr/b.png', 'hr/c.png', 'lr_x2/a.png', 'lr_x2/b.png', 'lr_x2/c.png']);
    for (const [name, bytes] of x) {
      expect(bytes.equals(y.get(name)!)).toBe(true);
      expect(bytes.equals(z.get(name)!)).toBe(name.startsWith('hr/'));
    }
  });

  it('seeds each image by its file name, so adding files does not change the others', async () => {
    const out1 = join(root, 'name1');
    const out2 = join(root, 'name2');
    await yonos('degrade', input, '-o', out1, '-s', '2', '-p', 'realesrgan', '--backend', 'cpu');
    await writeImage(join(input, '0-first.png'), testImage(16, 16, 9));
    try {
      const run = await yonos('degrade', input, '-o', out2, '-s', '2', '-p', 'realesrgan', '--backend', 'cpu');
      expect(run.stdout).toMatch(/^Wrote 4 /);
      for (const name of ['a.png', 'b.png', 'c.png']) {
        expect((await readFile(join(out2, 'lr_x2', name))).equals(await readFile(join(out1, 'lr_x2', name)))).toBe(true);
      }
    } finally {
      await rm(join(input, '0-first.png'));
    }
  });

  it('frees every tensor it makes', async () => {
    await yonos('degrade', input, '-o', join(root, 'warm'), '-s', '2', '--backend', 'cpu');
    const before = tf.memory().numTensors;
    await yonos('degrade', input, '-o', join(root, 'leak'), '-s', '2', '-p', 'realesrgan', '--backend', 'cpu');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an output folder that would write into the input folder', async () => {
    // Inputs in <dir>/hr: `--out <dir>` would write <dir>/hr/<name>.png over them.
    const dataset = join(root, 'dataset');
    const hrInput = join(dataset, 'hr');
    await mkdir(hrInput, { recursive: true });
    await writeImage(join(hrInput, 'x.png'), testImage(16, 16, 4));
    const before = await readFile(join(hrInput, 'x.png'));
    for (const out of [dataset, join(dataset, '.'), join(hrInput, '..')]) {
      const run = await yonos('degrade', hrInput, '--out', out, '--backend', 'cpu');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: The output folder '.*hr' contains the input folder .*: pass a different --out/);
    }
    // Also through a symlink to the dataset folder.
    await symlink(dataset, join(root, 'link'));
    expect((await yonos('degrade', hrInput, '--out', join(root, 'link'))).code).toBe(2);
    // An input folder whose name matches lr_x<scale> is guarded too.
    expect((await yonos('degrade', hrInput, '--out', join(hrInput, '..'), '--scale', '2')).code).toBe(2);
    expect((await readFile(join(hrInput, 'x.png'))).equals(before)).toBe(true);
    expect(await files(hrInput)).toEqual(['x.png']);
    expect(await files(dataset)).toEqual(['hr']);
    // Writing next to the inputs is fine: outputs go to sub-folders, which are never read back.
    const beside = await yonos('degrade', hrInput, '--out', join(hrInput, 'pairs'), '--backend', 'cpu', '--scale', '2');
    expect(beside.code).toBe(0);
    expect(beside.stderr).toBe('');
    expect(await files(join(hrInput, 'pairs'))).toEqual(['hr', 'lr_x2']);
  });

  it('rejects bad option values with what to pass, before writing anything', async () => {
    for (const [args, message] of [
      [['--scale', '0'], /--scale must be at least 1/],
      [['--scale', '2.5'], /--scale must be a whole number/],
      [['--scale', 'four'], /--scale must be a number/],
      [['--seed', '-1'], /--seed must be >= 0/],
      [['--pipeline', 'jpeg'], /Allowed choices are bicubic, realesrgan/],
    ] as const) {
      const out = join(root, 'never');
      const run = await yonos('degrade', input, '--out', out, ...args);
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n')[0]).toMatch(message);
      await expect(readdir(out)).rejects.toThrow();
    }
    const empty = await yonos('degrade', join(root, 'bicubic'), '--out', join(root, 'never'));
    expect(empty.stderr).toMatch(/^error: No PNG, JPEG or WebP images in .*\(2 other entries ignored\)/);
  });

  it('reports images smaller than the scale and keeps going', async () => {
    const out = join(root, 'x24');
    const run = await yonos('degrade', input, '--out', out, '--scale', '24', '--backend', 'cpu');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/warning: skipped 'c\.webp': 'c\.webp' is 20x18, smaller than the scale 24/);
    expect(run.stderr).toMatch(/error: 2 of 4 images failed \(bad\.png, c\.webp;/);
    expect(run.stdout).toMatch(/^Wrote 2 LR\/HR pairs/);
    expect(await files(join(out, 'lr_x24'))).toEqual(['a.png', 'b.png']);
  });

  it('reads gray, alpha and 16-bit inputs as 8-bit RGB, and skips inputs whose output names collide', async () => {
    const folder = join(root, 'mixed');
    await mkdir(folder);
    const gray = new Uint16Array(8 * 8 * 2);
    for (let p = 0; p < 64; p++) {
      gray[2 * p] = p * 1000 + 7;
      gray[2 * p + 1] = p % 2 === 0 ? 65535 : 0;
    }
    await writeImage(join(folder, 'gray16.png'), { data: gray, width: 8, height: 8, channels: 2, bitDepth: 16 });
    await writeImage(join(folder, 'dup.jpg'), testImage(8, 8, 5));
    await writeImage(join(folder, 'dup.png'), testImage(8, 8, 6));
    const out = join(root, 'mixed-out');
    const run = await yonos('degrade', folder, '--out', out, '--scale', '2', '--backend', 'cpu');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/warning: skipped 'dup\.png': its output name dup\.png is already taken by 'dup\.jpg'; rename one of them/);
    const hr = await readImage(join(out, 'hr', 'gray16.png'));
    expect([hr.channels, hr.bitDepth]).toEqual([3, 8]);
    // Gray replicated to R, G and B; values round(v / 257); alpha dropped.
    expect(Array.from(hr.data)).toEqual(Array.from({ length: 64 * 3 }, (_, i) => Math.round((Math.floor(i / 3) * 1000 + 7) / 257)));
    expect(await files(join(out, 'lr_x2'))).toEqual(['dup.png', 'gray16.png']);
    const dup = await readImage(join(out, 'hr', 'dup.png'));
    const jpg = await readImage(join(folder, 'dup.jpg'));
    expect(Array.from(dup.data)).toEqual(Array.from(jpg.data));
  });
});
