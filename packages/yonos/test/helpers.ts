import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawImage } from '@yonos/core';
import { writeImage } from '@yonos/core/node';
import type { CliIO, CliStream } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import type { CliOptions } from '../src/cli/program.js';

/** A non-TTY stream that keeps what is written. */
export class Capture implements CliStream {
  text = '';
  readonly isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** The result of one in-process run of the command. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `yonos <args>` in this process, capturing its output. */
export async function yonos(...args: string[]): Promise<CliRun> {
  return yonosWith({}, ...args);
}

/** {@link yonos} with options, e.g. a temporary folder as the bundled model's root. */
export async function yonosWith(options: CliOptions, ...args: string[]): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIO = { stdout, stderr };
  const code = await runCli(args, io, options);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A deterministic 8-bit RGB test image with edges and gradients. */
export function testImage(width: number, height: number, salt: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / (width - 1);
      data[i + 1] = ((x >> 2) + (y >> 2) + salt) % 2 === 0 ? 220 : 30;
      data[i + 2] = (y * 13 + salt * 41) & 255;
    }
  }
  return { data, width, height, channels: 3, bitDepth: 8 };
}

/** A temporary folder whose `in/` holds images `a.png` (35x30), `b.jpg` (32x32), `c.webp` (20x18), a corrupt `bad.png` and a `notes.txt`. */
export async function imageFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'yonos-cli-'));
  const input = join(dir, 'in');
  await mkdir(input);
  await writeImage(join(input, 'a.png'), testImage(35, 30, 1));
  await writeImage(join(input, 'b.jpg'), testImage(32, 32, 2), { quality: 90 });
  await writeImage(join(input, 'c.webp'), testImage(20, 18, 3), { lossless: true });
  await writeFile(join(input, 'bad.png'), 'this is not a PNG file');
  await writeFile(join(input, 'notes.txt'), 'not an image');
  return dir;
}
