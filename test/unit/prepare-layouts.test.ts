// End-to-end prepare on tiny hand-made raw directories of the three layouts (test/fixtures/raw/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { prepareDataset, readNpy, buildWordPieceVocab, writeTokenizerDir } from '../../src/data';

const FIX = path.join(__dirname, '..', 'fixtures', 'raw');
const ROOT = path.join(__dirname, '..', '..');
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `drin-${p}-`));
const quiet = () => undefined;
/** A vocab covering the fixture texts (stand-in for bert-base-cased). */
function vocabDir(): string {
  const d = tmp('vocab');
  writeTokenizerDir(d, buildWordPieceVocab(['José Müller in Lyon, 1931 The painter Zoë Kim and again Smith, the painter Anna Smith (painter) paints']));
  return d;
}
const jsonl = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const nums = (f: string) => Array.from(readNpy(f).data as BigInt64Array, Number);

test('wikimel layout with a candidate tsv: skips, answers (K when absent), positions, images, qid2idx in qid2abs order', async () => {
  const out = tmp('wm');
  const r = await prepareDataset({ format: 'wikimel', input: path.join(FIX, 'wikimel'), out, vocab: vocabDir(), log: quiet });
  assert.equal(r.candidates, 3);
  assert.equal(r.candidateSource, 'given');
  assert.deepEqual(r.counts.train, { mentions: 3, mentionNotFound: 1, goldAbsent: 1, kept: 2, mentionImageSmall: 1 });
  assert.deepEqual(r.counts.valid, { mentions: 1, kept: 1, goldAbsent: 0 });
  assert.deepEqual(r.counts.test, { mentions: 2, kept: 2, goldAbsent: 0, mentionImageCorrupt: 1, mentionImageMissing: 1 });
  assert.deepEqual(r.counts.entities, { total: 6, imageMissing: 2, imageSmall: 1, imageCorrupt: 1 });
  assert.deepEqual(r.recall, { '1': 3 / 5 });
  assert.deepEqual(nums(path.join(out, 'answer_train.npy')), [0, 3]);
  assert.deepEqual(nums(path.join(out, 'start-pos_train.npy')), [0, 2]);
  assert.deepEqual(nums(path.join(out, 'end-pos_train.npy')), [2, 4]);
  assert.deepEqual(nums(path.join(out, 'answer_test.npy')), [0, 1]);
  const names = readNpy(path.join(out, 'entity-name-raw_train.npy'));
  assert.equal(names.dtype, 'U2');
  assert.deepEqual(names.data, ['Q1', 'Q2', 'Q3', 'Q1', 'Q6', 'Q2', 'Q1', 'Q5']);
  const text = readNpy(path.join(out, 'mention-text-raw_train.npy'));
  assert.deepEqual(text.data, ['José Müller in Lyon, 1931', 'The painter Zoë Kim and Zoë Kim again']);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'qid2idx.json'), 'utf8')), { Q6: 0, Q1: 1, Q2: 2, Q3: 3, Q4: 4, Q5: 5 });
  const ents = jsonl(path.join(out, 'entities.jsonl'));
  assert.equal(ents[1].text, 'José Müller. Sex: male; Birth: 1900, Lyon; Occupation: painter;');
  assert.equal(ents[5].text, 'Zoë Kim. ');
  assert.equal(ents[3].image, path.join(FIX, 'wikimel', 'entities', 'cleaned-images', 'Q3.png'));
  assert.equal(ents[4].image, null);
  const m = jsonl(path.join(out, 'mentions_train.jsonl'));
  assert.deepEqual(m[1], {
    id: '3-0', sentence: 'The painter Zoë Kim and Zoë Kim again', mention: 'Zoë Kim', startChar: 12, startToken: 2, endToken: 4,
    answer: 3, candidates: ['Q6', 'Q2', 'Q1'], goldQid: 'Q5', image: null,
  });
  assert.equal(jsonl(path.join(out, 'mentions_valid.jsonl'))[0].image, path.join(FIX, 'wikimel', 'mentions', 'KVQAimgs', '4'));
  const rep = JSON.parse(fs.readFileSync(path.join(out, 'prepare.json'), 'utf8'));
  assert.equal(rep.candidates, 3);
  assert.ok(rep.tokenizer && typeof rep.seconds === 'number');
});

