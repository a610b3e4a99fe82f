// `npx drin baseline <model>` on the miniature release: the same numbers as the library functions
// notebook 05 calls (evaluateZeroShot, trainBaseline), the reference's settings by default, bad input named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needsShared, SHARED_DIR } from '../helpers/needs';

const ROOT = path.join(__dirname, '..', '..');
const MINI = path.join(SHARED_DIR, 'fixtures', 'preprocessed', 'wikimel');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-baseline-'));

function drin(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'drin.js'), 'baseline', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DRIN_PROGRESS: '0', DRIN_PREPROCESSED: '' },
  });
}
const metrics = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));

test('drin baseline: a zero-shot floor and GHMFC give the library\'s numbers', { skip: needsShared('fixtures/preprocessed/wikimel') }, async () => {
  const lib = await import('../../src/index');
  await lib.initBackend();
  const ds = lib.openPreprocessed(MINI);
  const ref = lib.referenceTrainSettings(ds.layout);
  try {
    const floorDir = path.join(tmp, 'bert');
    const r = drin('bert-zero-shot', '--data', MINI, '--out', floorDir);
    assert.equal(r.status, 0, r.stderr);
    const direct = await lib.evaluateZeroShot(lib.createBertZeroShot(), ds, { outDir: path.join(tmp, 'bert-lib'), entityText: 'reduced', topks: ref.topks });
    assert.deepEqual(metrics(floorDir).test, JSON.parse(JSON.stringify(direct.test)));

    const ghmfcDir = path.join(tmp, 'ghmfc');
    const g = drin('ghmfc', '--data', MINI, '--out', ghmfcDir, '--epochs', '2', '--test-every', '1', '--no-progress');
    assert.equal(g.status, 0, g.stderr);
    const hist = JSON.parse(fs.readFileSync(path.join(ghmfcDir, 'history.json'), 'utf8'));
    assert.equal(hist.length, 2, 'two epochs');
    lib.torchDropoutSeed(0);
    const model = lib.createGhmfc(lib.ghmfcConfigForDataset(ds), 0, { engine: 'auto', dropoutSeed: 0 });
    const run = await lib.trainBaseline(model, ds, { model: 'ghmfc', batchSize: ref.batchSize, entityText: 'reduced' }, {
      outDir: path.join(tmp, 'ghmfc-lib'), epochs: 2, testEvery: 1, lr: ref.lr, margin: ref.margin, topks: ref.topks, seed: 0, resume: false, progress: false,
    });
    assert.deepEqual(metrics(ghmfcDir).test, JSON.parse(JSON.stringify(run.test)));
    // the loss of each epoch: the released settings (lr 1e-3, margin 0.25, batch 64) reached the loop
    const libHist = JSON.parse(fs.readFileSync(path.join(tmp, 'ghmfc-lib', 'history.json'), 'utf8'));
    assert.deepEqual(hist.map((h: { trainLoss: number }) => h.trainLoss), libHist.map((h: { trainLoss: number }) => h.trainLoss));
  } finally {
    ds.close();
  }
});

test('drin baseline: MEL-HI on a WikiMEL layout and an unknown model are refused with the reason', { skip: needsShared('fixtures/preprocessed/wikimel') }, () => {
  const m = drin('melhi', '--data', MINI, '--out', path.join(tmp, 'melhi'));
  assert.notEqual(m.status, 0);
  assert.match(m.stderr, /MEL-HI needs the WikiDiverse layout/);
  const u = drin('blink', '--data', MINI);
  assert.notEqual(u.status, 0);
  assert.match(u.stderr, /unknown model 'blink'; expected one of ghmfc, melhi, bert-zero-shot/);
  const e = drin('ghmfc', '--data', MINI, '--epochs', '0');
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /--epochs expects a positive integer, got '0'/);
});
