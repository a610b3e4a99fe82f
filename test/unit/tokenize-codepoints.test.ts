// Token positions by Unicode code point, as Python's slow BertTokenizer gives them (issue #13 §3).
//  - ../shared/cases/tokens/melbench-cjk-ext-b: prepare on a MELBench dataset with CJK Extension B
//    ideographs next to Latin letters; start/end must equal the slow tokenizer's.
//  - test/fixtures/tokenize: our own cases (astral punctuation, symbols, emoji, combining accents,
//    controls, whitespace, lower-casing) with tokens from make_expected.py (Python's unicodedata).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BERT_BASE_CASED_RULES, loadWordPieceTokenizer, makeWordPieceTokenizer, mentionTokenSpan, prepareDataset, readVocabTxt,
} from '../../src/data';
import { SHARED_DIR, needsShared } from '../helpers/needs';

const CASE = path.join(SHARED_DIR, 'cases', 'tokens', 'melbench-cjk-ext-b');
const FIX = path.join(__dirname, '..', 'fixtures', 'tokenize');
const TINY_BERT = path.join(__dirname, '..', 'fixtures', 'tiny-models', 'tiny-bert');
const quiet = () => undefined;

interface Expected { id: string; sentence: string; mention: string; prefix_tokens: string[]; start: number; end: number }

test('shared case melbench-cjk-ext-b: prepare gives the slow BertTokenizer start/end positions', { skip: needsShared('cases/tokens/melbench-cjk-ext-b') }, async () => {
  const expected = JSON.parse(fs.readFileSync(path.join(CASE, 'expected_positions.json'), 'utf8')) as Expected[];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-tok-cjk-'));
  const r = await prepareDataset({ format: 'melbench', input: CASE, out, candidates: 2, vocab: path.join(CASE, 'vocab.txt'), log: quiet, workers: 0 });
  assert.equal(r.vocabulary.standIn, false);
  const rows = fs.readFileSync(path.join(out, 'mentions_train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; startToken: number; endToken: number });
  assert.equal(rows.length, expected.length);
  for (const e of expected) {
    const row = rows.find((m) => m.id.split('-')[0] === e.id);
    assert.ok(row, `mention of sentence ${e.id} in mentions_train.jsonl`);
    assert.deepEqual([row.startToken, row.endToken], [e.start, e.end], `sentence ${e.id}: ${e.sentence}`);
  }
  // without --vocab the case's own vocab.txt is found (<input>/vocab.txt), with the same positions
  const out2 = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-tok-cjk2-'));
  const r2 = await prepareDataset({ format: 'melbench', input: CASE, out: out2, candidates: 2, vocabSearch: { hub: false, transformersCacheDirs: [], hfCacheDirs: [] }, log: quiet, workers: 0 });
  assert.equal(r2.vocabulary.source, path.join(CASE, 'vocab.txt'));
  assert.equal(r2.vocabulary.sha256, r.vocabulary.sha256);
  assert.deepEqual(fs.readFileSync(path.join(out2, 'start-pos_train.npy')), fs.readFileSync(path.join(out, 'start-pos_train.npy')));
  // the tokens themselves, and the example
  const tok = loadWordPieceTokenizer(path.join(CASE, 'vocab.txt'));
  for (const e of expected) assert.deepEqual(tok.tokens(e.sentence.slice(0, e.sentence.indexOf(e.mention))), e.prefix_tokens, e.id);
  const s = 'Chan𠮷Tai met Obama';
  assert.deepEqual(mentionTokenSpan(tok, s, s.indexOf('Obama'), s.length), { start: 4, end: 5, clamped: false });
});

interface Case { name: string; text: string; cased: string[]; uncased: string[] }
const cases = (JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')) as { cases: Case[] }).cases;
const vocab = readVocabTxt(path.join(FIX, 'vocab.txt'));

test('own cases, cased rules (bert-base-cased): tokens equal the Python oracle by code point', () => {
  const tok = makeWordPieceTokenizer(vocab, BERT_BASE_CASED_RULES, 'fixture');
  assert.ok(cases.length >= 15);
  for (const c of cases) assert.deepEqual(tok.tokens(c.text), c.cased, c.name);
});

test('own cases, uncased rules: per-code-point lower-casing and accent stripping equal the Python oracle', () => {
  const tok = makeWordPieceTokenizer(vocab, { ...BERT_BASE_CASED_RULES, lowercase: true }, 'fixture');
  for (const c of cases) assert.deepEqual(tok.tokens(c.text), c.uncased, c.name);
});

test('ids: [UNK] id for unknown pieces, vocabulary order; words over 100 code points are [UNK]', () => {
  const tok = makeWordPieceTokenizer(vocab, BERT_BASE_CASED_RULES, 'fixture');
  assert.deepEqual(tok.ids('Chan\u{20BB7}Tai zzz'), [vocab.indexOf('Chan'), vocab.indexOf('\u{20BB7}'), vocab.indexOf('Tai'), 1]);
  // 60 emoji: 60 code points (under 100) but 120 UTF-16 units
  assert.equal(tok.tokens('\u{1F600}'.repeat(60)).length, 60);
  assert.deepEqual(tok.tokens('\u{1F600}'.repeat(101)), ['[UNK]']);
});

test('the tiny BERT folder loads with its tokenizer_config rules and agrees with transformers.js on BMP text', async () => {
  const tok = loadWordPieceTokenizer(TINY_BERT);
  assert.equal(tok.rules.lowercase, false);
  assert.equal(tok.vocabSize, 58);
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(TINY_BERT) + path.sep;
  const hf = await AutoTokenizer.from_pretrained('tiny-bert', { local_files_only: true });
  for (const text of ['The painter met Kim in Lyon, 1931.', 'a  b\tc (d) e-f', '']) {
    assert.deepEqual(tok.ids(text), hf.encode(text, { add_special_tokens: false }), text);
  }
});
