/** What {@link scanJson} found wrong, if anything. */
export type JsonScanProblem =
  | { readonly kind: 'duplicate-key'; readonly key: string; readonly path: string }
  | { readonly kind: 'too-deep'; readonly maxDepth: number };

interface Frame {
  /** Keys seen so far, or null for an array. */
  readonly keys: Set<string> | null;
  /** Dotted chain of parent keys, for error messages. */
  readonly path: string;
  lastKey: string;
}

/**
 * Scans JSON text for what `JSON.parse` does not reject: a key repeated inside one object
 * (`JSON.parse` silently keeps the last, so a header could show one tensor to this reader
 * and another to a different one) and nesting deeper than `maxDepth` (the reference
 * implementation's JSON parser stops at 128 levels; a deeply nested header is an attack on
 * memory, not a tensor list).
 *
 * Iterative and bounded by `json.length` on any input, valid JSON or not; on invalid JSON
 * the result is meaningless, so report `JSON.parse`'s error first.
 *
 * @returns the first problem met, or `null`.
 */
export function scanJson(json: string, maxDepth: number): JsonScanProblem | null {
  const stack: Frame[] = [];
  let expectKey = false;
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (j < n && json.charCodeAt(j) !== 0x22) {
        if (json.charCodeAt(j) === 0x5c /* \ */) {
          escaped = true;
          j++;
        }
        j++;
      }
      const frame = stack[stack.length - 1];
      if (expectKey && frame !== undefined && frame.keys !== null && j < n) {
        // Escapes can spell one key two ways ("a" and "\u0061"), so compare decoded text.
        const key = escaped ? decodeJsonString(json.slice(i, j + 1)) : json.slice(i + 1, j);
        if (key !== null) {
          if (frame.keys.has(key)) return { kind: 'duplicate-key', key, path: frame.path };
          frame.keys.add(key);
          frame.lastKey = key;
        }
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return { kind: 'too-deep', maxDepth };
      const isObject = c === 0x7b;
      stack.push({ keys: isObject ? new Set() : null, path: childPath(stack[stack.length - 1]), lastKey: '' });
      expectKey = isObject;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const frame = stack[stack.length - 1];
      expectKey = frame !== undefined && frame.keys !== null;
    }
  }
  return null;
}

function decodeJsonString(literal: string): string | null {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return null;
  }
}

function childPath(parent: Frame | undefined): string {
  if (parent === undefined) return '';
  if (parent.keys === null) return `${parent.path}[]`;
  return parent.path === '' ? parent.lastKey : `${parent.path}.${parent.lastKey}`;
}
