/**
 * Candidate top-k over worker threads, with piscina as the pool: each worker holds the candidate index
 * (built once from the KB names), mentions go out in small chunks so that the load stays even, and
 * results come back in input order.
 *
 * Running the TypeScript sources (under tsx), a worker must load tsx before its entry file: the pool
 * passes `--require tsx/cjs` to the workers. From the compiled dist/ no loader is needed.
 */
import * as path from 'node:path';
import { Piscina } from 'piscina';
import type { CandidateScorer, TopK } from './topk';

/** Entry file and Node options of the piscina worker (the .ts under tsx, the .js from dist/). */
function workerSpec(): { filename: string; execArgv: string[] } {
  const ext = path.extname(__filename);
  const filename = path.join(__dirname, `worker${ext}`);
  return ext === '.ts' ? { filename, execArgv: ['--require', require.resolve('tsx/cjs')] } : { filename, execArgv: [] };
}

/**
 * Top-`k` of `names` for each of `mentions` (as `scorerQuery` gives them) on `threads` worker threads. `onProgress(done, scored)`
 * is called after each chunk (mentions done so far, names scored in full so far).
 */
export async function topKInWorkers(
  mentions: string[], names: string[], scorer: CandidateScorer, k: number, threads: number,
  onProgress?: (done: number, scored: number) => void,
): Promise<TopK[]> {
  const spec = workerSpec();
  const pool = new Piscina({
    filename: spec.filename, execArgv: spec.execArgv, workerData: { names, scorer, k },
    minThreads: threads, maxThreads: threads, idleTimeout: 60_000,
  });
  const chunk = Math.max(1, Math.min(64, Math.ceil(mentions.length / (threads * 16))));
  const out: TopK[] = new Array(mentions.length);
  let done = 0;
  let scored = 0;
  try {
    const tasks: Promise<void>[] = [];
    for (let s = 0; s < mentions.length; s += chunk) {
      const part = mentions.slice(s, s + chunk);
      tasks.push((pool.run({ mentions: part }) as Promise<{ results: TopK[]; scored: number }>).then((r) => {
        r.results.forEach((x, j) => (out[s + j] = x));
        done += part.length;
        scored += r.scored;
        onProgress?.(done, scored);
      }));
    }
    await Promise.all(tasks);
  } catch (e) {
    throw new Error(`candidate worker failed: ${(e as Error).message}`);
  } finally {
    await pool.destroy();
  }
  return out;
}
