/**
 * The embedded SYNTHETIC sample dataset: a deterministic generator of a small multimodal entity
 * linking dataset in the WikiMEL raw layout, so the whole pipeline runs without real data.
 *
 *   mentions/WIKIMEL_{train,valid,test}.json   {"<sid>-0": {sentence, mentions, entities, answer, imgPath}}
 *   mentions/KVQAimgs/<sid>.jpg                 mention images (64x64 JPEG)
 *   candidates/qid2ne.json                      knowledge base: QID -> name (names collide on purpose)
 *   entities/qid2abs.json                       QID -> "Sex: ... Birth: ... Occupation: ..." attribute text
 *   entities/cleaned-images/<QID>.jpg           entity images
 *   tokenizer/                                  a small cased WordPiece vocabulary covering every text
 *
 * Design, so both modalities carry signal about the gold entity:
 * - names collide: ~300 people share ~30 surnames (Zipf-like), some share full names (then they
 *   get a Wikidata-style qualifier "Anna Smith (painter)"); most mentions are surname-only or
 *   initial + surname, so the name alone is ambiguous;
 * - text: the sentence usually names an attribute of the gold entity (occupation, city, year)
 *   that appears in its attribute text;
 * - image: every entity has a visual signature (background colour x shape); the mention image
 *   shows the gold entity's signature (with jitter and noise) most of the time.
 * - defects exercise the reference's rules: missing, corrupt and 10x10 images (→ default image)
 *   and mentions that do not occur in their sentence (→ skipped).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import seedrandom from 'seedrandom';
import { buildWordPieceVocab, writeTokenizerDir } from './tokenize';

/** Options of {@link generateSample}. */
export interface SampleOptions {
  seed?: string;
  entities?: number;
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
  mentions: Record<'train' | 'valid' | 'test', number>;
  mentionsNotInSentence: number;
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
/** Visual signature colours (RGB) and shapes. */
const COLOURS: Array<[number, number, number]> = [[200, 40, 40], [40, 160, 60], [40, 70, 200], [230, 200, 40],
  [150, 60, 180], [240, 130, 30], [30, 180, 190], [120, 120, 120]];
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
  qid: string; name: string; first: string; surname: string; sex: string; birth: number; birthCity: string;
  death: number | null; deathCity: string; occ: string[]; lang: string; colour: number; shape: number;
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

/** Draw a signature image: background colour + shape in a contrasting tone, with jitter and noise. */
function drawSignature(rng: Rng, size: number, colour: number, shape: number, jitter: number): Buffer {
  const [r0, g0, b0] = COLOURS[colour];
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
  const rng = seedrandom(opts.seed ?? 'drin-sample-v1');
  const nEnt = opts.entities ?? 300;
  const size = opts.imageSize ?? 64;
  const splits = { train: opts.train ?? 240, valid: opts.valid ?? 60, test: opts.test ?? 60 };
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const d of ['mentions/KVQAimgs', 'candidates', 'entities/cleaned-images']) fs.mkdirSync(path.join(outDir, d), { recursive: true });

  // Knowledge base: Zipf-like surname frequencies so a few surnames are very ambiguous.
  const surnameWeights = SURNAMES.map((_, i) => 1 / Math.pow(i + 1, 0.6));
  const wsum = surnameWeights.reduce((a, b) => a + b, 0);
  const pickSurname = () => {
    let u = rng() * wsum;
    for (let i = 0; i < SURNAMES.length; i++) if ((u -= surnameWeights[i]) <= 0) return SURNAMES[i];
    return SURNAMES[SURNAMES.length - 1];
  };
  const entities: Entity[] = [];
  const taken = new Set<string>();
  const qids = new Set<string>();
  for (let i = 0; i < nEnt; i++) {
    const first = pick(rng, FIRST);
    const surname = pickSurname();
    const occ = [pick(rng, OCCUPATIONS)];
    if (rng() < 0.3) {
      const o2 = pick(rng, OCCUPATIONS);
      if (o2 !== occ[0]) occ.push(o2);
    }
    let name = `${first} ${surname}`;
    if (taken.has(name)) name = `${name} (${occ[0]})`;
    if (taken.has(name)) name = `${first} ${surname} (${occ[0]}, ${i})`;
    taken.add(name);
    let qid: string;
    do qid = `Q${1000 + Math.floor(rng() * 9_000_000)}`; while (qids.has(qid));
    qids.add(qid);
    const birth = 1850 + Math.floor(rng() * 140);
    const dies = birth < 1950 && rng() < 0.7;
    entities.push({
      qid, name, first, surname, sex: rng() < 0.5 ? 'female' : 'male', birth, birthCity: pick(rng, CITIES),
      death: dies ? birth + 40 + Math.floor(rng() * 50) : null, deathCity: pick(rng, CITIES), occ,
      lang: pick(rng, LANGUAGES), colour: Math.floor(rng() * COLOURS.length), shape: Math.floor(rng() * SHAPES.length),
    });
  }
  const qid2ne: Record<string, string> = {};
  const qid2abs: Record<string, string> = {};
  for (const e of entities) {
    qid2ne[e.qid] = e.name;
    const parts = [`Sex: ${e.sex}`, `Birth: ${e.birth}, ${e.birthCity}`];
    if (e.death !== null) parts.push(`Death: ${e.death}, ${e.deathCity}`);
    parts.push(`Occupation: ${e.occ.join(', ')}`, `Languages: ${e.lang}`);
    qid2abs[e.qid] = parts.join('. ') + '.';
  }
  fs.writeFileSync(path.join(outDir, 'candidates', 'qid2ne.json'), JSON.stringify(qid2ne, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'entities', 'qid2abs.json'), JSON.stringify(qid2abs, null, 2) + '\n');

