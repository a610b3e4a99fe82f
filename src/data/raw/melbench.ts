/**
 * The public WikiMEL release (MEL-GHMFC / MELBench) and datasets of the same schema:
 *
 *   Wikidata-MEL.json   {"<id>": {"id", "sentence", "mentions": [..], "entities": [..names..], "answer": [..QIDs..]}}
 *   splits.json         {"train": [ids], "dev": [ids], "test": [ids]}   ("valid" accepted for "dev")
 *   qid2ne.json, qid2abs.json (, ne2qid.json)
 *   images/<id>[.jpg]   mention images, when the release has them
 *   entity-images/<QID>[.jpg] or entities/cleaned-images/<QID>[.jpg]   entity images, when present
 *
 * One row per mention (id "<sentence id>-<n>"). `mentions` / `entities` / `answer` may be strings or
 * lists; an answer that is not a known QID is looked up as a name (ne2qid.json, else qid2ne.json
 * reversed). Split ids absent from Wikidata-MEL.json are counted (missingIds), as are mentions
 * absent from their sentence (mentionNotFound, skipped as in WikiMEL) and gold entities outside
 * the knowledge base (goldNotInKb, skipped).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readWikimelKb, findMention } from './wikimel';
import {
  PREPARE_SPLITS, PrepareSplit, RawDataset, RawFormatError, RawMention, bumpCount, emptySplitCounts, expectStringMap, readJsonFile,
} from './types';

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** Read a MELBench-schema directory. */
export function readMelbench(input: string): RawDataset {
  const dataFile = path.join(input, 'Wikidata-MEL.json');
  const splitFile = path.join(input, 'splits.json');
  const entImgDir = ['entity-images', path.join('entities', 'cleaned-images')].map((d) => path.join(input, d)).find((d) => fs.existsSync(d)) ?? null;
  const kb = readWikimelKb(path.join(input, 'qid2ne.json'), path.join(input, 'qid2abs.json'), entImgDir);
  const known = new Set(kb.entities.map((e) => e.qid));
  const ne2qidFile = path.join(input, 'ne2qid.json');
  const ne2qid: Record<string, string> = fs.existsSync(ne2qidFile)
    ? expectStringMap(ne2qidFile, readJsonFile(ne2qidFile), 'entity name -> QID')
    : Object.fromEntries(Object.entries(kb.qid2ne).map(([q, n]) => [n, q]));
  const data = readJsonFile(dataFile);
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new RawFormatError(dataFile, null, 'expected a JSON object {"<id>": {sentence, mentions, answer}}');
  const records = data as Record<string, Record<string, unknown>>;
  const splitsRaw = readJsonFile(splitFile) as Record<string, unknown>;
  if (!splitsRaw || typeof splitsRaw !== 'object') throw new RawFormatError(splitFile, null, 'expected {"train": [ids], "dev": [ids], "test": [ids]}');
  const splitIds: Record<PrepareSplit, string[]> = { train: [], valid: [], test: [] };
  for (const split of PREPARE_SPLITS) {
    const key = split === 'valid' ? (splitsRaw.dev !== undefined ? 'dev' : 'valid') : split;
    const ids = splitsRaw[key];
    if (!Array.isArray(ids)) throw new RawFormatError(splitFile, key, `expected a list of sentence ids under "${key}"`);
    splitIds[split] = ids.map(String);
  }
  const counts = emptySplitCounts();
  const notes: string[] = [];
  if (!entImgDir) notes.push('no entity images in this release: every entity uses the default image');
  const imgDir = path.join(input, 'images');
  const splits = { train: [], valid: [], test: [] } as Record<PrepareSplit, RawMention[]>;
  for (const split of PREPARE_SPLITS) {
    const c = counts[split];
    for (const sid of splitIds[split]) {
      const rec = records[sid];
      bumpCount(c, 'sentences');
      if (rec === undefined) {
        bumpCount(c, 'missingIds');
        continue;
      }
      if (typeof rec !== 'object' || typeof rec.sentence !== 'string') throw new RawFormatError(dataFile, sid, 'expected {"sentence": string, "mentions": [..], "answer": [..]}');
      const mentions = asList(rec.mentions);
      const answers = asList(rec.answer);
      if (mentions.length !== answers.length || mentions.some((m) => typeof m !== 'string') || answers.some((a) => typeof a !== 'string')) {
        throw new RawFormatError(dataFile, sid, `expected "mentions" and "answer" as equally long string lists (got ${mentions.length} and ${answers.length})`);
      }
      mentions.forEach((m, j) => {
        const mention = m as string;
        let gold = answers[j] as string;
        bumpCount(c, 'mentions');
        const pos = findMention(rec.sentence as string, mention);
        if (!pos) {
          bumpCount(c, 'mentionNotFound');
          return;
        }
        if (!known.has(gold) && ne2qid[gold] !== undefined) gold = ne2qid[gold];
        if (!known.has(gold)) {
          bumpCount(c, 'goldNotInKb');
          return;
        }
        splits[split].push({
          id: `${sid}-${j}`, sentence: rec.sentence as string, mention, start: pos.start, end: pos.end, gold,
          image: { base: path.join(imgDir, sid) },
        });
      });
    }
  }
  return { format: 'melbench', input, splits, entities: kb.entities, kbNames: kb.kbNames, counts, notes };
}
