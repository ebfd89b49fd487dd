import { escapeXml, formatTick, niceStep } from './svg.js';

/** A data point of a chart. */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
}

/** A line (with a marker per point; one point draws a marker only). */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
  /** CSS colour; default from the palette by position. */
  readonly color?: string;
}

/** A horizontal line across the plot, e.g. a baseline method's score. */
export interface ReferenceLine {
  readonly name: string;
  readonly y: number;
  readonly color?: string;
}

/** What {@link lineChartSvg} draws. */
export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** `log`: base-10 logarithmic x axis (every x must be > 0). Default `linear`. */
  readonly xScale?: 'linear' | 'log';
  /** Tick positions on x (default: the distinct x values of the series). */
  readonly xTicks?: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly references?: readonly ReferenceLine[];
  /** Decimals of the y tick labels (default from the tick step). */
  readonly yDecimals?: number;
  /** Image size in pixels (default 720 x 420). */
  readonly width?: number;
  readonly height?: number;
}

/** Where the data lands in the image: the plot rectangle and the value-to-pixel maps. */
export interface ChartGeometry {
  /** The plot area in image pixels (y grows downwards). */
  readonly plot: { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
  /** Data range shown on x: the smallest and largest tick or point. */
  readonly xDomain: readonly [number, number];
  /** Data range shown on y: the data (and references) widened to whole tick steps. */
  readonly yDomain: readonly [number, number];
  /** y tick values. */
  readonly yTicks: readonly number[];
  /** x tick values. */
  readonly xTicks: readonly number[];
  /** Data x to image x. */
  x(value: number): number;
  /** Data y to image y. */
  y(value: number): number;
}

/** Colour-blind-friendly (Okabe-Ito) colours of the series, in order. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'] as const;

/** Colours of the reference lines, in order (black first: the first reference is usually bicubic). */
export const REFERENCE_PALETTE = ['#000000', '#E69F00', '#56B4E9', '#CC79A7', '#7F7F7F', '#B8860B', '#8B4513'] as const;

/** Dash patterns of the reference lines, cycled so neighbours differ even in gray print. */
const DASHES = ['6 4', '2 3', '10 3 2 3'] as const;

const MARGIN = { left: 64, right: 190, top: 36, bottom: 48 } as const;

/**
 * The layout of a chart: the plot rectangle inside fixed margins (the legend sits in the
 * right margin), the x domain from the ticks and points (log10 on a log axis), and the y
 * domain from the series and reference values widened to whole "nice" tick steps
 * (1, 2 or 5 times a power of ten, about five ticks).
 * @throws RangeError for a log axis with a value <= 0, or a chart with no data.
 */
export function chartGeometry(spec: LineChartSpec): ChartGeometry {
  const width = spec.width ?? 720;
  const height = spec.height ?? 420;
  const plot = { left: MARGIN.left, top: MARGIN.top, width: width - MARGIN.left - MARGIN.right, height: height - MARGIN.top - MARGIN.bottom };
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = [...spec.series.flatMap((s) => s.points.map((p) => p.y)), ...(spec.references ?? []).map((r) => r.y)];
  if (ys.length === 0) throw new RangeError('a chart needs at least one point or reference line');
  const log = spec.xScale === 'log';
  const xTicks = [...(spec.xTicks ?? [...new Set(xs)])].sort((a, b) => a - b);
  const xAll = [...xs, ...xTicks];
  if (log && xAll.some((v) => v <= 0)) throw new RangeError('a log x axis needs x values > 0');
  let x0 = xAll.length > 0 ? Math.min(...xAll) : 0;
  let x1 = xAll.length > 0 ? Math.max(...xAll) : 1;
  if (x0 === x1) {
    x0 = log ? x0 / 2 : x0 - 1;
    x1 = log ? x1 * 2 : x1 + 1;
  }
  const tx = (v: number) => (log ? Math.log10(v) : v);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y0 === y1) {
    y0 -= Math.abs(y0) * 0.01 || 1;
    y1 += Math.abs(y1) * 0.01 || 1;
  }
  const step = niceStep((y1 - y0) / 5);
  // Rounding guards against 25.000000001 / 0.5 landing one step too far.
  const lo = Math.floor(Number((y0 / step).toFixed(9))) * step;
  const hi = Math.ceil(Number((y1 / step).toFixed(9))) * step;
  const yTicks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) yTicks.push(Number(v.toPrecision(12)));
  return {
    plot,
    xDomain: [x0, x1],
    yDomain: [lo, hi],
    xTicks,
    yTicks,
    x: (v) => plot.left + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0))) * plot.width,
    y: (v) => plot.top + plot.height - ((v - lo) / (hi - lo)) * plot.height,
  };
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/**
 * A line chart as a standalone SVG document: axes with ticks (logarithmic x if asked), one
 * polyline with markers per series (colours: {@link PALETTE}), dashed horizontal reference lines
 * ({@link REFERENCE_PALETTE}), and a legend on the
 * right. Elements carry classes (`plot-area`, `x-tick`, `y-tick`, `series`, `reference`)
 * and `data-*` values so the drawing can be checked.
 */