  // Entity images, with defects: ~4% missing, ~2% 10x10, 2 corrupt files.
  const entImg = { written: 0, missing: 0, tiny: 0, corrupt: 0 };
  for (let i = 0; i < entities.length; i++) {
    const e = entities[i];
    const file = path.join(outDir, 'entities', 'cleaned-images', `${e.qid}.jpg`);
    const u = rng();
    if (u < 0.04) { entImg.missing++; continue; }
    if (u < 0.06) {
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

  // Mentions.
  const menImg = { written: 0, missing: 0, tiny: 0, corrupt: 0 };
  const texts: string[] = [...Object.values(qid2ne), ...Object.values(qid2abs)];
  const counts = { train: 0, valid: 0, test: 0 };
  let notInSentence = 0;
  let sid = 10000;
  for (const split of ['train', 'valid', 'test'] as const) {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < splits[split]; i++) {
      sid += 1 + Math.floor(rng() * 3);
      const e = pick(rng, entities);
      const u = rng();
      const mention = u < 0.45 ? e.surname : u < 0.8 ? `${e.first} ${e.surname}` : u < 0.93 ? `${e.first[0]}. ${e.surname}` : e.first;
      const clues: Clues = {
        occ: e.occ[Math.floor(rng() * e.occ.length)],
        city: rng() < 0.7 ? e.birthCity : pick(rng, CITIES),
        year: String(rng() < 0.5 ? e.birth + 20 + Math.floor(rng() * 20) : e.birth),
      };
      // ~12% of sentences carry no attribute clue: the name (and the image) must decide.
      let sentence = rng() < 0.12 ? `${mention} in ${1900 + Math.floor(rng() * 100)}` : pick(rng, TEMPLATES)(mention, clues);
      // A few mentions that do not occur in their sentence (skipped by prepare, as the reference does).
      if (i % 50 === 7) {
        sentence = sentence.split(mention).join(mention.toUpperCase());
        notInSentence++;
      }
      texts.push(sentence);
      const key = `${sid}-0`;
      out[key] = { sentence, mentions: mention, entities: e.name, answer: e.qid, imgPath: `${sid}.jpg` };
      counts[split]++;
      const file = path.join(outDir, 'mentions', 'KVQAimgs', `${sid}.jpg`);
      const v = rng();
      if (v < 0.03) { menImg.missing++; continue; }
      if (v < 0.04) {
        menImg.tiny++;
        await writeJpeg(file, drawSignature(rng, 10, e.colour, e.shape, 0), 10, 10);
        continue;
      }
      if (menImg.corrupt < 1 && i === 11) {
        menImg.corrupt++;
        fs.writeFileSync(file, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3])); // truncated JPEG
        continue;
      }
      // 85%: the gold entity's signature; otherwise a random one (noise).
      const matches = rng() < 0.85;
      const colour = matches ? e.colour : Math.floor(rng() * COLOURS.length);
      const shape = matches ? e.shape : Math.floor(rng() * SHAPES.length);
      await writeJpeg(file, drawSignature(rng, size, colour, shape, 10), size, size);
      menImg.written++;
    }
    fs.writeFileSync(path.join(outDir, 'mentions', `WIKIMEL_${split}.json`), JSON.stringify(out, null, 1) + '\n');
  }

  const vocab = buildWordPieceVocab(texts);
  writeTokenizerDir(path.join(outDir, 'tokenizer'), vocab);
  fs.writeFileSync(path.join(outDir, 'README.md'), sampleReadme(nEnt, counts));
  return {
    dir: outDir, entities: nEnt, mentions: counts, mentionsNotInSentence: notInSentence,
    entityImages: entImg, mentionImages: menImg, vocabSize: vocab.length, bytes: dirBytes(outDir),
  };
}

function sampleReadme(nEnt: number, counts: Record<string, number>): string {
  return `# SYNTHETIC sample dataset (not real data)

Everything in this folder is **synthetic**, generated by \`src/data/sample.ts\`
(\`npx drin make-sample\`, seed \`drin-sample-v1\`). The people, their attributes and the images are
made up. It exists so that the notebooks and \`npm run pipeline\` run end to end without any download.

Layout (the WikiMEL raw layout read by \`drin prepare --format wikimel\`):

| path | content |
|---|---|
| \`mentions/WIKIMEL_{train,valid,test}.json\` | ${counts.train} / ${counts.valid} / ${counts.test} mentions: \`{"<sid>-0": {sentence, mentions, entities, answer, imgPath}}\` |
| \`mentions/KVQAimgs/<sid>.jpg\` | mention images (64x64 JPEG) |
| \`candidates/qid2ne.json\` | ${nEnt} entities, QID -> name (names collide: shared surnames, shared full names) |
| \`entities/qid2abs.json\` | QID -> attribute text ("Sex: ... Birth: ... Occupation: ...") |
| \`entities/cleaned-images/<QID>.jpg\` | entity images |
| \`tokenizer/\` | a small cased BERT WordPiece vocabulary covering every text here (stand-in for bert-base-cased) |

There is no candidate list: \`drin prepare\` generates the top-10 candidates by fuzzy name matching.

How the signal is planted: the sentence usually names an attribute of the gold entity (occupation,
city, year) that also appears in its attribute text; the mention image usually shows the gold
entity's visual signature (a background colour and a shape). Deliberate defects: a few missing,
corrupt and 10x10 images (the reference replaces them with a default image) and a few mentions that
do not occur in their sentence (the reference skips them).
`;
}