test('wikimel layout without a candidate tsv: fuzzy top-K candidates, unicode names', async () => {
  const input = tmp('wm-fuzzy');
  fs.cpSync(path.join(FIX, 'wikimel'), input, { recursive: true });
  fs.rmSync(path.join(input, 'candidates', 'top100'), { recursive: true });
  const out = tmp('wm-fuzzy-out');
  const r = await prepareDataset({ format: 'wikimel', input, out, candidates: 2, vocab: vocabDir(), log: quiet, workers: 0 });
  assert.equal(r.candidateSource, 'fuzzy');
  const m = jsonl(path.join(out, 'mentions_train.jsonl'));
  // 'José Müller' → 'jos mller': exact match Q1 first, then 'Jose Muller' (Q2)
  assert.deepEqual(m[0].candidates, ['Q1', 'Q2']);
  assert.equal(m[0].answer, 0);
  for (const s of ['train', 'valid', 'test']) {
    for (const x of jsonl(path.join(out, `mentions_${s}.jsonl`))) {
      assert.equal(x.candidates.length, 2);
      assert.equal(x.answer, x.candidates.includes(x.goldQid) ? x.candidates.indexOf(x.goldQid) : 2);
    }
  }
  assert.equal(readNpy(path.join(out, 'entity-name-raw_train.npy')).shape[0], 2 * 3);
});

test('melbench schema: one row per mention, string-or-list fields, names as answers, missing ids and unknown golds counted', async () => {
  const out = tmp('mb');
  const r = await prepareDataset({ format: 'melbench', input: path.join(FIX, 'melbench'), out, candidates: 3, vocab: vocabDir(), log: quiet, workers: 0 });
  // fuzzy top-3 with the default scorer, the authors' fuzz.partial_ratio (values from fuzzywuzzy 0.18 + python-Levenshtein
  // 0.12: Anna Smith → Q3 100, Q4 100, Q5 29; Kim → Q5 100, Q6 100, Q3 33; Zoë Kim → Q5 100, Q6 71, Q1 29): every train gold is a candidate
  assert.deepEqual(r.counts.train, { sentences: 3, missingIds: 1, mentions: 3, kept: 3, goldAbsent: 0, mentionImageMissing: 1 });
  assert.deepEqual(r.counts.valid, { sentences: 2, mentions: 2, mentionNotFound: 1, kept: 1, goldAbsent: 0, mentionImageMissing: 1 });
  assert.deepEqual(r.counts.test, { sentences: 2, missingIds: 1, mentions: 1, goldNotInKb: 1, kept: 0, goldAbsent: 0 });
  assert.deepEqual(r.counts.entities, { total: 5, imageMissing: 5 });
  assert.ok(r.notes.some((n) => n.includes('no entity images')));
  const m = jsonl(path.join(out, 'mentions_train.jsonl'));
  assert.deepEqual(m.map((x) => [x.id, x.mention, x.goldQid, x.startChar]), [['10-0', 'Anna Smith', 'Q3', 0], ['10-1', 'Kim', 'Q6', 20], ['11-0', 'Zoë Kim', 'Q5', 0]]);
  // 'Kim' ties 'Zoë Kim' and 'Bob Kim': knowledge-base order puts the gold Q6 second
  assert.deepEqual(m.map((x) => x.candidates), [['Q3', 'Q4', 'Q5'], ['Q5', 'Q6', 'Q3'], ['Q5', 'Q6', 'Q1']]);
  assert.deepEqual(nums(path.join(out, 'answer_train.npy')), [0, 1, 0]);
  assert.equal(m[0].image, path.join(FIX, 'melbench', 'images', '10.jpg'));
  assert.equal(jsonl(path.join(out, 'mentions_valid.jsonl'))[0].goldQid, 'Q4'); // answer given as a name
  const empty = readNpy(path.join(out, 'answer_test.npy'));
  assert.deepEqual(empty.shape, [0]);
});

