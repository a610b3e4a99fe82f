/**
 * Loading what notebook 06 analyses: per-mention predictions (CONTRACTS §5), the prepared
 * mentions/entities (CONTRACTS §2) and the raw strings of the preprocessed layout
 * (`mention-text-raw_{split}.npy`, `entity-name-raw_{split}.npy`, `qid2idx.json`).
 *
 * Every reader checks its input and names the file, the record and what was expected on error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNS, PREPARED, PREPROCESSED, datasetName } from '../paths';
import { readNpy, readNpyHeader } from '../data/npy';
import type { AnalysisEntity, AnalysisMention, AnalysisPrediction } from './types';

type Json = Record<string, unknown>;

function readJsonl(file: string): { line: number; value: Json }[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: file not found`);
  const out: { line: number; value: Json }[] = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (!text.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new Error(`${file}:${i + 1}: expected a JSON object per line`);
    out.push({ line: i + 1, value: value as Json });
  });
  return out;
}

function fail(file: string, line: number, what: string): never {
  throw new Error(`${file}:${line}: ${what}`);
}

function isNum(x: unknown): x is number {
  return typeof x === 'number' && !Number.isNaN(x);
}

/**
 * Read `predictions_{split}.jsonl` (CONTRACTS §5) and check every record.
 *
 * ```ts
 * const preds = loadPredictionsJsonl('results/runs/sample/drin/predictions_test.jsonl');
 * preds[0].goldRank; // 1-based, or null when the gold is not among the candidates
 * ```
 */
export function loadPredictionsJsonl(file: string): AnalysisPrediction[] {
  return readJsonl(file).map(({ line, value: v }) => {
    if (!Number.isInteger(v.row) || (v.row as number) < 0) fail(file, line, `expected "row" a non-negative integer, got ${JSON.stringify(v.row)}`);
    if (!Number.isInteger(v.answer)) fail(file, line, `expected "answer" an integer, got ${JSON.stringify(v.answer)}`);
    if (!(v.goldRank === null || (Number.isInteger(v.goldRank) && (v.goldRank as number) >= 1)))
      fail(file, line, `expected "goldRank" a 1-based integer or null, got ${JSON.stringify(v.goldRank)}`);
    if (!Array.isArray(v.scores) || !v.scores.every((s) => typeof s === 'number'))
      fail(file, line, 'expected "scores" an array of numbers (all C candidate scores)');
    if (!Array.isArray(v.top) || !v.top.every((t) => t && Number.isInteger((t as Json).slot) && typeof (t as Json).score === 'number'))
      fail(file, line, 'expected "top" an array of {slot: integer, score: number}');
    if (v.edges !== undefined && !(Array.isArray(v.edges) && v.edges.every((l) => Array.isArray(l) && l.length === 4 && l.every(isNum))))
      fail(file, line, 'expected "edges" an array (one per GCN layer input) of [tt, ti, it, ii] numbers');
    const scores = v.scores as number[];
    if ((v.answer as number) < 0 || (v.answer as number) > scores.length)
      fail(file, line, `"answer" ${v.answer} outside 0..${scores.length} (C = ${scores.length} candidate scores)`);
    if ((v.goldRank === null) !== ((v.answer as number) === scores.length))
      fail(file, line, `"goldRank" must be null exactly when the gold is absent ("answer" = C = ${scores.length}); got answer ${v.answer}, goldRank ${v.goldRank}`);
    return {
      row: v.row as number,
      answer: v.answer as number,
      goldRank: v.goldRank as number | null,
      top: (v.top as Json[]).map((t) => ({ slot: t.slot as number, score: t.score as number })),
      scores,
      ...(v.edges !== undefined ? { edges: v.edges as number[][] } : {}),
    };
  });
}

/** Read a prepared `mentions_{split}.jsonl` (CONTRACTS §2), checking field types. */
export function loadPreparedMentionsJsonl(file: string): AnalysisMention[] {
  return readJsonl(file).map(({ line, value: v }) => {
    for (const k of ['id', 'sentence', 'mention', 'goldQid'] as const)
      if (typeof v[k] !== 'string') fail(file, line, `expected "${k}" a string, got ${JSON.stringify(v[k])}`);
    for (const k of ['startChar', 'startToken', 'endToken', 'answer'] as const)
      if (!Number.isInteger(v[k])) fail(file, line, `expected "${k}" an integer, got ${JSON.stringify(v[k])}`);
    if (!Array.isArray(v.candidates) || !v.candidates.every((c) => typeof c === 'string'))
      fail(file, line, 'expected "candidates" an array of QID strings');
    if (!(v.image === null || typeof v.image === 'string')) fail(file, line, `expected "image" a path or null, got ${JSON.stringify(v.image)}`);
    return v as unknown as AnalysisMention;
  });
}

