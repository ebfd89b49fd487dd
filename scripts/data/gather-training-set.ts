/**
 * Gathers the training set: real photographs from Debian's wallpaper packages, shrunk by a
 * seeded random factor and cut into non-overlapping square PNG crops, with a manifest that
 * records every decision (which files are photographs and why, each crop's source and box).
 *
 *   npx tsx --conditions=source scripts/data/gather-training-set.ts [--seed 0] [--size 256] ...
 *
 * See scripts/data/README.md.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createRng } from '@yonos/core';
import { writeImage } from '@yonos/core/node';
import { numberFlag, parseFlags, stringFlag } from './lib/args.js';
import { cropGrid, extractCrop, shrinkToShortSide } from './lib/crop-grid.js';
import type { CropBox } from './lib/crop-grid.js';
import { fileLicence, readPackageCopyright } from './lib/copyright.js';
import type { PackageCopyright } from './lib/copyright.js';
import { fetchDebPackage } from './lib/debian.js';
import type { UnpackedPackage } from './lib/debian.js';
import { meanGradient } from './lib/detail.js';
import { DataScriptError } from './lib/errors.js';
import { formatMiB, listFiles, prepareOutputFolder, totalBytes } from './lib/files.js';
import { dedupeSizes, MAX_FLAT_FRACTION, MIN_SHORT_SIDE, ruleOut, ruleOutFlat, SCANNED_EXTENSIONS } from './lib/photo-rule.js';
import type { WallpaperFile } from './lib/photo-rule.js';

const USAGE = 'Usage: npx tsx --conditions=source scripts/data/gather-training-set.ts [flags]';
const FLAGS = [
  { name: 'packages', help: 'comma-separated Debian packages to take wallpapers from', default: 'mate-backgrounds,plasma-workspace-wallpapers,gnome-backgrounds,lomiri-wallpapers-16.04,lomiri-wallpapers-20.04,lxqt-themes' },
  { name: 'cache', help: 'folder for the downloaded .deb files and their unpacked contents', default: 'data/cache' },
  { name: 'out', help: 'folder for the crops (its *.png and manifest.json are replaced)', default: 'data/train' },
  { name: 'size', help: 'side of the square crops in pixels', default: '256' },
  { name: 'min-short', help: 'smallest short side (px) a photograph is shrunk to before cropping', default: '768' },
  { name: 'max-short', help: 'largest short side (px) a photograph is shrunk to before cropping', default: '1280' },
  { name: 'min-detail', help: 'drop crops whose mean luma gradient |dx|+|dy| (0-255 scale) is below this (0 keeps all)', default: '1.5' },
  { name: 'passes', help: 'crops grids per photograph, each at its own random scale', default: '1' },
  { name: 'seed', help: 'seed of the scales and grid offsets', default: '0' },
  { name: 'refresh', help: 'download the packages again even if a .deb is cached' },
  { name: 'list-only', help: 'print which files are photographs and stop' },
];

interface Candidate extends WallpaperFile {
  readonly absPath: string;
  readonly packageVersion: string;
  /** From the package's copyright file: the stanza naming this file, else the package's licence. */
  readonly licence: string;
  flatFraction?: number;
  /** Why it was left out; undefined while it is still a candidate. */
  reason?: string | undefined;
}

interface CropRecord {
  readonly file: string;
  readonly package: string;
  readonly source: string;
  readonly pass: number;
  /** {@link meanGradient} of the crop. */
  readonly detail: number;
  /** Crop box in the shrunk image. */
  readonly box: CropBox;
  /** The same box in source pixels (fractional: the shrink factor is not an integer). */
  readonly sourceBox: { x: number; y: number; width: number; height: number };
}

/**
 * Fraction of pixels equal to both their left and upper neighbours on a 512-px-wide 8-bit gray
 * thumbnail: near 0 for photographs (noise, texture), large for flat synthetic images.
 */
async function flatFraction(path: string): Promise<number> {
  const { data, info } = await sharp(path).resize({ width: 512 }).removeAlpha().greyscale().raw().toBuffer({ resolveWithObject: true });
  const w = info.width;
  let flat = 0;
  for (let y = 1; y < info.height; y++) {
    for (let x = 1; x < w; x++) {
      const v = data[y * w + x]!;
      if (v === data[y * w + x - 1] && v === data[(y - 1) * w + x]) flat++;
    }
  }
  return flat / ((w - 1) * (info.height - 1));
}

