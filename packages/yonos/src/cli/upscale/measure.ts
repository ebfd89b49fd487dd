import { readImageInfo } from '@yonos/core/node';
import type { ImageInfo } from '@yonos/core/node';
import type { UpscaleJob } from './output-plan.js';

/**
 * Reads the header (size, frame count) of every input that will be upscaled, for the ETA and
 * to say when only the first frame of an animation is used. Kept and refused jobs are left as
 * they are, and so is an input whose header cannot be read (its upscale reports why).
 * @param read The header reader (core's `readImageInfo` unless a test passes its own).
 */
export async function measureJobs(jobs: readonly UpscaleJob[], read: (path: string) => Promise<ImageInfo> = readImageInfo): Promise<UpscaleJob[]> {
  const measured: UpscaleJob[] = [];
  for (const job of jobs) {
    if (job.kept === true || job.problem !== undefined) {
      measured.push(job);
      continue;
    }
    const info = await read(job.input).catch(() => undefined);
    measured.push(info !== undefined ? { ...job, info } : job);
  }
  return measured;
}

/**
 * The work of each job for the ETA: its pixels (one frame), or the mean of the known ones
 * where the header could not be read; 0 for a job that is refused anyway.
 */
export function jobWork(jobs: readonly UpscaleJob[]): number[] {
  const known = jobs.flatMap((job) => (job.info !== undefined ? [job.info.width * job.info.height] : []));
  const mean = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  return jobs.map((job) => (job.problem !== undefined ? 0 : job.info !== undefined ? job.info.width * job.info.height : mean));
}