/** Read the prepared `entities.jsonl` (CONTRACTS §2) into a QID → entity map. */
export function loadPreparedEntitiesJsonl(file: string): Map<string, AnalysisEntity> {
  const out = new Map<string, AnalysisEntity>();
  for (const { line, value: v } of readJsonl(file)) {
    for (const k of ['qid', 'name', 'text'] as const)
      if (typeof v[k] !== 'string') fail(file, line, `expected "${k}" a string, got ${JSON.stringify(v[k])}`);
    if (!(v.image === null || typeof v.image === 'string')) fail(file, line, `expected "image" a path or null, got ${JSON.stringify(v.image)}`);
    out.set(v.qid as string, v as unknown as AnalysisEntity);
  }
  return out;
}

/**
 * Read a numpy unicode string array (`<U..`, UTF-32 little endian, C order) such as
 * `mention-text-raw_test.npy` or `entity-name-raw_test.npy`. Returns the flat strings and the shape.
 */
export function readNpyStrings(file: string): { values: string[]; shape: number[] } {
  if (!fs.existsSync(file)) throw new Error(`${file}: file not found`);
  const { descr } = readNpyHeader(file);
  if (!/^[<|=]?U\d+$/.test(descr)) throw new Error(`${file}: expected a little-endian unicode array (<U..), got dtype ${descr}`);
  const { data, shape } = readNpy(file);
  return { values: data as string[], shape };
}

/** The runs of one dataset that have a predictions file for `split`: model name → file. */
export function listPredictionRuns(opts: { dataset?: string; split?: string; runsDir?: string } = {}): Map<string, string> {
  const dir = path.join(opts.runsDir ?? RUNS, opts.dataset ?? datasetName());
  const split = opts.split ?? 'test';
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    const f = path.join(dir, name, `predictions_${split}.jsonl`);
    if (fs.existsSync(f)) out.set(name, f);
  }
  return out;
}

/** The text side of one split: prepared mentions, entities and the raw strings of the preprocessed layout. */
export interface AnalysisTextSide {
  mentions: AnalysisMention[];
  entities: Map<string, AnalysisEntity>;
  /** `mention-text-raw_{split}.npy` when found (one string per mention), else null. */
  mentionTextRaw: string[] | null;
  /** `entity-name-raw_{split}.npy` reshaped to [N, K+1] QIDs when found, else null. */
  entityNameRaw: string[][] | null;
  /** `qid2idx.json` when found, else null. */
  qid2idx: Record<string, number> | null;
  /** Where each part came from (for the notebook to print). */
  sources: string[];
}

/**
 * Load the text side of one split for analysis. Mentions and entities come from
 * results/prepared/<dataset>/ (CONTRACTS §2); the raw strings are read from the prepared
 * directory or, failing that, the preprocessed one, and checked against the mentions.
 */