test('wikidiverse layout: pad to 10 with __nil__ + gold, answer 10 when absent, briefs, md5/svg entity images', async () => {
  const out = tmp('wd');
  const r = await prepareDataset({ format: 'wikidiverse', input: path.join(FIX, 'wikidiverse'), out, vocab: vocabDir(), log: quiet });
  assert.equal(r.candidates, 10);
  assert.deepEqual(nums(path.join(out, 'answer_train.npy')), [1, 10]);
  assert.deepEqual(nums(path.join(out, 'answer_test.npy')), [1]);
  assert.equal(r.counts.train.goldAbsent, 1);
  assert.equal(r.counts.train.mentionImageMissing, 1);
  assert.equal(r.counts.valid.mentionImageSmall, 1);
  assert.equal(r.counts.test.mentionImageCorrupt, 1);
  const names = readNpy(path.join(out, 'entity-name-raw_train.npy')).data as string[];
  assert.equal(names.length, 22);
  assert.deepEqual(names.slice(0, 3), ['Bob_Kim', 'Zoë_Kim', '__nil__']);
  assert.equal(names[10], 'Zoë_Kim');
  assert.equal(names[21], 'Robert_Kim');
  const texts = readNpy(path.join(out, 'entity-attr-raw_train.npy')).data as string[];
  assert.deepEqual([texts[0], texts[1], texts[2], texts[21]], ['Bob_Kim: ', 'Zoë_Kim: a painter from Seoul', '', 'Robert_Kim']);
  assert.equal([...(readNpy(path.join(out, 'entity-attr-raw_valid.npy')).data as string[])[0]].length, 512);
  const imgs = readNpy(path.join(out, 'entity-image-path_train.npy')).data as string[];
  assert.equal(path.basename(imgs[1]), '6fe24cb06a958bea268e6df1c781662b.png'); // Logo.svg read as .png
  assert.equal(path.basename(imgs[0]), '54d4f53e05d3dd29a5c6c6f0270260fa.jpeg'); // Small.jpg (10x10) skipped for Ok.jpeg
  assert.equal(imgs[2], '');
  const mimg = readNpy(path.join(out, 'mention-image-path_train.npy')).data as string[];
  assert.equal(path.basename(mimg[0]), 'd56d008b34648c05505c5b4169c6ba0d.jpg');
  assert.equal(mimg[1], '');
  // 'Then ' → 'The' + '##n' with the small test vocabulary
  assert.deepEqual(nums(path.join(out, 'start-pos_train.npy')), [0, 2]);
  assert.deepEqual(nums(path.join(out, 'end-pos_train.npy')), [2, 4]);
});

test('malformed input: error names the file and the record; the CLI exits non-zero with that message', async () => {
  const input = tmp('bad');
  fs.cpSync(path.join(FIX, 'wikimel'), input, { recursive: true });
  const f = path.join(input, 'mentions', 'WIKIMEL_valid.json');
  fs.writeFileSync(f, JSON.stringify({ '4-0': { sentence: 'x', mentions: ['x'], answer: 'Q1' } }));
  await assert.rejects(prepareDataset({ format: 'wikimel', input, out: tmp('bad-out'), vocab: vocabDir(), log: quiet }),
    (e: Error) => e.message.includes('WIKIMEL_valid.json') && e.message.includes('record 4-0') && e.message.includes('"mentions": string'));
  fs.writeFileSync(f, '{ not json');
  const res = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'drin.js'), 'prepare', '--format', 'wikimel', '--input', input, '--out', tmp('bad-cli')], { encoding: 'utf8' });
  assert.notEqual(res.status, 0);
  assert.match(res.stderr, /WIKIMEL_valid\.json: not valid JSON/);
  const res2 = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'drin.js'), 'prepare', '--format', 'nope', '--input', input], { encoding: 'utf8' });
  assert.notEqual(res2.status, 0);
  assert.match(res2.stderr, /--format must be one of wikidiverse, wikimel, melbench/);
});
