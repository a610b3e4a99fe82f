/**
 * MEL-HI baseline (Zhang et al. 2021, "Attention-based multimodal entity linking with high-quality
 * images") as the DRIN authors re-implemented it (`baselines/melhi.py` of starreeze/drin), WikiDiverse
 * layout only (one text vector and one image vector per candidate). Shown in
 * notebooks/05-run-baselines.ipynb.
 *
 * B batch, R candidate slots (C + 1, last = gold), T mention tokens, N image regions,
 * Dt BERT size, Di ResNet size, H = 3 Dt LSTM size, S context steps.
 *
 * 1. Image gate (the "high-quality image" filter): m_img = Linear(mean region feature) [B, Dt];
 *    open when cos(CLS, m_img) > 0.3 AND some candidate has cos(mention image, entity image) > 0.3
 *    (raw ResNet vectors). A closed gate zeroes the mapped mention and entity images.
 * 2. Token sequence [B, T, 3Dt] = [token features, mean mention-word feature, gated m_img].
 * 3. One LSTM reads the left context (tokens 1..start-1) and the right context (end..len-1);
 *    the reference reads its packed output at `unsorted_indices[i] - 1` (see `melhiLstmExtract`).
 * 4. mention = Linear([left, right]) [B, Dt]; entity = Linear([text, gated e_img]) [B, R, Dt];
 *    scores = cosine → [B, R].
 */
import * as tf from '@tensorflow/tfjs';
import type { RankingModel } from './ranking-model';
import { DeviceName, DeviceRequest, resolveTfjsDevice } from '../device';
import { ghmfcSpanMean } from './ghmfc';
import { initLstm } from './lstm';
import { melhiLstm, melhiManyLstm } from './melhi-lstm';
import { TorchParams, torchBatchMatMul, torchCosineSimilarity, torchLinearAt, torchLinearInit, torchRng } from '../nn';

/** MEL-HI configuration (reference names in comments). */
export interface MelhiConfig {
  /** bert_embed_dim Dt (768). */
  bertDim: number;
  /** resnet_embed_dim Di (2048). */
  resnetDim: number;
  /** thres_tmim: text (CLS) vs mapped mention image (0.3, strict >). */
  thresTmim: number;
  /** thres_imie: raw mention image vs raw entity image (0.3, strict >). */
  thresImie: number;
  /**
   * Which LSTM output represents a context: 'reference' = `packed.data[unsorted_indices[i] - 1]` as
   * the reference reads it (another row's first step, or the longest row's last step); 'last' = the
   * fix, each context's own last hidden state.
   */
  lstmExtract: 'reference' | 'last';
  cosineEps: number;
}

export const MELHI_DEFAULTS: MelhiConfig = {
  bertDim: 768,
  resnetDim: 2048,
  thresTmim: 0.3,
  thresImie: 0.3,
  lstmExtract: 'reference',
  cosineEps: 1e-8,
};

/** A MEL-HI instance: a RankingModel (src/train) plus its configuration. */
export interface MelhiModel extends RankingModel {
  config: MelhiConfig;
  /** Where it runs: the tfjs backend's device (MEL-HI has no onnxruntime engine). */
  device: DeviceName;
  /** The engine and device, and why (e.g. why not CUDA). */
  engineNote: string;
}

/**
 * Create MEL-HI with PyTorch-initialised weights (state_dict keys as the reference). `opts.device`
 * (`auto` default | `cpu` | `cuda`; the CLI: `--device`, DRIN_DEVICE) is resolved by `resolveTfjsDevice`
 * (src/device.ts): MEL-HI runs on tfjs, so `cuda` is an Error unless tfjs-node-gpu runs on a GPU.
 *
 * ```ts
 * const m = createMelhi({ bertDim: 768, resnetDim: 2048 });
 * const s = m.scores(batch); // [B, R]
 * ```
 */
