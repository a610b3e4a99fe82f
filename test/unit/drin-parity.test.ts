// DRIN against the reference PyTorch outputs in ../shared/fixtures/drin: both engines (ort, tfjs) on the wasm and cpu backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { SHARED } from '../../src/paths';
import { findFixtureDirs, runParity, formatParityReport, PARITY_TOLERANCES } from '../../src/train';
import { needs } from '../helpers/needs';

const root = path.join(SHARED, 'fixtures', 'drin');
const present = fs.existsSync(root);

for (const [backend, engine] of [['wasm', 'ort'], ['wasm', 'tfjs'], ['cpu', 'ort'], ['cpu', 'tfjs']]) {
  test(`DRIN parity with the reference: ${engine} engine, ${backend} backend`, { skip: needs(present, `../shared absent: ${root} not found`) }, async () => {
    assert.ok(await tf.setBackend(backend), `backend ${backend} unavailable`);
    const dirs = findFixtureDirs(root);
    assert.ok(dirs.length >= 2, 'expected the wikidiverse-small and wikimel-small fixtures');
    for (const dir of dirs) checkDir(dir, engine as 'ort' | 'tfjs');
  });
}

function checkDir(dir: string, engine: 'ort' | 'tfjs'): void {
  const r = runParity(dir, PARITY_TOLERANCES, { engine });
  assert.match(r.backend, new RegExp(`${engine} engine`));
  assert.ok(r.pass, formatParityReport(r));
  assert.ok(r.scores <= 1e-5 && r.loss <= 1e-5 && r.scoresAfterAdam <= 1e-5, formatParityReport(r));
  assert.ok(r.paramsAfterAdamFromRefGrads <= 1e-6, `Adam alone: ${r.paramsAfterAdamFromRefGrads}`);
  assert.deepEqual(Object.keys(r.metrics).sort(), ['top-1', 'top-3', 'top-5'], `${dir}: the manifest's top-k metrics were compared`);
  for (const [k, [ours, ref]] of Object.entries(r.metrics)) assert.ok(Math.abs(ours - ref) < 1e-6, `${dir} ${k}: ${ours} vs ${ref}`);
}
