import { rename, rm } from 'node:fs/promises';
import { YonosPipeline } from 'yonos';

/**
 * Writes the pipeline folder `from` to `to` with its weights stored as float16 (half the bytes;
 * they load back as float32). `to` may equal `from`: the copy is written beside it and swapped
 * in only once complete, so an interrupted run leaves the original intact. Needs an active backend.
 */
export async function saveFloat16Copy(from: string, to: string): Promise<void> {
  const pipeline = await YonosPipeline.fromPretrained(from);
  const partial = `${to}.f16-partial`;
  try {
    await rm(partial, { recursive: true, force: true });
    await pipeline.savePretrained(partial, { dtype: 'F16' });
  } finally {
    pipeline.dispose();
  }
  await rm(to, { recursive: true, force: true });
  await rename(partial, to);
}
