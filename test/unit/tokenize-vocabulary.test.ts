// Where prepare's vocabulary comes from (issue #13 §3): the real bert-base-cased before any stand-in,
// recorded (name, source, sha256) in prepare.json and encode.json; encode and validate refuse a
// prepared directory whose vocabulary differs from the BERT tokenizer's. The tiny BERT fixture plays
// bert-base-cased; every search is kept offline (no real cache, the hub only on a local server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  findVocabulary, formatPrepareReport, loadWordPieceTokenizer, prepareDataset, readVocabTxt, vocabSha256, writeTokenizerDir,
} from '../../src/data';
import { encodePrepared, readPrepared } from '../../src/encode/encode';
import { checkTextVocabulary } from '../../src/encode/vocabulary-check';
import { standinEncoders } from '../../src/encode/standins';
import { BertTextEncoder } from '../../src/encode/bert';
import { encodeVocabularyProblem } from '../../src/cli/validate';
import { TINY, makeTinyPrepared, tmpDir } from './encode-helpers';

const TINY_BERT = path.join(TINY, 'tiny-bert');
const TINY_SHA = vocabSha256(readVocabTxt(path.join(TINY_BERT, 'vocab.txt')));
const RAW = path.join(__dirname, '..', 'fixtures', 'raw', 'melbench');
const SAMPLE = path.join(__dirname, '..', '..', 'data', 'sample');
const offline = { transformersCacheDirs: [] as string[], hfCacheDirs: [] as string[], hub: false };
const quiet = () => undefined;

/** A folder of model folders with the tiny BERT as bert-base-cased/. */
function modelDir(): string {
  const d = tmpDir('models');
  fs.cpSync(TINY_BERT, path.join(d, 'bert-base-cased'), { recursive: true });
  return d;
}

test('vocabulary sha256: the same for vocab.txt and tokenizer.json forms of one vocabulary', () => {
  const d = tmpDir('tj');
  fs.copyFileSync(path.join(TINY_BERT, 'tokenizer.json'), path.join(d, 'tokenizer.json'));
  const fromJson = loadWordPieceTokenizer(d);
  const fromTxt = loadWordPieceTokenizer(path.join(TINY_BERT, 'vocab.txt'));
  assert.equal(fromJson.sha256, TINY_SHA);
  assert.equal(fromTxt.sha256, TINY_SHA);
  assert.equal(fromJson.vocabSize, 58);
  assert.notEqual(vocabSha256(['[PAD]', '[UNK]']), vocabSha256(['[UNK]', '[PAD]']));
});

test('findVocabulary: --vocab, then --model-dir/bert-base-cased, then <input>/tokenizer; nothing → null with reasons', async () => {
  const md = modelDir();
  assert.equal((await findVocabulary({ ...offline, vocab: TINY_BERT, modelDir: md })).found?.origin, 'vocab');
  assert.equal((await findVocabulary({ ...offline, input: SAMPLE, modelDir: md })).found?.origin, 'model-dir');
  assert.deepEqual((await findVocabulary({ ...offline, input: SAMPLE })).found, { source: path.join(SAMPLE, 'tokenizer'), name: 'tokenizer', origin: 'input' });
  await assert.rejects(findVocabulary({ ...offline, vocab: path.join(md, 'nope') }), /--vocab .*nope does not exist/);
  const r = await findVocabulary({ ...offline, input: RAW, modelDir: md });
  assert.deepEqual(r.found, { source: path.join(md, 'bert-base-cased'), name: 'bert-base-cased', origin: 'model-dir' });
  const none = await findVocabulary({ ...offline, input: RAW, modelDir: tmpDir('empty') });
  assert.equal(none.found, null);
  assert.equal(none.tried.length, 3);
  assert.match(none.tried.join('\n'), /bert-base-cased: no vocab\.txt or tokenizer\.json/);
  assert.match(none.tried.join('\n'), /hub: not tried/);
});

