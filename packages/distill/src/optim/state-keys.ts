import type * as tf from '@tensorflow/tfjs-core';
import { OptimizerStateError } from '../errors.js';

/**
 * Splits `<kind>/<name>` state keys (the name may itself contain `/` or `.`) by the known
 * kinds, and reports every key that fits none or names an unknown variable.
 * @returns for each variable name, its tensors by kind.
 * @throws {@link OptimizerStateError} listing unexpected keys and mis-shaped tensors.
 */
export function groupStateKeys(
  owner: string,
  state: ReadonlyMap<string, tf.Tensor>,
  kinds: readonly string[],
  shapeOf: (name: string) => readonly number[] | undefined,
  kindShape: (kind: string, variableShape: readonly number[]) => readonly number[],
  reservedKeys: readonly string[] = [],
): Map<string, Map<string, tf.Tensor>> {
  const groups = new Map<string, Map<string, tf.Tensor>>();
  const unexpected: string[] = [];
  const misshaped: string[] = [];
  for (const [key, tensor] of state) {
    if (reservedKeys.includes(key)) continue;
    const slash = key.indexOf('/');
    const kind = slash < 0 ? '' : key.slice(0, slash);
    const name = key.slice(slash + 1);
    const shape = shapeOf(name);
    if (!kinds.includes(kind) || shape === undefined) {
      unexpected.push(key);
      continue;
    }
    const expected = kindShape(kind, shape);
    if (expected.length !== tensor.shape.length || expected.some((d, i) => d !== tensor.shape[i])) {
      misshaped.push(`${key}: expected [${expected.join(', ')}], got [${tensor.shape.join(', ')}]`);
      continue;
    }
    let group = groups.get(name);
    if (group === undefined) groups.set(name, (group = new Map()));
    group.set(kind, tensor);
  }
  if (unexpected.length > 0 || misshaped.length > 0) {
    const parts: string[] = [];
    if (unexpected.length > 0) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
    if (misshaped.length > 0) parts.push(`mis-shaped: ${misshaped.join('; ')}`);
    throw new OptimizerStateError(
      `${owner} state does not fit its variables (${parts.join('; ')}). ` +
        'Load state saved for the same models and the same trainable parameters.',
    );
  }
  return groups;
}

/** Reads an integer scalar tensor (a step counter) without a synchronous download. */
export async function readCount(owner: string, key: string, t: tf.Tensor): Promise<number> {
  const value = (await t.data())[0];
  if (t.size !== 1 || value === undefined || !Number.isInteger(value) || value < 0) {
    throw new OptimizerStateError(`${owner} state '${key}' must be a non-negative integer scalar, got [${t.shape.join(', ')}] = ${value}.`);
  }
  return value;
}
