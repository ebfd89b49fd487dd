import type { EvalScore } from './score.js';

/** One scored image. */
export interface EvalRow extends EvalScore {
  readonly name: string;
}

/** How the scores were measured, for the table's heading. */
export interface EvalSettings {
  /** `'y'`: BT.601 luma of RGB (the SR literature's way); `'rgb'`: all three channels. */
  readonly channel: 'y' | 'rgb';
  readonly cropBorder: number;
}

/** The arithmetic mean of per-image scores (the SR literature averages PSNR in dB, not MSE). */
export function meanScore(rows: readonly EvalScore[]): EvalScore {
  const sum = (key: keyof EvalScore): number => rows.reduce((total, row) => total + row[key], 0);
  return { psnr: sum('psnr') / rows.length, ssim: sum('ssim') / rows.length };
}

function fixed(value: number, digits: number): string {
  // Identical images have an infinite PSNR.
  return Number.isFinite(value) ? value.toFixed(digits) : value > 0 ? 'inf' : String(value);
}

/**
 * The PSNR/SSIM table as text lines: a heading saying how the scores were measured, one row
 * per image (PSNR in dB with 2 decimals, SSIM with 4, as papers report them) and the mean.
 * Columns are aligned for a fixed-width terminal.
 */
export function evalTable(rows: readonly EvalRow[], settings: EvalSettings): string[] {
  const mean = meanScore(rows);
  const body = [...rows.map((r) => [r.name, fixed(r.psnr, 2), fixed(r.ssim, 4)]), [`mean of ${rows.length}`, fixed(mean.psnr, 2), fixed(mean.ssim, 4)]];
  const header = ['image', 'PSNR (dB)', 'SSIM'];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [
    `PSNR/SSIM as BasicSR computes them: ${settings.channel === 'y' ? 'Y channel (BT.601)' : 'RGB channels'}, crop border ${settings.cropBorder}.`,
    line(header),
    ...body.map(line),
  ];
}
