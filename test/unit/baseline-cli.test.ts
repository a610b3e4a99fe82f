// `npx drin baseline <model>` on the miniature release: the same numbers as the library functions
// notebook 05 calls (evaluateZeroShot, trainBaseline), the reference's settings by default, bad input named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nvidiaInfo, resolveOrtDevice } from '../../src/device';
import { needsShared, SHARED_DIR } from '../helpers/needs';

const ROOT = path.join(__dirname, '..', '..');
const MINI = path.join(SHARED_DIR, 'fixtures', 'preprocessed', 'wikimel');
const MINI_WD = path.join(SHARED_DIR, 'fixtures', 'preprocessed', 'wikidiverse');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-baseline-'));
/** A machine with an NVIDIA driver may have a working CUDA provider: the "no CUDA here" checks do not apply. */
const onGpu = nvidiaInfo().gpus.length > 0 || fs.existsSync('/proc/driver/nvidia/version') ? 'this machine has an NVIDIA driver: the no-CUDA checks do not apply' : false;

function drinEnv(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'drin.js'), 'baseline', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DRIN_PROGRESS: '0', DRIN_PREPROCESSED: '', DRIN_DEVICE: '', ...env },
  });
}
const drin = (...args: string[]) => drinEnv({}, ...args);
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

test('drin baseline --device: cpu is the CPU (GHMFC: the onnxruntime CPU provider), said in one line; cuda here is an error naming what is missing', {
  skip: onGpu || needsShared('fixtures/preprocessed/wikimel') || needsShared('fixtures/preprocessed/wikidiverse'),
}, () => {
  // GHMFC: its ort engine resolves as DRIN's (resolveOrtDevice): the same reason, from the flag or DRIN_DEVICE
  const small = ['--epochs', '1', '--test-every', '1', '--limit', '8', '--no-progress'];
  const ghmfcDir = path.join(tmp, 'ghmfc-cpu');
  const g = drin('ghmfc', '--data', MINI, '--out', ghmfcDir, ...small, '--device', 'cpu');
  assert.equal(g.status, 0, g.stderr);
  assert.match(g.stdout, /^ghmfc: onnxruntime engine on the CPU \(asked for\)$/m);
  assert.equal(JSON.parse(fs.readFileSync(path.join(ghmfcDir, 'history.json'), 'utf8')).length, 1);
  let ortWhy = '';
  assert.throws(() => resolveOrtDevice('cuda'), (e: Error) => ((ortWhy = e.message), true));
  assert.match(ortWhy, /^--device cuda: the onnxruntime CUDA provider does not work here: .*no NVIDIA driver/);
  for (const r of [drin('ghmfc', '--data', MINI, '--out', path.join(tmp, 'ghmfc-cuda'), ...small, '--device', 'cuda'), drinEnv({ DRIN_DEVICE: 'cuda' }, 'ghmfc', '--data', MINI, '--out', path.join(tmp, 'ghmfc-cuda'), ...small)]) {
    assert.equal(r.status, 1, r.stdout);
    assert.ok(r.stderr.includes(`drin: ${ortWhy}`), r.stderr);
  }
  assert.equal(fs.existsSync(path.join(tmp, 'ghmfc-cuda', 'history.json')), false, 'nothing trained');
  // MEL-HI and the zero-shot floors are tfjs: resolveTfjsDevice's reason, and what to use instead
  const tfjsWhy = /^drin: --device cuda: the tfjs backend \w+ runs on the CPU; CUDA reaches tfjs only through @tensorflow\/tfjs-node-gpu .*The ort engine \(--engine ort\) runs on the onnxruntime CUDA provider/m;
  const mc = drin('melhi', '--data', MINI_WD, '--out', path.join(tmp, 'melhi-cuda'), ...small, '--device', 'cuda');
  assert.equal(mc.status, 1, mc.stdout);
  assert.match(mc.stderr, tfjsWhy);
  // (MEL-HI's line on the CPU comes from trainBaseline as GHMFC's above; its text: test/unit/device.test.ts)
  const zc = drin('bert-zero-shot', '--data', MINI, '--out', path.join(tmp, 'bert-cuda'), '--device', 'cuda');
  assert.equal(zc.status, 1, zc.stdout);
  assert.match(zc.stderr, tfjsWhy);
  const z = drin('bert-zero-shot', '--data', MINI, '--out', path.join(tmp, 'bert-cpu'), '--limit', '8', '--device', 'cpu');
  assert.equal(z.status, 0, z.stderr);
  assert.match(z.stdout, /^bert-zero-shot: tfjs on the tfjs backend \w+ \(asked for the CPU\)$/m);
  // a bad value, before anything loads
  const bad = drin('ghmfc', '--data', MINI, '--device', 'gpu');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--device='gpu': expected one of auto, cpu, cuda/);
});
