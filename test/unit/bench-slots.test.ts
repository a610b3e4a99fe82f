// What the model bench's batches hold (bench/reference/candidate-slots.ts): WikiMEL slots from the authors'
// real top-100 candidate lists, with the repetition real batches have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CANDIDATES_FILE, distinctSlots, wikimelSlots } from '../../bench/reference/candidate-slots';
import { needsShared, SHARED_DIR } from '../helpers/needs';

test('WikiMEL bench slots: 64 real candidate lists + gold, ≈ 5,000 distinct entities in 6,464 slots', { skip: needsShared(CANDIDATES_FILE) }, () => {
  const s = wikimelSlots(SHARED_DIR, 64, 101, 'default')!;
  assert.equal(s.entity.length, 64);
  assert.ok(s.entity.every((row) => row.length === 101));
  const flat = s.entity.flat();
  assert.equal(new Set(flat).size, s.entities);
  assert.equal(Math.max(...flat), s.entities - 1);
  assert.equal(s.entities, 4997); // seed 1; other draws of 64 give 5,005–5,128
  assert.ok(s.image.flat().every((i) => i === 0) && s.images === 1, 'default image: one image for all');
  // the gold sits in slot 100; the label points at its candidate slot when it is among the candidates
  s.answer.forEach((a, b) => assert.ok(a === 100 || s.entity[b][a] === s.entity[b][100], `mention ${b}: answer ${a}`));
  const d = wikimelSlots(SHARED_DIR, 64, 101, 'distinct')!;
  assert.deepEqual(d.image, d.entity);
  assert.equal(d.images, d.entities);
  assert.notDeepEqual(wikimelSlots(SHARED_DIR, 64, 101, 'default', 2)!.entity, s.entity, 'another seed draws other mentions');
});

test('bench slots: absent file → undefined; short lists → an error naming the file; distinct slots', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slots-'));
  assert.equal(wikimelSlots(dir, 2, 4, 'default'), undefined);
  fs.mkdirSync(path.dirname(path.join(dir, CANDIDATES_FILE)), { recursive: true });
  fs.writeFileSync(
    path.join(dir, CANDIDATES_FILE),
    JSON.stringify([
      { mention: 'a', gold: 'Q1', cands: ['Q1', 'Q2'] },
      { mention: 'b', gold: 'Q3', cands: ['Q4'] },
    ]),
  );
  assert.throws(() => wikimelSlots(dir, 2, 3, 'default'), /partial_ratio_test150\.json: mention 1 has no gold QID or fewer than 2 candidates/);
  assert.throws(() => wikimelSlots(dir, 3, 2, 'default'), /2 mentions, the bench needs 3/);
  const ok = wikimelSlots(dir, 2, 2, 'default')!;
  assert.equal(ok.entities, 3);
  fs.rmSync(dir, { recursive: true });
  const all = distinctSlots(2, 3);
  assert.deepEqual(all.entity, [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.equal(all.entities, 6);
});
