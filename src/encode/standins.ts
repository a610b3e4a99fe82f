/**
 * STAND-IN ENCODERS: deterministic, built-in, no weights. They produce features in the layout of
 * BERT / ResNet / the detector / CLIP (128 tokens, 49 regions, CLIP 512) so the whole pipeline runs
 * offline on the synthetic sample. Their widths are narrower than the pretrained models' by default
 * ({@link STANDIN_DIMS}: text 128 instead of BERT's 768, image 256 instead of ResNet's 2048): the
 * signal they carry (shared tokens, look-alike pictures) fits in far fewer dimensions, and every model
 * (DRIN and the baselines, GHMFC's 2048-wide cross-attention included) then trains at the full width of
 * its inputs on a CPU in minutes. `standinEncoders({ textDim, imageDim })` / `drin encode
 * --standin-dims 768,2048` give the paper's widths. Their outputs are NOT the pretrained models' features; every output written
 * with them is labelled `standin` in encode.json, and the notebooks say so where they show them.
 *
 * - text  ('standin-hashed-tokens'): each WordPiece token (the prepared dataset's tokenizer) maps to
 *   a fixed pseudo-random vector seeded by the token string; a position's feature is its token's
 *   vector plus a quarter of the text's mean token vector (a little context); [CLS] is the mean of
 *   the text's tokens. Texts that share tokens (a mention sentence and its entity's attribute text)
 *   get similar vectors.
 * - image ('standin-pixel-statistics'): the image is resized to 224×224 (PIL bicubic);
 *   each 32×32 cell of the 7×7 grid is described by its mean and spread of colour, a 4×4×4 colour
 *   histogram and edge energy, then mapped by a fixed random projection + ReLU to C channels;
 *   pooled = mean over the 49 cells (ResNet's average pool). Images that look alike get similar features.
 * - detector ('standin-salient-regions'): pixels that differ from the border's median colour form
 *   connected regions on a 56×56 grid; each region's bounding box is a detection, scored by size
 *   and contrast in (0, 1).
 * - clip ('standin-colour-aligned'): a text tower and an image tower into a common 512-d space,
 *   cosine × 100, ALIGNED on one small concept vocabulary, the basic colour terms of
 *   {@link COLOUR_TERMS}: a colour word in a text and that colour covering part of an image map to
 *   the same concept vector (real CLIP learns such alignments from web image–caption pairs; this
 *   one is built in). Both towers also share a common direction and carry a modality-specific hashed
 *   part (text tokens; image pixel statistics), so unrelated pairs score about 0.18 and a text that
 *   names the colour an image shows about 0.30 — the range real CLIP cosines fall in.
 * Dimension key: N items, L tokens, D text dim, G regions (49), C image channels, P CLIP dim.
 */
import seedrandom from 'seedrandom';
import { loadWordPieceTokenizer } from '../data/tokenize';
import { resizeRGB, type RgbImage } from './images';
import { padDetections } from './detector';
import { normalizeRows } from './clip';
import type { CrossModalEncoder, Detections, EncoderSet, ImageFeatureEncoder, ObjectDetector, TextFeatureEncoder } from './types';

/** A fixed pseudo-random vector of `dim` N(0, scale²) values, seeded by `key`. */
export function hashedVector(key: string, dim: number, scale = 1): Float32Array {
  const rng = seedrandom(`drin-standin:${key}`);
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i += 2) {
    const u = Math.max(rng(), 1e-12), w = rng();
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    v[i] = r * Math.cos(2 * Math.PI * w);
    if (i + 1 < dim) v[i + 1] = r * Math.sin(2 * Math.PI * w);
  }
  return v;
}

/** Split text into tokens: the dataset's WordPiece tokenizer, or lower-level word/punctuation split. */
export type Tokenize = (text: string) => string[];

/** Whitespace + punctuation split (used when no tokenizer is given). */
export const simpleTokenize: Tokenize = (text) => text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];

