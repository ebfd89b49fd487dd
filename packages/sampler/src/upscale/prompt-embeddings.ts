import * as tf from '@tensorflow/tfjs-core';
import { PretrainedError, SafetensorsReader, byteSourceFromBlob, openModelStore } from '@yonos/core';
import type { ModelStore, WritableModelStore } from '@yonos/core';
import { PipelineInputError } from '../pipeline/errors.js';

/**
 * The text conditioning of a Stable Diffusion pipeline, as diffusers' `prompt_embeds` and
 * `negative_prompt_embeds` (the CLIP text encoder's last hidden states; YONOS has no text
 * encoder, so they are computed once with diffusers and saved, see the "Bring Stable Diffusion
 * weights" guide).
 */
export interface PromptEmbeddings {
  /** `[1 or N, L, D]` float32: the prompt's embedding (`L` tokens, 77 for CLIP; `D` the U-Net's `crossAttentionDim`, 1024 for the x4 upscaler). */
  readonly promptEmbeds: tf.Tensor3D;
  /**
   * The same shape: the negative (often empty) prompt's embedding, the unconditional side of
   * classifier-free guidance. Required when the guidance scale is above 1.
   */
  readonly negativePromptEmbeds?: tf.Tensor3D;
}

/**
 * Where prompt embeddings come from: the tensors themselves (not disposed by the pipeline), or
 * a `.safetensors` file holding {@link PROMPT_EMBEDS_TENSOR} and optionally
 * {@link NEGATIVE_PROMPT_EMBEDS_TENSOR}: a path (Node) or URL (`http(s):`, or relative to the
 * page in a browser), its bytes, or a `Blob` (a file the user picked).
 */
export type PromptEmbeddingsSource = PromptEmbeddings | string | URL | Uint8Array | ArrayBuffer | Blob;

/** Name of the prompt embedding in an embeddings `.safetensors` file (diffusers' argument name). */
export const PROMPT_EMBEDS_TENSOR = 'prompt_embeds';
/** Name of the negative prompt embedding in an embeddings `.safetensors` file (diffusers' argument name). */
export const NEGATIVE_PROMPT_EMBEDS_TENSOR = 'negative_prompt_embeds';

/** Whether `source` holds the tensors rather than naming a file. */
export function isPromptEmbeddings(source: unknown): source is PromptEmbeddings {
  return typeof source === 'object' && source !== null && 'promptEmbeds' in source;
}

/**
 * Reads prompt embeddings from a `.safetensors` file (see {@link PromptEmbeddingsSource});
 * float16 files are read as float32.
 * @returns New tensors the caller owns (dispose with {@link disposePromptEmbeddings}).
 * @throws PretrainedError if the file cannot be read, lacks `prompt_embeds`, or holds a tensor that is not `[N, L, D]`.
 */
export async function readPromptEmbeddings(source: Exclude<PromptEmbeddingsSource, PromptEmbeddings>): Promise<PromptEmbeddings> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return readFrom(SafetensorsReader.fromBytes(source), 'the given bytes');
  if (typeof Blob !== 'undefined' && source instanceof Blob) return readFrom(await SafetensorsReader.open(byteSourceFromBlob(source)), 'the given Blob');
  const { folder, file } = splitLocation(source as string | URL);
  return readPromptEmbeddingsFrom(await openModelStore(folder), file);
}

/**
 * Reads prompt embeddings from a `.safetensors` file inside a model store (a pipeline folder).
 * @returns New tensors the caller owns.
 * @throws PretrainedError as {@link readPromptEmbeddings}.
 */
export async function readPromptEmbeddingsFrom(store: ModelStore, path: string): Promise<PromptEmbeddings> {
  return readFrom(await store.openSafetensors(path), `${store.location}/${path}`);
}

/**
 * Writes prompt embeddings as a float32 `.safetensors` file with {@link PROMPT_EMBEDS_TENSOR}
 * and (if given) {@link NEGATIVE_PROMPT_EMBEDS_TENSOR}; the tensors are not disposed.
 */
export async function writePromptEmbeddings(store: WritableModelStore, path: string, embeddings: PromptEmbeddings): Promise<void> {
  const tensors = new Map<string, tf.Tensor>([[PROMPT_EMBEDS_TENSOR, embeddings.promptEmbeds]]);
  if (embeddings.negativePromptEmbeds !== undefined) tensors.set(NEGATIVE_PROMPT_EMBEDS_TENSOR, embeddings.negativePromptEmbeds);
  await store.writeSafetensors(path, tensors, { dtype: 'F32', metadata: { format: 'pt' } });
}

/** Disposes the tensors of prompt embeddings. */
export function disposePromptEmbeddings(embeddings: PromptEmbeddings | undefined): void {
  if (embeddings === undefined) return;
  tf.dispose([embeddings.promptEmbeds, ...(embeddings.negativePromptEmbeds !== undefined ? [embeddings.negativePromptEmbeds] : [])]);
}

