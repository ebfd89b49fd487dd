/** One photograph of scikit-image's data folder used for evaluation. */
export interface EvalImage {
  /** Output file stem, e.g. `astronaut`. */
  readonly name: string;
  /** File in `skimage/data`. */
  readonly file: string;
  /** Source is single-channel (written as RGB with equal channels). */
  readonly gray: boolean;
  /** Why it is in the set. */
  readonly why: string;
  /**
   * Top-left corner of the HR crop in source pixels; absent = centred. Chosen only where
   * the centre misses the subject.
   */
  readonly offset?: { readonly left: number; readonly top: number };
}

/**
 * The evaluation photographs: every real, everyday photograph of python3-skimage's data
 * folder (colour first, then gray). Left out: `motorcycle_right` (the stereo twin of
 * `motorcycle_left`), `moon` (mostly flat), `hubble_deep_field` (astronomy: point sources on
 * black), `retina`, `ihc`, `cell` (medical and microscopy), `page`, `text` (documents) and the
 * synthetic images (`color`, `logo`, `horse`, `phantom`, `chessboard_*`, `clock_motion`, ...).
 */
export const EVAL_IMAGES: readonly EvalImage[] = [
  { name: 'astronaut', file: 'astronaut.png', gray: false, why: 'portrait: skin, fabric, printed patches', offset: { left: 128, top: 24 } },
  { name: 'coffee', file: 'coffee.png', gray: false, why: 'specular porcelain and metal, wood grain' },
  { name: 'chelsea', file: 'chelsea.png', gray: false, why: 'fur and whiskers (fine texture)' },
  { name: 'rocket', file: 'rocket.jpg', gray: false, why: 'night scene: thin lattice towers, lights, dark noise' },
  { name: 'motorcycle', file: 'motorcycle_left.png', gray: false, why: 'indoor clutter, engine detail, text' },
  { name: 'camera', file: 'camera.png', gray: true, why: 'the standard cameraman scene (public-domain version): edges and grass' },
  { name: 'coins', file: 'coins.png', gray: true, why: 'embossed relief of small objects' },
  { name: 'brick', file: 'brick.png', gray: true, why: 'regular texture in perspective' },
  { name: 'grass', file: 'grass.png', gray: true, why: 'dense irregular texture' },
  { name: 'gravel', file: 'gravel.png', gray: true, why: 'stochastic texture' },
];

/** Folder of the images inside the python3-skimage package. */
export const SKIMAGE_DATA_DIR = 'usr/lib/python3/dist-packages/skimage/data';
