/**
 * The embedded SYNTHETIC sample dataset: a deterministic generator of a small multimodal entity
 * linking dataset in the WikiMEL raw layout, so the whole pipeline runs without real data.
 *
 *   mentions/WIKIMEL_{train,valid,test}.json   {"<sid>-0": {sentence, mentions, entities, answer, imgPath}}
 *   mentions/KVQAimgs/<sid>.jpg                 mention images (64x64 JPEG)
 *   candidates/qid2ne.json                      knowledge base: QID -> name (names repeat on purpose)
 *   candidates/top100/candidates-answer.tsv     the candidate list of every mention (10 QIDs)
 *   entities/qid2abs.json                       QID -> "Sex: ... Occupation: ... Emblem: red circle." text
 *   entities/cleaned-images/<QID>.jpg           entity images (the entity's emblem)
 *   tokenizer/                                  a small cased WordPiece vocabulary covering every text
 *
 * Design: ONLY TEXT AND IMAGE TOGETHER identify the gold entity.
 * - The knowledge base is made of clusters of 3 × 3 entities: 3 NAME GROUPS (one name, e.g.
 *   "Anna Berg", shared by 3 entities whose descriptions are identical except for their emblem)
 *   × 3 EMBLEMS (a background colour and a shape, each shared by one entity of every name group).
 * - A mention's candidate list is its gold's cluster (9 entities) plus one entity of another
 *   cluster, shuffled; in ~3 % of the lists the gold is replaced by a second outsider (gold absent).
 * - The sentence names the gold (full name, initial + surname, or surname) and usually one of its
 *   name group's attributes; it never names the emblem. So text alone finds the name group but
 *   not which of its 3 entities: a text-only ranker is capped near 1/3.
 * - The mention image shows the gold's emblem (with jitter and noise; a random emblem in 8 %).
 *   Every emblem of a cluster belongs to 3 entities with different names: an image-only ranker is
 *   capped near 1/3 as well. The entity text names the emblem ("Emblem: red circle"), which is how
 *   a text–image model (CLIP) relates a mention image to an entity text.
 * - defects exercise the reference's rules: missing, corrupt and 10x10 images (→ default image)
 *   and mentions that do not occur in their sentence (→ skipped).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import seedrandom from 'seedrandom';
import { buildWordPieceVocab, writeTokenizerDir } from './tokenize';
import { COLOUR_TERMS } from '../encode/standins';

/** The default seed of {@link generateSample}. */
export const SAMPLE_SEED = 'drin-sample-v2';
/** Name groups per cluster (entities sharing a name and a description up to the emblem). */
export const NAMES_PER_CLUSTER = 3;
/** Emblems per cluster (each shared by one entity of every name group). */
export const EMBLEMS_PER_CLUSTER = 3;

/** Options of {@link generateSample}. */
export interface SampleOptions {
  seed?: string;
  /** Clusters of NAMES_PER_CLUSTER × EMBLEMS_PER_CLUSTER entities (default 60). */
  clusters?: number;
  train?: number;
  valid?: number;
  test?: number;
  /** Side of the square images in pixels. */
  imageSize?: number;
}

/** What {@link generateSample} wrote. */
export interface SampleSummary {
  dir: string;
  entities: number;
  clusters: number;
  mentions: Record<'train' | 'valid' | 'test', number>;
  mentionsNotInSentence: number;
  /** Candidate lists without the gold entity. */
  goldAbsent: number;
  entityImages: { written: number; missing: number; tiny: number; corrupt: number };
  mentionImages: { written: number; missing: number; tiny: number; corrupt: number };
  vocabSize: number;
  bytes: number;
}

const FIRST = ['Anna', 'Ben', 'Carla', 'David', 'Elena', 'Felix', 'Grace', 'Hugo', 'Iris', 'Jonas', 'Karin', 'Leo',
  'Maria', 'Nina', 'Oscar', 'Paula', 'Quentin', 'Rosa', 'Simon', 'Tara', 'Ulrich', 'Vera', 'Walter', 'Xenia', 'Yusuf',
  'Zoë', 'José', 'Søren', 'Chloé', 'Łukasz', 'Mei', 'Omar'];