/** Copies of the tensors, kept out of any `tf.tidy` (a pipeline's own defaults). */
export function keepPromptEmbeddings(embeddings: PromptEmbeddings): PromptEmbeddings {
  const promptEmbeds = tf.keep(tf.clone(embeddings.promptEmbeds));
  const negative = embeddings.negativePromptEmbeds;
  return { promptEmbeds, ...(negative !== undefined ? { negativePromptEmbeds: tf.keep(tf.clone(negative)) } : {}) };
}

/**
 * Checks prompt embeddings against a denoiser's context width and a batch.
 * @param needNegative Whether classifier-free guidance needs the negative embedding.
 * @throws PipelineInputError naming the shape expected.
 */
export function checkPromptEmbeddings(embeddings: PromptEmbeddings, crossAttentionDim: number, batch: number, needNegative: boolean): void {
  const check = (t: tf.Tensor, name: string): void => {
    const [n, , d] = t.shape;
    if (t.rank !== 3 || t.dtype !== 'float32' || d !== crossAttentionDim || (n !== 1 && n !== batch)) {
      throw new PipelineInputError(
        `${name} must be float32 [1 or ${batch}, L, ${crossAttentionDim}] (the U-Net's cross_attention_dim is ${crossAttentionDim}); ` +
          `got ${t.dtype} [${t.shape.join(', ')}].`,
      );
    }
  };
  check(embeddings.promptEmbeds, 'promptEmbeds');
  const negative = embeddings.negativePromptEmbeds;
  if (negative === undefined) {
    if (needNegative) {
      throw new PipelineInputError(
        'classifier-free guidance (guidanceScale > 1) needs negativePromptEmbeds (the embedding of the negative or empty prompt); ' +
          'give them, or set guidanceScale to 1.',
      );
    }
    return;
  }
  check(negative, 'negativePromptEmbeds');
  if (negative.shape.join() !== embeddings.promptEmbeds.shape.join()) {
    throw new PipelineInputError(
      `promptEmbeds and negativePromptEmbeds must have the same shape (as diffusers requires); ` +
        `got [${embeddings.promptEmbeds.shape.join(', ')}] and [${negative.shape.join(', ')}].`,
    );
  }
}

/**
 * The cross-attention context of a run: `[N, L, D]` of the prompt, or with guidance
 * `[2N, L, D]` with the negative prompt's first (diffusers' order: `[uncond, text]`).
 * @returns A new tensor the caller owns.
 */
export function guidanceContext(embeddings: PromptEmbeddings, batch: number, guided: boolean): tf.Tensor3D {
  return tf.tidy(() => {
    const repeat = (t: tf.Tensor3D): tf.Tensor3D => (t.shape[0] === batch ? t : tf.tile(t, [batch, 1, 1]));
    const text = repeat(embeddings.promptEmbeds);
    if (!guided) return tf.clone(text);
    return tf.concat([repeat(embeddings.negativePromptEmbeds!), text], 0);
  });
}

async function readFrom(reader: SafetensorsReader, where: string): Promise<PromptEmbeddings> {
  const loaded: tf.Tensor3D[] = [];
  try {
    if (!reader.has(PROMPT_EMBEDS_TENSOR)) {
      throw new PretrainedError(
        `${where} has no tensor "${PROMPT_EMBEDS_TENSOR}"; write the file with safetensors.torch.save_file({"${PROMPT_EMBEDS_TENSOR}": ..., ` +
          `"${NEGATIVE_PROMPT_EMBEDS_TENSOR}": ...}) as the "Bring Stable Diffusion weights" guide shows.`,
      );
    }
    const read = async (name: string): Promise<tf.Tensor3D> => {
      const stored = await reader.tensor(name);
      if (stored.rank !== 3) {
        const shape = stored.shape.join(', ');
        stored.dispose();
        throw new PretrainedError(`${where}: "${name}" must be [N, L, D], got [${shape}].`);
      }
      const out = stored.dtype === 'float32' ? stored : tf.cast(stored, 'float32');
      if (out !== stored) stored.dispose();
      loaded.push(out as tf.Tensor3D);
      return out as tf.Tensor3D;
    };
    const promptEmbeds = await read(PROMPT_EMBEDS_TENSOR);
    if (!reader.has(NEGATIVE_PROMPT_EMBEDS_TENSOR)) return { promptEmbeds };
    return { promptEmbeds, negativePromptEmbeds: await read(NEGATIVE_PROMPT_EMBEDS_TENSOR) };
  } catch (error) {
    tf.dispose(loaded);
    throw error;
  } finally {
    await reader.close();
  }
}

/** A file location split into its folder (a model store) and the file name in it. */
function splitLocation(location: string | URL): { folder: string | URL; file: string } {
  if (location instanceof URL || /^https?:\/\//i.test(location)) {
    const url = new URL(String(location));
    const file = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
    if (file === '') throw new PretrainedError(`${String(location)} names a folder; give the .safetensors file of the prompt embeddings.`);
    return { folder: new URL('.', url), file };
  }
  const slash = Math.max(location.lastIndexOf('/'), location.lastIndexOf('\\'));
  return slash < 0 ? { folder: '.', file: location } : { folder: location.slice(0, slash) || '/', file: location.slice(slash + 1) };
}
