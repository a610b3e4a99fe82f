// `npx drin candidates` on a tiny KB: one JSON line per input line, in order, the oracle's lists
// (fuzzywuzzy 0.18 + python-Levenshtein 0.12: partial_ratio on raw strings; fuzz.WRatio), bad input named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-cands-'));
const kb = path.join(dir, 'qid2ne.json');
fs.writeFileSync(kb, JSON.stringify({ Q1: 'Paris', Q2: 'Paris Hilton', Q3: 'paris', Q4: 'Parisa', Q5: 'Łódź', Q6: 'Lodz' }));

function drin(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'drin.js'), 'candidates', ...args], { encoding: 'utf8', env: { ...process.env, DRIN_PROGRESS: '0' } });
}

test('drin candidates: the authors\' partial_ratio lists (default) and WRatio, in input order, workers or not', () => {
  const mentions = path.join(dir, 'm.jsonl');
  fs.writeFileSync(mentions, ['Paris', 'Lodz', '', 'Łódź'].map((m) => (m ? JSON.stringify({ mention: m }) : '')).join('\n') + '\n');
  // values from the oracle: sorted((fuzz.partial_ratio(m, n), ...), stable, descending)[:3]
  const want = [
    { mention: 'Paris', candidates: ['Q1', 'Q2', 'Q4'], scores: [100, 100, 100] },
    { mention: 'Lodz', candidates: ['Q6', 'Q2', 'Q5'], scores: [100, 25, 25] },
    { mention: 'Łódź', candidates: ['Q5', 'Q6', 'Q1'], scores: [100, 25, 0] },
  ];
  for (const workers of ['0', '2']) {
    const r = drin('--kb', kb, '--mentions', mentions, '--k', '3', '--workers', workers);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l)), want);
    assert.match(r.stderr, /mentions\/s/);
  }
  // fuzz.WRatio(mention, name): both sides full_process(force_ascii=True)
  const w = drin('--kb', kb, '--mentions', mentions, '--k', '3', '--scorer', 'wratio');
  assert.equal(w.status, 0, w.stderr);
  assert.deepEqual(w.stdout.trim().split('\n').map((l) => JSON.parse(l).scores), [[100, 100, 91], [100, 45, 29], [100, 29, 0]]);
  assert.deepEqual(JSON.parse(w.stdout.split('\n')[0]).candidates, ['Q1', 'Q3', 'Q4']);
});

test('drin candidates: a bad line or KB entry is named, with file and line', () => {
  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(bad, '{"mention": "Paris"}\n{"text": "Lodz"}\n');
  const r = drin('--kb', kb, '--mentions', bad);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: expected an object \\{"mention"`));
  const badKb = path.join(dir, 'badkb.json');
  fs.writeFileSync(badKb, JSON.stringify({ Q1: 'Paris', Q2: 7 }));
  const k = drin('--kb', badKb, '--mentions', bad);
  assert.match(k.stderr, /badkb\.json: entry "Q2": expected the entity name as a string/);
  assert.match(drin('--kb', kb, '--mentions', bad, '--scorer', 'jaro').stderr, /--scorer must be one of partial_ratio, wratio/);
});