const SURNAMES = ['Smith', 'Jordan', 'Müller', 'Garcia', 'Brown', 'Novak', 'Rossi', 'Kim', 'Dubois', 'Silva', 'Berg',
  'Costa', 'Walsh', 'Fischer', 'Moreau', 'Young', 'Hall', 'Price', 'Reyes', 'Olsen', 'Lindqvist', 'Nakamura', 'Ortiz',
  'Quinn', 'Varga', 'Weber', 'Żak', 'Byrne', 'Carter', 'Dahl'];
const CITIES = ['Lyon', 'Oslo', 'Boston', 'Kyoto', 'Porto', 'Dublin', 'Krakow', 'Seville', 'Munich', 'Denver', 'Lagos',
  'Quito', 'Perth', 'Tampere', 'Genoa', 'Leeds', 'Austin', 'Busan', 'Cusco', 'Graz', 'Nantes', 'Utrecht', 'Malmö', 'Zürich'];
const OCCUPATIONS = ['painter', 'chemist', 'footballer', 'pianist', 'architect', 'novelist', 'sprinter', 'senator',
  'astronomer', 'cellist', 'sculptor', 'boxer', 'surgeon', 'journalist', 'actor', 'diplomat', 'cyclist', 'poet',
  'engineer', 'photographer', 'linguist', 'swimmer', 'economist', 'botanist'];
const LANGUAGES = ['English', 'French', 'German', 'Spanish', 'Japanese', 'Polish', 'Swedish', 'Portuguese'];
/** Emblem shapes (the colours are the stand-in CLIP's colour terms, COLOUR_TERMS). */
const SHAPES = ['circle', 'square', 'triangle', 'cross', 'stripes'] as const;

const TEMPLATES: Array<(m: string, c: Clues) => string> = [
  (m, c) => `${m}, the ${c.occ} from ${c.city}, at an exhibition in ${c.year}`,
  (m, c) => `The ${c.occ} ${m} photographed in ${c.city}`,
  (m, c) => `${m} with fellow ${c.occ}s in ${c.year}`,
  (m, c) => `${m} during a visit to ${c.city}, ${c.year}`,
  (m, c) => `Portrait of ${m} (${c.occ}) taken in ${c.city}`,
  (m, c) => `${m} receives an award for ${c.occ}s in ${c.city}`,
  (m, c) => `A young ${m} before moving to ${c.city}`,
  (m, c) => `${m} at a press conference in ${c.year}`,
];
interface Clues { occ: string; city: string; year: string }

interface Entity {
  qid: string; name: string; first: string; surname: string; group: string; sex: string; birth: number; birthCity: string;
  occ: string; lang: string; colour: number; shape: number;
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
/** A Fisher–Yates shuffled copy. */
function shuffled<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Draw a signature image: background colour + shape in a contrasting tone, with jitter and noise. */
function drawSignature(rng: Rng, size: number, colour: number, shape: number, jitter: number): Buffer {
  const [r0, g0, b0] = COLOUR_TERMS[colour].rgb;
  const dark = r0 * 0.3 + g0 * 0.59 + b0 * 0.11 > 110;
  const fg: [number, number, number] = dark ? [25, 25, 30] : [245, 245, 240];
  const cx = size / 2 + (rng() * 2 - 1) * jitter;
  const cy = size / 2 + (rng() * 2 - 1) * jitter;
  const rad = size * (0.25 + rng() * 0.1);
  const px = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - cx;
      const dy = y - cy;
      let inside = false;
      switch (SHAPES[shape]) {
        case 'circle': inside = dx * dx + dy * dy < rad * rad; break;
        case 'square': inside = Math.abs(dx) < rad * 0.85 && Math.abs(dy) < rad * 0.85; break;
        case 'triangle': inside = dy > -rad && dy < rad && Math.abs(dx) < (dy + rad) / 2; break;
        case 'cross': inside = (Math.abs(dx) < rad / 3 && Math.abs(dy) < rad) || (Math.abs(dy) < rad / 3 && Math.abs(dx) < rad); break;
        case 'stripes': inside = (x + y) % 16 < 7; break;
      }
      const c = inside ? fg : [r0, g0, b0];
      const o = (y * size + x) * 3;
      for (let k = 0; k < 3; k++) px[o + k] = Math.max(0, Math.min(255, Math.round(c[k] + (rng() * 2 - 1) * 18)));
    }
  }
  return px;
}

