/**
 * `npx drin prepare --format <wikidiverse|wikimel|melbench> --input DIR --out DIR [--candidates K] [--scorer partial_ratio|wratio]`:
 * raw MEL data → the text side of the preprocessed layout (+ mentions/entities jsonl, prepare.json).
 * `npx drin make-sample [--out DIR]`: regenerate the committed SYNTHETIC sample dataset.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { readDrinEnv } from './env';
import { PREPARED, SAMPLE_RAW } from '../paths';
import { prepareDataset, formatPrepareReport, detectRawFormat, RAW_FORMATS, RawFormat } from '../data/prepare';
import { generateSample, SAMPLE_SEED } from '../data/sample';
import { CANDIDATE_SCORERS, type CandidateScorer } from '../data/candidates';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a non-negative integer, got '${v}'`);
  return n;
};

export function register(program: Command): void {
  program
    .command('prepare')
    .description('raw MEL data -> answer/start-pos/end-pos/mention-text-raw/entity-name-raw npy + mentions/entities jsonl (candidates by fuzzy matching when the layout has none)')
    .option('--format <format>', `raw layout: ${RAW_FORMATS.join(' | ')} (default: detected from the files)`)
    .option('--input <dir>', 'raw dataset directory (default: the embedded synthetic sample)', SAMPLE_RAW)
    .option('--out <dir>', 'output directory (default: results/prepared/<input folder name>)')
    .option('--candidates <k>', 'candidates per mention for fuzzy matching (default 100; 10 for the sample)', int('candidates'))
    .option('--vocab <path>', 'BERT tokenizer directory (vocab.txt / tokenizer.json) or vocab.txt (default: bert-base-cased from --model-dir, else <input>/tokenizer or <input>/vocab.txt, else bert-base-cased from the caches or the hub, else a stand-in built from the data)')
    .option('--model-dir <dir>', 'folder of local model folders, as for drin encode: its bert-base-cased/ gives the vocabulary')
    .option('--scorer <name>', 'fuzzy candidate scorer: partial_ratio (default; the authors\' candidates.py, raw strings) | wratio (process.extract default)', 'partial_ratio')
    .option('--workers <n>', 'worker threads for fuzzy matching (default: one per core on large inputs; 0 = main thread)', int('workers'))
    .option('--limit <n>', 'keep only the first N mentions of each split (a subset)', int('limit'))
    .action(async (o: { format?: string; input: string; out?: string; candidates?: number; vocab?: string; modelDir?: string; workers?: number; limit?: number; scorer: string }) => {
      const input = path.resolve(o.input);
      o.format ??= detectRawFormat(input) ?? undefined;
      if (!o.format) throw new Error(`${input}: cannot tell the raw layout (no Wikidata-MEL.json, mentions/WIKIMEL_train.json or candidates/train_w_10cands.json); pass --format`);
      if (!RAW_FORMATS.includes(o.format as RawFormat)) throw new Error(`--format must be one of ${RAW_FORMATS.join(', ')}, got '${o.format}'`);
      if (!CANDIDATE_SCORERS.includes(o.scorer as CandidateScorer)) throw new Error(`--scorer must be one of ${CANDIDATE_SCORERS.join(', ')}, got '${o.scorer}'`);
      const isSample = input === path.resolve(SAMPLE_RAW);
      const out = path.resolve(o.out ?? path.join(PREPARED, isSample ? 'sample' : path.basename(input)));
      const report = await prepareDataset({
        vocabSearch: { hub: !readDrinEnv().offline }, // DRIN_OFFLINE: the vocabulary never from the hub
        format: o.format as RawFormat, input, out, candidates: o.candidates ?? (isSample ? 10 : 100), vocab: o.vocab, modelDir: o.modelDir,
        workers: o.workers, limit: o.limit, scorer: o.scorer as CandidateScorer, progress: true,
      });
      for (const line of formatPrepareReport(report)) console.log(line);
    });
  program
    .command('make-sample')
    .description('regenerate the embedded SYNTHETIC sample dataset (deterministic, seeded) in WikiMEL raw layout')
    .option('--out <dir>', 'output directory', SAMPLE_RAW)
    .option('--seed <seed>', 'random seed', SAMPLE_SEED)
    .action(async (o: { out: string; seed: string }) => {
      const s = await generateSample(path.resolve(o.out), { seed: o.seed });
      console.log(`SYNTHETIC sample written to ${s.dir}: ${s.entities} entities in ${s.clusters} clusters, mentions ${JSON.stringify(s.mentions)}, ` +
        `${s.goldAbsent} candidate lists without the gold, ` +
        `${s.mentionsNotInSentence} mentions absent from their sentence, entity images ${JSON.stringify(s.entityImages)}, ` +
        `mention images ${JSON.stringify(s.mentionImages)}, vocab ${s.vocabSize} tokens, ${(s.bytes / 1024).toFixed(0)} KiB`);
    });
}
