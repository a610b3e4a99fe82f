/**
 * GHMFC baseline (Wang et al. 2022, "Multimodal Entity Linking with Gated Hierarchical Fusion and
 * Contrastive Training") as the DRIN authors re-implemented it (`baselines/ghmfc.py` of
 * starreeze/drin), on offline features. Compared with DRIN in the paper's Table 2; trained and shown
 * in notebooks/05-run-baselines.ipynb.
 *
 * B batch, R candidate slots (C + 1, last = gold), T mention tokens, N image regions,
 * L entity tokens (WikiMEL), Dt BERT size, Di ResNet size, O output size.
 *
 * Mention side (`mentionLayer`):
 * - 'multimodal' + 'bi' (the paper's GHMFC): t2v = CrossAttention(text over image), v2t =
 *   CrossAttention(image over text); each max-pooled over ALL positions, projected to O with GELU,
 *   mixed by a 2-way softmax gate.
 * - 'multimodal' + 'text': one CrossAttention(text, image), then `mentionRepresentation`.
 * - 'linear': mean of the mention tokens [start, end), Linear(Dt → O).
 * - 'transformer': an 8-layer `nn.TransformerEncoder` over the text, then `mentionRepresentation`.
 * - 'none': the text features, then `mentionRepresentation`.
 * Entity side: WikiDiverse = the pooled text vector; WikiMEL = mean (or max) of tokens 1..n-2
 * (no CLS, no SEP) or the CLS token ('bert default'); then Linear(Dt → O) (`entityLayer`).
 * Scores: cosine(mention, entity) → [B, R].
 */
import * as tf from '@tensorflow/tfjs';
import type { FusedAdam, RankingModel } from './ranking-model';
import { DeviceName, DeviceRequest, resolveOrtDevice, resolveTfjsDevice } from '../device';
import { ortUnavailable, OrtRunOptions } from '../onnx/session';
import { resolveModelEngine } from './engine-choice';
import { GhmfcOrtEngine, GhmfcOrtOptions } from './ghmfc-ort';
import { initMultiheadAttention, torchMultiheadAttention } from './multihead-attention';
import { initTransformerEncoder, torchTransformerEncoder, TransformerEncoderConfig } from './transformer-encoder';
import {
  TorchParams,
  TorchRng,
  torchBatchMatMul,
  torchRng,
  torchActivation,
  torchCosineSimilarity,
  torchLayerNormAt,
  torchLayerNormInit,
  torchLinearAt,
  torchLinearInit,
} from '../nn';

/** GHMFC configuration; field names follow the reference's `common/args.py`. */
export interface GhmfcConfig {
  /** Entity text layout: 'wikidiverse' (one vector per candidate) or 'wikimel' (tokens + mask). */
  dataset: 'wikimel' | 'wikidiverse';
  /** BERT feature size Dt (768 in the paper). */
  bertDim: number;
  /** ResNet region feature size Di (2048). */
  resnetDim: number;
  /** mention_final_output_dim O (768). */
  mentionOutputDim: number;
  /** entity_final_output_dim (768); must equal the mention vector size. */
  entityOutputDim: number;
  /** transformer_num_heads (8), for the cross-attention and the transformer option. */
  numHeads: number;
  /** transformer_dropout (0.1): attention dropout and transformer dropout, training only. */
  dropout: number;
  /** mention_final_layer_name: 'multimodal' (GHMFC), 'linear', 'transformer' or 'none'. */
  mentionLayer: 'multimodal' | 'linear' | 'transformer' | 'none';
  /** mention_multimodal_attention: 'bi' (both directions, gated) or 'text' (text over image only). */
  multimodalAttention: 'bi' | 'text';
  /** mention_final_representation for 'text', 'transformer' and 'none': 'max pool' or 'avg extract'. */
  mentionRepresentation: 'max pool' | 'avg extract';
  /** multimodal_subspace_activation ('gelu', exact erf). */
  subspaceActivation: string;
  /** entity_final_layer_name: 'linear' or 'none'. */
  entityLayer: 'linear' | 'none';
  /** entity_final_pooling for WikiMEL: 'avg', 'max' or 'bert default' (CLS). */
  entityPooling: 'avg' | 'max' | 'bert default';
  /** The transformer option: transformer_num_layers (8), _ffn_hidden_size (512), _ffn_activation ('gelu'). */
  transformerLayers: number;
  transformerFfnDim: number;
  transformerActivation: string;
  /** LayerNorm eps (1e-5) and cosine eps (1e-8). */
  layerNormEps: number;
  cosineEps: number;
}

