/**
 * The `ort` engine of DRIN: the parameter-free inputs are computed with tfjs (drin.ts's own
 * functions), the rest of the step — vertices, GCN layers, scores, triplet loss and every gradient —
 * runs as one onnxruntime graph (drin-graph.ts), cached per batch shape.
 *
 * Same numbers as the tfjs engine within float32 rounding (`drin parity` checks both).
 */
import * as tf from '@tensorflow/tfjs';
import { OrtFeed, OrtSession } from '../onnx/session';
import { DrinConfig } from './drin-config';
import { drinInitialEdges } from './edges';
import { buildDrinGraph, drinGraphGradKeys, drinGraphParamKeys } from './drin-graph';
import { DrinBatch, drinEntityTextInputs, drinMeanAxisIfRank, drinMentionSpanMean } from './vertices';
import { DRIN_EDGE_NAMES } from './drin-config';

function feed(t: tf.Tensor, dims: number[] = t.shape): OrtFeed {
  return { data: t.dataSync() as Float32Array, dims };
}

export interface DrinStepResult {
  loss: number;
  /** [B,R] */
  scores: tf.Tensor2D;
  /** Parameter key → gradient (only the parameters PyTorch gives a gradient). */
  grads: Map<string, tf.Tensor>;
}

export class DrinOrtEngine {
  private sessions = new Map<string, OrtSession>();

  constructor(readonly cfg: DrinConfig) {}

  private session(B: number, R: number, train: boolean, margin: number): OrtSession {
    const key = `${B}x${R}:${train ? `train@${margin}` : 'eval'}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = new OrtSession(buildDrinGraph(this.cfg, { B, R }, { train, margin }).toBytes());
      this.sessions.set(key, s);
    }
    return s;
  }

  /** The graph's feeds: parameter-free inputs (tfjs) and the current parameters. */
  private feeds(params: Map<string, tf.Variable>, batch: DrinBatch): { feeds: Record<string, OrtFeed>; B: number; R: number } {
    const feeds: Record<string, OrtFeed> = {};
    const [B, R] = batch.miet_similarity.shape as [number, number];
    tf.tidy(() => {
      const span = drinMentionSpanMean(batch.mention_text_feature, batch.mention_start_pos, batch.mention_end_pos); // [B,Dt]
      const text = drinEntityTextInputs(batch); // [B,R,Dt] each
      const Di = this.cfg.resnetDim;
      feeds.x_mt = feed(span);
      feeds.x_mi = feed(batch.mention_image_feature.mean(-2)); // [B,Di]
      feeds.x_et = feed(text.vector, [B * R, this.cfg.bertDim]);
      feeds.x_ei = feed(drinMeanAxisIfRank(batch.entity_image_feature, 4), [B * R, Di]);
      const edges = drinInitialEdges(batch, span, text.raw, this.cfg.cosineEps);
      edges.forEach((e, k) => (feeds[`e0_${DRIN_EDGE_NAMES[k]}`] = feed(e)));
    });
    for (const k of drinGraphParamKeys(this.cfg)) {
      const p = params.get(k);
      if (!p) throw new Error(`DRIN ort engine: missing parameter '${k}'`);
      feeds[k] = feed(p);
    }
    return { feeds, B, R };
  }

  /** Scores [B,R] (no gradients). */
  scores(params: Map<string, tf.Variable>, batch: DrinBatch): tf.Tensor2D {
    const { feeds, B, R } = this.feeds(params, batch);
    const out = this.session(B, R, false, 0).run(feeds, ['scores']);
    return tf.tensor2d(out.scores, [B, R]);
  }

  /** Loss, scores and gradients of the triplet loss with `margin`. */
  step(params: Map<string, tf.Variable>, batch: DrinBatch, margin: number): DrinStepResult {
    const { feeds, B, R } = this.feeds(params, batch);
    const onehot = batch.answer_onehot;
    if (!onehot) throw new Error('DRIN ort engine: the batch has no answer_onehot (needed for the loss)');
    const oh = onehot.toFloat();
    feeds.answer_onehot = feed(oh);
    if (oh !== onehot) oh.dispose();
    const keys = drinGraphGradKeys(this.cfg);
    const out = this.session(B, R, true, margin).run(feeds, ['loss', 'scores', ...keys.map((k) => `grad:${k}`)]);
    const grads = new Map<string, tf.Tensor>();
    for (const k of keys) grads.set(k, tf.tensor(out[`grad:${k}`], params.get(k)!.shape));
    return { loss: out.loss[0], scores: tf.tensor2d(out.scores, [B, R]), grads };
  }

  dispose(): void {
    this.sessions.forEach((s) => s.dispose());
    this.sessions.clear();
  }
}
