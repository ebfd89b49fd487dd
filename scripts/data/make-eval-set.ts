/**
 * Makes the evaluation set from the real photographs of python3-skimage's data folder (a
 * different source from the training wallpapers): HR crops with sides a multiple of 8 and
 * of every scale, and LR images made with core's MATLAB-compatible bicubic (antialiased),
 * rounded to 8 bits. Deterministic: no randomness, and the resize runs on tfjs's cpu backend.
 *
 *   npx tsx --conditions=source scripts/data/make-eval-set.ts [--size 256] [--scales 4,8]
 *
 * See scripts/data/README.md.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readImage, useBackend, writeImage } from '@yonos/core/node';
import { integerListFlag, numberFlag, parseFlags, stringFlag } from './lib/args.js';
import { fetchDebPackage } from './lib/debian.js';
import { DataScriptError } from './lib/errors.js';
import { EVAL_IMAGES, SKIMAGE_DATA_DIR } from './lib/eval-images.js';
import { exists, prepareOutputFolder, sha256File } from './lib/files.js';
import { cropRgb8, resizeU8, toRgb8 } from './lib/u8-resize.js';

const USAGE = 'Usage: npx tsx --conditions=source scripts/data/make-eval-set.ts [flags]';
const FLAGS = [
  { name: 'package', help: 'Debian package holding skimage/data', default: 'python3-skimage' },
  { name: 'cache', help: 'folder for the downloaded .deb and its unpacked contents', default: 'data/cache' },
  { name: 'out', help: 'eval folder: writes hr/, lr_x<S>/ and manifest.json (their PNGs are replaced)', default: 'data/eval' },
  { name: 'size', help: 'side of the square HR crops (a multiple of 8 and of every scale)', default: '256' },
  { name: 'scales', help: 'comma-separated downscaling factors of the LR images', default: '4,8' },
  { name: 'train-manifest', help: 'training manifest to check the eval set against (skipped if absent)', default: 'data/train/manifest.json' },
  { name: 'refresh', help: 'download the package again even if a .deb is cached' },
];

async function checkDisjoint(trainManifest: string, evalPackage: string, evalSha: ReadonlySet<string>): Promise<string> {
  if (!exists(trainManifest)) return `no training manifest at ${trainManifest}: disjointness not checked`;
  const manifest = JSON.parse(await readFile(trainManifest, 'utf8')) as { packages?: { name: string }[] };
  const trainPackages = (manifest.packages ?? []).map((p) => p.name);
  if (trainPackages.includes(evalPackage)) {
    throw new DataScriptError(`The training set was gathered from ${evalPackage} too: evaluate on images the model never saw (rerun gather-training-set without it).`);
  }
  // Byte-identical HR crops in the training folder would mean the same pixels slipped in some other way.
  const trainDir = resolve(trainManifest, '..');
  const crops = (JSON.parse(await readFile(trainManifest, 'utf8')) as { crops?: { file: string }[] }).crops ?? [];
  for (const c of crops) {
    const p = join(trainDir, c.file);
    if (exists(p) && evalSha.has(await sha256File(p))) throw new DataScriptError(`Training crop ${c.file} is byte-identical to an eval image.`);
  }
  return `disjoint from the training set (packages ${trainPackages.join(', ')}; ${crops.length} crops compared by SHA-256)`;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags === undefined) return;
  const size = numberFlag(flags, 'size', { integer: true, min: 8 });
  const scales = integerListFlag(flags, 'scales');
  if (size % 8 !== 0 || scales.some((s) => size % s !== 0)) {
    throw new DataScriptError(`--size ${size} must be a multiple of 8 and of every scale (${scales.join(', ')}) so LR sizes are whole pixels.`);
  }
  const outDir = resolve(stringFlag(flags, 'out'));
  const started = performance.now();
  await useBackend('cpu');

  const pkg = await fetchDebPackage(stringFlag(flags, 'package'), resolve(stringFlag(flags, 'cache')), flags['refresh'] === 'true');
  console.log(`package ${pkg.name} ${pkg.version}: ${pkg.debPath}`);
  const dataDir = join(pkg.root, SKIMAGE_DATA_DIR);
  if (!exists(dataDir)) throw new DataScriptError(`${pkg.name} ${pkg.version} has no ${SKIMAGE_DATA_DIR}: pass the package that ships scikit-image's data with --package.`);

  const folders = ['hr', ...scales.map((s) => `lr_x${s}`)];
  for (const f of folders) await prepareOutputFolder(join(outDir, f), ['.png']);

  const records = [];
  const hrSha = new Set<string>();
  for (const img of EVAL_IMAGES) {
    const source = await readImage(join(dataDir, img.file));
    if (source.channels <= 2 !== img.gray) throw new DataScriptError(`${img.file} has ${source.channels} channel(s) but EVAL_IMAGES says gray=${img.gray}.`);
    const rgb = toRgb8(source);
    const left = img.offset?.left ?? Math.floor((rgb.width - size) / 2);
    const top = img.offset?.top ?? Math.floor((rgb.height - size) / 2);
    const hr = cropRgb8(rgb, left, top, { width: size, height: size });
    const files: Record<string, { path: string; width: number; height: number; sha256: string }> = {};
    const hrPath = join(outDir, 'hr', `${img.name}.png`);
    await writeImage(hrPath, hr);
    files['hr'] = { path: `hr/${img.name}.png`, width: size, height: size, sha256: await sha256File(hrPath) };
    hrSha.add(files['hr'].sha256);
    for (const s of scales) {
      const lr = await resizeU8(hr, 1 / s);
      if (lr.width * s !== size || lr.height * s !== size) throw new DataScriptError(`LR of ${img.name} at x${s} is ${lr.width}x${lr.height}, expected ${size / s}.`);
      const rel = `lr_x${s}/${img.name}.png`;
      await writeImage(join(outDir, rel), lr);
      files[`lr_x${s}`] = { path: rel, width: lr.width, height: lr.height, sha256: await sha256File(join(outDir, rel)) };
    }
    records.push({ name: img.name, source: `${SKIMAGE_DATA_DIR}/${img.file}`, sourceSize: [source.width, source.height], gray: img.gray, why: img.why, crop: { x: left, y: top, width: size, height: size }, files });
    console.log(`${img.name}: ${img.file} ${source.width}x${source.height}${img.gray ? ' gray' : ''} crop ${size}x${size}+${left}+${top}`);
  }

  const disjoint = await checkDisjoint(resolve(stringFlag(flags, 'train-manifest')), pkg.name, hrSha);
  const manifest = {
    description: 'YONOS evaluation set from python3-skimage photographs (scripts/data/make-eval-set.ts).',
    package: { name: pkg.name, version: pkg.version },
    settings: {
      size,
      scales,
      lr: 'core imresize (MATLAB bicubic, antialiased) of the 8-bit HR values, rounded and clamped to 0..255 (MATLAB uint8 semantics), tfjs cpu backend',
      gray: 'gray sources are written as RGB with three equal channels',
    },
    disjoint,
    images: records,
  };
  await writeFile(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  console.log(disjoint);
  console.log(`wrote ${records.length} HR images (${size}x${size}) and LR at x${scales.join(', x')} to ${outDir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof DataScriptError ? `error: ${error.message}` : error);
  process.exit(1);
});
