/**
 * The release path, the way a user with the authors' preprocessed release follows it: notebooks 04 → 05 → 06
 * with `DRIN_PREPROCESSED=DIR`, here on the miniature release in ../shared/fixtures/preprocessed/wikimel
 * (the release's file names, dtypes and shapes, random values). It is reached through a symlink named
 * `wikimel-miniature`, so its runs go to results/runs/wikimel-miniature/ and never over a real WikiMEL
 * run. Two epochs, a test after each; the baselines get a one-minute budget. Checks that every notebook
 * runs and that the files the README promises are written: metrics.json for DRIN and every floor,
 * predictions, ablation.json, with notebook 06 reading the release's own text arrays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needsShared, SHARED_DIR } from './helpers/needs';

const ROOT = path.resolve(__dirname, '..');
const RELEASE = path.join(SHARED_DIR, 'fixtures', 'preprocessed', 'wikimel');
const NAME = 'wikimel-miniature';

test('release path: 04 → 06 on the miniature release with DRIN_PREPROCESSED', { skip: needsShared('fixtures/preprocessed/wikimel') }, async () => {
  const link = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'drin-release-')), NAME);
  fs.symlinkSync(RELEASE, link, 'dir');
  const runs = path.join(ROOT, 'results', 'runs', NAME);
  fs.rmSync(runs, { recursive: true, force: true });
  const { runNotebook, formatFailure } = (await import('../scripts/run-notebooks.mjs')) as typeof import('../scripts/run-notebooks.mjs');
  const env = {
    ...process.env, DRIN_PREPROCESSED: link, DRIN_EPOCHS: '2', DRIN_TEST_EVERY: '1',
  };
  delete (env as Record<string, string | undefined>).DRIN_DATASET;
  for (const name of ['04-train-drin.ipynb', '05-run-baselines.ipynb', '06-analyze-errors.ipynb']) {
    const file = path.join(ROOT, 'notebooks', name);
    const r = await runNotebook(file, { outDir: path.join(ROOT, 'results', 'notebooks-release'), env });
    if (!r.ok) assert.fail(formatFailure(file, r));
  }
  for (const model of ['drin', 'bert-zero-shot', 'image-zero-shot', 'clip-zero-shot', 'ghmfc']) {
    const m = JSON.parse(fs.readFileSync(path.join(runs, model, 'metrics.json'), 'utf8'));
    assert.equal(typeof m.test.top1, 'number', `${model}: metrics.json test.top1`);
    assert.ok(m.test.top1Ci95Low <= m.test.top1 && m.test.top1 <= m.test.top1Ci95High, `${model}: 95 % interval`);
    assert.ok(fs.existsSync(path.join(runs, model, 'predictions_test.jsonl')), `${model}: predictions_test.jsonl`);
  }
  const h = JSON.parse(fs.readFileSync(path.join(runs, 'drin', 'history.json'), 'utf8'));
  assert.equal(h.length, 2);
  for (const r of h) assert.ok(Number.isFinite(r.validLoss) && r.validLoss > 0, `history epoch ${r.epoch}: validLoss ${r.validLoss}`);
  const a = JSON.parse(fs.readFileSync(path.join(runs, 'drin', 'ablation.json'), 'utf8'));
  assert.deepEqual(Object.keys(a).sort(), ['ii', 'it', 'ti', 'tt']);
  const out = fs.readFileSync(path.join(ROOT, 'results', 'notebooks-release', '06-analyze-errors.ipynb'), 'utf8');
  assert.match(out, /release arrays/, 'notebook 06 did not use the release text arrays');
});