export function createMelhi(config: Partial<MelhiConfig> = {}, seed = 0, opts: { device?: DeviceRequest } = {}): MelhiModel {
  const c: MelhiConfig = { ...MELHI_DEFAULTS, ...config };
  const dev = resolveTfjsDevice(opts.device);
  const rng = torchRng(`melhi-${seed}`);
  const params: TorchParams = new Map();
  const D = c.bertDim;
  torchLinearInit(params, 'image_map_text', c.resnetDim, D, true, rng);
  initLstm(params, 'mention_encoder.mention_lstm', 3 * D, 3 * D, rng);
  torchLinearInit(params, 'mention_encoder.mention_final_map', 6 * D, D, true, rng);
  torchLinearInit(params, 'entity_final_map', 2 * D, D, true, rng);
  const model: MelhiModel = {
    name: 'melhi',
    config: c,
    params,
    device: dev.device,
    engineNote: `tfjs engine (MEL-HI's only one) ${dev.note}`,
    scores: (batch) => tf.tidy(() => melhiForward(model, batch).scores),
  };
  return model;
}

/** Outputs of one forward pass; `inner` holds the blocks the parity fixture records. */
export interface MelhiOutputs {
  scores: tf.Tensor2D;
  inner: Record<string, tf.Tensor>;
}

function need(batch: Record<string, tf.Tensor>, key: string): tf.Tensor {
  const t = batch[key];
  if (!t) throw new Error(`MEL-HI batch: missing '${key}' (have: ${Object.keys(batch).join(', ')})`);
  return t;
}

/**
 * Gather context windows of `seq` `[B, T, F]`: row i takes `seq[i, from_i + t]` for t < len_i and
 * zeros elsewhere, over `steps` steps → `[B, steps, F]`. Empty windows (len 0) become one zero step,
 * as the reference substitutes a single zero vector.
 */
export function melhiContextWindow(seq: tf.Tensor3D, from: tf.Tensor1D, len: tf.Tensor1D, steps: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T] = seq.shape;
    const t = tf.range(0, steps, 1, 'int32').reshape([1, steps]); // [1, S]
    const idx = tf.add(from.reshape([B, 1]), t); // [B, S] token index read at each step
    const valid = tf.less(t, len.reshape([B, 1])); // [B, S]
    // one-hot selection (exact, and differentiable on every backend: gather's gradient is not on wasm)
    const sel = tf.oneHot(tf.where(valid, idx, tf.fill([B, steps], -1, 'int32')), T).cast('float32'); // [B, S, T], zero rows when invalid
    return torchBatchMatMul(sel, seq) as tf.Tensor3D; // [B, S, T] @ [B, T, F] → [B, S, F]
  });
}

/**
 * Read one vector per row from the LSTM outputs `[B, S, H]` of sequences of lengths `lens` `[B]`
 * (each >= 1).
 *
 * 'reference': `pack_sequence(enforce_sorted=False)` sorts rows by length, descending and stable;
 * packed data is time-major, so `packed.data[j]` for j < B is the first step of the row at sorted
 * position j. The reference reads `packed.data[p_i - 1]` with p_i the sorted position of row i:
 * p_i > 0 gives the first step of the row at sorted position p_i - 1; p_i = 0 gives index -1, the
 * last packed row: the final step (maxLen - 1) of the row at sorted position (#rows with maxLen) - 1.
 * 'last': each row's own output at step len_i - 1.
 */
export function melhiLstmExtract(outputs: tf.Tensor3D, lens: tf.Tensor1D, mode: MelhiConfig['lstmExtract']): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, S, H] = outputs.shape;
    const flat = outputs.reshape([B * S, H]); // [B*S, H]
    const rowBase = tf.range(0, B * S, S, 'int32'); // [B]
    const one = tf.scalar(1, 'int32');
    // pick rows of `flat` by a one-hot matmul (exact; gather's gradient is not on wasm)
    const pick = (rows: tf.Tensor) => torchBatchMatMul(tf.oneHot(rows.cast('int32'), B * S).cast('float32'), flat) as tf.Tensor2D; // [B, H]
    if (mode === 'last') return pick(tf.add(rowBase, tf.sub(lens.cast('int32'), one)));
    const li = lens.reshape([B, 1]);
    const lj = lens.reshape([1, B]);
    const i = tf.range(0, B, 1, 'int32');
    const before = tf.logicalOr(
      tf.greater(lj, li), // longer rows sort first
      tf.logicalAnd(tf.equal(lj, li), tf.less(i.reshape([1, B]), i.reshape([B, 1]))), // ties keep order
    ); // [B, B]: row j sorts before row i
    const pos = tf.sum(before.cast('int32'), 1); // [B] sorted position p_i
    const maxLen = tf.max(lens);
    const nMax = tf.sum(tf.equal(lens, maxLen).cast('int32')); // rows with the max length
    const target = tf.where(tf.equal(pos, 0), tf.broadcastTo(tf.sub(nMax, one), [B]), tf.sub(pos, one)); // [B]
    const src = tf.argMax(tf.equal(pos.reshape([1, B]), target.reshape([B, 1])).cast('int32'), 1); // [B] row at that position
    const step = tf.where(tf.equal(pos, 0), tf.broadcastTo(tf.sub(maxLen, one), [B]), tf.zeros([B], 'int32')); // [B]
    return pick(tf.add(tf.mul(src.cast('int32'), tf.scalar(S, 'int32')), step));
  });
}

