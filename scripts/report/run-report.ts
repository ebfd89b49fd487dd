/**
 * The evaluation report of the bundled YONOS models (issue 7): upscales the eval set with
 * every model and step count, runs the UpscalerJS baselines, times everything on wasm, scores
 * PSNR/SSIM and draws the plots, into docs/report/. See scripts/report/README.md.
 *
 *   npx tsx --conditions=source scripts/report/run-report.ts [--phases quality,esrgan,timing,score,plots]
 */
import { loadReportConfig } from './lib/config.js';
import { parseReportArgs } from './lib/cli-args.js';
import { ReportError } from './lib/errors.js';
import { runReport } from './lib/phases.js';

async function main(): Promise<void> {
  const args = parseReportArgs(process.argv.slice(2));
  if (args === undefined) return;
  const config = await loadReportConfig(args.config);
  const results = await runReport(config, args.run);
  if (results !== undefined) console.log(`report: ${config.output}/results.json, results.md`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ReportError ? `error: ${error.message}` : error);
  process.exit(1);
});
