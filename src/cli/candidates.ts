/**
 * `npx drin candidates --kb QID2NAME.json --mentions FILE.jsonl [--k 100] [--scorer partial_ratio|wratio] [--workers N]`:
 * fuzzy candidate lists for a file of mentions, as the DRIN authors' candidates.py makes them (default
 * scorer `fuzz.partial_ratio(mention, name)` on raw strings, stable descending sort, top k; see
 * src/data/candidates.ts).
 *
 * Input: `--kb` a JSON object {QID: entity name} (KB order = file order); `--mentions` one JSON object
 * `{"mention": string}` per line (blank lines skipped). Output on stdout, one line per input line, in
 * input order: `{"mention", "candidates": [QID, ...], "scores": [int, ...]}`. Progress and a summary
 * (mentions/s) go to stderr. A malformed line stops with an error naming the file and the line.
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { CANDIDATE_SCORERS, describeScorer, generateCandidates, type CandidateScorer } from '../data/candidates';

/** Read `{QID: name}` (file order). */
export function readKb(file: string): { qids: string[]; names: string[] } {
  let kb: unknown;
  try {
    kb = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the knowledge base as JSON (${(e as Error).message})`);
  }
  if (!kb || typeof kb !== 'object' || Array.isArray(kb)) throw new Error(`${file}: expected a JSON object {"<QID>": "<entity name>", ...}`);
  const qids: string[] = [];
  const names: string[] = [];
  for (const [qid, name] of Object.entries(kb as Record<string, unknown>)) {
    if (typeof name !== 'string') throw new Error(`${file}: entry "${qid}": expected the entity name as a string, got ${JSON.stringify(name)}`);
    qids.push(qid);
    names.push(name);
  }
  return { qids, names };
}

/** Read one `{"mention": string}` per line (blank lines skipped). */
export function readMentions(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read the mentions (${(e as Error).message})`);
  }
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON (${(e as Error).message}); expected {"mention": "<text>"}`);
    }
    const m = (rec as { mention?: unknown } | null)?.mention;
    if (!rec || typeof rec !== 'object' || Array.isArray(rec) || typeof m !== 'string') {
      throw new Error(`${file}:${i + 1}: expected an object {"mention": "<text>"}, got ${line.length > 80 ? line.slice(0, 80) + '...' : line}`);
    }
    out.push(m);
  });
  return out;
}

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} expects an integer >= ${min}, got '${v}'`);
  return n;
};

export function register(program: Command): void {
  program
    .command('candidates')
    .description('fuzzy top-k KB candidates for each mention of a JSONL file (default: the authors\' partial_ratio on raw strings); JSONL on stdout')
    .requiredOption('--kb <file>', 'knowledge base: JSON object {QID: entity name} (e.g. WikiMEL qid2ne.json)')
    .requiredOption('--mentions <file>', 'one {"mention": "..."} JSON object per line')
    .option('--k <k>', 'candidates per mention', int('k', 1), 100)
    .option('--scorer <name>', `${CANDIDATE_SCORERS.join(' | ')}`, 'partial_ratio')
    .option('--workers <n>', 'worker threads (default: one per core on large inputs; 0 = main thread)', int('workers', 0))
    .action(async (o: { kb: string; mentions: string; k: number; scorer: string; workers?: number }) => {
      if (!CANDIDATE_SCORERS.includes(o.scorer as CandidateScorer)) throw new Error(`--scorer must be one of ${CANDIDATE_SCORERS.join(', ')}, got '${o.scorer}'`);
      const scorer = o.scorer as CandidateScorer;
      const { qids, names } = readKb(o.kb);
      const mentions = readMentions(o.mentions);
      process.stderr.write(`candidates: ${mentions.length} mentions x ${names.length} names, top-${o.k}, ${describeScorer(scorer)}\n`);
      const res = await generateCandidates(mentions, names, { k: o.k, scorer, workers: o.workers, progress: true, label: 'candidates' });
      let buf = '';
      for (let i = 0; i < mentions.length; i++) {
        buf += JSON.stringify({ mention: mentions[i], candidates: res.indices[i].map((j) => qids[j]), scores: res.scores[i] }) + '\n';
        if (buf.length > 1 << 20 || i === mentions.length - 1) {
          if (!process.stdout.write(buf)) await new Promise((r) => process.stdout.once('drain', r));
          buf = '';
        }
      }
      process.stderr.write(`candidates: ${res.uniqueQueries} distinct mentions in ${res.seconds.toFixed(1)} s on ${Math.max(1, res.workers)} thread(s): ` +
        `${res.mentionsPerSecond.toFixed(1)} mentions/s (${res.scoredPerMention.toFixed(0)} of ${names.length} names scored in full per mention)\n`);
    });
}
