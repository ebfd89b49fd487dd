import { isAbsolute } from 'node:path';
import { BACKEND_NAMES } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { z } from 'zod';
import { UpscaleJobDataError } from './errors.js';

/** The image formats an upscale job can write. */
export const UPSCALE_OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;

/** An output format of {@link UPSCALE_OUTPUT_FORMATS}. */
export type UpscaleOutputFormat = (typeof UPSCALE_OUTPUT_FORMATS)[number];

/** How one image is upscaled: the options of `yonos upscale`, resolved by the producer. */
export interface UpscaleJobOptions {
  /** Upscaling factor, 1 to 64: the model's (the producer checked it against the model). */
  readonly scale: number;
  /** DDIM steps, 1 to 1000 (1 for a YONOS model). */
  readonly steps: number;
  /** Seed of the initial noise, a whole number from 0 to 2^53 - 1: the same seed gives the same bytes. */
  readonly seed: number;
  /** Tile edge in output pixels (`--tile`); 0 turns tiling off; absent: tiles chosen from the memory budget. */
  readonly tile?: number | undefined;
  /** Memory budget of one image in MiB (`--memory`, at least 16); absent: the pipeline's default. */
  readonly memory?: number | undefined;
  /** Pipeline folder, an absolute path as the workers see it; absent: the worker's bundled model for {@link UpscaleJobOptions.scale}. */
  readonly model?: string | undefined;
  /** tfjs backend to compute on; absent: the worker's. The same backend gives the same bytes as a local run. */
  readonly backend?: BackendName | undefined;
  /** Output format. */
  readonly format: UpscaleOutputFormat;
  /** JPEG and WebP quality, 1 to 100. */
  readonly quality: number;
}

/** One image to upscale, as given to {@link enqueueUpscale}. */
export interface UpscaleJobSpec {
  /**
   * The image to read: an absolute path on storage every worker sees at the same path, or an
   * `http:`, `https:` or `file:` URL.
   */
  readonly input: string;
  /** Absolute path of the file to write (through a temporary file and a rename), on storage the workers share. */
  readonly output: string;
  /** How to upscale it. */
  readonly options: UpscaleJobOptions;
}

/** The data of a job in the queue: a {@link UpscaleJobSpec} and its place in its batch. */
export interface UpscaleJobData extends UpscaleJobSpec {
  /** The batch id (see {@link enqueueUpscale}). */
  readonly batch: string;
  /** The job's position in its batch, from 0. */
  readonly index: number;
}

/** What a worker's processor returns for a job written; stored as the job's result. */
export interface UpscaleJobResult {
  /** Absolute path of the file written. */
  readonly output: string;
  /** Output width in pixels. */
  readonly width: number;
  /** Output height in pixels. */
  readonly height: number;
  /** Channels written (alpha is dropped only for JPEG). */
  readonly channels: number;
  /** Frames of the input; only the first is upscaled. */
  readonly frames: number;
  /** The input had alpha and the output is JPEG, which cannot hold it. */
  readonly droppedAlpha: boolean;
  /** The backend the image was computed on. */
  readonly backend: string;
  /** Seconds the processor took, model loading included when it loaded one. */
  readonly seconds: number;
}

/** Progress within one job, as the worker reports it: `completed` of `total` model evaluations, in `stage`. */
export interface UpscaleJobProgress {
  /** Model evaluations done. */
  readonly completed: number;
  /** Model evaluations of the whole image. */
  readonly total: number;
  /** `read`, `encode`, `denoise` or `decode`. */
  readonly stage: string;
}

const whole = (min: number, max: number) => z.number().int().min(min).max(max);

const optionsSchema = z.strictObject({
  scale: whole(1, 64),
  steps: whole(1, 1000),
  seed: whole(0, Number.MAX_SAFE_INTEGER),
  tile: whole(0, 1 << 20).optional(),
  memory: whole(16, 1 << 24).optional(),
  model: z.string().refine(isAbsolute, { error: 'must be an absolute path' }).optional(),
  backend: z.enum(BACKEND_NAMES as readonly [BackendName, ...BackendName[]]).optional(),
  format: z.enum(UPSCALE_OUTPUT_FORMATS),
  quality: whole(1, 100),
});

const URL_INPUT = /^(https?|file):\/\//i;

const specShape = {
  input: z.string().refine((s) => isAbsolute(s) || URL_INPUT.test(s), { error: 'must be an absolute path or an http:, https: or file: URL' }),
  output: z.string().refine(isAbsolute, { error: 'must be an absolute path' }),
  options: optionsSchema,
};

const specSchema = z.strictObject(specShape);
const dataSchema = z.strictObject({ ...specShape, batch: z.string().min(1), index: whole(0, Number.MAX_SAFE_INTEGER) });

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue !== undefined && issue.path.length > 0 ? issue.path.join('.') : '(the whole value)';
  throw new UpscaleJobDataError(`${what}: ${field} ${issue?.message ?? 'is invalid'}.`);
}

/**
 * Checks a job spec before it is enqueued.
 * @throws {@link UpscaleJobDataError} naming the field and what it must be.
 */
export function parseUpscaleJobSpec(value: unknown): UpscaleJobSpec {
  return parseWith<UpscaleJobSpec>(specSchema, value, 'Not an upscale job');
}

/**
 * Checks the data of a job taken from the queue (a worker does this before anything else:
 * the producer may be another version, or not YONOS at all).
 * @throws {@link UpscaleJobDataError} naming the field and what it must be.
 */
export function parseUpscaleJobData(value: unknown): UpscaleJobData {
  return parseWith<UpscaleJobData>(dataSchema, value, 'Not an upscale job');
}

/** Whether a job's input is a URL (downloaded by the worker) rather than a path. */
export function isUrlInput(input: string): boolean {
  return URL_INPUT.test(input);
}
