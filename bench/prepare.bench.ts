/**
 * Prepare benchmark: fuzzy candidate generation per mention string (src/data/candidates/), pruned vs
 * brute force, for the default scorer — the DRIN authors' `fuzz.partial_ratio(mention, name)` on raw
 * strings (fuzzywuzzy 0.18 with python-Levenshtein 0.12) — and for the `--scorer wratio` option
 * (fuzzywuzzy's WRatio after `full_process`), on the real WikiMEL knowledge base (18,880 names) when
 * ../shared is present, else on the synthetic sample's; plus the time to prepare the whole sample.
 *
 * Environment: DRIN_BENCH_QUERIES (distinct mention strings, default 40), DRIN_BENCH_K (default 100).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE_RAW, SHARED } from '../src/paths';
import {
  buildCandidateIndex, candidateTopK, candidateTopKBrute, CANDIDATE_SCORERS, scorerQuery, type CandidateScorer,
} from '../src/data/candidates';
import { prepareDataset } from '../src/data/prepare';

export async function run(): Promise<void> {
  const nq = Number(process.env.DRIN_BENCH_QUERIES ?? 40);
  const k = Number(process.env.DRIN_BENCH_K ?? 100);
  const wm = path.join(SHARED, 'data', 'wikimel');
  let names: string[];
  let mentions: string[]; // raw mention strings, in data order
  let allMentions: string[] | undefined; // every mention of the dataset (for the full-run estimate)
  if (fs.existsSync(path.join(wm, 'qid2ne.json'))) {
    names = Object.values(JSON.parse(fs.readFileSync(path.join(wm, 'qid2ne.json'), 'utf8'))) as string[];
    const recs = Object.values(JSON.parse(fs.readFileSync(path.join(wm, 'Wikidata-MEL.json'), 'utf8'))) as Array<{ mentions: string[] }>;
    allMentions = recs.flatMap((r) => r.mentions);
    mentions = recs.slice(0, 4 * nq).flatMap((r) => r.mentions);
    console.log(`prepare: WikiMEL KB (${names.length} names), K = ${k}`);
  } else {
    names = Object.values(JSON.parse(fs.readFileSync(path.join(SAMPLE_RAW, 'candidates', 'qid2ne.json'), 'utf8'))) as string[];
    mentions = names.map((n) => n.split(' ')[1] ?? n);
    console.log(`prepare: ../shared absent, synthetic KB (${names.length} names), K = ${Math.min(k, names.length)}`);
  }
  const kk = Math.min(k, names.length);
  for (const scorer of CANDIDATE_SCORERS as readonly CandidateScorer[]) {
    const ix = buildCandidateIndex(names, scorer);
    // distinct strings as the scorer sees them (identical strings are scored once)
    const queries = [...new Set(mentions.map((m) => scorerQuery(scorer, m)))].slice(0, nq);
    let t = process.hrtime.bigint();
    for (const q of queries) candidateTopK(ix, q, kk, { queryIsProcessed: true });
    const fast = Number(process.hrtime.bigint() - t) / 1e6 / queries.length;
    t = process.hrtime.bigint();
    for (const q of queries) candidateTopKBrute(ix, q, kk, { queryIsProcessed: true });
    const brute = Number(process.hrtime.bigint() - t) / 1e6 / queries.length;
    const label = scorer === 'partial_ratio' ? 'partial_ratio (default)' : 'wratio (--scorer wratio)';
    console.log(`  ${label}: ${queries.length} distinct mention strings`);
    console.log(`    pruned top-K      ${fast.toFixed(1)} ms / mention string (1 thread)`);
    console.log(`    brute force       ${brute.toFixed(1)} ms / mention string (${(brute * 1000 / names.length).toFixed(2)} µs per pair)`);
    if (allMentions) {
      const n = new Set(allMentions.map((m) => scorerQuery(scorer, m))).size;
      const threads = os.cpus().length;
      console.log(`    full WikiMEL estimate: ${n.toLocaleString('en-US')} distinct strings in Wikidata-MEL.json x ${fast.toFixed(0)} ms / ${threads} threads ≈ ` +
        `${(n * fast / 1000 / threads / 60).toFixed(1)} min`);
    }
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-bench-prep-'));
  const t = process.hrtime.bigint();
  await prepareDataset({ format: 'wikimel', input: SAMPLE_RAW, out, candidates: 10, progress: false, log: () => undefined });
  console.log(`  prepare the synthetic sample (K = 10, default scorer): ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)} s`);
  fs.rmSync(out, { recursive: true, force: true });
}