/** The reference defaults (paper sizes, GHMFC = multimodal + bi, entity = linear on mean tokens). */
export const GHMFC_DEFAULTS: GhmfcConfig = {
  dataset: 'wikimel',
  bertDim: 768,
  resnetDim: 2048,
  mentionOutputDim: 768,
  entityOutputDim: 768,
  numHeads: 8,
  dropout: 0.1,
  mentionLayer: 'multimodal',
  multimodalAttention: 'bi',
  mentionRepresentation: 'max pool',
  subspaceActivation: 'gelu',
  entityLayer: 'linear',
  entityPooling: 'avg',
  transformerLayers: 8,
  transformerFfnDim: 512,
  transformerActivation: 'gelu',
  layerNormEps: 1e-5,
  cosineEps: 1e-8,
};

/** A GHMFC instance: a RankingModel (src/train) plus its configuration and the engine it trains on. */
export interface GhmfcModel extends RankingModel {
  config: GhmfcConfig;
  /** 'ort': one onnxruntime call per step (ghmfc-ort.ts); 'tfjs': tf.variableGrads over `ghmfcForward`. */
  engine: 'ort' | 'tfjs';
  /** The onnxruntime engine when `engine` is 'ort' (memory check, sessions). */
  ort?: GhmfcOrtEngine;
  /** Where it runs: the onnxruntime provider (ort engine) or the tfjs backend's device (tfjs engine). */
  device: DeviceName;
  /** The engine and device, and why (e.g. why not CUDA). */
  engineNote: string;
}

/** Engine options of `createGhmfc` (the CLI passes `--engine`, `--device` / DRIN_DEVICE and DRIN_ORT_*). */
export interface GhmfcEngineOptions extends Omit<GhmfcOrtOptions, 'device' | 'ort'> {
  /** 'auto' (default) = 'ort' when onnxruntime-node loads and tfjs is not on its native backend (or `device` is 'cuda'), else 'tfjs'. */
  engine?: 'auto' | 'ort' | 'tfjs';
  /**
   * `auto` (default), `cpu` or `cuda`, resolved as DRIN's: the ort engine by `resolveOrtDevice` (auto = CUDA when the
   * onnxruntime provider passes its check; cuda without it = an Error naming what is missing), the tfjs engine by
   * `resolveTfjsDevice` (cuda only through tfjs-node-gpu). A `session` hook makes its own sessions, on the provider it picks.
   */
  device?: DeviceRequest;
  /** The ort engine's onnxruntime options: threads, CUDA device index, TF32 (src/onnx/session.ts). */
  ort?: OrtRunOptions;
}

/** The engine `createGhmfc` uses for `requested` (src/models/engine-choice.ts: DRIN's rule; `cuda` keeps `ort` under `auto`). */
export function resolveGhmfcEngine(requested: GhmfcEngineOptions['engine'] = 'auto', device?: DeviceRequest): 'ort' | 'tfjs' {
  return resolveModelEngine('GHMFC', requested, device, requested === 'tfjs' ? undefined : ortUnavailable()).engine;
}

const MENTION = 'mention_encoder';
const INTER = `${MENTION}.intermediate_layer`;

/** Size of the mention vector the chosen mention layer produces. */
function mentionVectorDim(c: GhmfcConfig): number {
  if (c.mentionLayer === 'linear' || (c.mentionLayer === 'multimodal' && c.multimodalAttention === 'bi')) return c.mentionOutputDim;
  return c.bertDim;
}

function initCrossAttention(params: TorchParams, prefix: string, dimA: number, dimB: number, c: GhmfcConfig, rng: TorchRng): void {
  initMultiheadAttention(params, `${prefix}.a2b_attention`, { embedDim: dimA, numHeads: c.numHeads, kdim: dimB, vdim: dimB }, rng);
  torchLinearInit(params, `${prefix}.a2b_ffn`, dimA, dimA, true, rng);
  initMultiheadAttention(params, `${prefix}.b2a_attention`, { embedDim: dimA, numHeads: c.numHeads }, rng);
  torchLinearInit(params, `${prefix}.b2a_ffn`, dimA, dimA, true, rng);
  for (let i = 0; i < 4; i++) torchLayerNormInit(params, `${prefix}.layernorms.${i}`, dimA);
}

