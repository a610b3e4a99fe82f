// WikiDiverse entity names from URLs (issue #13 §4): Python's urllib.parse.unquote exactly.
//  - test/fixtures/wikidiverse-urls/expected.json: CPython's unquote on hand-picked and 400 random
//    escape strings (make_expected.py, /usr/bin/python3);
//  - ../shared/cases/urls/wikidiverse-latin1-escapes: the 11 entity texts per mention the reference builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pyUnquote, readWikidiverse, wikidiverseEntityName } from '../../src/data';
import { SHARED_DIR, needsShared } from '../helpers/needs';

interface Pair { url: string; name: string }
const FIX = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'wikidiverse-urls', 'expected.json'), 'utf8')) as { cases: Pair[]; random: Pair[] };
const CASE = path.join(SHARED_DIR, 'cases', 'urls', 'wikidiverse-latin1-escapes');

test('wikidiverseEntityName = unquote(last URL segment), as CPython gives it (hand-picked cases)', () => {
  assert.ok(FIX.cases.length > 60);
  for (const c of FIX.cases) assert.equal(wikidiverseEntityName(c.url), c.name, JSON.stringify(c.url));
});

test('pyUnquote: CPython unquote on 400 random escape strings (invalid UTF-8 → U+FFFD per maximal subpart)', () => {
  assert.equal(FIX.random.length, 400);
  let replaced = 0;
  for (const c of FIX.random) {
    assert.equal(pyUnquote(c.url), c.name, JSON.stringify(c.url));
    if (c.name.includes('\ufffd')) replaced++;
  }
  assert.ok(replaced > 100, `${replaced} random cases exercise U+FFFD`);
});

test('the rules in brief: Latin-1 escape → U+FFFD, bare % kept, a BOM kept, non-ASCII splits the escape runs', () => {
  assert.equal(wikidiverseEntityName('https://en.wikipedia.org/wiki/Caf%E9_de_Paris'), 'Caf\ufffd_de_Paris');
  assert.equal(wikidiverseEntityName('https://en.wikipedia.org/wiki/100%_Pure'), '100%_Pure');
  assert.equal(pyUnquote('%F0%9F%98'), '\ufffd');
  assert.equal(pyUnquote('%ED%A0%80'), '\ufffd\ufffd\ufffd');
  assert.equal(pyUnquote('%EF%BB%BFx'), '\ufeffx');
  assert.equal(pyUnquote('%C3é%A9'), '\ufffdé\ufffd');
});

test('shared case wikidiverse-latin1-escapes: the 11 entity texts per mention equal the reference\'s', { skip: needsShared('cases/urls/wikidiverse-latin1-escapes') }, () => {
  const expected = JSON.parse(fs.readFileSync(path.join(CASE, 'expected_entity_text.json'), 'utf8')) as string[][];
  const raw = readWikidiverse(CASE);
  for (const split of ['train', 'valid', 'test'] as const) {
    assert.deepEqual(raw.slots[split].map((s) => s.texts), expected, split);
    assert.equal(raw.counts[split].briefMissing ?? 0, 0, `${split}: every named entity finds its brief`);
  }
});
