// An independent statement of diffusers 0.25's UNet2DConditionModel parameter layout (names and
// PyTorch shapes), written from diffusers' module structure, not from this package's code: used to
// check shape-only builds of full-size configs no fixture lists (the real SD x4 upscaler). It covers
// the block types those use (DownBlock2D, CrossAttnDownBlock2D, UNetMidBlock2DCrossAttn, UpBlock2D,
// CrossAttnUpBlock2D), one transformer block per attention, and a class embedding table; tests
// validate it against diffusers' own key lists (sd-keys.json, the sd-x4-upscaler-tiny weights).

/** The config keys it reads (diffusers names). */
export interface DiffusersUNetLayoutConfig {
  readonly in_channels: number;
  readonly out_channels: number;
  readonly block_out_channels: readonly number[];
  readonly layers_per_block: number;
  readonly down_block_types: readonly string[];
  readonly up_block_types: readonly string[];
  readonly cross_attention_dim: number;
  readonly only_cross_attention?: boolean | readonly boolean[];
  readonly use_linear_projection?: boolean;
  readonly num_class_embeds?: number | null;
}

/** Every parameter name with its PyTorch shape, as diffusers' `state_dict()` lists them. */
export function diffusersUNetLayout(c: DiffusersUNetLayoutConfig): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const add = (name: string, shape: number[]): void => {
    out.set(name, shape);
  };
  const linear = (name: string, outF: number, inF: number, bias = true): void => {
    add(`${name}.weight`, [outF, inF]);
    if (bias) add(`${name}.bias`, [outF]);
  };
  const conv = (name: string, outC: number, inC: number, k: number): void => {
    add(`${name}.weight`, [outC, inC, k, k]);
    add(`${name}.bias`, [outC]);
  };
  const norm = (name: string, ch: number): void => {
    add(`${name}.weight`, [ch]);
    add(`${name}.bias`, [ch]);
  };
  const levels = c.block_out_channels.length;
  const c0 = c.block_out_channels[0]!;
  const temb = 4 * c0;
  const onlyCross = Array.isArray(c.only_cross_attention)
    ? (c.only_cross_attention as readonly boolean[])
    : Array.from({ length: levels }, () => c.only_cross_attention === true);

  const resnet = (p: string, inC: number, outC: number): void => {
    norm(`${p}.norm1`, inC);
    conv(`${p}.conv1`, outC, inC, 3);
    linear(`${p}.time_emb_proj`, outC, temb);
    norm(`${p}.norm2`, outC);
    conv(`${p}.conv2`, outC, outC, 3);
    if (inC !== outC) conv(`${p}.conv_shortcut`, outC, inC, 1);
  };
  // Transformer2DModel with one BasicTransformerBlock (GEGLU feed-forward, 4x inner width).
  const transformer = (p: string, ch: number, attn1FromContext: boolean): void => {
    norm(`${p}.norm`, ch);
    if (c.use_linear_projection === true) linear(`${p}.proj_in`, ch, ch);
    else conv(`${p}.proj_in`, ch, ch, 1);
    const b = `${p}.transformer_blocks.0`;
    const attention = (a: string, kvIn: number): void => {
      linear(`${a}.to_q`, ch, ch, false);
      linear(`${a}.to_k`, ch, kvIn, false);
      linear(`${a}.to_v`, ch, kvIn, false);
      linear(`${a}.to_out.0`, ch, ch);
    };
    norm(`${b}.norm1`, ch);
    attention(`${b}.attn1`, attn1FromContext ? c.cross_attention_dim : ch);
    norm(`${b}.norm2`, ch);
    attention(`${b}.attn2`, c.cross_attention_dim);
    norm(`${b}.norm3`, ch);
    linear(`${b}.ff.net.0.proj`, 8 * ch, ch);
    linear(`${b}.ff.net.2`, ch, 4 * ch);
    if (c.use_linear_projection === true) linear(`${p}.proj_out`, ch, ch);
    else conv(`${p}.proj_out`, ch, ch, 1);
  };

  conv('conv_in', c0, c.in_channels, 3);
  linear('time_embedding.linear_1', temb, c0);
  linear('time_embedding.linear_2', temb, temb);
  if (c.num_class_embeds != null) add('class_embedding.weight', [c.num_class_embeds, temb]);

  let prev = c0;
  c.down_block_types.forEach((type, i) => {
    const ch = c.block_out_channels[i]!;
    for (let j = 0; j < c.layers_per_block; j++) {
      resnet(`down_blocks.${i}.resnets.${j}`, j === 0 ? prev : ch, ch);
      if (type === 'CrossAttnDownBlock2D') transformer(`down_blocks.${i}.attentions.${j}`, ch, onlyCross[i]!);
    }
    if (i < levels - 1) conv(`down_blocks.${i}.downsamplers.0.conv`, ch, ch, 3);
    prev = ch;
  });

  const deepest = c.block_out_channels[levels - 1]!;
  resnet('mid_block.resnets.0', deepest, deepest);
  transformer('mid_block.attentions.0', deepest, false); // the mid block always has self-attention
  resnet('mid_block.resnets.1', deepest, deepest);

  const rev = [...c.block_out_channels].reverse();
  const revOnlyCross = [...onlyCross].reverse();
  c.up_block_types.forEach((type, i) => {
    const ch = rev[i]!;
    const prevOut = rev[Math.max(i - 1, 0)]!;
    const skipOfLast = rev[Math.min(i + 1, levels - 1)]!;
    const layers = c.layers_per_block + 1;
    for (let j = 0; j < layers; j++) {
      const skip = j === layers - 1 ? skipOfLast : ch;
      const hidden = j === 0 ? prevOut : ch;
      resnet(`up_blocks.${i}.resnets.${j}`, hidden + skip, ch);
      if (type === 'CrossAttnUpBlock2D') transformer(`up_blocks.${i}.attentions.${j}`, ch, revOnlyCross[i]!);
    }
    if (i < levels - 1) conv(`up_blocks.${i}.upsamplers.0.conv`, ch, ch, 3);
  });

  norm('conv_norm_out', c0);
  conv('conv_out', c.out_channels, c0, 3);
  return out;
}

/** Total number of scalars of a layout. */
export function layoutSize(layout: ReadonlyMap<string, readonly number[]>): number {
  let n = 0;
  for (const s of layout.values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
