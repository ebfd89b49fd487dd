import sharp from 'sharp';
import type { RawImage } from '@yonos/core';
import { escapeXml } from './svg.js';

/** One picture of a montage with the text under it. */
export interface MontageCell {
  /** 8-bit RGB pixels (a crop), shown enlarged `zoom` times with nearest-neighbour sampling. */
  readonly image: RawImage;
  readonly caption: string;
}

/** What {@link montageSvg} lays out: a grid with column headers and row labels. */
export interface MontageSpec {
  /** Header of each column (e.g. the method names). */
  readonly columns: readonly string[];
  /** Rows: a label on the left and one cell per column. */
  readonly rows: ReadonlyArray<{ readonly label: string; readonly cells: readonly MontageCell[] }>;
  /** Integer enlargement of every cell (default 2). */
  readonly zoom?: number;
  /** Space between and around cells, px (default 8). */
  readonly gap?: number;
  /** Height of the column header band, px (default 24). */
  readonly header?: number;
  /** Height of the caption band under each cell, px (default 18). */
  readonly caption?: number;
  /** Width of the row label band on the left, px (default 96). */
  readonly labelWidth?: number;
}

/** The montage's size and where each cell's picture goes. */
export interface MontageLayout {
  readonly width: number;
  readonly height: number;
  /** Side of a cell's slot: the largest crop side times the zoom. */
  readonly cell: number;
  /** Top-left corner of the picture of row `r`, column `c`. */
  origin(r: number, c: number): { readonly x: number; readonly y: number };
}

/**
 * The grid geometry: `width = labelWidth + gap + columns * (cell + gap)`,
 * `height = header + gap + rows * (cell + caption + gap)`, where `cell` is the largest crop
 * side times `zoom`; the picture of row r, column c has its top-left corner at
 * `(labelWidth + gap + c * (cell + gap), header + gap + r * (cell + caption + gap))`.
 */
export function montageLayout(spec: MontageSpec): MontageLayout {
  const zoom = spec.zoom ?? 2;
  const gap = spec.gap ?? 8;
  const header = spec.header ?? 24;
  const caption = spec.caption ?? 18;
  const labelWidth = spec.labelWidth ?? 96;
  const side = Math.max(0, ...spec.rows.flatMap((r) => r.cells.map((c) => Math.max(c.image.width, c.image.height))));
  const cell = side * zoom;
  return {
    width: labelWidth + gap + spec.columns.length * (cell + gap),
    height: header + gap + spec.rows.length * (cell + caption + gap),
    cell,
    origin: (r, c) => ({ x: labelWidth + gap + c * (cell + gap), y: header + gap + r * (cell + caption + gap) }),
  };
}

/** An 8-bit RGB image enlarged `zoom` times (nearest neighbour), as a PNG data URI. */
async function zoomedDataUri(image: RawImage, zoom: number): Promise<string> {
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize(image.width * zoom, image.height * zoom, { kernel: 'nearest' })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * A labelled comparison grid as an SVG document (see {@link montageLayout}): each crop is
 * enlarged beforehand with nearest-neighbour sampling and embedded as a PNG at its exact
 * size, so the rasterizer copies pixels rather than resampling them.
 * @throws RangeError if a row does not have one cell per column, or a cell is not 8-bit RGB.
 */
export async function montageSvg(spec: MontageSpec): Promise<{ svg: string; layout: MontageLayout }> {
  const layout = montageLayout(spec);
  const zoom = spec.zoom ?? 2;
  const header = spec.header ?? 24;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="12">`);
  out.push(`<rect width="${layout.width}" height="${layout.height}" fill="#ffffff"/>`);
  spec.columns.forEach((name, c) => {
    const { x } = layout.origin(0, c);
    out.push(`<text class="column" x="${x + layout.cell / 2}" y="${header - 6}" text-anchor="middle" font-weight="bold">${escapeXml(name)}</text>`);
  });
  for (const [r, row] of spec.rows.entries()) {
    if (row.cells.length !== spec.columns.length) throw new RangeError(`montage row '${row.label}' has ${row.cells.length} cells for ${spec.columns.length} columns`);
    const { y } = layout.origin(r, 0);
    out.push(`<text class="row" x="8" y="${y + layout.cell / 2}" font-weight="bold">${escapeXml(row.label)}</text>`);
    for (const [c, cell] of row.cells.entries()) {
      if (cell.image.channels !== 3 || cell.image.bitDepth !== 8) throw new RangeError(`montage cell '${row.label}' / '${spec.columns[c]}' must be 8-bit RGB`);
      const o = layout.origin(r, c);
      const w = cell.image.width * zoom;
      const h = cell.image.height * zoom;
      out.push(`<image x="${o.x}" y="${o.y}" width="${w}" height="${h}" preserveAspectRatio="none" xlink:href="${await zoomedDataUri(cell.image, zoom)}"/>`);
      out.push(`<text class="caption" x="${o.x + layout.cell / 2}" y="${o.y + layout.cell + 14}" text-anchor="middle">${escapeXml(cell.caption)}</text>`);
    }
  }
  out.push('</svg>');
  return { svg: out.join('\n') + '\n', layout };
}
