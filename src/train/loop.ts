/**
 * The training loop of the reference (train.py + Lightning): Adam, triplet loss, `epochs` epochs with
 * validation after each, and a test round every `testEvery` epochs (10, 20, 30). The reference builds a
 * new Lightning Trainer — hence a new Adam — per round: `resetOptimizerEachRound` (default true) does the same.
 *
 * Extras: seeded shuffles (the seed and the epoch fix each epoch's order), a progress bar with loss,
 * throughput and ETA, a per-epoch history, an atomic checkpoint each epoch, resume to the same final
 * result, and per-mention predictions (CONTRACTS §5).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Adam } from './adam';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { tripletLoss } from './loss';
import { goldRanks, RankingMeter, RankingMetrics } from './metrics';
import { batchTensors, disposeBatch, RankingBatch, RankingModel } from './model';
import { evaluateRanking, writePredictions } from './predictions';
import { writeFileAtomic } from '../atomic-write';
import { progressBar } from '../progress';
import { seededPermutation } from '../random';

/** One split of a dataset: its size and its batches (shuffled by `shuffleSeed` when given). */
export interface RankingSplit {
  size: number;
  batches(opts: { shuffleSeed?: number }): AsyncIterable<RankingBatch> | Iterable<RankingBatch>;
}

export interface TrainOptions {
  /** Epochs in all (reference: 30). */
  epochs: number;
  /** Test every this many epochs (reference: 10). */
  testEvery: number;
  lr: number;
  margin: number;
  seed: number;
  /** Reference behaviour: a fresh Adam at the start of each test round. */
  resetOptimizerEachRound: boolean;
  topks: number[];
  /** Fixed gold-absent shares for the corrected metrics (WikiDiverse's published constants), per split. */
  absentShare?: { train?: number; valid?: number; test?: number };
  /** Run directory (results/runs/<dataset>/<model>): checkpoint, history, predictions, metrics. */
  outDir?: string;
  /** Continue from outDir/checkpoint.npz when present. */
  resume: boolean;
  /** Show a cli-progress bar (stderr, TTY only). */
  progress: boolean;
  /** Called with one line per epoch (default console.log). */
  log: (line: string) => void;
  /** Back-propagate in chunks of this many mentions (bounds memory; exact, one extra forward). */
  backwardChunk?: number;
  /** Stop after this many epochs of this call (for tests of resume); the run can be resumed. */
  stopAfter?: number;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  epochs: 30,
  testEvery: 10,
  lr: 1e-3,
  margin: 0.25,
  seed: 0,
  resetOptimizerEachRound: true,
  topks: [1, 3, 5, 10, 20, 50],
  resume: true,
  progress: true,
  log: (l) => console.log(l),
};

export interface EpochRecord {
  epoch: number;
  /** Mean over training batches of the batch's triplet loss (training mode, before each Adam step). */
  trainLoss: number;
  /**
   * Mean over validation batches of the same triplet loss (same margin), eval mode, no gradient, after
   * the epoch's last step.
   */
  validLoss: number;
  train: RankingMetrics;
  valid: RankingMetrics;
  test?: RankingMetrics;
  seconds: number;
  mentionsPerSecond: number;
}

export interface TrainResult {
  history: EpochRecord[];
  valid: RankingMetrics;
  test?: RankingMetrics;
  secondsPerEpoch: number;
}

/** The shuffle seed of an epoch: fixed by the run seed and the epoch number, so a resumed run sees the same order. */
export function epochShuffleSeed(seed: number, epoch: number): number {
  return (seed * 1000003 + epoch * 7919) >>> 0;
}

/**
 * One optimisation step on a batch: loss, gradients (the model's fused `lossAndGrads` when it has one,
 * else tf.variableGrads), Adam. Returns the loss and the batch's gold ranks (for the running top-k).
 * No per-sample JS loops; two small reads back.
 *
 * `chunk` (mentions) bounds memory: the scores of the whole batch are computed without a tape, the loss
 * gradient dL/dscores [B,R] is taken for the whole batch (the triplet loss couples all mentions), then
 * each chunk of rows is re-run with a tape and back-propagated from its slice of dL/dscores, summing the
 * parameter gradients. Exact because a ranking model scores each mention independently of the others;
 * costs one extra forward pass. (Not needed by the fused path, whose memory is native.)
 */
export function trainStep(
  model: RankingModel,
  adam: Adam,
  batch: Record<string, tf.Tensor>,
  margin: number,
  opts: { chunk?: number } = {},
): { loss: number; ranks: Int32Array } {
  if (model.trainStepFused) {
    // fused engine with the optimizer inside (DRIN on onnxruntime): one native call, no gradient tensors
    const out = model.trainStepFused(batch, margin, adam);
    const r = goldRanks(out.scores, batch.answer_onehot);
    const ranks = r.dataSync() as Int32Array;
    r.dispose();
    out.scores.dispose();
    return { loss: out.loss, ranks };
  }
  const { loss, ranks, grads } = lossAndGradients(model, batch, margin, opts);
  adam.step(model.params, grads);
  grads.forEach((g) => g.dispose());
  return { loss, ranks };
}

