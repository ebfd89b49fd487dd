import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { join } from 'node:path';
import { chartGeometry, lineChartSvg } from '../lib/line-chart.js';
import type { LineChartSpec } from '../lib/line-chart.js';
import { svgToPng } from '../lib/svg.js';
import { removeTempDirs, tempDir } from './helpers.js';

const spec: LineChartSpec = {
  title: 'PSNR vs steps <x4>',
  xLabel: 'DDIM steps',
  yLabel: 'PSNR (dB)',
  xScale: 'log',
  xTicks: [1, 10, 100],
  series: [
    { name: 'direct', points: [{ x: 1, y: 20 }, { x: 10, y: 25 }, { x: 100, y: 30 }] },
    { name: 'distilled', points: [{ x: 100, y: 27 }, { x: 1, y: 29 }] },
  ],
  references: [{ name: 'bicubic', y: 24 }, { name: 'esrgan-thick', y: 26 }],
};

function attr(tag: string, name: string): number {
  const m = new RegExp(`\\b${name}="([^"]+)"`).exec(tag);
  if (m === null) throw new Error(`no ${name} in ${tag}`);
  return Number(m[1]);
}

describe('lineChartSvg', () => {
  afterAll(removeTempDirs);

  const svg = lineChartSvg(spec);
  const plotTag = /<rect class="plot-area"[^>]*>/.exec(svg)![0];
  const plot = { left: attr(plotTag, 'x'), top: attr(plotTag, 'y'), width: attr(plotTag, 'width'), height: attr(plotTag, 'height') };

  it('draws the axes, log-scale x ticks and nice y ticks', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect([...svg.matchAll(/class="x-tick" data-value="([^"]+)"/g)].map((m) => Number(m[1]))).toEqual([1, 10, 100]);
    // 20..30 in about five steps: a step of 2, so the axis is exactly 20..30.
    expect([...svg.matchAll(/class="y-tick" data-value="([^"]+)"/g)].map((m) => Number(m[1]))).toEqual([20, 22, 24, 26, 28, 30]);
    expect(svg).toContain('DDIM steps (log scale)');
    expect(svg).toContain('PSNR vs steps &lt;x4&gt;');
  });

  it('maps values to coordinates: log10 on x, linear on y, inside the plot area', () => {
    const line = /<g class="series" data-name="direct">\s*<polyline points="([^"]+)"/.exec(svg)![1]!;
    const pts = line.split(' ').map((p) => p.split(',').map(Number));
    // On a log axis from 1 to 100, x = 10 is half-way; y = 25 is half-way between 20 and 30.
    const expected = [
      [plot.left, plot.top + plot.height],
      [plot.left + plot.width / 2, plot.top + plot.height / 2],
      [plot.left + plot.width, plot.top],
    ];
    pts.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(expected[i]![0]!, 1);
      expect(p[1]).toBeCloseTo(expected[i]![1]!, 1);
    });
    // Points are drawn in x order whatever order they are given in.
    const other = /<g class="series" data-name="distilled">\s*<polyline points="([^"]+)"/.exec(svg)![1]!.split(' ').map((p) => p.split(',').map(Number));
    expect(other[0]![0]).toBeCloseTo(plot.left, 1);
    expect(other[0]![1]).toBeCloseTo(plot.top + plot.height * 0.1, 1);
  });

  it('draws each reference as a horizontal line at its value', () => {
    const refs = [...svg.matchAll(/<line class="reference" data-name="([^"]+)"[^>]*>/g)];
    expect(refs.map((m) => m[1])).toEqual(['bicubic', 'esrgan-thick']);
    const bicubic = refs[0]![0];
    expect(attr(bicubic, 'y1')).toBeCloseTo(plot.top + plot.height * 0.6, 1);
    expect(attr(bicubic, 'y2')).toBe(attr(bicubic, 'y1'));
    expect(attr(bicubic, 'x1')).toBe(plot.left);
    expect(attr(bicubic, 'x2')).toBe(plot.left + plot.width);
  });

  it('geometry agrees with the drawing and rejects a log axis with x <= 0', () => {
    const g = chartGeometry(spec);
    expect(g.x(10)).toBeCloseTo(plot.left + plot.width / 2, 6);
    expect(g.yDomain).toEqual([20, 30]);
    expect(() => chartGeometry({ ...spec, series: [{ name: 'bad', points: [{ x: 0, y: 1 }] }] })).toThrow(/log x axis/);
  });

  it('rasterizes with sharp to a PNG of the requested size with the series colour on the line', async () => {
    const path = join(await tempDir(), 'chart.png');
    expect(await svgToPng(svg, path)).toEqual({ width: 720, height: 420 });
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    // The middle marker of 'direct' (#0072B2) sits at the plot centre.
    const x = Math.round(plot.left + plot.width / 2);
    const y = Math.round(plot.top + plot.height / 2);
    const i = (y * info.width + x) * 3;
    expect([data[i], data[i + 1], data[i + 2]]).toEqual([0x00, 0x72, 0xb2]);
  });
});
