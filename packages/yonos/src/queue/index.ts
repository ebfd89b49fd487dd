/**
 * `yonos/queue`: upscaling on a Redis queue. Everything of `@yonos/queue` (enqueue a batch,
 * follow it, run workers), and the processor that computes a job as `yonos upscale` would,
 * to give to `createUpscaleWorker`:
 *
 * ```ts
 * import { createUpscaleProcessor, createUpscaleWorker, stopOnSignals } from 'yonos/queue';
 *
 * const processor = createUpscaleProcessor({ threads: 4 });
 * const worker = await createUpscaleWorker({ redis: 'redis://localhost:6379', process: processor.process, retryable: processor.retryable });
 * await stopOnSignals(worker).closed;
 * processor.dispose();
 * ```
 *
 * A separate entry point so that `import 'yonos'` does not load BullMQ and a Redis client.
 * @module yonos/queue
 */
export * from '@yonos/queue';
export { createUpscaleProcessor, isRetryableUpscaleError } from './processor.js';
export type { UpscaleProcessor, UpscaleProcessorOptions } from './processor.js';
export { InputFetchError } from './fetch-input.js';
