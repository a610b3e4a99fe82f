// Unit tests of the reference's preprocessing rules on tiny hand-made raw files (test/fixtures/raw/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  wikidiverseImageFile, wikidiverseEntityName, wikidiverseEntityText, wikimelEntityText, findMention, checkImageFile,
  resolveImage, codePointToUtf16, buildWordPieceVocab, writeTokenizerDir, loadWordPieceTokenizer, mentionTokenSpan,
  fuzzyProcess, fuzzyTopK, fuzzyTopKBrute, buildFuzzyIndex, candidateRecall,
} from '../../src/data';

const FIX = path.join(__dirname, '..', 'fixtures', 'raw');

test('wikidiverse image file name: md5 of the URL file name + extension, .svg read as .png (values from Python hashlib/re)', () => {
  assert.equal(wikidiverseImageFile('https://x/Logo.svg', '/i'), '/i/6fe24cb06a958bea268e6df1c781662b.png');
  assert.equal(wikidiverseImageFile('https://upload.wikimedia.org/a/b/Photo_1.jpg', '/i'), '/i/d56d008b34648c05505c5b4169c6ba0d.jpg');
  assert.equal(wikidiverseImageFile('https://x/Ok.jpeg', '/i'), '/i/54d4f53e05d3dd29a5c6c6f0270260fa.jpeg');
  assert.equal(wikidiverseImageFile('https://x/a.b.JPG', '/i'), '/i/5b82a507c594f54951499c269a93328d.JPG');
  // no known extension: the reference's regex keeps the whole name as "suffix"
  assert.equal(wikidiverseImageFile('https://x/Caf%C3%A9.gif', '/i'), '/i/6487979b68b3273297f5567ab8ec75b7Caf%C3%A9.gif');
});

test('wikidiverse names and texts: unquoted URL segment, (name + ": " + brief)[:512], name alone without brief, empty for __nil__', () => {
  assert.equal(wikidiverseEntityName('https://en.wikipedia.org/wiki/Zo%C3%AB_Kim'), 'Zoë_Kim');
  assert.equal(wikidiverseEntityName('https://en.wikipedia.org/wiki/100%_Bad'), '100%_Bad');
  assert.equal(wikidiverseEntityText('Bob', ''), 'Bob: ');
  assert.equal(wikidiverseEntityText('Bob', undefined), 'Bob');
  assert.equal(wikidiverseEntityText('__nil__', undefined), '');
  const long = wikidiverseEntityText('Zoë', 'é'.repeat(600));
  assert.equal([...long].length, 512);
  assert.equal(codePointToUtf16('😀ab', 1), 2);
});

test('wikimel entity text and mention search: name + ". " + abstract with "." -> ";"; first occurrence; absent -> null', () => {
  assert.equal(wikimelEntityText('J. Doe', 'Sex: male. Birth: 1900.'), 'J. Doe. Sex: male; Birth: 1900;');
  assert.deepEqual(findMention('Zoë Kim and Zoë Kim', 'Zoë Kim'), { start: 0, end: 7 });
  assert.deepEqual(findMention('The painter Zoë Kim', 'Zoë Kim'), { start: 12, end: 19 });
  assert.equal(findMention('anna smith', 'Anna Smith'), null);
});

test('images: missing / corrupt / 10x10 / truncated -> default; 50x50 ok; base path tries "" then .jpg ... (first existing decides)', async () => {
  const M = path.join(FIX, 'wikimel');
  assert.equal(await checkImageFile(path.join(M, 'mentions/KVQAimgs/1.jpg')), 'ok');
  assert.equal(await checkImageFile(path.join(M, 'mentions/KVQAimgs/3.jpg')), 'small');
  assert.equal(await checkImageFile(path.join(M, 'mentions/KVQAimgs/5.jpg')), 'corrupt');
  assert.equal(await checkImageFile(path.join(M, 'entities/cleaned-images/Q5.jpg')), 'corrupt');
  assert.equal(await checkImageFile(path.join(M, 'entities/cleaned-images/Q3.png')), 'ok');
  assert.equal(await checkImageFile(path.join(M, 'nothing.jpg')), 'missing');
  assert.equal((await resolveImage({ base: path.join(M, 'mentions/KVQAimgs/4') })).status, 'ok');
  assert.equal((await resolveImage({ base: path.join(M, 'entities/cleaned-images/Q3') })).path, path.resolve(M, 'entities/cleaned-images/Q3.png'));
  assert.deepEqual(await resolveImage({ base: path.join(M, 'mentions/KVQAimgs/2') }), { path: null, status: 'missing' });
  assert.equal((await resolveImage(null)).path, null);
  // files: first valid wins
  const I = path.join(FIX, 'wikidiverse', 'images');
  const r = await resolveImage({ files: [wikidiverseImageFile('https://x/Small.jpg', I), wikidiverseImageFile('https://x/Ok.jpeg', I)] });
  assert.equal(r.path, path.resolve(wikidiverseImageFile('https://x/Ok.jpeg', I)));
});

