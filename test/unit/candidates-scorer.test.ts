// The candidate scorers against fuzzywuzzy 0.18 + python-Levenshtein 0.12 (the DRIN authors' candidate
// requirements): 7,022 real WikiMEL (mention, name) pairs scored by the oracle
// (test/fixtures/candidates/make_pairs.py → pairs.json), and the top-k cases of ../shared/cases/candidates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  partialRatio, fuzzRatio, wRatio, fullProcess, intr, codePoints, buildCandidateIndex, candidateTopK, candidateTopKBrute,
  scoreUpperBounds, scorerQuery, type CandidateScorer,
} from '../../src/data/candidates';
import { needsShared, SHARED_DIR } from '../helpers/needs';

const PAIRS = path.join(__dirname, '..', 'fixtures', 'candidates', 'pairs.json');
const CASES = path.join(SHARED_DIR, 'cases', 'candidates');
const KB = path.join(SHARED_DIR, 'data', 'wikimel', 'qid2ne.json');
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

let kbCache: { qids: string[]; names: string[] } | null = null;
function kb() {
  if (!kbCache) {
    const o = readJson(KB) as Record<string, string>;
    kbCache = { qids: Object.keys(o), names: Object.values(o) };
  }
  return kbCache;
}

test('partial_ratio and WRatio equal the oracle on 7,022 real WikiMEL pairs (raw strings; WRatio after full_process)', () => {
  const { pairs } = readJson(PAIRS) as { pairs: Array<[string, string, number, number]> };
  assert.ok(pairs.length > 7000);
  const badP: string[] = [];
  const badW: string[] = [];
  for (const [m, n, pr, wr] of pairs) {
    const p = partialRatio(m, n);
    if (p !== pr) badP.push(`${JSON.stringify([m, n])}: ${p} != ${pr}`);
    const w = wRatio(fullProcess(m), fullProcess(n));
    if (w !== wr) badW.push(`${JSON.stringify([m, n])}: ${w} != ${wr}`);
  }
  assert.deepEqual(badP.slice(0, 5), [], `${badP.length} partial_ratio mismatches`);
  assert.deepEqual(badW.slice(0, 5), [], `${badW.length} WRatio mismatches`);
  // scores that only python-Levenshtein's matching blocks give (fuzzball/difflib differ on these kinds)
  assert.equal(partialRatio('Paris', 'paris'), 80);
  assert.equal(partialRatio('', ''), 100); // equality is checked before emptiness
  assert.equal(partialRatio('', 'Paris'), 0);
  assert.equal(partialRatio('𠮷𠮷x', 'x𠮷'), 50); // code points, not UTF-16 units
  assert.equal(fuzzRatio('abab', 'baba'), 75);
});

test('the pruning bounds never fall below the oracle scores (7,022 real pairs, both scorers)', () => {
  const { pairs } = readJson(PAIRS) as { pairs: Array<[string, string, number, number]> };
  const names = [...new Set(pairs.map((p) => p[1]))];
  const at = new Map(names.map((n, i) => [n, i]));
  for (const [scorer, col] of [['partial_ratio', 2], ['wratio', 3]] as Array<[CandidateScorer, 2 | 3]>) {
    const ix = buildCandidateIndex(names, scorer);
    const byMention = new Map<string, Array<[string, number]>>();
    for (const p of pairs) byMention.set(p[0], [...(byMention.get(p[0]) ?? []), [p[1], p[col]]]);
    let checked = 0;
    let slack = 0;
    for (const [m, list] of byMention) {
      const ub = scoreUpperBounds(ix, scorerQuery(scorer, m));
      for (const [n, score] of list) {
        assert.ok(ub[at.get(n)!] >= score, `${scorer} bound ${ub[at.get(n)!]} < ${score} for ${JSON.stringify([m, n])}`);
        slack += ub[at.get(n)!] - score;
        checked++;
      }
    }
    assert.equal(checked, pairs.length);
    if (scorer === 'partial_ratio') assert.ok(slack / checked < 15, `partial_ratio bound too loose: mean slack ${slack / checked}`);
  }
});

test('intr is Python round (half to even); full_process(force_ascii) deletes only U+0080-U+00FF', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 62.5, 62.50000001, 99.5, 99.49].map(intr), [0, 2, 2, 62, 63, 100, 99]);
  assert.equal(fullProcess('Łódź'), 'łdź');
  assert.equal(fullProcess('Москва'), 'москва');
  assert.equal(fullProcess('Árpád Göncz'), 'rpd gncz');
  assert.equal(fullProcess('Antonín Dvořák'), 'antonn dvořk');
  assert.equal(fullProcess('Kūhiō  (singer)'), 'kūhiō   singer');
  assert.equal(fullProcess('Jean\u00a0Paul', false), 'jean paul');
  assert.deepEqual([...codePoints('a𠮷b')], [0x61, 0x20bb7, 0x62]);
});

