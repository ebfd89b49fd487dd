import { randomBytes } from 'node:crypto';
import { UnknownBatchError } from './errors.js';

const BATCH_ID = /^([0-9a-f]{8})-(\d+)$/;

/**
 * A new batch id for `size` jobs: 8 random hex digits and the size, `3fa9c2d1-16`. The size is
 * part of the id so that the batch's jobs (`<batch>-0` to `<batch>-<size - 1>`) can be found
 * without scanning the queue.
 */
export function newBatchId(size: number): string {
  return `${randomBytes(4).toString('hex')}-${size}`;
}

/** The job id of the `index`-th job of a batch: `<batch>-<index>`. */
export function batchJobId(batch: string, index: number): string {
  return `${batch}-${index}`;
}

/**
 * The job ids of a batch, in order.
 * @throws {@link UnknownBatchError} for an id not made by {@link newBatchId}.
 */
export function batchJobIds(batch: string): string[] {
  const match = BATCH_ID.exec(batch);
  if (match === null) {
    throw new UnknownBatchError(`'${batch}' is not a batch id (8 hex digits, a dash and the number of images, as 'yonos upscale --queue' prints it, e.g. 3fa9c2d1-16).`);
  }
  return Array.from({ length: Number(match[2]) }, (_, i) => batchJobId(batch, i));
}