test('findVocabulary: transformers.js cache layout, then the Hugging Face cache (newest snapshot)', async () => {
  const tjs = tmpDir('tjs');
  fs.cpSync(TINY_BERT, path.join(tjs, 'Xenova', 'bert-base-cased'), { recursive: true });
  const a = await findVocabulary({ ...offline, transformersCacheDirs: [tjs] });
  assert.equal(a.found?.origin, 'transformers-cache');
  assert.equal(a.found?.source, path.join(tjs, 'Xenova', 'bert-base-cased'));
  const hf = tmpDir('hf');
  const snap = path.join(hf, 'models--bert-base-cased', 'snapshots', '5532cc56f74641d4bb33641f5c76a55d11f846e0');
  fs.mkdirSync(snap, { recursive: true });
  fs.copyFileSync(path.join(TINY_BERT, 'vocab.txt'), path.join(snap, 'vocab.txt'));
  const b = await findVocabulary({ ...offline, hfCacheDirs: [hf] });
  assert.deepEqual(b.found, { source: snap, name: 'bert-base-cased', origin: 'hf-cache' });
});

test('findVocabulary: hub download into the transformers.js cache layout; unreachable or silent hub fails fast', async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const f = path.join(TINY_BERT, path.basename(req.url ?? ''));
    if (req.url?.startsWith('/Xenova/bert-base-cased/resolve/main/') && fs.existsSync(f)) res.end(fs.readFileSync(f));
    else { res.statusCode = 404; res.end(); }
  });
  const silent = http.createServer(() => undefined); // accepts, never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const cache = tmpDir('hubcache');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const r = await findVocabulary({ transformersCacheDirs: [cache], hfCacheDirs: [], hub: true, hubUrl: url });
    assert.equal(r.found?.origin, 'hub');
    assert.deepEqual(seen, ['/Xenova/bert-base-cased/resolve/main/tokenizer.json', '/Xenova/bert-base-cased/resolve/main/tokenizer_config.json']);
    assert.equal(loadWordPieceTokenizer(r.found!.source).sha256, TINY_SHA);
    const again = await findVocabulary({ transformersCacheDirs: [cache], hfCacheDirs: [], hub: true, hubUrl: url });
    assert.equal(again.found?.origin, 'transformers-cache'); // the download is reused
    assert.equal(seen.length, 2);

    const t0 = Date.now();
    const slow = await findVocabulary({ transformersCacheDirs: [tmpDir('c2')], hfCacheDirs: [], hub: true, hubTimeoutMs: 300,
      hubUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/` });
    assert.equal(slow.found, null);
    assert.ok(Date.now() - t0 < 3000, `timed out after ${Date.now() - t0} ms`);
    assert.match(slow.tried.at(-1)!, /hub Xenova\/bert-base-cased: unreachable/);
    const closedPort = await findVocabulary({ transformersCacheDirs: [tmpDir('c3')], hfCacheDirs: [], hub: true, hubUrl: 'http://127.0.0.1:1/' });
    assert.equal(closedPort.found, null);
  } finally {
    server.close();
    silent.closeAllConnections();
    silent.close();
  }
});

test('prepare: bert-base-cased from --model-dir by default, recorded in prepare.json; the stand-in only when none is found', async () => {
  const out = tmpDir('prep-real');
  const r = await prepareDataset({ format: 'melbench', input: RAW, out, candidates: 3, modelDir: modelDir(), vocabSearch: offline, log: quiet, workers: 0 });
  assert.equal(r.tokenizerStandIn, false);
  assert.equal(r.vocabulary.name, 'bert-base-cased');
  assert.equal(r.vocabulary.origin, 'model-dir');
  assert.equal(r.vocabulary.sha256, TINY_SHA);
  assert.equal(r.vocabulary.size, 58);
  assert.match(r.vocabulary.rules, /by Unicode code point/);
  const onDisk = JSON.parse(fs.readFileSync(path.join(out, 'prepare.json'), 'utf8'));
  assert.equal(onDisk.vocabulary.sha256, TINY_SHA);
  assert.ok(!fs.existsSync(path.join(out, 'tokenizer')), 'no stand-in written');

  const out2 = tmpDir('prep-standin');
  const lines: string[] = [];
  const s = await prepareDataset({ format: 'melbench', input: RAW, out: out2, candidates: 3, vocabSearch: offline, log: (l) => lines.push(l), workers: 0 });
  assert.equal(s.tokenizerStandIn, true);
  assert.equal(s.vocabulary.standIn, true);
  assert.equal(s.vocabulary.origin, 'stand-in');
  assert.equal(s.vocabulary.sha256, loadWordPieceTokenizer(path.join(out2, 'tokenizer')).sha256);
  assert.match(lines.join('\n'), /STAND-IN WordPiece vocabulary/);
  assert.match(formatPrepareReport(s).join('\n'), /STAND-IN vocabulary built from the data, not bert-base-cased \(searched: .*hub: not tried/);
});

test('encode: records both vocabularies in encode.json, refuses positions made with another vocabulary; validate flags a mismatched record', async () => {
  const bert = await BertTextEncoder.load(TINY_BERT);
  assert.equal(bert.vocabulary.sha256, TINY_SHA);
  // BERT's token ids follow the same code-point rules as prepare's positions: the ideograph outside
  // the BMP is a word of its own ([UNK]) between 'x' and 'red', as Python's slow tokenizer makes it
  const ids = (t: string) => bert.tokenIds(t);
  assert.deepEqual(ids('x\u{20BB7}red car'), [2, 55, 1, 17, 20, 3]);
  assert.deepEqual(ids('Jordan' + ' a'.repeat(600)).length, 512); // [CLS] + first 510 + [SEP]
  const st = standinEncoders({ tokenizer: TINY_BERT, textDim: 16, imageDim: 32 });
  const encoders = { ...st, text: bert };
  const quietEnc = { progress: false, log: () => undefined };

  // same vocabulary (prepare.json names the tiny BERT's tokenizer folder): encoded and recorded
  const prep = makeTinyPrepared(tmpDir('prep'), 1);
  const out = tmpDir('out');
  await encodePrepared({ prepared: prep, out, encoders, ...quietEnc });
  const rec = JSON.parse(fs.readFileSync(path.join(out, 'encode.json'), 'utf8')).vocabulary;
  assert.equal(rec.check, 'same sha256');
  assert.match(rec.rules, /slow BertTokenizer .* by Unicode code point/);
  assert.equal(rec.prepared.sha256, TINY_SHA);
  assert.equal(rec.bert.sha256, TINY_SHA);
  assert.equal(encodeVocabularyProblem(out), null);

  // positions from a stand-in vocabulary: refused, naming both
  const other = makeTinyPrepared(tmpDir('prep-other'), 1);
  const vdir = path.join(other, 'tokenizer');
  writeTokenizerDir(vdir, ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'Jordan']);
  const otherSha = loadWordPieceTokenizer(vdir).sha256;
  const pj = path.join(other, 'prepare.json');
  fs.writeFileSync(pj, JSON.stringify({ ...JSON.parse(fs.readFileSync(pj, 'utf8')), tokenizer: vdir, tokenizerStandIn: true }));
  await assert.rejects(encodePrepared({ prepared: other, out: tmpDir('out2'), encoders, ...quietEnc }),
    (e: Error) => e.message.includes(otherSha) && e.message.includes(TINY_SHA) && /STAND-IN/.test(e.message) && e.message.includes('prepare.json'));
  // the stand-in text encoder tokenizes with the prepared vocabulary: nothing to refuse
  assert.equal(checkTextVocabulary(readPrepared(other), standinEncoders({ tokenizer: vdir }).text).check, 'stand-in text encoder: tokenizes with the prepared vocabulary');

  // validate: an encode.json whose two records differ is a problem naming both
  const ej = path.join(out, 'encode.json');
  const m = JSON.parse(fs.readFileSync(ej, 'utf8'));
  m.vocabulary.prepared.sha256 = otherSha;
  fs.writeFileSync(ej, JSON.stringify(m));
  const problem = encodeVocabularyProblem(out);
  assert.ok(problem && problem.includes(otherSha) && problem.includes(TINY_SHA), String(problem));
});