function transformerConfig(c: GhmfcConfig): TransformerEncoderConfig {
  return {
    dim: c.bertDim,
    numHeads: c.numHeads,
    ffnDim: c.transformerFfnDim,
    dropout: c.dropout,
    activation: c.transformerActivation,
    numLayers: c.transformerLayers,
    layerNormEps: c.layerNormEps,
  };
}

/**
 * Create a GHMFC model with PyTorch-initialised weights (state_dict keys as the reference).
 *
 * ```ts
 * const m = createGhmfc({ dataset: 'wikimel', bertDim: 768, resnetDim: 2048 });
 * const s = m.scores(batch); // [B, R]
 * ```
 */
export function createGhmfc(config: Partial<GhmfcConfig> = {}, seed = 0, opts: GhmfcEngineOptions = {}): GhmfcModel {
  const c: GhmfcConfig = { ...GHMFC_DEFAULTS, ...config };
  const params: TorchParams = new Map();
  const rng = torchRng(`ghmfc-${seed}`);
  if (c.mentionLayer === 'multimodal') {
    if (c.multimodalAttention === 'bi') {
      initCrossAttention(params, `${INTER}.t2v_attention`, c.bertDim, c.resnetDim, c, rng);
      initCrossAttention(params, `${INTER}.v2t_attention`, c.resnetDim, c.bertDim, c, rng);
      torchLinearInit(params, `${INTER}.text_linear`, c.bertDim, c.mentionOutputDim, true, rng);
      torchLinearInit(params, `${INTER}.image_linear`, c.resnetDim, c.mentionOutputDim, true, rng);
      torchLinearInit(params, `${INTER}.score_linear`, 2 * c.mentionOutputDim, 2, true, rng);
    } else {
      initCrossAttention(params, INTER, c.bertDim, c.resnetDim, c, rng);
    }
  } else if (c.mentionLayer === 'linear') {
    torchLinearInit(params, `${MENTION}.final_layer.linear`, c.bertDim, c.mentionOutputDim, true, rng);
  } else if (c.mentionLayer === 'transformer') {
    initTransformerEncoder(params, `${INTER}.transformer`, transformerConfig(c), rng);
  }
  if (c.entityLayer === 'linear') torchLinearInit(params, 'entity_encoder.final_layer', c.bertDim, c.entityOutputDim, true, rng);
  const entityDim = c.entityLayer === 'linear' ? c.entityOutputDim : c.bertDim;
  if (entityDim !== mentionVectorDim(c)) {
    throw new Error(`GHMFC: mention vector size ${mentionVectorDim(c)} != entity vector size ${entityDim} (check mentionOutputDim/entityOutputDim)`);
  }
  const engine = resolveGhmfcEngine(opts.engine, opts.device);
  const dev = engine === 'ort' ? resolveOrtDevice(opts.device) : resolveTfjsDevice(opts.device);
  const ort = engine === 'ort' ? new GhmfcOrtEngine(c, params, (batch) => ghmfcEntityText(c, batch), { ...opts, device: dev.device }) : undefined;
  const model: GhmfcModel = {
    name: 'ghmfc',
    config: c,
    engine,
    ort,
    device: dev.device,
    engineNote: `${engine === 'ort' ? 'onnxruntime engine' : 'tfjs engine'} ${dev.note}`,
    params,
    // the ort engine scores in eval mode (no tape; training goes through lossAndGrads); training-mode
    // scores (dropout, a tape) come from the tfjs forward, the same model
    scores: (batch, o) => (ort && !o?.training ? ort.scores(batch) : tf.tidy(() => ghmfcForward(model, batch, o).scores)),
    ...(ort
      ? {
          lossAndGrads: (batch: Record<string, tf.Tensor>, margin: number) => ort.step(batch, margin),
          trainStepFused: (batch: Record<string, tf.Tensor>, margin: number, adam: FusedAdam) => ort.trainStep(batch, margin, adam),
        }
      : {}),
  };
  return model;
}

/** Outputs of one forward pass; `inner` holds the blocks the parity fixtures record. */
export interface GhmfcOutputs {
  scores: tf.Tensor2D;
  inner: Record<string, tf.Tensor>;
}

/**
 * The reference `CrossAttention(dim_a, dim_b)`: a attends over b, then the result attends over a.
 * Note: no residual around either attention; LayerNorm is applied to the attention output itself.
 * `seqA` `[B, La, A]`, `padA` `[B, La]` bool (true = padding), `seqB` `[B, Lb, Bd]` → `[B, La, A]`.
 */
