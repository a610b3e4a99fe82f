/**
 * Candidate generation by fuzzy name matching over the knowledge base, as the DRIN authors built
 * WikiMEL's candidate lists (`candidates.py` in starreeze/drin-dataset): every KB name is scored with
 * `fuzz.partial_ratio(mention, name)` on the raw strings (fuzzywuzzy 0.18 with python-Levenshtein 0.12,
 * no lower-casing, no `full_process`), sorted descending with a stable sort (ties keep KB order), and
 * the top K (100) kept. That is the default scorer here, reproduced score for score
 * (candidates/fuzz.ts, candidates/levenshtein.ts). `wratio` instead gives fuzzywuzzy's WRatio (the
 * default scorer of `process.extract`) after `full_process(force_ascii=True)` of both sides.
 *
 * The top K is exact but pruned (candidates/topk.ts) and spread over worker threads (piscina,
 * candidates/pool.ts); identical mention strings are scored once.
 */
import * as os from 'node:os';
import { fullProcess, wRatio } from './candidates/fuzz';
import { topKInWorkers } from './candidates/pool';
import {
  buildCandidateIndex, candidateTopK, scorerQuery, topKStats, type CandidateIndex, type CandidateScorer, type TopK,
} from './candidates/topk';

export { partialRatio, ratio as fuzzRatio, wRatio, fullProcess, intr } from './candidates/fuzz';
export { codePoints } from './candidates/levenshtein';
export {
  buildCandidateIndex, candidateTopK, candidateTopKBrute, describeScorer, scorerQuery, scoreUpperBounds, CANDIDATE_SCORERS,
  type CandidateIndex, type CandidateScorer, type TopK,
} from './candidates/topk';

/** fuzzywuzzy's `utils.full_process(s, force_ascii=True)` (what WRatio compares). */
export function fuzzyProcess(s: string): string {
  return fullProcess(s, true);
}

/** A WRatio index over already processed choices (see {@link fuzzyTopK}). */
export type FuzzyIndex = CandidateIndex;

/** {@link buildCandidateIndex} for WRatio over choices already processed by {@link fuzzyProcess}. */
export function buildFuzzyIndex(choices: string[]): FuzzyIndex {
  return buildCandidateIndex(choices, 'wratio', { processed: true });
}

/**
 * Top-`k` choices by fuzzywuzzy WRatio for an already processed query over processed choices (score
 * descending, ties in choice order as `heapq.nlargest` orders them), exact and pruned.
 */
export function fuzzyTopK(query: string, index: FuzzyIndex | string[], k: number): TopK {
  const ix = Array.isArray(index) ? buildFuzzyIndex(index) : index;
  return candidateTopK(ix, query, k, { queryIsProcessed: true });
}

/** {@link fuzzyTopK} without pruning (for tests and checks). */
export function fuzzyTopKBrute(query: string, choices: string[], k: number): TopK {
  const all = choices.map((c, i) => [i, wRatio(query, c)] as [number, number]);
  all.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const top = all.slice(0, Math.max(0, k));
  return { index: top.map((x) => x[0]), score: top.map((x) => x[1]) };
}

/** Options of {@link generateCandidates}. */
export interface CandidateOptions {
  /** Candidates per mention (reference: 100). */
  k: number;
  /** Scorer (default `partial_ratio`, the authors'). */
  scorer?: CandidateScorer;
  /** Worker threads; 0 runs in this thread. Default: one per core when the work is large. */
  workers?: number;
  /** Show a cli-progress bar (default: when stderr is a TTY; the CLI passes true). */
  progress?: boolean;
  /** Label for the progress bar. */
  label?: string;
}

/** Result of {@link generateCandidates}: per mention, the top-k KB indices (best first) and scores. */
export interface CandidateResult {
  indices: number[][];
  scores: number[][];
  scorer: CandidateScorer;
  /** Distinct strings scored (identical mentions are scored once). */
  uniqueQueries: number;
  seconds: number;
  /** Distinct mention strings per second (wall clock). */
  mentionsPerSecond: number;
  /** Mean number of KB names scored in full per distinct mention (the rest pruned by their bound). */
  scoredPerMention: number;
  workers: number;
}

