/**
 * Candidate generation by fuzzy name matching, as the DRIN authors built WikiMEL's candidate lists:
 * fuzzywuzzy's `process.extract(mention, kb_names, limit=K)` with its default scorer (WRatio).
 *
 * fuzzywuzzy semantics reproduced here (with fuzzball, its JS port):
 * - query and choices are cleaned once by `full_process` with `force_ascii=True` (non-ASCII
 *   characters are dropped, other non-alphanumerics become spaces, lowercased, trimmed), then
 *   scored by `WRatio(full_process=False)`;
 * - choices whose cleaned form is empty are never returned;
 * - top-K is `heapq.nlargest` by score, i.e. ties keep the knowledge-base order.
 * Work is spread over worker threads (one per core by default) with a progress bar.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- fuzzball is CommonJS; also loaded by the worker file
const fuzz = require('fuzzball') as typeof import('fuzzball');

/** fuzzywuzzy's `utils.full_process(s, force_ascii=True)`. */
export function fuzzyProcess(s: string): string {
  return fuzz.full_process(s, { force_ascii: true });
}

/** Processed choices plus the per-choice data the exact pruning bound needs. */
export interface FuzzyIndex {
  choices: string[];
  /** Character counts, 38 per choice (a-z, 0-9, space, other). */
  chars: Uint8Array;
  /** Choices with a repeated token (always scored in full). */
  dupTokens: Uint8Array;
  /** Length with whitespace runs collapsed (token re-joins can shorten a string to this). */
  collapsedLen: Uint16Array;
  /** token → choices containing it. */
  byToken: Map<string, number[]>;
}

const NCH = 38;
function charCounts(s: string, out: Uint8Array, off: number): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 97 && c <= 122 ? c - 97 : c >= 48 && c <= 57 ? c - 22 : c === 32 ? 36 : 37;
    if (out[off + d] < 255) out[off + d]++;
  }
}

/** Build a {@link FuzzyIndex} over already-processed choices. */
export function buildFuzzyIndex(choices: string[]): FuzzyIndex {
  const chars = new Uint8Array(choices.length * NCH);
  const dupTokens = new Uint8Array(choices.length);
  const collapsedLen = new Uint16Array(choices.length);
  const byToken = new Map<string, number[]>();
  choices.forEach((c, i) => {
    charCounts(c, chars, i * NCH);
    const toks = c.split(' ').filter(Boolean);
    collapsedLen[i] = Math.min(65535, toks.join(' ').length);
    const set = new Set(toks);
    if (set.size !== toks.length) dupTokens[i] = 1;
    for (const t of set) {
      let l = byToken.get(t);
      if (!l) byToken.set(t, (l = []));
      l.push(i);
    }
  });
  return { choices, chars, dupTokens, collapsedLen, byToken };
}

/**
 * Top-`k` choice indices for one already-processed query (score descending, ties in choice order
 * like `heapq.nlargest`; empty choices skipped). Exact, but fast: every choice gets an upper bound
 * of its WRatio (100 when it shares or repeats a token; else from character counts,
 * max(2·CI/(|q|+|c|), scale·2·CI/(min(|q|,|c|)+CI)) with CI the multiset character intersection,
 * which bounds ratio, partial_ratio and the token ratios alike), choices are scored best bound
 * first, and scoring stops once the bound falls below the k-th best score.
 */
export function fuzzyTopK(query: string, index: FuzzyIndex | string[], k: number): { index: number[]; score: number[] } {
  const ix = Array.isArray(index) ? buildFuzzyIndex(index) : index;
  const { choices, chars, dupTokens } = ix;
  if (k <= 0) return { index: [], score: [] };
  const q = new Uint8Array(NCH);
  charCounts(query, q, 0);
  const qToks = query.split(' ').filter(Boolean);
  const qDup = new Set(qToks).size !== qToks.length;
  const shared = new Uint8Array(choices.length);
  for (const t of new Set(qToks)) for (const i of ix.byToken.get(t) ?? []) shared[i] = 1;
  const lq = query.length;
  const lq1 = qToks.join(' ').length;
  // 1. Upper bound of every choice's score, bucketed (0..100); choices in index order inside a bucket.
  const buckets: number[][] = Array.from({ length: 101 }, () => []);
  for (let i = 0; i < choices.length; i++) {
    const lc = choices[i].length;
    if (lc === 0) continue;
    let ubInt = 100;
    if (lq > 0 && !qDup && !shared[i] && !dupTokens[i]) {
      let ci = 0;
      const off = i * NCH;
      for (let d = 0; d < NCH; d++) ci += q[d] < chars[off + d] ? q[d] : chars[off + d];
      // length ratio on the strings WRatio sees; denominators on whitespace-collapsed lengths
      const lr = Math.max(lq, lc) / Math.min(lq, lc);
      const lc1 = ix.collapsedLen[i];
      let ub = (2 * ci) / (lq1 + lc1);
      if (lr >= 1.5) ub = Math.max(ub, (lr > 8 ? 0.6 : 0.9) * ((2 * ci) / (Math.min(lq1, lc1) + ci)));
      ubInt = Math.min(100, Math.round(100 * ub + 1e-6));
    }
    buckets[ubInt].push(i);
  }
  // 2. Best-first: score choices by decreasing bound; stop once the bound falls below the k-th score.
  //    The top list stays sorted by (score desc, index asc), as heapq.nlargest orders ties.
  const topI: number[] = [];
  const topS: number[] = [];
  for (let b = 100; b >= 0; b--) {
    if (topI.length >= k && b < topS[k - 1]) break;
    for (const i of buckets[b]) {
      const sc = fuzz.WRatio(query, choices[i], { full_process: false });
      if (topI.length >= k && (sc < topS[k - 1] || (sc === topS[k - 1] && i > topI[k - 1]))) continue;
      let j = topI.length;
      while (j > 0 && (topS[j - 1] < sc || (topS[j - 1] === sc && topI[j - 1] > i))) j--;
      topI.splice(j, 0, i);
      topS.splice(j, 0, sc);
      if (topI.length > k) {
        topI.pop();
        topS.pop();
      }
    }
  }
  return { index: topI, score: topS };
}