/**
 * The triplet loss of a batch, its gold ranks [B], and the gradient of the loss for every parameter that
 * gets one (keys of `model.params`; the caller disposes the gradients). The model's fused `lossAndGrads`
 * when it has one, else tf.variableGrads over `scores`, whole or in chunks of `opts.chunk` mentions (see
 * {@link trainStep}). Training and parity (src/train/parity.ts) both take their gradients from here;
 * `training` (default true) is the flag the autodiff branches pass to `scores` (parity: false, the
 * reference's fixtures are taken in eval mode). The fused engine has one mode.
 */
export function lossAndGradients(
  model: RankingModel,
  batch: Record<string, tf.Tensor>,
  margin: number,
  opts: { chunk?: number; training?: boolean } = {},
): { loss: number; ranks: Int32Array; grads: Map<string, tf.Tensor> } {
  const training = opts.training ?? true;
  const keys = [...model.params.keys()];
  const vars = keys.map((k) => model.params.get(k)!);
  const byName = new Map(vars.map((v, i) => [v.name, keys[i]]));
  const B = batch.answer_onehot.shape[0]!;
  const gradMap = new Map<string, tf.Tensor>();
  let loss: number;
  let ranks: Int32Array;
  if (model.lossAndGrads) {
    // fused engine (DRIN on onnxruntime): loss, scores and every gradient in one native call
    const out = model.lossAndGrads(batch, margin);
    out.grads.forEach((g, k) => gradMap.set(k, g));
    loss = out.loss;
    const r = goldRanks(out.scores, batch.answer_onehot);
    ranks = r.dataSync() as Int32Array;
    r.dispose();
    out.scores.dispose();
  } else if (!opts.chunk || opts.chunk >= B) {
    let r: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const scores = model.scores(batch, { training });
      r = tf.keep(goldRanks(scores, batch.answer_onehot));
      return tripletLoss(scores, batch.answer_onehot, margin);
    }, vars);
    for (const [name, g] of Object.entries(grads)) gradMap.set(byName.get(name)!, g);
    loss = value.dataSync()[0];
    value.dispose();
    ranks = r!.dataSync() as Int32Array;
    r!.dispose();
  } else {
    const scores = tf.tidy(() => model.scores(batch, { training })); // [B,R], no tape
    const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => tripletLoss(s, batch.answer_onehot, margin))(scores); // dL/dscores [B,R]
    const r = goldRanks(scores, batch.answer_onehot);
    for (let i0 = 0; i0 < B; i0 += opts.chunk) {
      const n = Math.min(opts.chunk, B - i0);
      const sub: Record<string, tf.Tensor> = {};
      for (const [k, t] of Object.entries(batch)) sub[k] = t.slice(i0, n);
      const gSub = grad.slice(i0, n);
      const { value: v, grads } = tf.variableGrads(() => model.scores(sub, { training }).mul(gSub).sum() as tf.Scalar, vars);
      v.dispose();
      for (const [name, g] of Object.entries(grads)) {
        const k = byName.get(name)!;
        const prev = gradMap.get(k);
        gradMap.set(k, prev ? prev.add(g) : g);
        if (prev) {
          prev.dispose();
          g.dispose();
        }
      }
      Object.values(sub).forEach((t) => t.dispose());
      gSub.dispose();
    }
    loss = value.dataSync()[0];
    ranks = r.dataSync() as Int32Array;
    [scores, value, grad, r].forEach((t) => t.dispose());
  }
  return { loss, ranks, grads: gradMap };
}

function fmt(m: RankingMetrics, keys: string[]): string {
  return keys.filter((k) => m[k] !== undefined).map((k) => `${k} ${(m[k] as number).toFixed(4)}`).join(' ');
}

/**
 * Train `model` on `data.train`, validating each epoch and testing every `testEvery` epochs; write
 * history.json, checkpoint.npz, predictions_{valid,test}.jsonl and metrics.json under `outDir`.
 */
