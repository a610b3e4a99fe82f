/**
 * Per-mention drill-down data (notebook 06): the mention in its sentence, its image, the top
 * candidates with their names, texts, images and scores, the gold marked, and DRIN's edges per layer.
 * Rendered to HTML by `drilldownHtml` (src/viz/drilldown.ts).
 */
import type { AnalysisPrediction } from './types';
import type { AnalysisTextSide } from './load';

/** One candidate card of a drill-down. */
export interface DrilldownCandidate {
  /** 1-based rank among the C candidates. */
  rank: number;
  slot: number;
  qid: string;
  name: string;
  text: string;
  image: string | null;
  score: number;
  gold: boolean;
}

/** Everything a drill-down shows for one mention of one model. */
export interface DrilldownData {
  model: string;
  row: number;
  id: string;
  sentence: string;
  mention: string;
  /** Character span of the mention in the sentence, [start, end). */
  span: [number, number];
  mentionImage: string | null;
  goldQid: string;
  goldName: string;
  goldRank: number | null;
  /** The top-`k` candidates, best first; the gold is appended when it ranks below k. */
  candidates: DrilldownCandidate[];
  /** DRIN: gold candidate's `[tt, ti, it, ii]` per GCN layer input; empty for baselines. */
  edges: number[][];
  /**
   * DRIN, when the model ranks another candidate first: that winner's name and its `[tt, ti, it, ii]`
   * per GCN layer input, shown beside the gold's (set by the notebook, which re-scores the mention).
   */
  winner?: { name: string; qid: string; edges: number[][] };
}

/** Locate the mention in the sentence: at `startChar` when it matches there, else its first occurrence. */
export function mentionSpan(sentence: string, mention: string, startChar: number): [number, number] {
  if (sentence.substr(startChar, mention.length) === mention) return [startChar, startChar + mention.length];
  const i = sentence.toLowerCase().indexOf(mention.toLowerCase());
  return i >= 0 ? [i, i + mention.length] : [-1, -1];
}

/**
 * Gather the drill-down of one prediction.
 *
 * ```ts
 * const d = buildDrilldownData('drin', preds[3], text, 5);
 * d.candidates.map((c) => `${c.rank} ${c.name} ${c.score}`);
 * ```
 */
export function buildDrilldownData(model: string, pred: AnalysisPrediction, text: Pick<AnalysisTextSide, 'mentions' | 'entities'>, k = 5): DrilldownData {
  const m = text.mentions[pred.row];
  if (!m) throw new Error(`buildDrilldownData: row ${pred.row} has no mention (split has ${text.mentions.length})`);
  if (m.candidates.length !== pred.scores.length)
    throw new Error(`buildDrilldownData: row ${pred.row} has ${pred.scores.length} scores but mention "${m.id}" has ${m.candidates.length} candidates`);
  const order = pred.scores.map((s, j) => [s, j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, j]) => j);
  const card = (j: number, rank: number): DrilldownCandidate => {
    const qid = m.candidates[j];
    const e = text.entities.get(qid);
    return { rank, slot: j, qid, name: e?.name ?? qid, text: e?.text ?? '(not in entities.jsonl)', image: e?.image ?? null, score: pred.scores[j], gold: j === pred.answer };
  };
  const candidates = order.slice(0, k).map((j, i) => card(j, i + 1));
  if (pred.goldRank !== null && pred.goldRank > k) candidates.push(card(pred.answer, pred.goldRank));
  return {
    model,
    row: pred.row,
    id: m.id,
    sentence: m.sentence,
    mention: m.mention,
    span: mentionSpan(m.sentence, m.mention, m.startChar),
    mentionImage: m.image,
    goldQid: m.goldQid,
    goldName: text.entities.get(m.goldQid)?.name ?? m.goldQid,
    goldRank: pred.goldRank,
    candidates,
    edges: pred.edges ?? [],
  };
}