export function ghmfcCrossAttention(
  params: TorchParams,
  prefix: string,
  c: GhmfcConfig,
  seqA: tf.Tensor3D,
  padA: tf.Tensor | undefined,
  seqB: tf.Tensor3D,
  padB: tf.Tensor | undefined,
  training = false,
): tf.Tensor3D {
  return tf.tidy(() => {
    const dimA = seqA.shape[2];
    const dimB = seqB.shape[2];
    const eps = c.layerNormEps;
    const ln = (i: number, x: tf.Tensor) => torchLayerNormAt(params, `${prefix}.layernorms.${i}`, x, eps);
    const a2b = { embedDim: dimA, numHeads: c.numHeads, kdim: dimB, vdim: dimB, dropout: c.dropout };
    let x: tf.Tensor = torchMultiheadAttention(params, `${prefix}.a2b_attention`, a2b, seqA, seqB, seqB, padB, training); // [B, La, A]
    x = ln(0, x);
    x = ln(1, tf.add(torchLinearAt(params, `${prefix}.a2b_ffn`, x), x));
    const b2a = { embedDim: dimA, numHeads: c.numHeads, dropout: c.dropout };
    let y: tf.Tensor = torchMultiheadAttention(params, `${prefix}.b2a_attention`, b2a, x, seqA, seqA, padA, training); // [B, La, A]
    y = ln(2, y);
    return ln(3, tf.add(torchLinearAt(params, `${prefix}.b2a_ffn`, y), y)) as tf.Tensor3D;
  });
}

/**
 * Mean of `seq[i, start_i:end_i]` per row (the reference's `Avg.avg`), vectorised with a mask.
 * `seq` `[B, T, D]`, `start`/`end` `[B]` int → `[B, D]`. An empty span gives NaN, as torch.mean does.
 */
export function ghmfcSpanMean(seq: tf.Tensor3D, start: tf.Tensor, end: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const T = seq.shape[1];
    const pos = tf.range(0, T, 1, 'int32').reshape([1, T]); // [1, T]
    const inSpan = tf.logicalAnd(
      tf.greaterEqual(pos, start.cast('int32').reshape([-1, 1])),
      tf.less(pos, end.cast('int32').reshape([-1, 1])),
    ).cast('float32'); // [B, T]
    const sum = tf.sum(tf.mul(seq, inSpan.expandDims(2)), 1); // [B, D]
    return tf.div(sum, tf.sum(inSpan, 1, true)) as tf.Tensor2D;
  });
}

/** Pool `[B, T, D]` over T as `mentionRepresentation` says ('max pool' over all positions, or span mean). */
function mentionFinal(c: GhmfcConfig, seq: tf.Tensor3D, batch: Record<string, tf.Tensor>): tf.Tensor2D {
  if (c.mentionRepresentation === 'max pool') return tf.max(seq, 1) as tf.Tensor2D;
  return ghmfcSpanMean(seq, need(batch, 'mention_start_pos'), need(batch, 'mention_end_pos'));
}

function need(batch: Record<string, tf.Tensor>, key: string): tf.Tensor {
  const t = batch[key];
  if (!t) throw new Error(`GHMFC batch: missing '${key}' (have: ${Object.keys(batch).join(', ')})`);
  return t;
}

/**
 * WikiMEL entity text pooling: per candidate, mean (or max) of tokens 1..n-2 with n = sum(mask)
 * (no CLS, no SEP), or the CLS token. `feature` `[B, R, L, Dt]`, `mask` `[B, R, L]` → `[B, R, Dt]`.
 */
export function ghmfcPoolEntityTokens(feature: tf.Tensor4D, mask: tf.Tensor3D, pooling: GhmfcConfig['entityPooling']): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, R, L, D] = feature.shape;
    if (pooling === 'bert default') return feature.slice([0, 0, 0, 0], [B, R, 1, D]).reshape([B, R, D]) as tf.Tensor3D;
    const n = tf.sum(mask.cast('int32'), -1, true); // [B, R, 1]
    const pos = tf.range(0, L, 1, 'int32').reshape([1, 1, L]); // [1, 1, L]
    const keep = tf.logicalAnd(tf.greaterEqual(pos, 1), tf.less(pos, tf.sub(n, 1))); // [B, R, L]
    if (pooling === 'max') {
      const masked = tf.where(keep.expandDims(3).tile([1, 1, 1, D]), feature, tf.fill(feature.shape, -Infinity));
      return tf.max(masked, 2) as tf.Tensor3D;
    }
    const w = keep.cast('float32'); // [B, R, L]
    const sum = tf.sum(tf.mul(feature, w.expandDims(3)), 2); // [B, R, D]
    return tf.div(sum, tf.sum(w, 2, true)) as tf.Tensor3D;
  });
}

