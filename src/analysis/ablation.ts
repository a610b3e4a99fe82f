/**
 * Edge ablation without retraining (notebook 06): re-score a split with the trained DRIN weights
 * while one edge type is disabled (its `edgeEnabled` multiplier set to 0 at every layer input, as the
 * reference's `gcn_edge_enabled` does) and report the change in hits@k and MRR.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createDrin, drinForward } from '../models/drin';
import { DRIN_VERTEX_KEYS } from '../models/vertices';
import { assignStateDict, readStateDict } from '../train/weights';
import type { DrinConfig } from '../models/drin-config';
import { EDGE_TYPES, type AnalysisPrediction } from './types';

/** 1-based rank of the gold among the candidates (ties count in the gold's favour); null when absent. */
export function goldRankOfScores(scores: ArrayLike<number>, answer: number): number | null {
  if (answer < 0 || answer >= scores.length) return null;
  const g = scores[answer];
  let above = 0;
  for (let j = 0; j < scores.length; j++) if (j !== answer && scores[j] > g) above++;
  return above + 1;
}

/** hits@k and MRR over a split from gold ranks (absent gold: a miss, reciprocal rank 0). */
export function rankMetrics(ranks: (number | null)[], ks: number[] = [1, 5, 10]): Record<string, number> {
  const n = ranks.length || 1;
  const out: Record<string, number> = {};
  for (const k of ks) out[`top${k}`] = ranks.filter((r) => r !== null && r <= k).length / n;
  out.mrr = ranks.reduce<number>((s, r) => s + (r === null ? 0 : 1 / r), 0) / n;
  return out;
}

/** The scores of a split under one edge mask: C candidate scores per mention and the gold index (C = absent). */
export type EdgeMaskScorer = (edgeEnabled: [number, number, number, number]) => Promise<{ scores: number[][]; answers: number[] }>;

/** One line of the ablation table. */
export interface EdgeAblationRow {
  /** 'all edges' or 'without tt' etc. */
  variant: string;
  edgeEnabled: [number, number, number, number];
  top1: number;
  top5: number;
  top10: number;
  mrr: number;
  /** hits@1 of all edges minus hits@1 of this variant (positive = the edge helps). */
  drop: number;
  /** MRR of all edges minus MRR of this variant. */
  mrrDrop: number;
  seconds: number;
}

/**
 * Run the full model and one variant per disabled edge type through `scorer`.
 *
 * ```ts
 * const table = await edgeAblation(async (mask) => scoreTestSet(mask));
 * table.map((r) => `${r.variant}: ${r.top1}`);
 * ```
 */
export async function edgeAblation(scorer: EdgeMaskScorer, opts: { edges?: readonly string[]; log?: (s: string) => void } = {}): Promise<EdgeAblationRow[]> {
  const edges = opts.edges ?? EDGE_TYPES;
  const variants: [string, [number, number, number, number]][] = [['all edges', [1, 1, 1, 1]]];
  for (const e of edges) {
    const i = EDGE_TYPES.indexOf(e as (typeof EDGE_TYPES)[number]);
    if (i < 0) throw new Error(`edgeAblation: unknown edge type "${e}" (expected one of ${EDGE_TYPES.join(', ')})`);
    const mask: [number, number, number, number] = [1, 1, 1, 1];
    mask[i] = 0;
    variants.push([`without ${e}`, mask]);
  }
  const rows: EdgeAblationRow[] = [];
  for (const [variant, mask] of variants) {
    const t0 = Date.now();
    const { scores, answers } = await scorer(mask);
    if (scores.length !== answers.length) throw new Error(`edgeAblation: scorer returned ${scores.length} score rows but ${answers.length} answers (${variant})`);
    const m = rankMetrics(scores.map((s, i) => goldRankOfScores(s, answers[i])), [1, 5, 10]);
    const seconds = (Date.now() - t0) / 1000;
    rows.push({ variant, edgeEnabled: mask, top1: m.top1, top5: m.top5, top10: m.top10, mrr: m.mrr, drop: 0, mrrDrop: 0, seconds });
    opts.log?.(`${variant}: top1 ${m.top1.toFixed(4)} top5 ${m.top5.toFixed(4)} mrr ${m.mrr.toFixed(4)} (${seconds.toFixed(1)} s)`);
  }
  for (const r of rows) {
    r.drop = rows[0].top1 - r.top1;
    r.mrrDrop = rows[0].mrr - r.mrr;
  }
  return rows;
}

/** A batch as the data helper yields it (CONTRACTS §3): tensors by name plus `index`. */
type AblationBatch = { [name: string]: tf.Tensor | number[] | undefined; index?: number[] };

