/**
 * The indices `i` of a numbered child (`<prefix>.<i>.`) that some key of a state dict has, in
 * increasing order: `childIndices(shapes, 'down_blocks')` is `[0, 1, 2]` for a three-level
 * U-Net, `childIndices(shapes, 'down_blocks.0.resnets')` counts its first level's ResNets.
 * A helper for a model class's `configFromWeights` (see `PretrainedModelClass`).
 * @param shapes State-dict names (the keys of the map; values are ignored).
 * @param prefix The attribute path of the `ModuleList` / `Sequential`, without a trailing dot.
 */
export function childIndices(shapes: ReadonlyMap<string, unknown>, prefix: string): number[] {
  const start = `${prefix}.`;
  const found = new Set<number>();
  for (const name of shapes.keys()) {
    if (!name.startsWith(start)) continue;
    const rest = name.slice(start.length);
    const dot = rest.indexOf('.');
    const head = dot < 0 ? rest : rest.slice(0, dot);
    if (/^\d+$/.test(head)) found.add(Number(head));
  }
  return [...found].sort((a, b) => a - b);
}
