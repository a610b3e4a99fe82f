/**
 * Ranking metrics with the reference's semantics (common/loss_metric.py `TopkAccuracy`): the gold slot
 * is dropped, a mention counts as a top-k hit when its gold candidate scores ≥ the k-th largest
 * score (ties count as hits), accumulated over an epoch. The gold rank used here is
 * 1 + #(candidates scoring strictly higher), which gives the same hits for every k.
 *
 * Mentions whose gold entity is absent from the candidates are misses. WikiDiverse's published figures
 * divide by (1 − share of such mentions); both values are reported (`top1` and `top1Corrected`).
 */
import * as tf from '@tensorflow/tfjs';

export interface RankingMetrics {
  /** Mentions counted. */
  total: number;
  /** Mentions whose gold entity is among the candidates. */
  withGold: number;
  /** Share of mentions whose gold is absent, used by the correction. */
  absentShare: number;
  /** Mean reciprocal rank over all mentions (absent gold contributes 0). */
  mrr: number;
  /** Mean gold rank over mentions with the gold among the candidates (NaN if none). */
  meanRank: number;
  /** Lower and upper end of the 95 % interval of the MRR (normal approximation over mentions). */
  mrrCi95Low: number;
  mrrCi95High: number;
  /**
   * `top${k}` (uncorrected, the reference's number), `top${k}Corrected`, and the 95 % Wilson score
   * interval of `top${k}`: `top${k}Ci95Low`, `top${k}Ci95High`, for every k.
   */
  [key: string]: number;
}

/** Gold ranks for a batch: [B] 1-based rank among the C candidates, 0 when the gold is absent. */
export function goldRanks(scores: tf.Tensor, onehot: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const [B, C] = onehot.shape as [number, number];
    const s = scores.shape[1] === C ? scores : scores.slice([0, 0], [B, C]); // [B,C]
    const y = onehot.toFloat();
    const gold = s.mul(y).sum(-1, true); // [B,1]
    const higher = s.greater(gold).toFloat().sum(-1); // [B]
    const present = y.sum(-1).greater(0); // [B]
    return tf.where(present, higher.add(1), tf.zerosLike(higher)).toInt() as tf.Tensor1D;
  });
}

/** Accumulates gold ranks over an epoch and computes top-k / MRR / mean rank. */
export class RankingMeter {
  private ranks: number[] = [];
  constructor(
    readonly topks: number[] = [1, 5, 10, 20],
    /** Fixed absent share for the correction (the reference's constants); default: the observed share. */
    readonly absentShare?: number,
  ) {}

  /** Add one batch (reads the ranks back from the backend: one small sync). Returns the batch's ranks. */
  update(scores: tf.Tensor, onehot: tf.Tensor): number[] {
    const r = goldRanks(scores, onehot);
    const ranks = Array.from(r.dataSync());
    r.dispose();
    this.ranks.push(...ranks);
    return ranks;
  }

  /** Add ranks computed elsewhere (0 = gold absent). */
  addRanks(ranks: ArrayLike<number>): void {
    for (let i = 0; i < ranks.length; i++) this.ranks.push(ranks[i]);
  }

  reset(): void {
    this.ranks = [];
  }

  get count(): number {
    return this.ranks.length;
  }

  compute(): RankingMetrics {
    return rankingMetrics(this.ranks, this.topks, this.absentShare);
  }
}

/** The 95 % Wilson score interval of a proportion `hits / n` (z = 1.96): [low, high]; NaNs when n = 0. */
export function wilson95(hits: number, n: number): [number, number] {
  if (!n) return [NaN, NaN];
  const z = 1.959964, p = hits / n, z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Metrics from gold ranks (0 = gold absent). Top-k hits use rank ≤ k, i.e. ties count as hits and
 * k beyond the candidate count hits every present gold (the reference would fail on `topk`; we don't).
 */
export function rankingMetrics(ranks: ArrayLike<number>, topks: number[] = [1, 5, 10, 20], absentShare?: number): RankingMetrics {
  const n = ranks.length;
  let withGold = 0;
  let rr = 0;
  let rankSum = 0;
  let rr2 = 0;
  const hits = topks.map(() => 0);
  for (let i = 0; i < n; i++) {
    const r = ranks[i];
    if (r <= 0) continue;
    withGold++;
    rr += 1 / r;
    rr2 += 1 / (r * r);
    rankSum += r;
    topks.forEach((k, j) => {
      if (r <= k) hits[j]++;
    });
  }
  const share = absentShare ?? (n ? (n - withGold) / n : 0);
  const mrr = n ? rr / n : NaN;
  const mrrHalf = n > 1 ? 1.959964 * Math.sqrt(Math.max(0, rr2 / n - mrr * mrr) / (n - 1)) : NaN;
  const out: RankingMetrics = {
    total: n,
    withGold,
    absentShare: share,
    mrr,
    meanRank: withGold ? rankSum / withGold : NaN,
    mrrCi95Low: mrr - mrrHalf,
    mrrCi95High: mrr + mrrHalf,
  };
  topks.forEach((k, j) => {
    const acc = n ? hits[j] / n : NaN;
    out[`top${k}`] = acc;
    out[`top${k}Corrected`] = share < 1 ? acc / (1 - share) : NaN;
    [out[`top${k}Ci95Low`], out[`top${k}Ci95High`]] = wilson95(hits[j], n);
  });
  return out;
}