/**
 * Which LSTM outputs the reference's read-out takes (see `melhiLstmExtract`), from the context lengths
 * on the host (each at least 1: an empty context is one zero step): row i with sorted position p_i > 0
 * reads step 0 of the row at position p_i - 1; the row with p_i = 0 reads the last step of `long`, the
 * row at position (#rows of the max length) - 1 = the last max-length row by index (the sort is stable).
 * Returns `source[i]` (a row whose step 0 is read, or -1 for `long`'s last step), `long` and its length.
 */
export function melhiReferenceReadout(lens: ArrayLike<number>): { source: Int32Array; long: number; maxLen: number } {
  const L = Array.from(lens, (x) => Math.max(1, x));
  const B = L.length;
  const order = L.map((_, i) => i).sort((a, b) => L[b] - L[a] || a - b); // sorted position → row
  const maxLen = L[order[0]];
  const nMax = L.filter((x) => x === maxLen).length;
  const source = new Int32Array(B);
  order.forEach((row, pos) => (source[row] = pos === 0 ? -1 : order[pos - 1]));
  return { source, long: order[nMax - 1], maxLen };
}

/**
 * The reference read-out of the LSTM over each row's context window, computing only the outputs it
 * reads (exact: the others feed nothing): step 0 of every row (one LSTM step from the zero state) and
 * the whole window of one row (`melhiReferenceReadout`'s `long`), instead of every row's every step.
 * Several contexts (MEL-HI's left and right) share two LSTM calls: all their first steps in one batch,
 * their long rows in another (each read at its own last step).
 * `tokens` `[B, T, 3Dt]`; per context `from` `[B]` window starts and `lens` the window lengths → `[B, 3Dt]` each.
 */
export function melhiReferenceContexts(p: TorchParams, tokens: tf.Tensor3D, contexts: { from: tf.Tensor1D; lens: Int32Array }[]): tf.Tensor2D[] {
  return tf.tidy(() => {
    const [B, T, F] = tokens.shape;
    const plans = contexts.map((ctx) => melhiReferenceReadout(ctx.lens));
    const lensT = contexts.map((ctx) => tf.tensor1d(ctx.lens, 'int32'));
    const steps = Math.max(...plans.map((pl) => pl.maxLen));
    const firstWindows = tf.concat(contexts.map((ctx, k) => melhiContextWindow(tokens, ctx.from, lensT[k], 1)), 0) as tf.Tensor3D; // [K·B, 1, 3Dt]
    const longWindows = tf.concat(
      contexts.map((ctx, k) => melhiContextWindow(tokens.slice([plans[k].long, 0, 0], [1, T, F]), ctx.from.slice([plans[k].long], [1]), lensT[k].slice([plans[k].long], [1]), steps)),
      0,
    ) as tf.Tensor3D; // [K, S, 3Dt] (zero steps beyond a row's length: computed, never read)
    const [first, long] = melhiManyLstm(p, 'mention_encoder.mention_lstm', [
      { x: firstWindows, steps: 1 },
      { x: longWindows, steps },
    ]); // [K·B, 1, H], [K, S, H]
    const H = first.shape[2];
    return contexts.map((_, k) => {
      const firstK = first.slice([k * B, 0, 0], [B, 1, H]).reshape([B, H]); // [B, H] step 0 of every row
      const last = long.slice([k, plans[k].maxLen - 1, 0], [1, 1, H]).reshape([1, H]); // [1, H]
      // row i picks row source[i] of `firstK`, or `last` (index B): a one-hot matmul, exact and differentiable
      const pick = tf.oneHot(tf.tensor1d(Array.from(plans[k].source, (s) => (s < 0 ? B : s)), 'int32'), B + 1).cast('float32'); // [B, B+1]
      return tf.matMul(pick, tf.concat([firstK, last], 0)) as tf.Tensor2D; // [B, H]
    });
  });
}