test('token positions: start = tokens of sentence[:start], end = start + tokens of the mention (no CLS/SEP), clamped at 128', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-tok-'));
  writeTokenizerDir(dir, buildWordPieceVocab(['The painter Zoë Kim met Müller-Lüdenscheidt in Lyon, 1931.', 'Kim']));
  const tok = loadWordPieceTokenizer(dir);
  assert.deepEqual(tok.tokens('The painter Zoë Kim'), ['The', 'painter', 'Zoë', 'Kim']);
  assert.deepEqual(tok.tokens('Kimchi'), ['Kim', '##c', '##h', '##i']);
  const s = 'The painter Zoë Kim met Müller-Lüdenscheidt in Lyon, 1931.';
  assert.deepEqual(mentionTokenSpan(tok, s, 12, 19), { start: 2, end: 4, clamped: false });
  const m = s.indexOf('Müller-Lüdenscheidt');
  assert.deepEqual(mentionTokenSpan(tok, s, m, m + 'Müller-Lüdenscheidt'.length), { start: 5, end: 8, clamped: false });
  const long = 'Kim '.repeat(200) + 'Zoë';
  assert.deepEqual(mentionTokenSpan(tok, long, 800, 803), { start: 126, end: 127, clamped: true });
  assert.deepEqual(mentionTokenSpan(tok, long, 800, 803, { maxTokens: 512 }), { start: 200, end: 201, clamped: false });
});

test('fuzzy candidates: fuzzywuzzy WRatio semantics (force_ascii, ties in KB order), pruned top-k equals brute force', () => {
  assert.equal(fuzzyProcess('José Müller-Ünal'), 'jos mller nal');
  const names = ['Anna Smith', 'Anna Smith (painter)', 'Bob Smith', 'José Müller', 'Zoë Kim', 'Smith', '', '!!', 'Smithson'].map(fuzzyProcess);
  const r = fuzzyTopK(fuzzyProcess('Smith'), names, 4);
  // 'smith' scores 100; 'anna smith', 'anna smith painter', 'bob smith' and 'smithson' all score 90:
  // the tie keeps knowledge-base order (heapq.nlargest), so 'smithson' (index 8) is cut at k = 4
  assert.deepEqual(r.index, [5, 0, 1, 2]);
  assert.deepEqual(r.score, [100, 90, 90, 90]);
  // process.extract(limit=9) returns every choice, the empty ones last with score 0 (fuzzywuzzy 0.18 oracle)
  assert.deepEqual(fuzzyTopK('smith', names, 9), { index: [5, 0, 1, 2, 8, 3, 4, 6, 7], score: [100, 90, 90, 90, 90, 36, 18, 0, 0] });
  const ix = buildFuzzyIndex(names);
  for (const q of ['smith', 'anna', 'jos m', 'kim', 'zo kim', 'bob smith painter']) {
    assert.deepEqual(fuzzyTopK(q, ix, 3), fuzzyTopKBrute(q, names, 3), q);
  }
  assert.deepEqual(candidateRecall([['a', 'b'], ['b', 'a'], ['c', 'd']], ['a', 'a', 'a'], [1, 2, 5]), { '1': 1 / 3, '2': 2 / 3 });
});

test('candidateRecall handles full-size inputs (no argument spreading: 200,000 mentions)', () => {
  const n = 200_000;
  const cands = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? ['Q2', 'Q1'] : ['Q1', 'Q2']));
  const r = candidateRecall(cands, Array(n).fill('Q1'), [1, 2, 5]);
  assert.deepEqual(r, { '1': 0.75, '2': 1 });
});
