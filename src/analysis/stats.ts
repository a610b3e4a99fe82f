/**
 * Summary statistics over analysis rows: hits@k curves, error rates by group, edge-strength bins,
 * the overlap of two models' successes and score distributions (notebook 06).
 */
import type { AnalysisRow } from './types';
import { EDGE_TYPES, type EdgeType } from './types';

/**
 * hits@k for k = 1..maxK: the fraction of ALL mentions whose gold rank is ≤ k (a mention whose gold is
 * not among the candidates never counts as a hit, as in the reference's metric).
 */
export function hitsAtKCurve(rows: AnalysisRow[], maxK: number): { k: number[]; hits: number[] } {
  const k = Array.from({ length: maxK }, (_, i) => i + 1);
  const n = rows.length || 1;
  const counts = new Array<number>(maxK + 1).fill(0);
  for (const r of rows) if (r.goldRank !== null && r.goldRank <= maxK) counts[r.goldRank]++;
  let cum = 0;
  const hits = k.map((kk) => (cum += counts[kk]) / n);
  return { k, hits };
}

/** One group of an error-rate breakdown. */
export interface ErrorRateGroup {
  group: string;
  n: number;
  errors: number;
  /** errors / n (NaN for an empty group). */
  rate: number;
}

/**
 * Error rate (1 − hits@1) per group. `groups` fixes the order and keeps empty groups visible.
 *
 * ```ts
 * errorRateBy(rows, (r) => (r.defaultImage ? 'default image' : 'own image'), ['own image', 'default image']);
 * ```
 */
export function errorRateBy(rows: AnalysisRow[], key: (r: AnalysisRow) => string | null, groups?: string[]): ErrorRateGroup[] {
  const acc = new Map<string, { n: number; errors: number }>();
  for (const g of groups ?? []) acc.set(g, { n: 0, errors: 0 });
  for (const r of rows) {
    const g = key(r);
    if (g === null) continue;
    const a = acc.get(g) ?? { n: 0, errors: 0 };
    a.n++;
    if (!r.correct) a.errors++;
    acc.set(g, a);
  }
  return [...acc.entries()].map(([group, a]) => ({ group, n: a.n, errors: a.errors, rate: a.n ? a.errors / a.n : NaN }));
}

/** Bucket a count as "1", "2", …, "max+" (e.g. mention words, same-name candidates). */
export function countBucket(x: number, max: number): string {
  return x >= max ? `${max}+` : String(x);
}

/** The labels `countBucket` produces for min..max. */
export function countBuckets(min: number, max: number): string[] {
  return Array.from({ length: max - min + 1 }, (_, i) => (min + i === max ? `${max}+` : String(min + i)));
}

/** Quantile cut points (nBins − 1 of them) of finite values. */
export function quantileEdges(values: number[], nBins: number): number[] {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return [];
  return Array.from({ length: nBins - 1 }, (_, i) => v[Math.min(v.length - 1, Math.floor(((i + 1) * v.length) / nBins))]);
}

/**
 * Error rate by the strength of one DRIN edge of the gold candidate at one layer input
 * (0 = the initial edge values), in `nBins` quantile bins (Q1 = weakest). Rows without edges (baselines)
 * are left out; no rows with edges gives [].
 */
export function errorRateByEdgeStrength(rows: AnalysisRow[], edge: EdgeType, opts: { layer?: number; nBins?: number } = {}): ErrorRateGroup[] {
  const layer = opts.layer ?? 0;
  const e = EDGE_TYPES.indexOf(edge);
  const withEdges = rows.filter((r) => r.edges.length > layer);
  if (!withEdges.length) return [];
  const val = (r: AnalysisRow) => r.edges[layer][e];
  const cuts = quantileEdges(withEdges.map(val), opts.nBins ?? 4);
  const labels = Array.from({ length: cuts.length + 1 }, (_, i) => `Q${i + 1}`);
  return errorRateBy(withEdges, (r) => {
    const x = val(r);
    let b = 0;
    while (b < cuts.length && x >= cuts[b]) b++;
    return labels[b];
  }, labels);
}

/** Which model gets which mentions right: counts over the rows both models predicted. */
export interface SuccessOverlap {
  both: number;
  onlyA: number;
  onlyB: number;
  neither: number;
  /** Row numbers of each cell (for drill-down). */
  rows: { both: number[]; onlyA: number[]; onlyB: number[]; neither: number[] };
}

/** Overlap of two models' hits@1 successes, matched by row. Throws if the row sets differ. */
export function successOverlap(a: AnalysisRow[], b: AnalysisRow[]): SuccessOverlap {
  const bm = new Map(b.map((r) => [r.row, r.correct]));
  if (bm.size !== a.length || a.some((r) => !bm.has(r.row)))
    throw new Error(`successOverlap: the two prediction sets cover different rows (${a.length} vs ${b.length} mentions)`);
  const out: SuccessOverlap = { both: 0, onlyA: 0, onlyB: 0, neither: 0, rows: { both: [], onlyA: [], onlyB: [], neither: [] } };
  for (const r of a) {
    const cb = bm.get(r.row)!;
    const cell = r.correct ? (cb ? 'both' : 'onlyA') : cb ? 'onlyB' : 'neither';
    out[cell]++;
    out.rows[cell].push(r.row);
  }
  return out;
}

/** Gold score and best-wrong score of every mention whose gold is among the candidates. */
export function scorePairs(rows: AnalysisRow[]): { gold: number[]; bestWrong: number[]; margin: number[] } {
  const present = rows.filter((r) => r.goldRank !== null);
  return { gold: present.map((r) => r.goldScore), bestWrong: present.map((r) => r.bestWrongScore), margin: present.map((r) => r.margin) };
}

/** Mean edge values of the gold candidate per layer input, over rows with edges: [layers][4]. */
export function meanEdgesByLayer(rows: AnalysisRow[], filter: (r: AnalysisRow) => boolean = () => true): number[][] {
  const sel = rows.filter((r) => r.edges.length && filter(r));
  if (!sel.length) return [];
  const L = sel[0].edges.length;
  return Array.from({ length: L }, (_, l) => EDGE_TYPES.map((_, e) => sel.reduce((s, r) => s + r.edges[l][e], 0) / sel.length));
}