export function lineChartSvg(spec: LineChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 420;
  const g = chartGeometry(spec);
  const { plot } = g;
  const decimals = spec.yDecimals ?? Math.max(0, -Math.floor(Math.log10(g.yTicks.length > 1 ? g.yTicks[1]! - g.yTicks[0]! : 1)));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${plot.left}" y="22" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`);
  out.push(`<rect class="plot-area" x="${plot.left}" y="${plot.top}" width="${plot.width}" height="${plot.height}" fill="none" stroke="#444444"/>`);
  for (const v of g.yTicks) {
    const y = r2(g.y(v));
    out.push(
      `<g class="y-tick" data-value="${v}"><line x1="${plot.left}" y1="${y}" x2="${plot.left + plot.width}" y2="${y}" stroke="#e5e5e5"/>` +
        `<text x="${plot.left - 6}" y="${y + 4}" text-anchor="end">${formatTick(v, decimals)}</text></g>`,
    );
  }
  for (const v of g.xTicks) {
    const x = r2(g.x(v));
    out.push(
      `<g class="x-tick" data-value="${v}"><line x1="${x}" y1="${plot.top}" x2="${x}" y2="${plot.top + plot.height}" stroke="#e5e5e5"/>` +
        `<text x="${x}" y="${plot.top + plot.height + 16}" text-anchor="middle">${formatTick(v)}</text></g>`,
    );
  }
  out.push(`<text x="${plot.left + plot.width / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}${spec.xScale === 'log' ? ' (log scale)' : ''}</text>`);
  out.push(`<text transform="translate(16 ${plot.top + plot.height / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);

  const legend: string[] = [];
  const legendX = plot.left + plot.width + 16;
  const legendRow = (i: number) => plot.top + 8 + i * 20;
  const refs = spec.references ?? [];
  refs.forEach((r, i) => {
    const color = r.color ?? REFERENCE_PALETTE[i % REFERENCE_PALETTE.length]!;
    const dash = DASHES[i % DASHES.length]!;
    const y = r2(g.y(r.y));
    out.push(`<line class="reference" data-name="${escapeXml(r.name)}" data-value="${r.y}" x1="${plot.left}" y1="${y}" x2="${plot.left + plot.width}" y2="${y}" stroke="${color}" stroke-width="1.5" stroke-dasharray="${dash}"/>`);
    const ly = legendRow(spec.series.length + i);
    legend.push(`<line x1="${legendX}" y1="${ly}" x2="${legendX + 24}" y2="${ly}" stroke="${color}" stroke-width="1.5" stroke-dasharray="${dash}"/><text x="${legendX + 30}" y="${ly + 4}">${escapeXml(r.name)}</text>`);
  });
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x).map((p) => `${r2(g.x(p.x))},${r2(g.y(p.y))}`);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (pts.length > 1) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${color}"/>`);
    }
    out.push('</g>');
    const ly = legendRow(i);
    legend.push(`<line x1="${legendX}" y1="${ly}" x2="${legendX + 24}" y2="${ly}" stroke="${color}" stroke-width="2"/><circle cx="${legendX + 12}" cy="${ly}" r="3.5" fill="${color}"/><text x="${legendX + 30}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push(...legend, '</svg>');
  return out.join('\n') + '\n';
}
