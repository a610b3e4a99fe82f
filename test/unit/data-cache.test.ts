import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeNpy } from '../../src/data/npy';
import { NpyRowCache } from '../../src/data/cache';

test('row LRU: gathers any rows in order, counts hits/misses, stays within its byte budget', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-cache-'));
  const p = path.join(dir, 'rows.npy');
  writeNpy(p, { data: Float32Array.from({ length: 10 * 4 }, (_, i) => i), shape: [10, 4] });
  const c = new NpyRowCache(p, 3 * 16); // room for 3 rows of 16 bytes
  const rows = async (idx: number[]) => Array.from(new Float32Array(await c.gather(idx)));
  assert.deepEqual(await rows([7, 2, 7]), [28, 29, 30, 31, 8, 9, 10, 11, 28, 29, 30, 31]);
  assert.equal(c.misses, 2);
  assert.deepEqual(await rows([2]), [8, 9, 10, 11]);
  assert.equal(c.hits, 1);
  await rows([0, 1]); // evicts the least recently used row (7)
  assert.equal(c.residentBytes, 48);
  const before = c.misses;
  assert.deepEqual(await rows([7]), [28, 29, 30, 31]);
  assert.equal(c.misses, before + 1, 'row 7 was evicted and read again');
  assert.deepEqual(await rows([2, 1]), [8, 9, 10, 11, 4, 5, 6, 7], 'evicted slots are reused without mixing rows up');
  c.close();
});
