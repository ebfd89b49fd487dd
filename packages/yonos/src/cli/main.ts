/**
 * The `yonos` executable: `bin/yonos.js` imports the built copy of this file; during
 * development run `npx tsx --conditions=source packages/yonos/src/cli/main.ts <command>`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { runCli } from './program.js';

// Silences tfjs's console advice (for example the cpu backend's "install tfjs-node" banner),
// which would mix into the command's output.
tf.enableProdMode();

process.exitCode = await runCli(process.argv.slice(2));