/** The stand-in for BERT (see the file comment). */
export class StandinTextEncoder implements TextFeatureEncoder {
  readonly name = 'standin-hashed-tokens';
  readonly standin = true;
  private cache = new Map<string, Float32Array>();
  constructor(readonly dim: number = STANDIN_DIMS.text, private readonly tokenize: Tokenize = simpleTokenize) {}

  /** Build from a tokenizer directory or vocab.txt (the prepared dataset's), or the simple split. */
  static fromTokenizer(source: string | null, dim: number = STANDIN_DIMS.text): StandinTextEncoder {
    if (!source) return new StandinTextEncoder(dim);
    const tok = loadWordPieceTokenizer(source);
    return new StandinTextEncoder(dim, (t) => tok.tokens(t));
  }

  private vec(token: string): Float32Array {
    let v = this.cache.get(token);
    if (!v) {
      v = hashedVector(`tok:${token}`, this.dim, 0.5);
      if (this.cache.size > 200000) this.cache.clear();
      this.cache.set(token, v);
    }
    return v;
  }

  /** Token vectors of one text ([CLS] … [SEP], at most 512) and its mean content vector. */
  private rows(text: string): { rows: Float32Array[]; mean: Float32Array } {
    const toks = this.tokenize(text).slice(0, 510);
    const D = this.dim, mean = new Float32Array(D);
    for (const t of toks) { const v = this.vec(t); for (let j = 0; j < D; j++) mean[j] += v[j] / toks.length; }
    const ctx = (v: Float32Array) => { const o = new Float32Array(D); for (let j = 0; j < D; j++) o[j] = v[j] + 0.25 * mean[j]; return o; };
    const cls = new Float32Array(D);
    const c = this.vec('[CLS]');
    for (let j = 0; j < D; j++) cls[j] = 0.25 * c[j] + mean[j] * Math.sqrt(Math.max(1, toks.length));
    return { rows: [cls, ...toks.map((t) => ctx(this.vec(t))), ctx(this.vec('[SEP]'))], mean };
  }

  async hidden(texts: string[], maxLen: number): Promise<{ hidden: Float32Array; mask: Int32Array }> {
    const D = this.dim;
    const hidden = new Float32Array(texts.length * maxLen * D); // [N, L, D]
    const mask = new Int32Array(texts.length * maxLen); // [N, L]
    const pad = this.vec('[PAD]');
    texts.forEach((text, n) => {
      const { rows } = this.rows(text);
      for (let t = 0; t < maxLen; t++) {
        hidden.set(t < rows.length ? rows[t] : pad, (n * maxLen + t) * D);
        if (t < rows.length) mask[n * maxLen + t] = 1;
      }
    });
    return { hidden, mask };
  }

  async pooled(texts: string[]): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim); // [N, D]
    texts.forEach((t, n) => out.set(this.rows(t).rows[0], n * this.dim));
    return out;
  }
}

/** Per-cell descriptor size: mean RGB, std RGB, 4×4×4 histogram, 2 edge energies. */
const CELL_FEATURES = 3 + 3 + 64 + 2;

/** Pixel statistics of each cell of a `grid`×`grid` split of a 224×224 image: [grid², CELL_FEATURES]. */
export function cellStatistics(img: RgbImage, grid = 7): Float32Array {
  const W = img.width, H = img.height, d = img.data;
  const out = new Float32Array(grid * grid * CELL_FEATURES);
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const x0 = Math.floor((gx * W) / grid), x1 = Math.floor(((gx + 1) * W) / grid);
      const y0 = Math.floor((gy * H) / grid), y1 = Math.floor(((gy + 1) * H) / grid);
      const o = (gy * grid + gx) * CELL_FEATURES;
      const n = Math.max(1, (x1 - x0) * (y1 - y0));
      const s = [0, 0, 0], s2 = [0, 0, 0];
      let ex = 0, ey = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (y * W + x) * 3;
          for (let c = 0; c < 3; c++) { const v = d[p + c] / 255; s[c] += v; s2[c] += v * v; }
          out[o + 6 + (d[p] >> 6) * 16 + (d[p + 1] >> 6) * 4 + (d[p + 2] >> 6)] += 1 / n;
          const g = d[p] + d[p + 1] + d[p + 2];
          if (x + 1 < x1) ex += Math.abs(g - (d[p + 3] + d[p + 4] + d[p + 5])) / 765;
          if (y + 1 < y1) ey += Math.abs(g - (d[p + 3 * W] + d[p + 3 * W + 1] + d[p + 3 * W + 2])) / 765;
        }
      }
      for (let c = 0; c < 3; c++) {
        const m = s[c] / n;
        out[o + c] = m;
        out[o + 3 + c] = Math.sqrt(Math.max(0, s2[c] / n - m * m));
      }
      out[o + 70] = (4 * ex) / n;
      out[o + 71] = (4 * ey) / n;
    }
  }
  return out;
}

