// A tfjs IOHandler that loads a layers model (model.json + weight shards) from the local
// disk, so no file:// URL support or HTTP server is needed in Node.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * @param {string} modelJsonPath absolute path of a tfjs `model.json` (layers or graph format)
 * @returns {{ load(): Promise<object> }} an IOHandler for `tf.loadLayersModel`
 */
export function fileIOHandler(modelJsonPath) {
  return {
    async load() {
      const json = JSON.parse(await readFile(modelJsonPath, 'utf8'));
      if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
        throw new Error(`${modelJsonPath} is not a tfjs model.json (no modelTopology / weightsManifest).`);
      }
      const dir = dirname(modelJsonPath);
      const weightSpecs = [];
      const shards = [];
      // The weight specs of all groups, in order, describe the concatenation of all shards in the same order.
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) shards.push(await readFile(join(dir, decodeURIComponent(p))));
      }
      const all = Buffer.concat(shards);
      const artifacts = {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
      if (json.trainingConfig !== undefined) artifacts.trainingConfig = json.trainingConfig;
      if (json.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = json.userDefinedMetadata;
      return artifacts;
    },
  };
}