/** Write a raw RGB buffer as JPEG. */
async function writeJpeg(file: string, px: Buffer, w: number, h: number): Promise<void> {
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 80 }).toFile(file);
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return n;
}

/**
 * Generate the SYNTHETIC sample dataset into `outDir` (deterministic for a given seed; the
 * directory is cleared first). Returns counts of what was written, defects included.
 */
export async function generateSample(outDir: string, opts: SampleOptions = {}): Promise<SampleSummary> {
  const rng = seedrandom(opts.seed ?? SAMPLE_SEED);
  const nClusters = opts.clusters ?? 60;
  const size = opts.imageSize ?? 64;
  const splits = { train: opts.train ?? 1200, valid: opts.valid ?? 200, test: opts.test ?? 240 };
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const d of ['mentions/KVQAimgs', 'candidates/top100', 'entities/cleaned-images']) fs.mkdirSync(path.join(outDir, d), { recursive: true });

  // Knowledge base: clusters of NAMES_PER_CLUSTER name groups × EMBLEMS_PER_CLUSTER emblems.
  const entities: Entity[] = [];
  const clusters: Entity[][] = [];
  const takenNames = new Set<string>();
  const qids = new Set<string>();
  const newQid = (): string => {
    let qid: string;
    do qid = `Q${1000 + Math.floor(rng() * 9_000_000)}`; while (qids.has(qid));
    qids.add(qid);
    return qid;
  };
  for (let c = 0; c < nClusters; c++) {
    const surname = SURNAMES[c % SURNAMES.length];
    const firsts: string[] = [];
    while (firsts.length < NAMES_PER_CLUSTER) {
      const f = pick(rng, FIRST);
      if (!firsts.some((x) => x[0] === f[0]) && !takenNames.has(`${f} ${surname}`)) firsts.push(f);
    }
    const colours = shuffled(rng, COLOUR_TERMS.map((_, i) => i)).slice(0, EMBLEMS_PER_CLUSTER);
    const emblems = colours.map((colour) => ({ colour, shape: Math.floor(rng() * SHAPES.length) }));
    const occs = shuffled(rng, OCCUPATIONS).slice(0, NAMES_PER_CLUSTER);
    const cluster: Entity[] = [];
    firsts.forEach((first, g) => {
      const name = `${first} ${surname}`;
      takenNames.add(name);
      const birth = 1850 + Math.floor(rng() * 140);
      const group = {
        name, first, surname, group: `${c}.${g}`, sex: rng() < 0.5 ? 'female' : 'male', birth, birthCity: pick(rng, CITIES),
        occ: occs[g], lang: pick(rng, LANGUAGES),
      };
      for (const e of emblems) {
        const ent: Entity = { ...group, qid: newQid(), colour: e.colour, shape: e.shape };
        cluster.push(ent);
        entities.push(ent);
      }
    });
    clusters.push(cluster);
  }
  const qid2ne: Record<string, string> = {};
  const qid2abs: Record<string, string> = {};
  for (const e of entities) {
    qid2ne[e.qid] = e.name;
    qid2abs[e.qid] = [`Sex: ${e.sex}`, `Birth: ${e.birth}, ${e.birthCity}`, `Occupation: ${e.occ}`, `Languages: ${e.lang}`,
      `Emblem: ${COLOUR_TERMS[e.colour].name} ${SHAPES[e.shape]}`].join('. ') + '.';
  }
  fs.writeFileSync(path.join(outDir, 'candidates', 'qid2ne.json'), JSON.stringify(qid2ne, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'entities', 'qid2abs.json'), JSON.stringify(qid2abs, null, 2) + '\n');

  // Entity images, with defects: ~2% missing, ~1% 10x10, 2 corrupt files.
  const entImg = { written: 0, missing: 0, tiny: 0, corrupt: 0 };
  for (let i = 0; i < entities.length; i++) {
    const e = entities[i];
    const file = path.join(outDir, 'entities', 'cleaned-images', `${e.qid}.jpg`);
    const u = rng();
    if (u < 0.02) { entImg.missing++; continue; }
    if (u < 0.03) {
      entImg.tiny++;
      await writeJpeg(file, drawSignature(rng, 10, e.colour, e.shape, 0), 10, 10);
      continue;
    }
    if (entImg.corrupt < 2 && i % 97 === 13) {
      entImg.corrupt++;
      fs.writeFileSync(file, Buffer.from('this is not a JPEG file (synthetic corrupt image)\n'));
      continue;
    }
    await writeJpeg(file, drawSignature(rng, size, e.colour, e.shape, 4), size, size);
    entImg.written++;
  }

  // Mentions and their candidate lists.
  const menImg = { written: 0, missing: 0, tiny: 0, corrupt: 0 };
  const texts: string[] = [...Object.values(qid2ne), ...Object.values(qid2abs)];
  const counts = { train: 0, valid: 0, test: 0 };
  const tsv: string[] = [];
  let notInSentence = 0, goldAbsent = 0;
  let sid = 10000;
  for (const split of ['train', 'valid', 'test'] as const) {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < splits[split]; i++) {
      sid += 1 + Math.floor(rng() * 3);
      const c = Math.floor(rng() * clusters.length);
      const e = pick(rng, clusters[c]);
      const u = rng();
      const mention = u < 0.7 ? `${e.first} ${e.surname}` : u < 0.85 ? `${e.first[0]}. ${e.surname}` : e.surname;
      const clues: Clues = {
        occ: e.occ,
        city: rng() < 0.8 ? e.birthCity : pick(rng, CITIES),
        year: String(rng() < 0.5 ? e.birth + 20 + Math.floor(rng() * 20) : e.birth),
      };
      // ~10% of sentences carry no attribute clue: the name (and the image) must decide.
      let sentence = rng() < 0.1 ? `${mention} in ${1900 + Math.floor(rng() * 100)}` : pick(rng, TEMPLATES)(mention, clues);
      // A few mentions that do not occur in their sentence (skipped by prepare, as the reference does).
      if (i % 50 === 7) {
        sentence = sentence.split(mention).join(mention.toUpperCase());
        notInSentence++;
      }
      texts.push(sentence);
      const key = `${sid}-0`;
      out[key] = { sentence, mentions: mention, entities: e.name, answer: e.qid, imgPath: `${sid}.jpg` };
      counts[split]++;
      // candidates: the gold's cluster + one outsider (two, without the gold, in ~3% of the lists)
      const outsider = () => pick(rng, clusters[(c + 1 + Math.floor(rng() * (clusters.length - 1))) % clusters.length]).qid;
      let list = [...clusters[c].map((x) => x.qid), outsider()];
      if (rng() < 0.03) {
        list = [...list.filter((q) => q !== e.qid), outsider()];
        goldAbsent++;
      }
      tsv.push([key, ...shuffled(rng, list)].join('\t'));

      const file = path.join(outDir, 'mentions', 'KVQAimgs', `${sid}.jpg`);
      const v = rng();
      if (v < 0.02) { menImg.missing++; continue; }
      if (v < 0.03) {
        menImg.tiny++;
        await writeJpeg(file, drawSignature(rng, 10, e.colour, e.shape, 0), 10, 10);
        continue;
      }
      if (menImg.corrupt < 1 && i === 11) {
        menImg.corrupt++;
        fs.writeFileSync(file, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3])); // truncated JPEG
        continue;
      }
      // 92%: the gold entity's emblem; otherwise a random one (noise).
      const matches = rng() < 0.92;
      const colour = matches ? e.colour : Math.floor(rng() * COLOUR_TERMS.length);
      const shape = matches ? e.shape : Math.floor(rng() * SHAPES.length);
      await writeJpeg(file, drawSignature(rng, size, colour, shape, 10), size, size);
      menImg.written++;
    }
    fs.writeFileSync(path.join(outDir, 'mentions', `WIKIMEL_${split}.json`), JSON.stringify(out, null, 1) + '\n');
  }
  fs.writeFileSync(path.join(outDir, 'candidates', 'top100', 'candidates-answer.tsv'), tsv.join('\n') + '\n');

  const vocab = buildWordPieceVocab(texts);
  writeTokenizerDir(path.join(outDir, 'tokenizer'), vocab);
  fs.writeFileSync(path.join(outDir, 'README.md'), sampleReadme(entities.length, nClusters, counts));
  return {
    dir: outDir, entities: entities.length, clusters: nClusters, mentions: counts, mentionsNotInSentence: notInSentence, goldAbsent,
    entityImages: entImg, mentionImages: menImg, vocabSize: vocab.length, bytes: dirBytes(outDir),
  };
}