/** A fixed random projection [inDim, outDim] with N(0, 1/inDim) entries. */
function projection(key: string, inDim: number, outDim: number): Float32Array {
  return hashedVector(`proj:${key}:${inDim}x${outDim}`, inDim * outDim, 1 / Math.sqrt(inDim));
}

/** x [R, I] · W [I, O] → [R, O], optionally ReLU. */
function project(x: Float32Array, W: Float32Array, I: number, O: number, relu: boolean): Float32Array {
  const R = x.length / I, out = new Float32Array(R * O);
  for (let r = 0; r < R; r++) {
    for (let i = 0; i < I; i++) {
      const v = x[r * I + i];
      if (v === 0) continue;
      const wo = i * O, oo = r * O;
      for (let o = 0; o < O; o++) out[oo + o] += v * W[wo + o];
    }
    if (relu) for (let o = 0; o < O; o++) if (out[r * O + o] < 0) out[r * O + o] = 0;
  }
  return out;
}

/** The stand-in for the ResNet (see the file comment). */
export class StandinImageEncoder implements ImageFeatureEncoder {
  readonly name = 'standin-pixel-statistics';
  readonly standin = true;
  readonly regions = 49;
  private readonly W: Float32Array;
  constructor(readonly dim: number = STANDIN_DIMS.image) {
    this.W = projection('image', CELL_FEATURES, dim);
  }

  async encode(images: RgbImage[]): Promise<{ hidden: Float32Array; pooled: Float32Array }> {
    const C = this.dim, G = this.regions;
    const hidden = new Float32Array(images.length * G * C); // [N, G, C]
    const pooled = new Float32Array(images.length * C); // [N, C]
    images.forEach((im, n) => {
      const h = project(cellStatistics(resizeRGB(im, 224, 224)), this.W, CELL_FEATURES, C, true); // [G, C]
      hidden.set(h, n * G * C);
      for (let g = 0; g < G; g++) for (let c = 0; c < C; c++) pooled[n * C + c] += h[g * C + c] / G;
    });
    return { hidden, pooled };
  }
}

/** The stand-in for the object detector (see the file comment). */
export class StandinObjectDetector implements ObjectDetector {
  readonly name = 'standin-salient-regions';
  readonly standin = true;
  constructor(readonly cell = 4, readonly minCells = 6, readonly contrast = 40) {}