/**
 * Top-k knowledge-base entries for each mention (see the module comment). `names` are the KB names in
 * KB order; returned indices point into it. Progress (mentions, mentions/s, ETA) goes to stderr.
 */
export async function generateCandidates(mentions: string[], names: string[], opts: CandidateOptions): Promise<CandidateResult> {
  const t0 = Date.now();
  const scorer = opts.scorer ?? 'partial_ratio';
  if (scorer !== 'partial_ratio' && scorer !== 'wratio') throw new Error(`generateCandidates: unknown scorer "${scorer}" (expected partial_ratio or wratio)`);
  const keys = mentions.map((m) => scorerQuery(scorer, m));
  const uniq = [...new Set(keys)];
  const work = uniq.length * names.length;
  const nWorkers = Math.max(0, Math.min(opts.workers ?? (work > 5e5 ? os.cpus().length : 0), uniq.length));
  const showBar = opts.progress ?? Boolean(process.stderr.isTTY);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- to become src/progress.ts's progressBar (issue #15)
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const bar = showBar
    ? new cliProgress.SingleBar({
      format: `${opts.label ?? 'candidates'} (${scorer}) |{bar}| {value}/{total} mentions | {rate} mentions/s | {duration_formatted} elapsed | ETA {eta_formatted}`,
      etaBuffer: 50,
      noTTYOutput: !process.stderr.isTTY, // in logs / notebooks: a line every 30 s
      notTTYSchedule: 30000,
    }, cliProgress.Presets.shades_classic)
    : null;
  const rate = (done: number) => ({ rate: (done / Math.max(1e-3, (Date.now() - t0) / 1000)).toFixed(1) });
  bar?.start(uniq.length, 0, rate(0));
  let top: TopK[];
  let scored = 0;
  if (nWorkers === 0) {
    const ix = buildCandidateIndex(names, scorer);
    const before = topKStats.scored;
    top = uniq.map((q, i) => {
      const r = candidateTopK(ix, q, opts.k, { queryIsProcessed: true });
      if (i % 20 === 19) bar?.update(i + 1, rate(i + 1));
      return r;
    });
    scored = topKStats.scored - before;
  } else {
    top = await topKInWorkers(uniq, names, scorer, opts.k, nWorkers, (done, s) => {
      scored = s;
      bar?.update(done, rate(done));
    });
  }
  bar?.update(uniq.length, rate(uniq.length));
  bar?.stop();
  const byKey = new Map(uniq.map((q, i) => [q, top[i]]));
  const indices: number[][] = [];
  const scores: number[][] = [];
  for (const q of keys) {
    const r = byKey.get(q)!;
    indices.push(r.index);
    scores.push(r.score);
  }
  const seconds = (Date.now() - t0) / 1000;
  return {
    indices, scores, scorer, uniqueQueries: uniq.length, seconds, workers: nWorkers,
    mentionsPerSecond: uniq.length / Math.max(1e-3, seconds), scoredPerMention: uniq.length ? scored / uniq.length : 0,
  };
}

/**
 * Recall@k of the gold entity among candidate lists (fraction of mentions whose gold is in the
 * first k candidates), for each k in `ks` that does not exceed the list length.
 */
export function candidateRecall(candidates: string[][], gold: string[], ks = [1, 5, 10, 20, 50]): Record<string, number> {
  const out: Record<string, number> = {};
  const maxLen = candidates.reduce((m, c) => Math.max(m, c.length), 0);
  for (const k of ks) {
    if (k > maxLen) continue;
    let hit = 0;
    candidates.forEach((c, i) => {
      const r = c.indexOf(gold[i]);
      if (r >= 0 && r < k) hit++;
    });
    out[String(k)] = candidates.length ? hit / candidates.length : 0;
  }
  return out;
}