function sampleReadme(nEnt: number, nClusters: number, counts: Record<string, number>): string {
  return `# SYNTHETIC sample dataset (not real data)

Everything in this folder is **synthetic**, generated by \`src/data/sample.ts\`
(\`npx drin make-sample\`, seed \`${SAMPLE_SEED}\`). The people, their attributes and the images are
made up. It exists so that the notebooks and \`npm run pipeline\` run end to end without any download.

Layout (the WikiMEL raw layout read by \`drin prepare --format wikimel\`):

| path | content |
|---|---|
| \`mentions/WIKIMEL_{train,valid,test}.json\` | ${counts.train} / ${counts.valid} / ${counts.test} mentions: \`{"<sid>-0": {sentence, mentions, entities, answer, imgPath}}\` |
| \`mentions/KVQAimgs/<sid>.jpg\` | mention images (64x64 JPEG) |
| \`candidates/qid2ne.json\` | ${nEnt} entities, QID -> name (each name is shared by ${EMBLEMS_PER_CLUSTER} entities) |
| \`candidates/top100/candidates-answer.tsv\` | the 10 candidate QIDs of every mention (the file the WikiMEL authors ship) |
| \`entities/qid2abs.json\` | QID -> attribute text ("Sex: ... Occupation: ... Emblem: red circle.") |
| \`entities/cleaned-images/<QID>.jpg\` | entity images (the entity's emblem) |
| \`tokenizer/\` | a small cased BERT WordPiece vocabulary covering every text here (stand-in for bert-base-cased) |

How the signal is planted, so that **only text and image together identify the gold**: the
${nEnt} entities form ${nClusters} clusters of ${NAMES_PER_CLUSTER} name groups × ${EMBLEMS_PER_CLUSTER} emblems. The ${EMBLEMS_PER_CLUSTER} entities of a name group
share a name and a description that differ only in the emblem; every emblem (a background colour
and a shape) is shared by one entity of each name group. A mention's candidates are its gold's
cluster plus one entity of another cluster. The sentence names the gold and usually an attribute of
its name group, never its emblem: text alone narrows the choice to ${EMBLEMS_PER_CLUSTER} entities. The mention image
shows the gold's emblem (a random one in 8 % of the mentions): the image alone narrows it to
${NAMES_PER_CLUSTER} entities with different names. Text-only and image-only rankers are therefore capped near
1/${EMBLEMS_PER_CLUSTER}; a model that combines both can be right almost always.

Deliberate defects: a few missing, corrupt and 10x10 images (the reference replaces them with a
default image), a few mentions that do not occur in their sentence (the reference skips them) and
~3 % of candidate lists without the gold entity (counted as misses).
`;
}