async function scanPackage(pkg: UnpackedPackage, copyright: PackageCopyright): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const path of await listFiles(pkg.root, SCANNED_EXTENSIONS)) {
    const absPath = join(pkg.root, path);
    const licence = fileLicence(copyright, path) ?? copyright.licence;
    // Rule 1 drops vector art unread: librsvg rejects some of the packages' Inkscape SVGs.
    if (path.toLowerCase().endsWith('.svg')) {
      out.push({ package: pkg.name, packageVersion: pkg.version, licence, path, absPath, format: 'svg', width: 0, height: 0 });
      continue;
    }
    const meta = await sharp(absPath).metadata();
    out.push({ package: pkg.name, packageVersion: pkg.version, licence, path, absPath, format: meta.format ?? 'unknown', width: meta.width ?? 0, height: meta.height ?? 0 });
  }
  return out;
}

/** A short, file-name-safe name for a kept photograph, e.g. `plasma-Path` or `mate-Garden`. */
function slug(c: Candidate): string {
  const prefix = c.package.split('-')[0]!;
  const plasma = /wallpapers\/([^/]+)\/contents\/([^/]+)\//.exec(c.path);
  const base = plasma !== null ? plasma[1]! + (plasma[2] === 'images' ? '' : `-${plasma[2]}`) : c.path.slice(c.path.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
  return `${prefix}-${base}`.replace(/[^A-Za-z0-9_-]+/g, '-');
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags === undefined) return;
  const size = numberFlag(flags, 'size', { integer: true, min: 8 });
  const minShort = numberFlag(flags, 'min-short', { integer: true, min: size });
  const maxShort = numberFlag(flags, 'max-short', { integer: true, min: minShort });
  const passes = numberFlag(flags, 'passes', { integer: true, min: 1 });
  const minDetail = numberFlag(flags, 'min-detail', { min: 0 });
  const seed = stringFlag(flags, 'seed');
  const cache = resolve(stringFlag(flags, 'cache'));
  const outDir = resolve(stringFlag(flags, 'out'));
  const names = stringFlag(flags, 'packages').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const started = performance.now();

  const packages: { pkg: UnpackedPackage; copyright: PackageCopyright }[] = [];
  for (const name of names) {
    const pkg = await fetchDebPackage(name, cache, flags['refresh'] === 'true');
    const copyright = await readPackageCopyright(pkg.root, pkg.name);
    console.log(`package ${pkg.name} ${pkg.version} (${copyright.licence}): ${pkg.debPath}`);
    packages.push({ pkg, copyright });
  }

  const candidates: Candidate[] = [];
  for (const { pkg, copyright } of packages) candidates.push(...(await scanPackage(pkg, copyright)));
  for (const c of candidates) {
    c.reason = ruleOut(c);
    if (c.reason === undefined) {
      c.flatFraction = await flatFraction(c.absPath);
      c.reason = ruleOutFlat(c.flatFraction);
    }
  }
  const survivors = candidates.filter((c) => c.reason === undefined);
  for (const [c, reason] of dedupeSizes(survivors)) c.reason = reason;
  const photos = candidates.filter((c) => c.reason === undefined);

  for (const c of candidates) {
    const flat = c.flatFraction !== undefined ? ` flat=${c.flatFraction.toFixed(3)}` : '';
    console.log(`${c.reason === undefined ? 'KEEP' : 'skip'}  ${c.package}/${c.path} ${c.width}x${c.height}${flat}${c.reason !== undefined ? ` — ${c.reason}` : ''}`);
  }
  console.log(`${photos.length} photographs of ${candidates.length} image files`);
  for (const { pkg, copyright } of packages) {
    console.log(`  ${pkg.name}: ${photos.filter((p) => p.package === pkg.name).length} of ${candidates.filter((c) => c.package === pkg.name).length} (${copyright.licence})`);
  }
  if (photos.length === 0) throw new DataScriptError(`No photographs found in ${names.join(', ')}: check the package names and NOT_PHOTOGRAPHS in lib/photo-rule.ts.`);
  if (flags['list-only'] === 'true') return;

  const slugs = new Set<string>();
  for (const p of photos) {
    const s = slug(p);
    if (slugs.has(s)) throw new DataScriptError(`Two photographs would share the crop name '${s}': extend slug() in gather-training-set.ts.`);
    slugs.add(s);
  }

  await prepareOutputFolder(outDir, ['.png'], ['manifest.json']);
  const rng = createRng(seed);
  const crops: CropRecord[] = [];
  const flatCrops: CropRecord[] = [];
  const photoRecords = [];
  for (const p of photos) {
    // One stream per photograph, keyed by its path: adding or dropping a file leaves the others' crops unchanged.
    const photoRng = rng.fork(`${p.package}/${p.path}`);
    const scales = [];
    for (let pass = 0; pass < passes; pass++) {
      const passRng = photoRng.fork(pass);
      const targetShort = Math.round(minShort + (maxShort - minShort) * passRng.nextFloat());
      const shrunk = shrinkToShortSide(p.width, p.height, targetShort);
      const { data, info } = await sharp(p.absPath, { autoOrient: true })
        .removeAlpha()
        .toColourspace('srgb')
        // fastShrinkOnLoad would let libjpeg subsample first (a box filter); keep one clean Lanczos-3 pass.
        .resize(shrunk.width, shrunk.height, { kernel: 'lanczos3', fit: 'fill', fastShrinkOnLoad: false })
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new DataScriptError(`${p.path} decoded to ${info.channels} channels, expected RGB.`);
      const boxes = cropGrid(info.width, info.height, size, passRng);
      let kept = 0;
      for (const box of boxes) {
        const file = `${slug(p)}-p${pass}-y${box.y}-x${box.x}.png`;
        const pixels = extractCrop(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, 3, box);
        const detail = meanGradient(pixels, size, size);
        const inv = 1 / shrunk.factor;
        const record: CropRecord = {
          file,
          package: p.package,
          source: p.path,
          pass,
          detail: Math.round(detail * 1000) / 1000,
          box,
          sourceBox: { x: box.x * inv, y: box.y * inv, width: box.width * inv, height: box.height * inv },
        };
        if (detail < minDetail) {
          flatCrops.push(record);
          continue;
        }
        await writeImage(join(outDir, file), { data: pixels, width: size, height: size, channels: 3, bitDepth: 8 });
        crops.push(record);
        kept++;
      }
      scales.push({ pass, targetShort, factor: shrunk.factor, width: info.width, height: info.height, grid: boxes.length, kept });
    }
    photoRecords.push({ package: p.package, source: p.path, licence: p.licence, width: p.width, height: p.height, flatFraction: p.flatFraction, passes: scales });
    console.log(`${slug(p)}: ${scales.map((s) => `${s.width}x${s.height} -> ${s.kept}/${s.grid} crops`).join(', ')}`);
  }

  const manifest = {
    description: 'YONOS training crops from photographs in Debian wallpaper packages (scripts/data/gather-training-set.ts).',
    settings: { seed, size, minShort, maxShort, passes, minDetail, resize: 'sharp lanczos3, fastShrinkOnLoad off, sRGB 8-bit', rng: 'Philox4x32-10 (@yonos/core createRng), forked per photo path and pass' },
    tools: { sharp: sharp.versions, node: process.version },
    rule: { minShortSide: MIN_SHORT_SIDE, maxFlatFraction: MAX_FLAT_FRACTION, see: 'scripts/data/lib/photo-rule.ts' },
    packages: packages.map(({ pkg, copyright }) => ({
      name: pkg.name,
      version: pkg.version,
      licence: copyright.licence,
      deb: pkg.debPath.slice(pkg.debPath.lastIndexOf('/') + 1),
      counts: {
        photos: photos.filter((p) => p.package === pkg.name).length,
        crops: crops.filter((c) => c.package === pkg.name).length,
        droppedFlatCrops: flatCrops.filter((c) => c.package === pkg.name).length,
      },
    })),
    files: candidates.map((c) => ({ package: c.package, path: c.path, format: c.format, width: c.width, height: c.height, kept: c.reason === undefined, reason: c.reason, flatFraction: c.flatFraction })),
    photos: photoRecords,
    crops,
    droppedFlatCrops: flatCrops,
  };
  await writeFile(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  const bytes = await totalBytes(crops.map((c) => join(outDir, c.file)));
  const seconds = (performance.now() - started) / 1000;
  for (const { counts, name } of manifest.packages) {
    if (counts.photos > 0) console.log(`  ${name}: ${counts.photos} photographs -> ${counts.crops} crops kept, ${counts.droppedFlatCrops} flat dropped`);
  }
  console.log(
    `wrote ${crops.length} crops of ${size}x${size} from ${photos.length} photographs (${formatMiB(bytes)}; ${flatCrops.length} flat crops dropped) to ${outDir} in ${seconds.toFixed(1)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof DataScriptError ? `error: ${error.message}` : error);
  process.exit(1);
});
