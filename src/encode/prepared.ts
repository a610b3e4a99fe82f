/**
 * The prepared directory as encode reads it (CONTRACTS §2): mentions_{split}.jsonl, entities.jsonl,
 * the string .npy files of prepare (mention texts, candidate QIDs / texts / image paths) and, for
 * WikiMEL, qid2idx.json; checked to agree (row counts, slots per mention, every QID known). Errors
 * name the file and the row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpy } from '../data/npy';

/** The splits of a prepared / preprocessed directory. */
export const ENCODE_SPLITS = ['train', 'valid', 'test'] as const;
export type EncodeSplit = (typeof ENCODE_SPLITS)[number];
/** One line of mentions_{split}.jsonl (the fields encode reads). */
export interface EncodeMentionRecord { id: string; sentence: string; image: string | null; candidates: string[]; goldQid: string }
/** One line of entities.jsonl. */
export interface EncodeEntityRecord { qid: string; name: string; text: string; image: string | null }

function readJsonl<T>(file: string): T[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing (expected a prepared directory, see \`drin prepare\`)`);
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    try { return JSON.parse(l) as T; } catch (e) { throw new Error(`${file}: line ${i + 1} is not JSON (${(e as Error).message})`); }
  });
}

function readStrings(file: string): string[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing (expected a string .npy written by \`drin prepare\`)`);
  const a = readNpy(file);
  if (!Array.isArray(a.data)) throw new Error(`${file}: expected a string array, got dtype ${a.dtype}`);
  return a.data as string[];
}

/** The prepared directory, read. */
export interface PreparedData {
  dir: string;
  layout: 'wikimel' | 'wikidiverse';
  report: Record<string, unknown>;
  /** Tokenizer folder or vocab.txt named by prepare.json, if any. */
  tokenizer: string | null;
  mentions: Record<EncodeSplit, EncodeMentionRecord[]>;
  mentionTexts: Record<EncodeSplit, string[]>;
  mentionImages: Record<EncodeSplit, (string | null)[]>;
  /** R: candidate slots per mention (K + 1, gold last). */
  slots: number;
  /** Per split, N·R candidate texts and images (row-major [N, R]). */
  candidateTexts: Record<EncodeSplit, string[]>;
  candidateImages: Record<EncodeSplit, (string | null)[]>;
  /** WikiMEL: entities in qid2idx order. */
  entities: EncodeEntityRecord[];
}

/** Read a prepared directory and check that its files agree. */
export function readPrepared(dir: string): PreparedData {
  const pj = path.join(dir, 'prepare.json');
  const report = fs.existsSync(pj) ? (JSON.parse(fs.readFileSync(pj, 'utf8')) as Record<string, unknown>) : {};
  const layout = report.format === 'wikidiverse' || fs.existsSync(path.join(dir, 'entity-attr-raw_train.npy')) ? 'wikidiverse' : 'wikimel';
  let tokenizer = (report.tokenizer as string | undefined) ?? null;
  if (!tokenizer && fs.existsSync(path.join(dir, 'tokenizer'))) tokenizer = path.join(dir, 'tokenizer');
  const entities = readJsonl<EncodeEntityRecord>(path.join(dir, 'entities.jsonl'));
  const byQid = new Map(entities.map((e) => [e.qid, e]));
  const out = { dir, layout, report, tokenizer, entities, slots: 0, mentions: {}, mentionTexts: {}, mentionImages: {}, candidateTexts: {}, candidateImages: {} } as PreparedData;
  if (layout === 'wikimel') {
    const qf = path.join(dir, 'qid2idx.json');
    if (!fs.existsSync(qf)) throw new Error(`${qf}: missing (WikiMEL layout needs qid2idx.json)`);
    const q2i = JSON.parse(fs.readFileSync(qf, 'utf8')) as Record<string, number>;
    const ordered: EncodeEntityRecord[] = new Array(Object.keys(q2i).length);
    for (const [qid, i] of Object.entries(q2i)) {
      const e = byQid.get(qid);
      if (!e) throw new Error(`${path.join(dir, 'entities.jsonl')}: no record for ${qid} (qid2idx.json row ${i})`);
      ordered[i] = e;
    }
    out.entities = ordered;
  }
  for (const split of ENCODE_SPLITS) {
    const ms = readJsonl<EncodeMentionRecord>(path.join(dir, `mentions_${split}.jsonl`));
    const texts = readStrings(path.join(dir, `mention-text-raw_${split}.npy`));
    if (texts.length !== ms.length) throw new Error(`${path.join(dir, `mention-text-raw_${split}.npy`)}: ${texts.length} rows, mentions_${split}.jsonl has ${ms.length}`);
    out.mentions[split] = ms;
    out.mentionTexts[split] = texts;
    if (layout === 'wikimel') {
      const f = path.join(dir, `entity-name-raw_${split}.npy`);
      const qids = readStrings(f);
      const R = ms.length ? qids.length / ms.length : out.slots;
      if (!Number.isInteger(R)) throw new Error(`${f}: ${qids.length} QIDs is not a multiple of the ${ms.length} mentions`);
      if (ms.length && out.slots && R !== out.slots) throw new Error(`${f}: ${R} slots per mention, other splits have ${out.slots}`);
      if (ms.length) out.slots = R;
      out.mentionImages[split] = ms.map((m) => m.image);
      out.candidateTexts[split] = qids.map((q, i) => {
        const e = byQid.get(q);
        if (!e) throw new Error(`${f}: QID ${q} (mention row ${Math.floor(i / R)}) is not in entities.jsonl`);
        return e.text;
      });
      out.candidateImages[split] = qids.map((q) => byQid.get(q)!.image);
    } else {
      const f = (n: string) => path.join(dir, `${n}_${split}.npy`);
      const attr = readStrings(f('entity-attr-raw'));
      const imgs = readStrings(f('entity-image-path'));
      const mimgs = readStrings(f('mention-image-path'));
      const R = ms.length ? attr.length / ms.length : out.slots;
      if (!Number.isInteger(R) || imgs.length !== attr.length) throw new Error(`${f('entity-attr-raw')}: ${attr.length} rows for ${ms.length} mentions (entity-image-path has ${imgs.length})`);
      if (ms.length) out.slots = R;
      out.mentionImages[split] = mimgs.map((p) => p || null);
      out.candidateTexts[split] = attr;
      out.candidateImages[split] = imgs.map((p) => p || null);
    }
  }
  return out;
}

/** The text-side files copied unchanged from the prepared directory. */
export function textSideFiles(layout: 'wikimel' | 'wikidiverse'): string[] {
  const per = ['answer', 'start-pos', 'end-pos', 'mention-text-raw', ...(layout === 'wikimel' ? ['entity-name-raw'] : ['entity-attr-raw', 'entity-image-path', 'mention-image-path'])];
  return [...per.flatMap((p) => ENCODE_SPLITS.map((s) => `${p}_${s}.npy`)), ...(layout === 'wikimel' ? ['qid2idx.json'] : [])];
}