/** Reference implementation of {@link fuzzyTopK} without pruning (for tests and checks). */
export function fuzzyTopKBrute(query: string, choices: string[], k: number): { index: number[]; score: number[] } {
  const all: Array<[number, number]> = [];
  choices.forEach((c, i) => {
    if (c.length) all.push([i, fuzz.WRatio(query, c, { full_process: false })]);
  });
  all.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const top = all.slice(0, k);
  return { index: top.map((x) => x[0]), score: top.map((x) => x[1]) };
}

/** Options of {@link generateCandidates}. */
export interface CandidateOptions {
  /** Candidates per mention (reference: 100). */
  k: number;
  /** Worker threads; 0 runs in this thread. Default: one per core when the work is large. */
  workers?: number;
  /** Show a cli-progress bar (default: true when stderr is a TTY or DRIN_PROGRESS=1). */
  progress?: boolean;
  /** Label for the progress bar. */
  label?: string;
}

/** Result of {@link generateCandidates}: per mention, the top-k KB indices (best first). */
export interface CandidateResult {
  indices: number[][];
  scores: number[][];
  uniqueQueries: number;
  seconds: number;
  workers: number;
}

/**
 * How to start the worker: the compiled .js from dist/, or (running the TypeScript sources
 * under tsx) a tiny CommonJS bootstrap that registers tsx's require hook and loads the .ts file
 * (Node 20 does not apply `--import tsx` to a worker's entry file).
 */
function workerSpec(): { entry: string; eval: boolean } {
  const ext = path.extname(__filename); // .ts under tsx, .js from dist/
  const file = path.join(__dirname, `candidates-worker${ext}`);
  if (ext !== '.ts') return { entry: file, eval: false };
  const tsx = require.resolve('tsx/cjs');
  return { entry: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, eval: true };
}

/**
 * Top-k knowledge-base entries by fuzzy name similarity for each mention (fuzzywuzzy
 * `process.extract` semantics, see the module comment). Identical mention strings are scored once.
 * `names` are the KB names in KB order; returned indices point into it.
 */
export async function generateCandidates(mentions: string[], names: string[], opts: CandidateOptions): Promise<CandidateResult> {
  const t0 = Date.now();
  const choices = names.map(fuzzyProcess);
  const uniq = [...new Set(mentions.map(fuzzyProcess))];
  const work = uniq.length * choices.length;
  const nWorkers = Math.max(0, Math.min(opts.workers ?? (work > 5e5 ? os.cpus().length : 0), uniq.length));
  const showBar = opts.progress ?? (process.stderr.isTTY || process.env.DRIN_PROGRESS === '1');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- to become src/progress.ts's progressBar (issue #15)
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const bar = showBar
    ? new cliProgress.SingleBar({
      format: `${opts.label ?? 'candidates'} |{bar}| {value}/{total} mentions | {duration_formatted} elapsed | ETA {eta_formatted}`,
      etaBuffer: 50,
      noTTYOutput: !process.stderr.isTTY, // in logs / notebooks: a line every 30 s
      notTTYSchedule: 30000,
    }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(uniq.length, 0);
  const top = new Map<string, { index: number[]; score: number[] }>();
  if (nWorkers === 0) {
    const ix = buildFuzzyIndex(choices);
    uniq.forEach((q, i) => {
      top.set(q, fuzzyTopK(q, ix, opts.k));
      if (i % 20 === 19) bar?.update(i + 1);
    });
  } else {
    const spec = workerSpec();
    const chunk = Math.max(1, Math.min(64, Math.ceil(uniq.length / (nWorkers * 8))));
    let next = 0;
    let done = 0;
    await new Promise<void>((resolve, reject) => {
      let alive = nWorkers;
      for (let w = 0; w < nWorkers; w++) {
        const worker = new Worker(spec.entry, { eval: spec.eval, workerData: { choices, k: opts.k } });
        const feed = () => {
          if (next >= uniq.length) {
            void worker.terminate();
            return;
          }
          const start = next;
          next = Math.min(uniq.length, next + chunk);
          worker.postMessage({ start, queries: uniq.slice(start, next) });
        };
        worker.on('message', (m: { start: number; results: Array<{ index: number[]; score: number[] }> }) => {
          m.results.forEach((r, j) => top.set(uniq[m.start + j], r));
          done += m.results.length;
          bar?.update(done);
          feed();
        });
        worker.on('error', (e) => reject(new Error(`candidate worker failed: ${e.message}`)));
        worker.on('exit', () => {
          if (--alive === 0) (done === uniq.length ? resolve() : reject(new Error(`candidate workers exited with ${done}/${uniq.length} mentions done`)));
        });
        feed();
      }
    });
  }
  bar?.update(uniq.length);
  bar?.stop();
  const indices: number[][] = [];
  const scores: number[][] = [];
  for (const m of mentions) {
    const r = top.get(fuzzyProcess(m))!;
    indices.push(r.index);
    scores.push(r.score);
  }
  return { indices, scores, uniqueQueries: uniq.length, seconds: (Date.now() - t0) / 1000, workers: nWorkers };
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