  /** Regions of one 224×224 image, best first. */
  regions(img224: RgbImage): { box: number[]; score: number; label: string }[] {
    const W = img224.width, H = img224.height, d = img224.data, cs = this.cell;
    const border: number[][] = [[], [], []];
    for (let x = 0; x < W; x++) for (const y of [0, H - 1]) for (let c = 0; c < 3; c++) border[c].push(d[(y * W + x) * 3 + c]);
    for (let y = 0; y < H; y++) for (const x of [0, W - 1]) for (let c = 0; c < 3; c++) border[c].push(d[(y * W + x) * 3 + c]);
    const bg = border.map((v) => v.sort((a, b) => a - b)[v.length >> 1]);
    const gw = Math.floor(W / cs), gh = Math.floor(H / cs);
    const dist = new Float32Array(gw * gh);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        let s = 0;
        for (let y = gy * cs; y < (gy + 1) * cs; y++) {
          for (let x = gx * cs; x < (gx + 1) * cs; x++) {
            const p = (y * W + x) * 3;
            s += Math.hypot(d[p] - bg[0], d[p + 1] - bg[1], d[p + 2] - bg[2]);
          }
        }
        dist[gy * gw + gx] = s / (cs * cs);
      }
    }
    const seen = new Uint8Array(gw * gh);
    const found: { box: number[]; score: number; label: string }[] = [];
    for (let start = 0; start < gw * gh; start++) {
      if (seen[start] || dist[start] <= this.contrast) continue;
      const stack = [start];
      seen[start] = 1;
      let n = 0, sum = 0, x0 = gw, y0 = gh, x1 = 0, y1 = 0;
      while (stack.length) {
        const i = stack.pop()!;
        const x = i % gw, y = (i / gw) | 0;
        n++; sum += dist[i];
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
          if (nx < 0 || ny < 0 || nx >= gw || ny >= gh) continue;
          const j = ny * gw + nx;
          if (!seen[j] && dist[j] > this.contrast) { seen[j] = 1; stack.push(j); }
        }
      }
      if (n < this.minCells) continue;
      const score = (1 - Math.exp(-n / 40)) * Math.min(1, sum / n / 160);
      found.push({ box: [x0 * cs, y0 * cs, (x1 + 1) * cs, (y1 + 1) * cs], score, label: 'region' });
    }
    return found.sort((a, b) => b.score - a.score || a.box[1] - b.box[1] || a.box[0] - b.box[0]);
  }

  async detect(images: RgbImage[], k: number): Promise<Detections[]> {
    return images.map((im) => padDetections(this.regions(resizeRGB(im, 224, 224)), k));
  }
}

/**
 * The colour terms the stand-in CLIP knows (name and a prototype sRGB colour). The synthetic sample
 * draws its emblems with these colours and names them in its entity texts.
 */
export const COLOUR_TERMS: ReadonlyArray<{ name: string; rgb: [number, number, number] }> = [
  { name: 'red', rgb: [200, 40, 40] },
  { name: 'green', rgb: [40, 160, 60] },
  { name: 'blue', rgb: [40, 70, 200] },
  { name: 'yellow', rgb: [230, 200, 40] },
  { name: 'purple', rgb: [150, 60, 180] },
  { name: 'orange', rgb: [240, 130, 30] },
  { name: 'teal', rgb: [30, 180, 190] },
  { name: 'grey', rgb: [120, 120, 120] },
];

/**
 * Share of an image's pixels within `radius` (Euclidean, 0–255 RGB) of each colour term's
 * prototype, normalised to sum 1 over the terms (all zero when no pixel is near any): [terms].
 */
export function colourTermWeights(img: RgbImage, radius = 60): Float32Array {
  const w = new Float32Array(COLOUR_TERMS.length);
  const d = img.data, r2 = radius * radius;
  for (let p = 0; p < d.length; p += 3) {
    for (let k = 0; k < COLOUR_TERMS.length; k++) {
      const [r, g, b] = COLOUR_TERMS[k].rgb;
      const dr = d[p] - r, dg = d[p + 1] - g, db = d[p + 2] - b;
      if (dr * dr + dg * dg + db * db < r2) { w[k] += 1; break; }
    }
  }
  const s = w.reduce((a, b) => a + b, 0);
  if (s > 0) for (let k = 0; k < w.length; k++) w[k] /= s;
  return w;
}