/**
 * The image gate: `[B]` float 1/0 (non-differentiable), plus the two similarities.
 * `cls` `[B, Dt]`, `mImgMapped` `[B, Dt]`, `mImg` `[B, Di]` (raw mean), `eImg` `[B, R, Di]` (raw).
 */
export function melhiImageGate(c: MelhiConfig, cls: tf.Tensor, mImgMapped: tf.Tensor, mImg: tf.Tensor, eImg: tf.Tensor) {
  return tf.tidy(() => {
    const simTmim = torchCosineSimilarity(cls, mImgMapped, c.cosineEps); // [B]
    const simImie = torchCosineSimilarity(mImg.expandDims(1), eImg, c.cosineEps); // [B, R]
    // strict > through Heaviside steps: exact (the sign of a float difference is exact) and with zero gradient
    const passTmim = tf.step(tf.sub(simTmim, c.thresTmim)); // [B] 1 when sim_tmim > thres
    const passImie = tf.step(tf.sub(tf.max(simImie, 1), c.thresImie)); // [B] 1 when any candidate > thres
    return { gate: tf.mul(passTmim, passImie), simTmim, simImie };
  });
}

/**
 * MEL-HI forward pass → scores `[B, R]` and, with `inner: true`, the blocks named as the parity
 * fixture's `intermediates/` (the caller disposes them).
 */
