import { MultiBar, Presets } from 'cli-progress';
import { type CliStream, writeLine } from '../io.js';

/** Progress of `yonos upscale`: one bar for the batch, one for the image being upscaled. */
export interface UpscaleProgress {
  /** An image starts; `name` is shown next to both bars. */
  startImage(name: string): void;
  /** Progress within the current image: `completed` of `total` model evaluations, in `stage`. */
  updateImage(completed: number, total: number, stage: string): void;
  /** The current image is done (written or failed): the batch bar moves on. */
  finishImage(): void;
  /** A message that must stay visible (printed above the bars on a terminal). */
  log(line: string): void;
  /** Removes the bars; call once, before printing the summary. */
  stop(): void;
}

/**
 * A progress reporter writing to `stream`. On a TTY it draws two `cli-progress` bars (the
 * batch, and the model evaluations of the current image) with {@link UpscaleProgress.log}
 * lines above them; elsewhere (pipes, CI logs, tests) it prints only those lines.
 * @param total Images in the batch.
 * @param label Shown before the batch bar, e.g. `upscale x4`.
 */
export function createUpscaleProgress(stream: CliStream, total: number, label: string): UpscaleProgress {
  if (stream.isTTY !== true) {
    return { startImage: () => undefined, updateImage: () => undefined, finishImage: () => undefined, log: (line) => writeLine(stream, line), stop: () => undefined };
  }
  const multi = new MultiBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: '{label} [{bar}] {value}/{total} {name}',
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  const batch = multi.create(total, 0, { label, name: '' });
  // The image bar counts model evaluations, whose number is known once the image is read.
  const image = multi.create(1, 0, { label: ' '.repeat(label.length), name: '' });
  let name = '';
  return {
    startImage: (next) => {
      name = next;
      batch.update({ name });
      image.setTotal(1);
      image.update(0, { name: `${name}: reading` });
    },
    updateImage: (completed, steps, stage) => {
      image.setTotal(Math.max(1, steps));
      image.update(completed, { name: `${name}: ${stage}` });
    },
    finishImage: () => batch.increment(1, { name }),
    log: (line) => multi.log(`${line}\n`),
    stop: () => {
      // cli-progress prints logged lines only when it redraws: flush them before the bars go.
      multi.update();
      multi.stop();
    },
  };
}
