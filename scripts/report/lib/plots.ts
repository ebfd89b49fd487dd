import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readImage } from '@yonos/core/node';
import { exists } from '../../data/lib/files.js';
import { cropRgb8, toRgb8 } from '../../data/lib/u8-resize.js';
import type { ReportConfig } from './config.js';
import { ReportError } from './errors.js';
import { hrDir } from './eval-set.js';
import { yonosMethod } from './jobs.js';
import { lineChartSvg } from './line-chart.js';
import type { ChartSeries, ReferenceLine } from './line-chart.js';
import { montageSvg } from './montage.js';
import type { MontageCell } from './montage.js';
import { methodScore } from './results.js';
import type { ReportResults } from './results.js';
import { svgToPng } from './svg.js';

/** The chart of one metric and scale: the sweep models' lines, the final model's points, bicubic and the esrgan models as references. */
function metricChart(results: ReportResults, scale: number, metric: 'psnr' | 'ssim'): string | undefined {
  const scores = results.scores?.entries ?? [];
  const label = (m: string) => results.models[m]?.label ?? m;
  const series: ChartSeries[] = [];
  const lineModels = [...results.sweep, ...(results.sweep.includes(results.final) ? [] : [results.final])];
  for (const model of lineModels) {
    const steps = results.models[model]?.steps ?? [];
    const points = steps.flatMap((k) => {
      const s = methodScore(scores, { scale, model, steps: k });
      return s === undefined ? [] : [{ x: k, y: s[metric] }];
    });
    if (points.length > 0) series.push({ name: label(model), points });
  }
  if (series.length === 0) return undefined;
  // The [0, 1]-input variants of the RDN models stay in the tables; the charts show the
  // models as UpscalerJS ships them, to keep the reference lines apart.
  const shipped = results.esrgan.filter((m) => !m.endsWith('-unit'));
  const references: ReferenceLine[] = ['bicubic', ...shipped].flatMap((method) => {
    const s = methodScore(scores, { scale, method });
    return s === undefined ? [] : [{ name: method, y: s[metric] }];
  });
  const xTicks = [...new Set(lineModels.flatMap((m) => results.models[m]?.steps ?? []))];
  return lineChartSvg({
    title: `${metric === 'psnr' ? 'PSNR' : 'SSIM'} vs DDIM steps, x${scale} (${results.images.length} eval images, Y channel)`,
    xLabel: 'DDIM steps',
    yLabel: metric === 'psnr' ? 'PSNR (dB)' : 'SSIM',
    xScale: 'log',
    xTicks,
    series,
    references,
  });
}

/** Writes `<name>.svg` and its rasterized `<name>.png` into `dir`; returns the PNG path. */
async function writeSvgAndPng(dir: string, name: string, svg: string): Promise<string> {
  await writeFile(join(dir, `${name}.svg`), svg);
  const png = join(dir, `${name}.png`);
  await svgToPng(svg, png);
  return png;
}

/**
 * The montage of one scale: per configured crop, the HR image, bicubic, the configured
 * esrgan model and the final YONOS model at its first step count (first seed), each
 * captioned with the whole image's PSNR (from results.json).
 * @returns the SVG, or `undefined` (with the reason) when an SR folder is missing.
 * @throws {@link ReportError} if a crop names an unknown image or does not fit in it.
 */
async function montageFor(config: ReportConfig, results: ReportResults, scale: number): Promise<{ svg?: string; reason?: string }> {
  const final = config.models[config.final]!;
  if (final.folders[`x${scale}`] === undefined) return { reason: `${config.final} has no x${scale} folder` };
  const finalMethod = yonosMethod(config.final, final.steps[0]!, config.seeds[0]!, config.seeds[0]!);
  const columns = [
    { title: 'HR', dir: hrDir(config.eval), method: undefined },
    { title: 'bicubic', dir: join(config.sr, `bicubic_x${scale}`), method: 'bicubic' },
    { title: config.montage.esrgan, dir: join(config.sr, `${config.montage.esrgan}_x${scale}`), method: config.montage.esrgan },
    { title: `${final.label ?? config.final} (${final.steps[0]} step${final.steps[0] === 1 ? '' : 's'})`, dir: join(config.sr, `${finalMethod}_x${scale}`), method: finalMethod },
  ];
  const scores = results.scores?.entries ?? [];
  const rows: Array<{ label: string; cells: MontageCell[] }> = [];
  for (const crop of config.montage.crops) {
    if (!results.images.includes(crop.image)) throw new ReportError(`montage.crops: no eval image '${crop.image}' (images: ${results.images.join(', ')}).`);
    const cells: MontageCell[] = [];
    for (const col of columns) {
      const path = join(col.dir, `${crop.image}.png`);
      if (!exists(path)) return { reason: `no ${path}` };
      const image = toRgb8(await readImage(path));
      const psnr = col.method === undefined ? undefined : scores.find((e) => e.scale === scale && e.method === col.method)?.perImage[crop.image]?.psnr;
      cells.push({ image: cropRgb8(image, crop.left, crop.top, { width: crop.size, height: crop.size }), caption: col.method === undefined ? 'ground truth' : psnr !== undefined ? `${psnr.toFixed(2)} dB (whole image)` : '' });
    }
    rows.push({ label: crop.image, cells });
  }
  const { svg } = await montageSvg({ columns: columns.map((c) => c.title), rows, zoom: config.montage.zoom });
  return { svg };
}

/**
 * Writes the report's figures into the output folder: `psnr-steps_x<S>` and `ssim-steps_x<S>`
 * (SVG and PNG) from results.json's scores, and `montage_x<S>` from the SR folders.
 * @returns the PNG files written.
 * @throws {@link ReportError} if results.json has no scores yet.
 */
export async function writePlots(config: ReportConfig, results: ReportResults, log: (line: string) => void = console.log): Promise<string[]> {
  if (results.scores === undefined) throw new ReportError('results.json has no scores yet: run the score phase first (--phases score,plots).');
  await mkdir(config.output, { recursive: true });
  const written: string[] = [];
  for (const scale of results.scales) {
    for (const metric of ['psnr', 'ssim'] as const) {
      const svg = metricChart(results, scale, metric);
      if (svg === undefined) log(`plots x${scale}: no YONOS scores for the ${metric} chart yet`);
      else written.push(await writeSvgAndPng(config.output, `${metric}-steps_x${scale}`, svg));
    }
    const montage = await montageFor(config, results, scale);
    if (montage.svg === undefined) log(`plots x${scale}: montage skipped (${montage.reason})`);
    else written.push(await writeSvgAndPng(config.output, `montage_x${scale}`, montage.svg));
  }
  for (const p of written) log(`plots: ${p}`);
  return written;
}
