/**
 * Helpers for the encode tests: a tiny prepared directory (CONTRACTS §2, WikiMEL-like) built from
 * the tiny-model fixture images, and small-dimension stand-ins.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeNpy } from '../../src/data/npy';

export const TINY = path.resolve(__dirname, '..', 'fixtures', 'tiny-models');
export const TINY_IMAGES = path.join(TINY, 'images');

const made: string[] = [];
process.on('exit', () => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }); });

/** A fresh temporary directory, removed when the test process exits. */
export function tmpDir(tag: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `drin-enc-${tag}-`));
  made.push(d);
  return d;
}

const SENTENCES = [
  'Michael Jordan played for Chicago.',
  'The red car is near the river Jordan.',
  'Alpha Centauri is a star.',
  'Paris is the capital of France.',
  'The blue car and the green river.',
];
const ENTITIES = [
  { qid: 'Q1', name: 'Michael Jordan', text: 'Michael Jordan. Sex: male; Occupation: basketball player', image: 'portrait' },
  { qid: 'Q2', name: 'Jordan', text: 'Jordan. river near the city', image: 'scene.png' },
  { qid: 'Q3', name: 'Alpha Centauri', text: 'Alpha Centauri. star', image: 'noise' },
  { qid: 'Q4', name: 'Paris', text: 'Paris. capital of France', image: 'tiny' }, // too small -> default
  { qid: 'Q5', name: 'Chicago', text: 'Chicago. city', image: null },
];

/**
 * Write a tiny WikiMEL-like prepared directory: `perSplit` mentions per split, 2 candidates + gold
 * (R = 3), 5 entities, images from the fixtures (missing / small / corrupt ones included).
 */
export function makeTinyPrepared(dir: string, perSplit = 3): string {
  fs.mkdirSync(dir, { recursive: true });
  const mentionImages = ['scene', 'portrait.jpg', 'corrupt', 'noise.png', null, 'missing-file'];
  let row = 0;
  for (const split of ['train', 'valid', 'test']) {
    const ms = Array.from({ length: perSplit }, () => {
      const k = row++;
      const gold = ENTITIES[k % ENTITIES.length].qid;
      const cands = k % 2 === 0 ? [gold, ENTITIES[(k + 2) % 5].qid] : [ENTITIES[(k + 1) % 5].qid, ENTITIES[(k + 2) % 5].qid]; // gold at 0, or absent
      const img = mentionImages[k % mentionImages.length];
      return {
        id: `${k}-0`, sentence: SENTENCES[k % SENTENCES.length], mention: 'Jordan', startChar: 0, startToken: 0, endToken: 1,
        answer: k % 2 === 0 ? 0 : 2, candidates: cands, goldQid: gold, image: img === null ? null : path.join(TINY_IMAGES, img),
      };
    });
    fs.writeFileSync(path.join(dir, `mentions_${split}.jsonl`), ms.map((m) => JSON.stringify(m)).join('\n') + '\n');
    const i8 = (xs: number[]) => ({ data: BigInt64Array.from(xs.map(BigInt)), shape: [xs.length], dtype: 'i8' as const });
    writeNpy(path.join(dir, `answer_${split}.npy`), i8(ms.map((m) => m.answer)));
    writeNpy(path.join(dir, `start-pos_${split}.npy`), i8(ms.map((m) => m.startToken)));
    writeNpy(path.join(dir, `end-pos_${split}.npy`), i8(ms.map((m) => m.endToken)));
    writeNpy(path.join(dir, `mention-text-raw_${split}.npy`), { data: ms.map((m) => m.sentence), shape: [ms.length] });
    const names = ms.flatMap((m) => [...m.candidates, m.goldQid]);
    writeNpy(path.join(dir, `entity-name-raw_${split}.npy`), { data: names, shape: [names.length] });
  }
  fs.writeFileSync(path.join(dir, 'qid2idx.json'), JSON.stringify(Object.fromEntries(ENTITIES.map((e, i) => [e.qid, i]))));
  fs.writeFileSync(path.join(dir, 'entities.jsonl'), ENTITIES.map((e) => JSON.stringify({ ...e, image: e.image === null ? null : path.join(TINY_IMAGES, e.image) })).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'prepare.json'), JSON.stringify({ format: 'wikimel', candidates: 2, tokenizer: path.join(TINY, 'tiny-bert') }));
  return dir;
}

/** All files under `dir` (relative paths), sorted, excluding encode.json. */
export function layoutFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const f of fs.readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (fs.statSync(p).isDirectory()) walk(p, path.join(rel, f));
      else if (f !== 'encode.json') out.push(path.join(rel, f));
    }
  };
  walk(dir, '');
  return out;
}

/** The same mentions in the WikiDiverse-like prepared form: per-slot texts and image paths (R = 3). */
export function makeTinyPreparedWikidiverse(dir: string, perSplit = 2): string {
  makeTinyPrepared(dir, perSplit);
  const byQid = new Map(ENTITIES.map((e) => [e.qid, e]));
  for (const split of ['train', 'valid', 'test']) {
    const ms = fs.readFileSync(path.join(dir, `mentions_${split}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const slots = ms.flatMap((m: { candidates: string[]; goldQid: string }) => [...m.candidates, m.goldQid]);
    const str = (xs: string[]) => ({ data: xs, shape: [xs.length] });
    writeNpy(path.join(dir, `entity-attr-raw_${split}.npy`), str(slots.map((q: string) => byQid.get(q)!.text)));
    writeNpy(path.join(dir, `entity-image-path_${split}.npy`), str(slots.map((q: string) => { const i = byQid.get(q)!.image; return i ? path.join(TINY_IMAGES, i) : ''; })));
    writeNpy(path.join(dir, `mention-image-path_${split}.npy`), str(ms.map((m: { image: string | null }) => m.image ?? '')));
    fs.rmSync(path.join(dir, `entity-name-raw_${split}.npy`));
  }
  fs.rmSync(path.join(dir, 'qid2idx.json'));
  fs.writeFileSync(path.join(dir, 'prepare.json'), JSON.stringify({ format: 'wikidiverse', candidates: 2, tokenizer: path.join(TINY, 'tiny-bert') }));
  return dir;
}
