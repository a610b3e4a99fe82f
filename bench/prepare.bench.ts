/**
 * Prepare benchmark: fuzzy candidate generation (fuzzywuzzy WRatio top-K) per mention string, pruned
 * vs brute force, on the real WikiMEL knowledge base (18,880 names) when ../shared is present, else
 * on the synthetic sample's; plus the time to prepare the whole sample.
 *
 * Environment: DRIN_BENCH_QUERIES (distinct mention strings, default 40), DRIN_BENCH_K (default 100).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE_RAW, SHARED } from '../src/paths';
import { buildFuzzyIndex, fuzzyProcess, fuzzyTopK, fuzzyTopKBrute } from '../src/data/candidates';
import { prepareDataset } from '../src/data/prepare';

export async function run(): Promise<void> {
  const nq = Number(process.env.DRIN_BENCH_QUERIES ?? 40);
  const k = Number(process.env.DRIN_BENCH_K ?? 100);
  const wm = path.join(SHARED, 'data', 'wikimel');
  let names: string[];
  let queries: string[];
  if (fs.existsSync(path.join(wm, 'qid2ne.json'))) {
    names = Object.values(JSON.parse(fs.readFileSync(path.join(wm, 'qid2ne.json'), 'utf8'))) as string[];
    const recs = Object.values(JSON.parse(fs.readFileSync(path.join(wm, 'Wikidata-MEL.json'), 'utf8'))) as Array<{ mentions: string[] }>;
    queries = [...new Set(recs.slice(0, 4 * nq).flatMap((r) => r.mentions).map(fuzzyProcess))].slice(0, nq);
    console.log(`prepare: WikiMEL KB (${names.length} names), ${queries.length} distinct mention strings, K = ${k}`);
  } else {
    names = Object.values(JSON.parse(fs.readFileSync(path.join(SAMPLE_RAW, 'candidates', 'qid2ne.json'), 'utf8'))) as string[];
    queries = names.slice(0, nq).map((n) => fuzzyProcess(n.split(' ')[1] ?? n));
    console.log(`prepare: ../shared absent, synthetic KB (${names.length} names), ${queries.length} queries, K = ${Math.min(k, 10)}`);
  }
  const choices = names.map(fuzzyProcess);
  const ix = buildFuzzyIndex(choices);
  const kk = Math.min(k, choices.length);
  let t = process.hrtime.bigint();
  for (const q of queries) fuzzyTopK(q, ix, kk);
  const fast = Number(process.hrtime.bigint() - t) / 1e6 / queries.length;
  t = process.hrtime.bigint();
  for (const q of queries) fuzzyTopKBrute(q, choices, kk);
  const brute = Number(process.hrtime.bigint() - t) / 1e6 / queries.length;
  console.log(`  fuzzyTopK (pruned)   ${fast.toFixed(1)} ms / mention string (1 thread)`);
  console.log(`  brute force WRatio   ${brute.toFixed(1)} ms / mention string (${(brute * 1000 / choices.length).toFixed(2)} µs per pair)`);
  console.log(`  full WikiMEL estimate: 16,765 strings x ${fast.toFixed(0)} ms / ${os.cpus().length} threads ≈ ${(16765 * fast / 1000 / os.cpus().length / 60).toFixed(1)} min`);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-bench-prep-'));
  t = process.hrtime.bigint();
  await prepareDataset({ format: 'wikimel', input: SAMPLE_RAW, out, candidates: 10, progress: false, log: () => undefined });
  console.log(`  prepare the synthetic sample (360 mentions, K = 10): ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)} s`);
  fs.rmSync(out, { recursive: true, force: true });
}
