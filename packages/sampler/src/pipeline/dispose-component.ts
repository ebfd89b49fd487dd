/** Calls a pipeline component's `dispose()` when it has one (models do, schedulers need not). */
export function disposeComponent(component: unknown): void {
  const d = (component as { dispose?: unknown } | null)?.dispose;
  if (typeof d === 'function') d.call(component);
}
