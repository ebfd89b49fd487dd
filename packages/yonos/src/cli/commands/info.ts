import { defaultBackendOrder, listBackends } from '@yonos/core';
import type { BackendStatus } from '@yonos/core';
import type { Command } from 'commander';
import { writeLine } from '../io.js';
import { bundledModelDir, readBundledModelCard } from '../model-card.js';
import type { CliContext } from '../program.js';
import { packageVersions } from '../versions.js';
import type { PackageVersion } from '../versions.js';

/** What `yonos info --json` prints. */
export interface InfoReport {
  readonly packages: readonly PackageVersion[];
  readonly backends: readonly BackendStatus[];
  /** The backend used when `--backend` is not given: the first available of the default order. */
  readonly defaultBackend: string | undefined;
  /** The bundled model's card, or `null` when no model is bundled yet. */
  readonly modelCard: string | null;
}

/** Collects the {@link InfoReport}; initializes every available backend once (leaves the active one as it was). */
export async function collectInfo(): Promise<InfoReport> {
  const backends = await listBackends();
  const available = new Set(backends.filter((b) => b.available).map((b) => b.name));
  return {
    packages: packageVersions(),
    backends,
    defaultBackend: defaultBackendOrder().find((name) => available.has(name)),
    modelCard: readBundledModelCard() ?? null,
  };
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
    writeLine(out, `  ${pad(b.name, 12)}${b.available ? 'available' : `unavailable: ${b.reason ?? 'unknown reason'}`}`);
  }
  if (report.modelCard === null) {
    writeLine(out, `Bundled model: none installed yet (a model would be read from ${bundledModelDir()}).`);
  } else {
    writeLine(out, 'Bundled model card:');
    writeLine(out, report.modelCard.trimEnd());
  }
}

/** Adds `yonos info`: versions, backends that can run here and why others cannot, the bundled model's card. */
export function registerInfoCommand(program: Command, context: CliContext): Command {
  return program
    .command('info')
    .description('show package versions, the tfjs backends that can run here, and the bundled model')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await collectInfo();
      if (options.json === true) {
        writeLine(context.io.stdout, JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), 2));
      } else {
        printInfo(report, context);
      }
    });
}
