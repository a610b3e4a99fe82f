/**
 * Evaluation over a split: metrics plus per-mention predictions (CONTRACTS §5) for error analysis.
 */
import * as tf from '@tensorflow/tfjs';
import { tripletLoss } from './loss';
import { goldRanks, RankingMeter, RankingMetrics } from './metrics';
import { batchTensors, disposeBatch, RankingBatch, RankingModel } from './model';
import { writeFileAtomic } from '../atomic-write';

/** One line of predictions_{split}.jsonl. */
export interface MentionPrediction {
  row: number;
  /** Index of the gold entity among the C candidates, or C when absent. */
  answer: number;
  /** 1-based rank of the gold among the C candidates (ties counted in its favour); null when absent. */
  goldRank: number | null;
  /** Top-10 candidate slots, best first (gold slot excluded). */
  top: { slot: number; score: number }[];
  /** All C candidate scores. */
  scores: number[];
  /** DRIN: per GCN layer input, [tt, ti, it, ii] edge values of the gold slot. */
  edges?: number[][];
}

export interface EvaluateOptions {
  topks?: number[];
  /** Collect per-mention predictions (default true). */
  predictions?: boolean;
  /** Fixed gold-absent share for the corrected metrics. */
  absentShare?: number;
  /**
   * Also compute the triplet loss (src/train/loss.ts, the training loss) with this margin on every batch,
   * without a gradient, from the same eval-mode scores; returned as `loss`, the mean over batches (the
   * way the loop averages the training loss).
   */
  margin?: number;
  /** Report progress with an ETA: one line at most every `everySeconds` (default 10) and a last line. */
  progress?: { label: string; total: number; log?: (line: string) => void; everySeconds?: number };
}

/** `90 s` → `1m30s`. */
function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** Score every batch (in order) and return metrics and per-mention predictions. Batches are disposed. */
export async function evaluateRanking(
  model: RankingModel,
  batches: AsyncIterable<RankingBatch> | Iterable<RankingBatch>,
  opts: EvaluateOptions = {},
): Promise<{ metrics: RankingMetrics; predictions: MentionPrediction[]; loss?: number }> {
  const meter = new RankingMeter(opts.topks, opts.absentShare);
  const predictions: MentionPrediction[] = [];
  let row = 0;
  let lossSum = 0;
  let lossBatches = 0;
  const t0 = Date.now();
  let lastReport = t0;
  const report = (final: boolean) => {
    const p = opts.progress;
    if (!p) return;
    const now = Date.now();
    if (!final && now - lastReport < (p.everySeconds ?? 10) * 1000) return;
    lastReport = now;
    const s = (now - t0) / 1000;
    const rate = row / Math.max(s, 1e-9);
    const eta = final ? 'done' : `ETA ${formatSeconds((p.total - row) / rate)}`;
    (p.log ?? ((l: string) => console.log(l)))(
      `${p.label}: ${row}/${p.total} mentions (${((100 * row) / Math.max(1, p.total)).toFixed(0)} %), ` +
        `${rate.toFixed(1)} mentions/s, ${formatSeconds(s)} elapsed, ${eta}`,
    );
  };
  for await (const batch of batches) {
    const t = batchTensors(batch);
    const onehot = t.answer_onehot;
    if (!onehot) throw new Error('evaluateRanking: batch has no answer_onehot (CONTRACTS §3)');
    const C = onehot.shape[1]!;
    const out = tf.tidy(() => {
      const scores = model.scores(t, { training: false }).slice([0, 0], [-1, C]); // [B,C]
      const ranks = goldRanks(scores, onehot); // [B]
      const res: Record<string, tf.Tensor> = { scores, ranks };
      if (opts.margin !== undefined) res.loss = tripletLoss(scores, onehot, opts.margin); // scalar, no tape
      const answer = t.answer_index ?? tf.where(onehot.sum(-1).greater(0), onehot.argMax(-1), tf.fill([onehot.shape[0]!], C, 'int32'));
      res.answer = answer.toInt();
      if (opts.predictions !== false) {
        const top = tf.topk(scores, Math.min(10, C)); // [B,k]
        res.topIdx = top.indices;
        res.topVal = top.values;
        if (model.extras) {
          const ex = model.extras(t).edges;
          if (ex) res.edges = ex; // [B,layers,4]
        }
      }
      return res;
    });
    const scoresArr = out.scores.arraySync() as number[][];
    const ranksArr = Array.from(out.ranks.dataSync());
    const answers = Array.from(out.answer.dataSync());
    const topIdx = out.topIdx ? (out.topIdx.arraySync() as number[][]) : [];
    const topVal = out.topVal ? (out.topVal.arraySync() as number[][]) : [];
    const edges = out.edges ? (out.edges.arraySync() as number[][][]) : undefined;
    if (out.loss) {
      lossSum += out.loss.dataSync()[0];
      lossBatches++;
    }
    Object.values(out).forEach((x) => x.dispose());
    meter.addRanks(ranksArr);
    if (opts.predictions !== false) {
      const index = batch.index;
      for (let b = 0; b < scoresArr.length; b++) {
        const p: MentionPrediction = {
          row: index ? index[b] : row + b,
          answer: answers[b],
          goldRank: ranksArr[b] > 0 ? ranksArr[b] : null,
          top: topIdx[b].map((slot: number, j: number) => ({ slot, score: topVal[b][j] })),
          scores: scoresArr[b],
        };
        if (edges) p.edges = edges[b];
        predictions.push(p);
      }
    }
    row += scoresArr.length;
    disposeBatch(batch);
    report(false);
  }
  report(true);
  const loss = opts.margin !== undefined ? (lossBatches ? lossSum / lossBatches : NaN) : undefined;
  return { metrics: meter.compute(), predictions, ...(loss !== undefined ? { loss } : {}) };
}

/** Write predictions as JSON lines (atomically). */
export function writePredictions(file: string, predictions: MentionPrediction[]): void {
  writeFileAtomic(file, predictions.map((p) => JSON.stringify(p)).join('\n') + (predictions.length ? '\n' : ''));
}
