/**
 * The before/after view: the input enlarged by the browser (smooth interpolation) under the
 * model's output, with a slider that moves the boundary between them. Both canvases have the
 * output's size, so the comparison is pixel for pixel.
 */
export class CompareView {
  readonly #before: HTMLCanvasElement;
  readonly #after: HTMLCanvasElement;
  readonly #slider: HTMLInputElement;

  /**
   * @param before Canvas for the enlarged input (underneath).
   * @param after Canvas for the output (on top, clipped at the slider).
   * @param slider A range input, 0 to 100.
   */
  constructor(before: HTMLCanvasElement, after: HTMLCanvasElement, slider: HTMLInputElement) {
    this.#before = before;
    this.#after = after;
    this.#slider = slider;
    slider.addEventListener('input', () => this.#clip());
    this.#clip();
  }

  /** The canvas holding the output pixels, as drawn by {@link CompareView.show}. */
  get outputCanvas(): HTMLCanvasElement {
    return this.#after;
  }

  /**
   * Shows a result.
   * @param input The 8-bit RGBA input.
   * @param output The 8-bit RGBA output (any size; the input is enlarged to it).
   */
  show(input: ImageData, output: ImageData): void {
    const source = document.createElement('canvas');
    source.width = input.width;
    source.height = input.height;
    context(source).putImageData(input, 0, 0);
    for (const canvas of [this.#before, this.#after]) {
      canvas.width = output.width;
      canvas.height = output.height;
    }
    const ctx = context(this.#before);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(source, 0, 0, output.width, output.height);
    context(this.#after).putImageData(output, 0, 0);
    this.#clip();
  }

  #clip(): void {
    // The output fills the part right of the slider: left is "before", right is "after".
    this.#after.style.clipPath = `inset(0 0 0 ${Number(this.#slider.value)}%)`;
  }
}

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw new Error('no 2D canvas context');
  return ctx;
}