/** The entity text vector per candidate slot before the final Linear → `[B, R, Dt]`. */
export function ghmfcEntityText(c: GhmfcConfig, batch: Record<string, tf.Tensor>): tf.Tensor3D {
  if (c.dataset === 'wikidiverse') {
    const f = need(batch, 'entity_text_feature');
    if (f.rank !== 3) throw new Error(`GHMFC wikidiverse: entity_text_feature must be [B,R,Dt], got [${f.shape}]`);
    return f as tf.Tensor3D;
  }
  if (batch.entity_text_feature && batch.entity_text_feature.rank === 4) {
    return ghmfcPoolEntityTokens(batch.entity_text_feature as tf.Tensor4D, need(batch, 'entity_text_mask') as tf.Tensor3D, c.entityPooling);
  }
  // memory-saving form (CONTRACTS §3): pre-pooled mean and CLS
  if (c.entityPooling === 'avg' && batch.entity_text_pooled) return batch.entity_text_pooled as tf.Tensor3D;
  if (c.entityPooling === 'bert default' && batch.entity_text_cls) return batch.entity_text_cls as tf.Tensor3D;
  throw new Error(
    `GHMFC wikimel: need entity_text_feature [B,R,L,Dt] + entity_text_mask (or entity_text_pooled for 'avg', entity_text_cls for 'bert default'); have ${Object.keys(batch).join(', ')}`,
  );
}

/**
 * GHMFC forward pass. Returns the scores `[B, R]` and, with `inner: true`, the inner blocks named
 * as the parity fixtures' `intermediates/` (the caller disposes them).
 */
export function ghmfcForward(
  model: GhmfcModel,
  batch: Record<string, tf.Tensor>,
  opts: { training?: boolean; inner?: boolean } = {},
): GhmfcOutputs {
  const c = model.config;
  const p = model.params;
  const training = opts.training ?? false;
  const inner: Record<string, tf.Tensor> = {};
  const keep = <T extends tf.Tensor>(name: string, t: T): T => {
    if (opts.inner) inner[name] = tf.keep(t);
    return t;
  };
  const scores = tf.tidy(() => {
    const text = need(batch, 'mention_text_feature') as tf.Tensor3D; // [B, T, Dt]
    const textPad = tf.equal(need(batch, 'mention_text_mask'), 0); // [B, T] true = padding
    let mention: tf.Tensor2D;
    if (c.mentionLayer === 'multimodal') {
      const image = need(batch, 'mention_image_feature') as tf.Tensor3D; // [B, N, Di]
      if (c.multimodalAttention === 'bi') {
        // image mask is all ones: nothing is masked on the image side
        const t2v = keep('t2v_cross_attention_out', ghmfcCrossAttention(p, `${INTER}.t2v_attention`, c, text, textPad, image, undefined, training)); // [B, T, Dt]
        const v2t = keep('v2t_cross_attention_out', ghmfcCrossAttention(p, `${INTER}.v2t_attention`, c, image, undefined, text, textPad, training)); // [B, N, Di]
        const act = torchActivation(c.subspaceActivation);
        // max over ALL positions, padded text queries included (only keys are masked)
        const tPre = keep('text_linear_out_pre_gelu', torchLinearAt(p, `${INTER}.text_linear`, tf.max(t2v, 1))); // [B, O]
        const vPre = keep('image_linear_out_pre_gelu', torchLinearAt(p, `${INTER}.image_linear`, tf.max(v2t, 1))); // [B, O]
        const t = act(tPre);
        const v = act(vPre);
        const logits = keep('fusion_score_logits', torchLinearAt(p, `${INTER}.score_linear`, tf.concat([t, v], 1))); // [B, 2]
        const gate = tf.softmax(logits, 1); // [B, 2] softmax over the two modalities
        mention = torchBatchMatMul(gate.expandDims(1), tf.stack([t, v], 1)).squeeze([1]) as tf.Tensor2D; // [B,1,2]@[B,2,O] → [B, O]
      } else {
        const seq = ghmfcCrossAttention(p, INTER, c, text, textPad, image, undefined, training); // [B, T, Dt]
        mention = mentionFinal(c, seq, batch);
      }
    } else if (c.mentionLayer === 'linear') {
      const span = ghmfcSpanMean(text, need(batch, 'mention_start_pos'), need(batch, 'mention_end_pos')); // [B, Dt]
      mention = torchLinearAt(p, `${MENTION}.final_layer.linear`, span) as tf.Tensor2D; // [B, O]
    } else if (c.mentionLayer === 'transformer') {
      const seq = torchTransformerEncoder(p, `${INTER}.transformer`, transformerConfig(c), text, textPad, training); // [B, T, Dt]
      mention = mentionFinal(c, seq, batch);
    } else {
      mention = mentionFinal(c, text, batch);
    }
    keep('encoded_mention', mention);
    const pooled = keep('entity_pooled_text', ghmfcEntityText(c, batch)); // [B, R, Dt]
    const entity = keep(
      'encoded_entity',
      c.entityLayer === 'linear' ? torchLinearAt(p, 'entity_encoder.final_layer', pooled) : pooled,
    ); // [B, R, O]
    return torchCosineSimilarity(mention.expandDims(1), entity, c.cosineEps) as tf.Tensor2D; // [B, R]
  });
  return { scores, inner };
}

