import { join } from 'node:path';
import { defaultBackendOrder, listBackends } from '@yonos/core';
import type { BackendStatus, UseBackendOptions } from '@yonos/core';
import { DEFAULT_MODEL_SCALE, MODEL_INDEX_NAME } from '@yonos/sampler';
import type { Command } from 'commander';
import { bundledModelRoot, bundledScales } from '../../bundled-model.js';
import { writeLine } from '../io.js';
import { MODEL_CARD_NAME, readBundledModelCard } from '../model-card.js';
import { backendOptions } from '../backend.js';
import type { CliContext } from '../program.js';
import { packageVersions } from '../versions.js';
import type { PackageVersion } from '../versions.js';

/** What `yonos info --json` prints. */
export interface InfoReport {
  readonly packages: readonly PackageVersion[];
  readonly backends: readonly BackendStatus[];
  /** The backend used when `--backend` is not given: the first available of the default order. */
  readonly defaultBackend: string | undefined;
  /** The bundled model's root folder (`model/` of the package). */
  readonly modelRoot: string;
  /** The scales a model is bundled for (its `x<N>/` folders with a `model_index.json`), ascending; empty when none is. */
  readonly bundledScales: readonly number[];
  /** The bundled model's card (`model/README.md`, markdown), or `null` when no card is bundled. */
  readonly modelCard: string | null;
}

/** How many lines of the model card `yonos info` prints (`--json` has all of it). */
export const CARD_PREVIEW_LINES = 8;

/**
 * Collects the {@link InfoReport}; initializes every available backend once (leaves the active one as it was).
 * @param root The bundled model's root folder, default `bundledModelRoot()`.
 * @param options How to start the backends (`--threads`).
 */
export async function collectInfo(root: string = bundledModelRoot(), options: UseBackendOptions = {}): Promise<InfoReport> {
  const backends = await listBackends(options);
  const available = new Set(backends.filter((b) => b.available).map((b) => b.name));
  return {
    packages: packageVersions(),
    backends,
    defaultBackend: defaultBackendOrder().find((name) => available.has(name)),
    modelRoot: root,
    bundledScales: bundledScales(root),
    modelCard: readBundledModelCard(root) ?? null,
  };
}

/**
 * The first `count` lines of a model card, without a leading YAML front matter block (Hugging
 * Face cards start with one) and blank lines at either end.
 * @returns The lines, and whether the card goes on after them.
 */
export function cardPreview(card: string, count: number = CARD_PREVIEW_LINES): { readonly lines: string[]; readonly more: boolean } {
  let lines = card.replace(/\r\n/g, '\n').split('\n');
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, i) => i > 0 && line.trim() === '---');
    if (end > 0) lines = lines.slice(end + 1);
  }
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  return { lines: lines.slice(0, count).map((line) => line.trimEnd()), more: lines.length > count };
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}

function printInfo(report: InfoReport, context: CliContext): void {
  const out = context.io.stdout;
  const nameWidth = Math.max(...report.packages.map((p) => p.name.length)) + 2;
  writeLine(out, 'Packages:');
  for (const p of report.packages) {
    writeLine(out, `  ${pad(p.name, nameWidth)}${p.version ?? 'not installed'}`);
  }
  writeLine(out, `Backends (default: ${report.defaultBackend ?? 'none available'}; choose with --backend <name>):`);
  for (const b of report.backends) {
    const threads = b.threads !== undefined ? `, ${b.threads} thread${b.threads === 1 ? '' : 's'} (--threads <n> or YONOS_THREADS)` : '';
    const software = b.softwareAdapter !== undefined ? `, on a software rasterizer (${b.softwareAdapter}): far slower than wasm, never chosen automatically` : '';
    writeLine(out, `  ${pad(b.name, 12)}${b.available ? `available${threads}${software}` : `unavailable: ${b.reason ?? 'unknown reason'}`}`);
  }
  const root = report.modelRoot;
  if (report.bundledScales.length === 0) {
    writeLine(out, `Bundled model: none installed yet (pipeline folders x4/, x8/, ... with a ${MODEL_INDEX_NAME} would be read from ${root}).`);
  } else {
    const scales = report.bundledScales.map((s) => `x${s}`).join(', ');
    writeLine(out, `Bundled model: ${scales} in ${root} (yonos upscale --scale <n>; default x${DEFAULT_MODEL_SCALE}).`);
  }
  if (report.modelCard !== null) {
    const preview = cardPreview(report.modelCard);
    writeLine(out, `Model card (${join(root, MODEL_CARD_NAME)}${preview.more ? `, first ${preview.lines.length} lines` : ''}):`);
    for (const line of preview.lines) writeLine(out, line === '' ? '' : `  ${line}`);
    if (preview.more) writeLine(out, `  ... (yonos info --json prints the whole card)`);
  }
}

/** Adds `yonos info`: versions, backends that can run here and why others cannot, the bundled scales and the start of the model card. */
export function registerInfoCommand(program: Command, context: CliContext): Command {
  return program
    .command('info')
    .description('show package versions, the tfjs backends that can run here, and the bundled model (its scales and card)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const report = await collectInfo(context.bundledModelRoot, backendOptions(command));
      if (options.json === true) {
        writeLine(context.io.stdout, JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), 2));
      } else {
        printInfo(report, context);
      }
    });
}