export function melhiForward(model: MelhiModel, batch: Record<string, tf.Tensor>, opts: { inner?: boolean } = {}): MelhiOutputs {
  const c = model.config;
  const p = model.params;
  const inner: Record<string, tf.Tensor> = {};
  const keep = <T extends tf.Tensor>(name: string, t: T): T => {
    if (opts.inner) inner[name] = tf.keep(t);
    return t;
  };
  // Host-side: context lengths decide how many LSTM steps to run (small int vectors).
  const startArr = need(batch, 'mention_start_pos').dataSync();
  const endArr = need(batch, 'mention_end_pos').dataSync();
  const maskLen = tf.tidy(() => tf.sum(need(batch, 'mention_text_mask').cast('int32'), 1));
  const lenArr = maskLen.dataSync();
  maskLen.dispose();
  const B = startArr.length;
  const leftLen = Int32Array.from({ length: B }, (_, i) => Math.max((startArr[i] as number) - 1, 0));
  const rightLen = Int32Array.from({ length: B }, (_, i) => Math.max((lenArr[i] as number) - (endArr[i] as number), 0));
  const scores = tf.tidy(() => {
    const text = need(batch, 'mention_text_feature') as tf.Tensor3D; // [B, T, Dt]
    const [, T, D] = text.shape;
    const regions = need(batch, 'mention_image_feature'); // [B, N, Di]
    let eImg = need(batch, 'entity_image_feature'); // [B, R, Di] (or [B, R, 1, Di])
    if (eImg.rank === 4) eImg = eImg.squeeze([2]);
    if (eImg.rank !== 3) throw new Error(`MEL-HI: entity_image_feature must be [B,R,Di], got [${eImg.shape}] (MEL-HI needs the WikiDiverse layout)`);
    const eText = need(batch, 'entity_text_feature'); // [B, R, Dt]
    if (eText.rank !== 3) throw new Error(`MEL-HI: entity_text_feature must be [B,R,Dt] (WikiDiverse layout), got [${eText.shape}]`);


    // 1. image gate
    const mImg = tf.mean(regions, -2); // [B, Di]
    const mImgMapped = keep('image_map_text_mention_pre_gate', torchLinearAt(p, 'image_map_text', mImg)); // [B, Dt]
    const eImgMapped = keep('image_map_text_entity_pre_gate', torchLinearAt(p, 'image_map_text', eImg)); // [B, R, Dt]
    const cls = text.slice([0, 0, 0], [B, 1, D]).reshape([B, D]); // [B, Dt]
    const { gate, simTmim, simImie } = melhiImageGate(c, cls, mImgMapped, mImg, eImg);
    keep('sim_tmim', simTmim);
    keep('sim_imie', simImie);
    keep('image_gate', gate);
    const mImgGated = tf.mul(mImgMapped, gate.reshape([B, 1])); // [B, Dt]
    const eImgGated = tf.mul(eImgMapped, gate.reshape([B, 1, 1])); // [B, R, Dt]

    // 2. token sequence
    const start = need(batch, 'mention_start_pos').cast('int32') as tf.Tensor1D;
    const end = need(batch, 'mention_end_pos').cast('int32') as tf.Tensor1D;
    const word = ghmfcSpanMean(text, start, end); // [B, Dt]
    const tokens = tf.concat([text, tf.tile(word.expandDims(1), [1, T, 1]), tf.tile(mImgGated.expandDims(1), [1, T, 1])], 2) as tf.Tensor3D; // [B, T, 3Dt]

    // 3. contexts through the LSTM
    const leftFrom = tf.onesLike(start) as tf.Tensor1D;
    let left: tf.Tensor2D, right: tf.Tensor2D;
    if (c.lstmExtract === 'reference') {
      [left, right] = melhiReferenceContexts(p, tokens, [
        { from: leftFrom, lens: leftLen },
        { from: end, lens: rightLen },
      ]); // [B, 3Dt] each
    } else {
      [left, right] = [
        [leftFrom, leftLen],
        [end, rightLen],
      ].map(([from, lens]) => {
        const lensT = tf.tensor1d(lens as Int32Array, 'int32');
        const steps = Math.max(1, ...(lens as Int32Array));
        const out = melhiLstm(p, 'mention_encoder.mention_lstm', melhiContextWindow(tokens, from as tf.Tensor1D, lensT, steps), steps); // [B, S, 3Dt]
        return melhiLstmExtract(out, tf.maximum(lensT, tf.scalar(1, 'int32')) as tf.Tensor1D, c.lstmExtract); // [B, 3Dt]
      });
    }
    keep('lstm_left_extracted', left);
    keep('lstm_right_extracted', right);

    // 4. encoders and scores
    const mention = keep('encoded_mention', torchLinearAt(p, 'mention_encoder.mention_final_map', tf.concat([left, right], 1))); // [B, Dt]
    const entity = keep('encoded_entity', torchLinearAt(p, 'entity_final_map', tf.concat([eText, eImgGated], 2))); // [B, R, Dt]
    return torchCosineSimilarity(mention.expandDims(1), entity, c.cosineEps) as tf.Tensor2D; // [B, R]
  });
  return { scores, inner };
}

/** Read a MEL-HI configuration from a parity fixture manifest (reference argument names). */
export function melhiConfigFromManifest(m: Record<string, unknown>): MelhiConfig {
  const num = (k: string, d: number) => (typeof m[k] === 'number' ? (m[k] as number) : d);
  if (typeof m.dataset_layout === 'string' && m.dataset_layout !== 'wikidiverse') {
    throw new Error(`MEL-HI is only defined for the WikiDiverse layout (manifest says '${m.dataset_layout}'), as in the reference`);
  }
  return {
    ...MELHI_DEFAULTS,
    bertDim: num('bert_embed_dim', MELHI_DEFAULTS.bertDim),
    resnetDim: num('resnet_embed_dim', MELHI_DEFAULTS.resnetDim),
    thresTmim: num('thres_tmim', MELHI_DEFAULTS.thresTmim),
    thresImie: num('thres_imie', MELHI_DEFAULTS.thresImie),
    cosineEps: num('cosine_eps', MELHI_DEFAULTS.cosineEps),
  };
}