/**
 * Read a GHMFC configuration from a parity fixture manifest (or any object using the reference's
 * argument names); missing fields fall back to the reference defaults or are inferred from
 * `param_shapes` (transformer layers and feed-forward size).
 */
export function ghmfcConfigFromManifest(m: Record<string, unknown>): GhmfcConfig {
  const num = (k: string, d: number) => (typeof m[k] === 'number' ? (m[k] as number) : d);
  const str = <T extends string>(k: string, d: T) => (typeof m[k] === 'string' ? (m[k] as T) : d);
  const shapes = (m.param_shapes ?? {}) as Record<string, number[]>;
  const layerIdx = Object.keys(shapes)
    .map((k) => /intermediate_layer\.transformer\.layers\.(\d+)\./.exec(k))
    .filter((x): x is RegExpExecArray => !!x)
    .map((x) => Number(x[1]));
  const ffn = Object.entries(shapes).find(([k]) => k.endsWith('layers.0.linear1.weight'));
  const bert = num('bert_embed_dim', GHMFC_DEFAULTS.bertDim);
  return {
    ...GHMFC_DEFAULTS,
    dataset: str('dataset_layout', str('dataset_name', GHMFC_DEFAULTS.dataset)),
    bertDim: bert,
    resnetDim: num('resnet_embed_dim', GHMFC_DEFAULTS.resnetDim),
    mentionOutputDim: num('mention_final_output_dim', bert),
    entityOutputDim: num('entity_final_output_dim', bert),
    numHeads: num('transformer_num_heads', GHMFC_DEFAULTS.numHeads),
    dropout: num('transformer_dropout', GHMFC_DEFAULTS.dropout),
    mentionLayer: str('mention_final_layer_name', GHMFC_DEFAULTS.mentionLayer),
    multimodalAttention: str('mention_multimodal_attention', GHMFC_DEFAULTS.multimodalAttention),
    mentionRepresentation: str('mention_final_representation', GHMFC_DEFAULTS.mentionRepresentation),
    subspaceActivation: str('multimodal_subspace_activation', GHMFC_DEFAULTS.subspaceActivation),
    entityLayer: str('entity_final_layer_name', GHMFC_DEFAULTS.entityLayer),
    entityPooling: normalisePooling(str('entity_final_pooling', GHMFC_DEFAULTS.entityPooling), str('dataset_layout', 'wikimel')),
    transformerLayers: num('transformer_num_layers', layerIdx.length ? Math.max(...layerIdx) + 1 : GHMFC_DEFAULTS.transformerLayers),
    transformerFfnDim: num('transformer_ffn_hidden_size', ffn ? ffn[1][0] : GHMFC_DEFAULTS.transformerFfnDim),
    transformerActivation: str('transformer_ffn_activation', GHMFC_DEFAULTS.transformerActivation),
    layerNormEps: num('layer_norm_eps', GHMFC_DEFAULTS.layerNormEps),
    cosineEps: num('cosine_eps', GHMFC_DEFAULTS.cosineEps),
  };
}

function normalisePooling(p: string, dataset: string): GhmfcConfig['entityPooling'] {
  if (p === 'avg' || p === 'mean') return 'avg';
  if (p === 'max') return 'max';
  if (p === 'bert default' || p === 'bert_default') return 'bert default';
  if (dataset === 'wikidiverse') return 'avg'; // unused: WikiDiverse entity text is pre-pooled
  throw new Error(`GHMFC: unknown entity_final_pooling '${p}' (expected avg, max or bert default)`);
}