test('full_process and process.extract on non-Latin names (shared case)', { skip: needsShared('cases/candidates/process_nonlatin_tiny.json') }, () => {
  const c = readJson(path.join(CASES, 'process_nonlatin_tiny.json')) as { processed: Array<[string, string]>; mention: string; names: string[]; extract: Array<[string, number]> };
  for (const [raw, want] of c.processed) assert.equal(fullProcess(raw, true), want, raw);
  const ix = buildCandidateIndex(c.names, 'wratio');
  const r = candidateTopK(ix, c.mention, c.extract.length);
  assert.deepEqual(r.index.map((i, j) => [c.names[i], r.score[j]]), c.extract);
});

test('partial_ratio top-k on 5 names: ties keep KB order (shared case)', { skip: needsShared('cases/candidates/partial_ratio_tiny.json') }, () => {
  const c = readJson(path.join(CASES, 'partial_ratio_tiny.json')) as { mention: string; names: string[]; top: Array<[number, number]> };
  const r = candidateTopK(buildCandidateIndex(c.names, 'partial_ratio'), c.mention, c.top.length);
  assert.deepEqual(r.index.map((i, j) => [i, r.score[j]]), c.top);
});

test('the authors\' top-100 lists for 150 real WikiMEL test mentions, identical in order and score (shared case)', {
  skip: needsShared('cases/candidates/partial_ratio_test150.json') || needsShared('data/wikimel/qid2ne.json'),
}, () => {
  const cases = readJson(path.join(CASES, 'partial_ratio_test150.json')) as Array<{ mention: string; cands: string[]; scores: number[] }>;
  const { qids, names } = kb();
  const ix = buildCandidateIndex(names, 'partial_ratio');
  const bad: string[] = [];
  for (const c of cases) {
    const r = candidateTopK(ix, c.mention, 100);
    const got = r.index.map((i) => qids[i]);
    if (JSON.stringify(got) !== JSON.stringify(c.cands) || JSON.stringify(r.score) !== JSON.stringify(c.scores)) bad.push(c.mention);
  }
  assert.equal(cases.length, 150);
  assert.deepEqual(bad, []);
});

test('WRatio top-10 for 25 real mentions with characters above U+00FF (shared case)', {
  skip: needsShared('cases/candidates/wratio_nonlatin25.json') || needsShared('data/wikimel/qid2ne.json'),
}, () => {
  const cases = readJson(path.join(CASES, 'wratio_nonlatin25.json')) as Array<{ mention: string; cands: string[]; scores: number[] }>;
  const { qids, names } = kb();
  const ix = buildCandidateIndex(names, 'wratio');
  for (const c of cases) {
    const r = candidateTopK(ix, c.mention, 10);
    assert.deepEqual({ cands: r.index.map((i) => qids[i]), scores: r.score }, { cands: c.cands, scores: c.scores }, c.mention);
  }
});

test('pruned top-k equals the full scan: real KB, long mentions (multi-word bit vectors), ties, empty names', {
  skip: needsShared('data/wikimel/qid2ne.json'),
}, () => {
  const { names } = kb();
  const ix = buildCandidateIndex(names, 'partial_ratio');
  const mentions = [
    'Kim', 'Mann', 'J', 'Smith', 'of', 'the University of California, Los Angeles Medical Center',
    'President of the United States of America Barack Hussein Obama II', 'Zajączek', 'Москва', 'Chan𠮷Tai',
  ];
  for (const m of mentions) assert.deepEqual(candidateTopK(ix, m, 100), candidateTopKBrute(ix, m, 100), m);
  // tiny KB: equal scores keep KB order; empty names take part with score 0; K above the KB size
  const tiny = ['', 'Anna', 'anna', 'Hanna', 'Ann', 'Anna Maria', '', 'nnA'];
  const tix = buildCandidateIndex(tiny, 'partial_ratio');
  for (const m of ['Anna', 'ann', '', 'x', 'Anna Maria Smith']) {
    assert.deepEqual(candidateTopK(tix, m, 20), candidateTopKBrute(tix, m, 20), m);
  }
  assert.deepEqual(candidateTopK(tix, '', 3), { index: [0, 6, 1], score: [100, 100, 0] });
  const wix = buildCandidateIndex(names.slice(0, 3000), 'wratio');
  for (const m of ['Barack Obama', 'Łódź', 'John Smith Smith']) assert.deepEqual(candidateTopK(wix, m, 50), candidateTopKBrute(wix, m, 50), m);
});