/**
 * Scores of trained DRIN parameters on a stream of batches with an edge mask applied
 * (`edgeEnabled` replaces the config's; the weights are shared, nothing is retrained).
 * Returns the C candidate scores per mention (the gold slot R-1 dropped) and the gold index
 * (C when the `answer_onehot` row is all zero), in batch order. Batches are disposed after use only
 * with `dispose` (do that for a stream such as `PreprocessedDataset.drinBatches`).
 *
 * B batch, R candidate slots (C + 1).
 */
export async function scoreDrinWithEdgeMask(
  params: Map<string, tf.Variable>,
  config: DrinConfig,
  batches: Iterable<AblationBatch> | AsyncIterable<AblationBatch>,
  edgeEnabled: [number, number, number, number],
  opts: { dispose?: boolean } = {},
): Promise<{ scores: number[][]; answers: number[]; rows: number[] }> {
  const cfg: DrinConfig = { ...config, edgeEnabled };
  const scores: number[][] = [];
  const answers: number[] = [];
  const rows: number[] = [];
  for await (const batch of batches) {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(batch)) if (v instanceof tf.Tensor) tensors[k] = v;
    if (!tensors.answer_onehot) throw new Error('scoreDrinWithEdgeMask: batch has no answer_onehot [B,C] (CONTRACTS §3)');
    const [s, gold] = tf.tidy(() => {
      const all = drinForward(params, cfg, tensors).scores; // [B,R]
      const [B, R] = all.shape;
      const onehot = tensors.answer_onehot; // [B,C]
      const present = onehot.sum(1).greater(0); // [B]
      const idx = tf.where(present, onehot.argMax(1), tf.fill([B], R - 1, 'int32')); // [B], C when absent
      return [all.slice([0, 0], [B, R - 1]), idx]; // [B,C], [B]
    });
    const sv = (await s.array()) as number[][];
    const gv = Array.from(await gold.data());
    s.dispose();
    gold.dispose();
    scores.push(...sv);
    answers.push(...gv);
    rows.push(...(batch.index ?? sv.map((_, i) => rows.length + i)));
    if (opts.dispose) for (const t of Object.values(tensors)) t.dispose();
  }
  return { scores, answers, rows };
}

const DRIN_PROBE_KEY = 'gcn_layers.0.w_h.weight';

/**
 * Find the trained DRIN weights in a run directory: a `<key>.npy` directory (the run dir or one below it,
 * `weights/` first) or a `.npz` (exported weights, else the training `checkpoint.npz`).
 */
export function findDrinWeights(runDir: string): string {
  if (!fs.existsSync(runDir)) throw new Error(`${runDir}: run directory not found (train DRIN first: notebook 04)`);
  const isWeightDir = (d: string) => fs.existsSync(path.join(d, `${DRIN_PROBE_KEY}.npy`));
  if (isWeightDir(runDir)) return runDir;
  const entries = fs.readdirSync(runDir).sort();
  const preferred = ['weights', 'best', 'final', 'checkpoint', 'model'];
  const dirs = entries.filter((e) => fs.statSync(path.join(runDir, e)).isDirectory());
  for (const d of [...preferred.filter((p) => dirs.includes(p)), ...dirs.filter((d) => !preferred.includes(d))])
    if (isWeightDir(path.join(runDir, d))) return path.join(runDir, d);
  const npz = entries.filter((e) => e.endsWith('.npz'));
  const pick = npz.find((e) => /best|final|weights/.test(e)) ?? npz.find((e) => /checkpoint/.test(e)) ?? npz[0];
  if (pick) return path.join(runDir, pick);
  throw new Error(`${runDir}: no DRIN weights found (expected a directory with ${DRIN_PROBE_KEY}.npy, or a .npz)`);
}

/**
 * Load a trained DRIN run for re-scoring: its weights (CONTRACTS §4 export format) and its
 * configuration — from `config.json` in the run directory when present (keys of DrinConfig, top level
 * or under `model`/`drin`), with the sizes and layer count read off the weight shapes.
 */
