import sharp from 'sharp';

/** Text made safe for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The "nice" step (1, 2 or 5 times a power of ten) closest above `rough`. */
export function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const f = rough / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/** A tick label: fixed decimals if given, else the shortest form of the number. */
export function formatTick(value: number, decimals?: number): string {
  return decimals !== undefined ? value.toFixed(decimals) : String(Number(value.toPrecision(6)));
}

/**
 * Rasterizes an SVG document to a PNG file with sharp (librsvg) at 1 image pixel per SVG
 * unit. Text uses the system's fonts (fontconfig).
 * @returns the PNG's size.
 */
export async function svgToPng(svg: string, path: string): Promise<{ width: number; height: number }> {
  const info = await sharp(Buffer.from(svg), { density: 72 }).png().toFile(path);
  return { width: info.width, height: info.height };
}