/** The stand-in for CLIP (see the file comment). */
export class StandinClipEncoder implements CrossModalEncoder {
  readonly name = 'standin-colour-aligned';
  readonly standin = true;
  readonly logitScale = 100;
  private readonly Wt: Float32Array;
  private readonly Wi: Float32Array;
  /** Unit concept vector per colour term [terms][P], and the direction both towers share [P]. */
  private readonly concepts: Float32Array[];
  private readonly common: Float32Array;
  private readonly colourIndex: Map<string, number>;
  /** Weights of the shared direction, the colour concepts and the modality-specific part. */
  static readonly WEIGHTS = { common: 0.51, concept: 0.41, specific: 1 };
  constructor(readonly dim = 512, private readonly tokenize: Tokenize = simpleTokenize, private readonly hashDim = 64) {
    this.Wt = projection('clip-text', hashDim, dim);
    this.Wi = projection('clip-image', CELL_FEATURES, dim);
    const unit = (key: string) => normalizeRows(hashedVector(key, dim), dim);
    this.concepts = COLOUR_TERMS.map((c) => unit(`clip-concept:${c.name}`));
    this.common = unit('clip-common');
    this.colourIndex = new Map(COLOUR_TERMS.map((c, k) => [c.name, k]));
  }

  /** common·u + concept·Σ_k w_k c_k + specific·normalize(x), one row → normalised [P]. */
  private combine(specific: Float32Array, weights: ArrayLike<number>): Float32Array {
    const P = this.dim, W = StandinClipEncoder.WEIGHTS;
    const s = normalizeRows(specific, P);
    const out = new Float32Array(P);
    for (let j = 0; j < P; j++) out[j] = W.common * this.common[j] + W.specific * s[j];
    let wn = 0;
    for (let k = 0; k < weights.length; k++) wn += weights[k] * weights[k];
    wn = Math.sqrt(wn) || 1;
    for (let k = 0; k < weights.length; k++) {
      if (!weights[k]) continue;
      const c = this.concepts[k], f = (W.concept * weights[k]) / wn;
      for (let j = 0; j < P; j++) out[j] += f * c[j];
    }
    return normalizeRows(out, P);
  }

  async textEmbeds(texts: string[]): Promise<Float32Array> {
    const H = this.hashDim, P = this.dim;
    const out = new Float32Array(texts.length * P);
    texts.forEach((t, n) => {
      const toks = this.tokenize(t.toLowerCase()).slice(0, 75); // 77 with start/end tokens
      const x = new Float32Array(H);
      const terms = new Float32Array(COLOUR_TERMS.length);
      for (const tok of toks) {
        const k = this.colourIndex.get(tok);
        if (k !== undefined) terms[k] = 1;
        const v = hashedVector(`clip:${tok}`, H);
        for (let j = 0; j < H; j++) x[j] += v[j];
      }
      out.set(this.combine(project(x, this.Wt, H, P, false), terms), n * P);
    });
    return out;
  }

  async imageEmbeds(images: RgbImage[]): Promise<Float32Array> {
    const P = this.dim;
    const out = new Float32Array(images.length * P);
    images.forEach((im, n) => {
      const small = resizeRGB(im, 224, 224);
      const spec = project(cellStatistics(small, 1), this.Wi, CELL_FEATURES, P, false);
      out.set(this.combine(spec, colourTermWeights(small)), n * P);
    });
    return out;
  }
}

/**
 * Default output widths of the text and image stand-ins (D and C above). The pretrained encoders give
 * 768 (BERT-base) and 2048 (ResNet-152); the stand-ins' signal needs far fewer dimensions, and at these
 * widths GHMFC trains at the full width of its inputs on the sample within the notebooks' time (at
 * 768 / 2048 one sample epoch of GHMFC takes about 10 minutes on 2 CPU cores).
 */
export const STANDIN_DIMS = { text: 128, image: 256 } as const;

/** The four stand-ins: text D = {@link STANDIN_DIMS}.text, image C = .image (override with textDim / imageDim), CLIP 512. */
export function standinEncoders(opts: { tokenizer?: string | null; textDim?: number; imageDim?: number } = {}): EncoderSet {
  const text = StandinTextEncoder.fromTokenizer(opts.tokenizer ?? null, opts.textDim ?? STANDIN_DIMS.text);
  return {
    text,
    image: new StandinImageEncoder(opts.imageDim ?? STANDIN_DIMS.image),
    detector: new StandinObjectDetector(),
    clip: new StandinClipEncoder(512),
  };
}