export function loadDrinRun(runDir: string): { params: Map<string, tf.Variable>; config: DrinConfig; weights: string; configSource: string } {
  const weights = findDrinWeights(runDir);
  const state = readStateDict(weights);
  // a training checkpoint (.npz) also holds Adam's moments: keep only the model's keys
  for (const k of [...state.keys()]) if (k.startsWith('adam.')) { state.get(k)!.dispose(); state.delete(k); }
  const shape = (k: string) => {
    const t = state.get(`${k}.weight`);
    if (!t) throw new Error(`${weights}: missing ${k}.weight`);
    return t.shape;
  };
  let numLayers = 0;
  while (state.has(`gcn_layers.${numLayers}.w_h.weight`)) numLayers++;
  const inferred: Partial<DrinConfig> = {
    gcnDim: shape(DRIN_VERTEX_KEYS.mentionText)[0],
    bertDim: shape(DRIN_VERTEX_KEYS.mentionText)[1],
    resnetDim: shape(DRIN_VERTEX_KEYS.mentionImage)[1],
    numLayers,
    edgeFeature: state.has('gcn_layers.0.w_m.weight') ? 'vector' : 'scalar',
  };
  let fromFile: Partial<DrinConfig> = {};
  let configSource = 'inferred from the weight shapes (config.json absent)';
  const cfgFile = path.join(runDir, 'config.json');
  if (fs.existsSync(cfgFile)) {
    const raw = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    const obj = (raw.model && typeof raw.model === 'object' ? raw.model : raw.drin && typeof raw.drin === 'object' ? raw.drin : raw) as Record<string, unknown>;
    const keys: (keyof DrinConfig)[] = ['edgeType', 'edgeFeature', 'edgeEnabled', 'vertexActivation', 'edgeActivation', 'layerNormEps', 'cosineEps', 'maskGoldSlot'];
    fromFile = Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]])) as Partial<DrinConfig>;
    configSource = `${cfgFile} (${Object.keys(fromFile).join(', ') || 'no DRIN keys'}) + sizes from the weight shapes`;
  }
  const model = createDrin({ ...fromFile, ...inferred }, 0);
  assignStateDict(model.params, state, weights);
  for (const t of state.values()) t.dispose();
  return { params: model.params, config: model.config, weights, configSource };
}

/**
 * The whole ablation of notebook 06: load the trained run, then re-score the batches once with all
 * edges and once per disabled edge type. `batches` is called once per variant (5 passes); the batches it
 * yields are disposed after use unless `dispose: false`.
 *
 * ```ts
 * const table = await drinEdgeAblation(path.join(RUNS, 'sample', 'drin'), () => testBatches());
 * ```
 */
export async function drinEdgeAblation(
  runDir: string,
  batches: () => Iterable<AblationBatch> | AsyncIterable<AblationBatch>,
  opts: { log?: (s: string) => void; dispose?: boolean; reference?: AnalysisPrediction[] } = {},
): Promise<{ table: EdgeAblationRow[]; weights: string; configSource: string; config: DrinConfig; referenceMaxDiff?: number }> {
  const run = loadDrinRun(runDir);
  try {
    let referenceMaxDiff: number | undefined;
    const scorer: EdgeMaskScorer = async (mask) => {
      const out = await scoreDrinWithEdgeMask(run.params, run.config, batches(), mask, { dispose: opts.dispose ?? true });
      if (opts.reference && mask.every((m) => m === 1)) referenceMaxDiff = maxScoreDiff(out, opts.reference);
      return out;
    };
    const table = await edgeAblation(scorer, { log: opts.log });
    return { table, weights: run.weights, configSource: run.configSource, config: run.config, referenceMaxDiff };
  } finally {
    for (const p of run.params.values()) p.dispose();
  }
}

/**
 * Largest |score difference| between a re-scoring and saved predictions, matched by row — the check that
 * the reloaded model (weights + config) is the one that wrote the predictions. Throws when rows are missing.
 */
export function maxScoreDiff(scored: { scores: number[][]; rows: number[] }, reference: AnalysisPrediction[]): number {
  const byRow = new Map(reference.map((p) => [p.row, p.scores]));
  let max = 0;
  scored.rows.forEach((row, i) => {
    const ref = byRow.get(row);
    if (!ref) throw new Error(`maxScoreDiff: row ${row} was re-scored but is not in the saved predictions`);
    if (ref.length !== scored.scores[i].length) throw new Error(`maxScoreDiff: row ${row} has ${scored.scores[i].length} scores, the saved predictions ${ref.length}`);
    for (let j = 0; j < ref.length; j++) max = Math.max(max, Math.abs(ref[j] - scored.scores[i][j]));
  });
  return max;
}

/**
 * DRIN's four edges for chosen candidate slots of one batch, at every GCN layer input (the values the
 * model multiplies, after the edge mask), from trained parameters: `[slot][layer][tt, ti, it, ii]` for
 * mention `b` of the batch. Scalar edges only (vector edges are averaged over their D values).
 * B batch, R candidate slots; `slots` index 0..R-1.
 */
export function drinEdgesOfSlots(
  params: Map<string, tf.Variable>,
  config: DrinConfig,
  batch: Record<string, tf.Tensor>,
  b: number,
  slots: number[],
): number[][][] {
  return tf.tidy(() => {
    const { layerEdges } = drinForward(params, config, batch, { collectEdges: true });
    const perLayer = layerEdges!.map((es) => es.map((e) => ((e.rank === 3 ? e.mean(-1) : e).arraySync() as number[][])[b])); // [layer][4][R]
    return slots.map((r) => {
      const R = perLayer[0][0].length;
      if (!(r >= 0 && r < R)) throw new Error(`drinEdgesOfSlots: slot ${r} outside 0..${R - 1}`);
      return perLayer.map((edges) => edges.map((row) => row[r]));
    });
  });
}
