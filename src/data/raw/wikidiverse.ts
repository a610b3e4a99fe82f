/**
 * WikiDiverse raw layout (as the DRIN seed README lays it out):
 *
 *   candidates/{train,valid,test}_w_10cands.json  [[sentence, img_url, mention, type, lctx, rctx, entity_url,
 *                                                   cands, topic, start_char, end_char], ...]
 *   entities/entity2brief_{train,valid,test}.json  entity name -> brief
 *   entities/wikipedia_entity2imgs.tsv            a header line, then "name@@@@url[AND]url..."
 *   images/                                       md5-named image files
 *
 * Reference rules (preprocess/prepare.py WDProcess): candidate name = `urllib.parse.unquote` of the
 * last path segment of its URL ({@link pyUnquote}: invalid UTF-8 → U+FFFD, a bare '%' kept);
 * answer = index among the candidates, or 10 when absent; candidates padded to 10 with `__nil__`, then the gold appended; entity text = (name + ": " + brief)[:512] (just the name
 * without a brief, empty for `__nil__`); image file = md5 of the URL's file name + extension
 * (`.svg` → `.png`); invalid / < 50x50 → default image; entity image = its first valid URL.
 * start_char / end_char are Python (code point) offsets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { wikidiverseImageFile } from './images';
import {
  ImageSpec, PREPARE_SPLITS, PrepareSplit, RawDataset, RawEntity, RawFormatError, RawMention, bumpCount, emptySplitCounts, readJsonFile,
} from './types';

/** Candidate slots of WikiDiverse (reference `num_candidates_data`). */
export const WIKIDIVERSE_CANDIDATES = 10;
/** Longest entity text in characters (reference `max_entity_attr_char_len` for WikiDiverse). */
export const WIKIDIVERSE_TEXT_CHARS = 512;
/** Padding candidate name. */
export const NIL_ENTITY = '__nil__';

/** Entity name of a Wikipedia URL, as the reference takes it: `unquote(url.split("/")[-1])`. */
export function wikidiverseEntityName(url: string): string {
  return pyUnquote(url.split('/').pop() ?? '');
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const utf8Replace = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }); // keeps a leading BOM, as Python's 'utf-8' codec does

/**
 * Python's `urllib.parse.unquote(s)` (encoding 'utf-8', errors 'replace'), exactly:
 * - a string without '%' is returned as is;
 * - each run of ASCII characters is unquoted to bytes on its own (`%` + two hex digits of either
 *   case → that byte; a '%' not followed by two hex digits stays a '%') and decoded as UTF-8, each
 *   invalid sequence becoming U+FFFD by the maximal-subpart rule CPython's decoder follows (the
 *   WHATWG decoder's rule too): `Caf%E9_de_Paris` → `Caf\ufffd_de_Paris`, `%F0%9F%98` → one U+FFFD,
 *   `%ED%A0%80` (an encoded surrogate) → three;
 * - non-ASCII characters pass through unchanged, and split the runs: `%C3é%A9` → `\ufffdé\ufffd`.
 */
export function pyUnquote(s: string): string {
  if (!s.includes('%')) return s;
  // eslint-disable-next-line no-control-regex -- the ASCII range (U+0000 included) is exactly what unquote decodes
  return s.replace(/[\x00-\x7f]+/g, (run) => {
    const bytes = new Uint8Array(run.length);
    let n = 0;
    for (let i = 0; i < run.length; i++) {
      const c = run.charCodeAt(i);
      if (c === 37 && i + 2 < run.length && isHex(run.charCodeAt(i + 1)) && isHex(run.charCodeAt(i + 2))) {
        bytes[n++] = parseInt(run.slice(i + 1, i + 3), 16);
        i += 2;
      } else bytes[n++] = c;
    }
    return utf8Replace.decode(bytes.subarray(0, n));
  });
}

/** The reference's WikiDiverse entity text (Python slicing counts code points). */
export function wikidiverseEntityText(name: string, brief: string | undefined): string {
  if (brief === undefined) return name === NIL_ENTITY ? '' : name;
  return [...(name + ': ' + brief)].slice(0, WIKIDIVERSE_TEXT_CHARS).join('');
}

/** JS (UTF-16) offset of code point offset `cp` in `s`. */
export function codePointToUtf16(s: string, cp: number): number {
  let u = 0;
  let n = 0;
  for (const ch of s) {
    if (n >= cp) break;
    u += ch.length;
    n++;
  }
  return u;
}