export function loadAnalysisTextSide(
  opts: { dataset?: string; split?: string; preparedDir?: string | null; preprocessedDir?: string } = {},
): AnalysisTextSide {
  const dataset = opts.dataset ?? datasetName();
  const split = opts.split ?? 'test';
  const preprocessed = opts.preprocessedDir ?? path.join(PREPROCESSED, dataset);
  // preparedDir null: no prepare output, the release's own arrays (releaseTextSide)
  if (opts.preparedDir === null) return releaseTextSide(preprocessed, split);
  const prepared = opts.preparedDir ?? path.join(PREPARED, dataset);
  const mentionsFile = path.join(prepared, `mentions_${split}.jsonl`);
  const entitiesFile = path.join(prepared, 'entities.jsonl');
  if (!fs.existsSync(mentionsFile) && fs.existsSync(path.join(preprocessed, `mention-text-raw_${split}.npy`))) {
    return releaseTextSide(preprocessed, split);
  }
  const mentions = loadPreparedMentionsJsonl(mentionsFile);
  const entities = loadPreparedEntitiesJsonl(entitiesFile);
  const sources = [mentionsFile, entitiesFile];
  const find = (name: string) => [prepared, preprocessed].map((d) => path.join(d, name)).find((f) => fs.existsSync(f));

  let mentionTextRaw: string[] | null = null;
  const mtr = find(`mention-text-raw_${split}.npy`);
  if (mtr) {
    mentionTextRaw = readNpyStrings(mtr).values;
    if (mentionTextRaw.length !== mentions.length)
      throw new Error(`${mtr}: ${mentionTextRaw.length} strings, expected one per mention of ${mentionsFile} (${mentions.length})`);
    sources.push(mtr);
  }
  let entityNameRaw: string[][] | null = null;
  const enr = find(`entity-name-raw_${split}.npy`);
  if (enr && mentions.length > 0) {
    const { values } = readNpyStrings(enr);
    if (values.length % mentions.length !== 0)
      throw new Error(`${enr}: ${values.length} QIDs is not a multiple of the ${mentions.length} mentions of ${mentionsFile}`);
    const per = values.length / mentions.length;
    entityNameRaw = mentions.map((_, i) => values.slice(i * per, (i + 1) * per));
    sources.push(enr);
  }
  let qid2idx: Record<string, number> | null = null;
  const q = find('qid2idx.json');
  if (q) {
    qid2idx = JSON.parse(fs.readFileSync(q, 'utf8')) as Record<string, number>;
    sources.push(q);
  }
  return { mentions, entities, mentionTextRaw, entityNameRaw, qid2idx, sources };
}

/**
 * The text side from a preprocessed directory alone (the authors' release, no prepare output): the
 * release's own arrays give the sentence (`mention-text-raw_{split}`), the token span
 * (`start-pos`/`end-pos`), the candidate QIDs with the gold last (`entity-name-raw_{split}`, [N·(C+1)])
 * and the answer (`answer_{split}`, C = absent). The release keeps neither the mention's surface form
 * nor entity names or texts: the mention is shown as its token span, an entity by its QID. Mention
 * ids are `<split>-<row>`.
 */
export function releaseTextSide(preprocessed: string, split: string): AnalysisTextSide {
  const f = (name: string) => path.join(preprocessed, name);
  const sentences = readNpyStrings(f(`mention-text-raw_${split}.npy`)).values;
  const names = readNpyStrings(f(`entity-name-raw_${split}.npy`)).values;
  const n = sentences.length;
  if (!n || names.length % n !== 0) throw new Error(`${f(`entity-name-raw_${split}.npy`)}: ${names.length} QIDs is not a multiple of the ${n} mentions of mention-text-raw_${split}.npy`);
  const R = names.length / n;
  const ints = (file: string): number[] => {
    const a = readNpy(f(file));
    if (a.data.length !== n) throw new Error(`${f(file)}: ${a.data.length} values, expected one per mention (${n})`);
    return Array.from(a.data as ArrayLike<number | bigint>, Number);
  };
  const answers = ints(`answer_${split}.npy`);
  const starts = ints(`start-pos_${split}.npy`);
  const ends = ints(`end-pos_${split}.npy`);
  const entityNameRaw = sentences.map((_, i) => names.slice(i * R, (i + 1) * R));
  const mentions: AnalysisMention[] = sentences.map((sentence, i) => ({
    id: `${split}-${i}`, sentence, mention: `tokens ${starts[i]}–${ends[i]}`, startChar: -1,
    startToken: starts[i], endToken: ends[i], answer: answers[i], candidates: entityNameRaw[i].slice(0, R - 1),
    goldQid: entityNameRaw[i][R - 1], image: null,
  }));
  const entities = new Map<string, AnalysisEntity>();
  for (const q of names) if (!entities.has(q)) entities.set(q, { qid: q, name: q, text: '', image: null });
  const q = f('qid2idx.json');
  const qid2idx = fs.existsSync(q) ? (JSON.parse(fs.readFileSync(q, 'utf8')) as Record<string, number>) : null;
  return {
    mentions, entities, mentionTextRaw: sentences, entityNameRaw, qid2idx,
    sources: [`${preprocessed} (release arrays: mention-text-raw, start/end-pos, entity-name-raw, answer; no prepare output)`],
  };
}
