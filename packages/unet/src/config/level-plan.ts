/** What every level of a U-Net plan holds, whatever the model class. */
export interface LevelPlan<T extends string> {
  /** Block class name (without a `UNetRes` prefix). */
  readonly type: T;
  /** Channels the block receives (down) or the skip width of its last ResNet (up). */
  readonly in_channels: number;
  /** Channels the block outputs. */
  readonly out_channels: number;
  /** Channels coming from the previous (deeper) up block; 0 for down blocks. */
  readonly prev_output_channel: number;
  /** ResNets in the block. */
  readonly num_layers: number;
  /** Whether the block ends with a stride-2 downsampler (down) or a x2 upsampler (up). */
  readonly resample: boolean;
}

/** The channel fields of one level, as {@link levelChannels} computes them. */
export type LevelChannels = Pick<LevelPlan<string>, 'in_channels' | 'out_channels' | 'prev_output_channel' | 'resample'>;

/**
 * diffusers' channel walk over `block_out_channels` (the same for `UNet2DModel` and
 * `UNet2DConditionModel`): down level `i` maps the previous level's width to
 * `block_out_channels[i]`; up level `i` (deepest first) outputs the reversed list's `i`-th
 * width, takes the previous up block's output as `prev_output_channel`, and its last ResNet
 * takes the skip of the next shallower level. Every level but the last resamples.
 * @param blockOutChannels Per-level widths, shallow to deep (non-empty).
 * @returns One entry per level: `down` shallow to deep, `up` deep to shallow.
 */
export function levelChannels(blockOutChannels: readonly number[]): { down: LevelChannels[]; up: LevelChannels[] } {
  const levels = blockOutChannels.length;
  const down: LevelChannels[] = [];
  let output = blockOutChannels[0]!;
  for (let i = 0; i < levels; i++) {
    const input = output;
    output = blockOutChannels[i]!;
    down.push({ in_channels: input, out_channels: output, prev_output_channel: 0, resample: i !== levels - 1 });
  }
  const reversed = [...blockOutChannels].reverse();
  const up: LevelChannels[] = [];
  output = reversed[0]!;
  for (let i = 0; i < levels; i++) {
    const prev = output;
    output = reversed[i]!;
    up.push({
      in_channels: reversed[Math.min(i + 1, levels - 1)]!,
      out_channels: output,
      prev_output_channel: prev,
      resample: i !== levels - 1,
    });
  }
  return { down, up };
}