/** Read `wikipedia_entity2imgs.tsv`: name → image URLs. */
export function readEntity2Images(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!fs.existsSync(file)) return out;
  const lines = fs.readFileSync(file, 'utf8').split('\n').slice(1);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const parts = line.split('@@@@');
    if (parts.length < 2) throw new RawFormatError(file, `line ${i + 2}`, 'expected "name@@@@url[AND]url..."');
    out.set(parts[0], parts[1].split('[AND]'));
  });
  return out;
}

/** Extra per-slot data WikiDiverse carries: the entity text and image of every candidate slot. */
export interface WikidiverseSlots {
  names: string[];
  texts: string[];
  images: ImageSpec[];
}

/** Read a WikiDiverse raw directory. Mentions carry `slots` (K + 1 per mention, gold last). */
export function readWikidiverse(input: string): RawDataset & { slots: Record<PrepareSplit, WikidiverseSlots[]> } {
  const counts = emptySplitCounts();
  const imageDir = path.join(input, 'images');
  const e2iFile = path.join(input, 'entities', 'wikipedia_entity2imgs.tsv');
  const entity2images = readEntity2Images(e2iFile);
  const notes: string[] = [];
  if (!fs.existsSync(e2iFile)) notes.push(`no ${e2iFile}: every entity uses the default image`);
  const entityImage = (name: string): ImageSpec => {
    const urls = entity2images.get(name);
    return urls ? { files: urls.map((u) => wikidiverseImageFile(u, imageDir)) } : null;
  };
  const entities = new Map<string, RawEntity>();
  const splits = { train: [], valid: [], test: [] } as Record<PrepareSplit, RawMention[]>;
  const slots = { train: [], valid: [], test: [] } as Record<PrepareSplit, WikidiverseSlots[]>;
  for (const split of PREPARE_SPLITS) {
    const file = path.join(input, 'candidates', `${split}_w_10cands.json`);
    const briefFile = path.join(input, 'entities', `entity2brief_${split}.json`);
    const data = readJsonFile(file);
    const briefs = readJsonFile(briefFile) as Record<string, string>;
    if (!Array.isArray(data)) throw new RawFormatError(file, null, 'expected a JSON list of 11-field items');
    if (!briefs || typeof briefs !== 'object') throw new RawFormatError(briefFile, null, 'expected a JSON object name -> brief');
    const c = counts[split];
    data.forEach((item: unknown, i: number) => {
      const it = item as unknown[];
      if (!Array.isArray(it) || it.length < 11 || typeof it[0] !== 'string' || typeof it[1] !== 'string' || typeof it[2] !== 'string'
        || typeof it[6] !== 'string' || !Array.isArray(it[7]) || typeof it[9] !== 'number' || typeof it[10] !== 'number') {
        throw new RawFormatError(file, `item ${i}`, 'expected [sentence, img_url, mention, type, lctx, rctx, entity_url, [cand urls], topic, start_char, end_char]');
      }
      bumpCount(c, 'mentions');
      const sentence = it[0] as string;
      const names = (it[7] as unknown[]).map((u) => wikidiverseEntityName(String(u)));
      const gold = wikidiverseEntityName(it[6] as string);
      while (names.length < WIKIDIVERSE_CANDIDATES) names.push(NIL_ENTITY);
      const candidates = names.slice();
      names.push(gold);
      const texts = names.map((n) => {
        const b = typeof briefs[n] === 'string' ? briefs[n] : undefined;
        if (b === undefined) bumpCount(c, n === NIL_ENTITY ? 'nilSlots' : 'briefMissing');
        return wikidiverseEntityText(n, b);
      });
      const images = names.map((n) => (n === NIL_ENTITY ? null : entityImage(n)));
      names.forEach((n, j) => {
        if (!entities.has(n)) entities.set(n, { qid: n, name: n === NIL_ENTITY ? '' : n, text: texts[j], image: images[j] });
      });
      const start = codePointToUtf16(sentence, it[9] as number);
      const end = codePointToUtf16(sentence, it[10] as number);
      splits[split].push({
        id: `${split}-${i}`, sentence, mention: sentence.slice(start, end), start, end, gold, candidates,
        image: { files: [wikidiverseImageFile(it[1] as string, imageDir)] },
      });
      slots[split].push({ names, texts, images });
    });
  }
  return {
    format: 'wikidiverse', input, splits, entities: [...entities.values()], kbNames: [], counts, notes,
    padTo: WIKIDIVERSE_CANDIDATES, slots,
  };
}