export async function trainRanking(
  model: RankingModel,
  data: { train: RankingSplit; valid: RankingSplit; test?: RankingSplit },
  options: Partial<TrainOptions> = {},
): Promise<TrainResult> {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...options };
  const adam = new Adam({ lr: o.lr });
  let history: EpochRecord[] = [];
  let start = 0;
  const ckpt = o.outDir ? path.join(o.outDir, 'checkpoint.npz') : undefined;
  if (o.outDir) fs.mkdirSync(o.outDir, { recursive: true });
  if (ckpt && o.resume && fs.existsSync(ckpt)) {
    const meta = loadCheckpoint(ckpt, model.params, adam);
    history = (meta.history as EpochRecord[]) ?? [];
    start = meta.epoch;
    o.log(`resumed from ${ckpt} after epoch ${start}`);
  }
  const headline = ['top1', 'top5', 'mrr'];
  let ran = 0;
  for (let epoch = start + 1; epoch <= o.epochs; epoch++) {
    if (o.stopAfter !== undefined && ran >= o.stopAfter) break;
    if (o.resetOptimizerEachRound && (epoch - 1) % o.testEvery === 0) adam.reset();
    const t0 = Date.now();
    const meter = new RankingMeter(o.topks, o.absentShare?.train);
    let lossSum = 0;
    let batches = 0;
    let seen = 0;
    const bar = progressBar({
      label: `epoch ${epoch}/${o.epochs}`, total: data.train.size, unit: 'mentions', fields: { loss: '-', 'mentions/s': '-' },
      show: !!o.progress && process.stderr.isTTY,
    });
    for await (const batch of data.train.batches({ shuffleSeed: epochShuffleSeed(o.seed, epoch) })) {
      const t = batchTensors(batch);
      const { loss, ranks } = trainStep(model, adam, t, o.margin, { chunk: o.backwardChunk });
      disposeBatch(batch);
      meter.addRanks(ranks);
      lossSum += loss;
      batches++;
      seen += ranks.length;
      bar.update(seen, { loss: (lossSum / batches).toFixed(4), 'mentions/s': (seen / ((Date.now() - t0) / 1000)).toFixed(1) });
    }
    bar.stop();
    const trainSeconds = (Date.now() - t0) / 1000;
    const validEval = await evaluateRanking(model, data.valid.batches({}), {
      topks: o.topks, predictions: false, absentShare: o.absentShare?.valid, margin: o.margin,
    });
    const valid = validEval.metrics;
    let test: RankingMetrics | undefined;
    if (data.test && (epoch % o.testEvery === 0 || epoch === o.epochs))
      test = (await evaluateRanking(model, data.test.batches({}), { topks: o.topks, predictions: false, absentShare: o.absentShare?.test })).metrics;
    const rec: EpochRecord = {
      epoch,
      trainLoss: batches ? lossSum / batches : NaN,
      validLoss: validEval.loss ?? NaN,
      train: meter.compute(),
      valid,
      ...(test ? { test } : {}),
      seconds: (Date.now() - t0) / 1000,
      mentionsPerSecond: seen / trainSeconds,
    };
    history.push(rec);
    o.log(
      `epoch ${epoch}/${o.epochs} loss ${rec.trainLoss.toFixed(4)} | valid loss ${rec.validLoss.toFixed(4)} ` +
        `${fmt(valid, headline)}` +
        (test ? ` | test ${fmt(test, headline)}` : '') +
        ` | ${rec.mentionsPerSecond.toFixed(1)} mentions/s, ${rec.seconds.toFixed(1)} s`,
    );
    if (o.outDir) {
      saveCheckpoint(ckpt!, model.params, adam, { epoch, history, seed: o.seed });
      writeJsonAtomic(path.join(o.outDir, 'history.json'), history);
    }
    ran++;
  }
  const done = history.length > 0 && history[history.length - 1].epoch >= o.epochs;
  const secondsPerEpoch = history.length ? history.reduce((a, h) => a + h.seconds, 0) / history.length : NaN;
  // final evaluation with predictions for error analysis
  // per-mention predictions (with DRIN's edges: a second forward pass) — long on big splits: progress + ETA
  const progress = (label: string, total: number) => ({ label, total, log: o.log });
  const finalValid = await evaluateRanking(model, data.valid.batches({}), {
    topks: o.topks, absentShare: o.absentShare?.valid, progress: progress('predictions valid', data.valid.size),
  });
  const finalTest = data.test
    ? await evaluateRanking(model, data.test.batches({}), {
      topks: o.topks, absentShare: o.absentShare?.test, progress: progress('predictions test', data.test.size),
    })
    : undefined;
  if (o.outDir && done) {
    writePredictions(path.join(o.outDir, 'predictions_valid.jsonl'), finalValid.predictions);
    if (finalTest) writePredictions(path.join(o.outDir, 'predictions_test.jsonl'), finalTest.predictions);
    writeJsonAtomic(path.join(o.outDir, 'metrics.json'), { valid: finalValid.metrics, test: finalTest?.metrics, secondsPerEpoch });
  }
  return { history, valid: finalValid.metrics, test: finalTest?.metrics, secondsPerEpoch };
}

/** JSON with NaN written as null, via a temporary file and a rename. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1));
}

/**
 * An in-memory split from tensors with the batch's leading axis = mentions (tests, small data):
 * batches are gathered rows, shuffled by a seeded permutation.
 */
export function tensorSplit(tensors: Record<string, tf.Tensor>, batchSize: number): RankingSplit {
  const n = Object.values(tensors)[0].shape[0]!;
  return {
    size: n,
    *batches({ shuffleSeed }) {
      const order = shuffleSeed !== undefined ? seededPermutation(n, shuffleSeed) : Array.from({ length: n }, (_, i) => i);
      for (let b = 0; b < n; b += batchSize) {
        const rows = order.slice(b, b + batchSize);
        const idx = tf.tensor1d(rows, 'int32');
        const batch: RankingBatch = { index: rows };
        for (const [k, t] of Object.entries(tensors)) batch[k] = tf.gather(t, idx);
        idx.dispose();
        yield batch;
      }
    },
  };
}
