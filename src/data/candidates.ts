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

// eslint-disable-next-line @typescript-eslint/no-var-requires
const fuzz = require('fuzzball') as typeof import('fuzzball');

/** fuzzywuzzy's `utils.full_process(s, force_ascii=True)`. */
export function fuzzyProcess(s: string): string {
  return fuzz.full_process(s, { force_ascii: true });
}

/**
 * Top-`k` choice indices for one already-processed query over already-processed choices
 * (score descending, ties in choice order; empty choices skipped). Returns indices and scores.
 */
export function fuzzyTopK(query: string, choices: string[], k: number): { index: number[]; score: number[] } {
  const scores = new Int16Array(choices.length).fill(-1);
  for (let i = 0; i < choices.length; i++) {
    if (choices[i].length === 0) continue;
    scores[i] = fuzz.WRatio(query, choices[i], { full_process: false });
  }
  // Counting sort by score (0..100), descending, stable in choice order.
  const buckets: number[][] = Array.from({ length: 101 }, () => []);
  for (let i = 0; i < choices.length; i++) if (scores[i] >= 0) buckets[scores[i]].push(i);
  const index: number[] = [];
  const score: number[] = [];
  for (let s = 100; s >= 0 && index.length < k; s--) {
    for (const i of buckets[s]) {
      if (index.length >= k) break;
      index.push(i);
      score.push(s);
    }
  }
  return { index, score };
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
  const nWorkers = Math.max(0, Math.min(opts.workers ?? (work > 3e6 ? os.cpus().length : 0), uniq.length));
  const showBar = opts.progress ?? (process.stderr.isTTY || process.env.DRIN_PROGRESS === '1');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const bar = showBar
    ? new cliProgress.SingleBar({
      format: `${opts.label ?? 'candidates'} |{bar}| {value}/{total} mentions | {duration_formatted} elapsed | ETA {eta_formatted}`,
      etaBuffer: 50,
    }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(uniq.length, 0);
  const top = new Map<string, { index: number[]; score: number[] }>();
  if (nWorkers === 0) {
    uniq.forEach((q, i) => {
      top.set(q, fuzzyTopK(q, choices, opts.k));
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
  const maxLen = Math.max(0, ...candidates.map((c) => c.length));
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
