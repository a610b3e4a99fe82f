// The model bench's summary (bench/reference/report.ts) on small fake timings: medians over rounds,
// ratios only against a reference measured in the same run, the JSON file's layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatLayout, median, roundRate, summarizeLayout, writeModelBench } from '../../bench/reference/report';
import { findReference } from '../../bench/model.bench';

test('median and round rate', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /empty/);
  assert.equal(roundRate(64, [0.5, 0.3, 0.2]), 192); // 64·3 mentions in 1 s
  assert.throws(() => roundRate(64, []), /no positive time/);
});

const base = { batch: 64, peakRssMiB: 1234.4, engine: 'ort', threads: 2, steps: 2, loadAverage: [3.14159, 2.5] };

test('with a reference: medians over rounds, ratio of the medians', () => {
  const e = summarizeLayout({
    ...base,
    // ours: 128, 64, 256 mentions/s (train); 640 each round (eval)
    ours: [
      { train: [0.5, 0.5], eval: [0.1, 0.1] },
      { train: [1, 1], eval: [0.05, 0.15] },
      { train: [0.25, 0.25], eval: [0.1, 0.1] },
    ],
    // reference: 32, 64, 16 (train); 128, 160, 128 (eval)
    reference: [
      { train: [2, 2], eval: [0.5, 0.5] },
      { train: [1, 1], eval: [0.4, 0.4] },
      { train: [4, 4], eval: [0.5, 0.5] },
    ],
    referencePeakRssMiB: 600.6,
    referenceBlas: { openblas_core: 'Haswell' },
  });
  assert.equal(e.train, 128);
  assert.equal(e.eval, 640);
  assert.equal(e.trainReference, 32);
  assert.equal(e.evalReference, 128);
  assert.equal(e.trainRatioVsReference, 4);
  assert.equal(e.evalRatioVsReference, 5);
  assert.deepEqual(e.perRound.train, [128, 64, 256]);
  assert.deepEqual(e.perRound.trainReference, [32, 64, 16]);
  assert.equal(e.peakRssMiB, 1234);
  assert.equal(e.referencePeakRssMiB, 601);
  assert.equal(e.rounds, 3);
  assert.deepEqual(e.loadAverage, [3.14, 2.5]);
  assert.deepEqual(e.referenceBlas, { openblas_core: 'Haswell' });
  const line = formatLayout('wikimel', e);
  assert.match(line, /train +128\.0 mentions\/s vs reference 32\.0 \(4\.00×\)/);
  assert.match(line, /eval +640\.0 mentions\/s vs reference 128\.0 \(5\.00×\)/);
  assert.match(line, /load 2\.5–3\.1/);
  assert.doesNotMatch(line, /no reference/);
});

test('without a reference: null reference figures and ratios, and the line says so', () => {
  const e = summarizeLayout({ ...base, ours: [{ train: [1, 1], eval: [0.5, 0.5] }] });
  assert.equal(e.train, 64);
  assert.equal(e.eval, 128);
  for (const k of ['trainReference', 'evalReference', 'trainRatioVsReference', 'evalRatioVsReference', 'referencePeakRssMiB', 'referenceBlas'] as const) assert.equal(e[k], null, k);
  assert.equal(e.perRound.trainReference, null);
  const line = formatLayout('wikidiverse', e);
  assert.match(line, /no reference measured/);
  assert.doesNotMatch(line, /vs reference|×\)/);
  assert.throws(() => summarizeLayout({ ...base, ours: [] }), /no rounds/);
});

test('model.json: one entry per layout, with the fields the issue names', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  const file = path.join(dir, 'sub', 'model.json');
  const one = summarizeLayout({ ...base, ours: [{ train: [1, 1], eval: [0.5, 0.5] }] });
  writeModelBench(file, { wikidiverse: one, wikimel: { ...one, train: 10 } });
  const back = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(back), ['wikidiverse', 'wikimel']);
  for (const k of ['train', 'eval', 'trainReference', 'evalReference', 'trainRatioVsReference', 'evalRatioVsReference', 'peakRssMiB', 'engine', 'threads', 'steps']) assert.ok(k in back.wikimel, k);
  assert.equal(back.wikimel.train, 10);
  assert.equal(back.wikidiverse.trainRatioVsReference, null);
  fs.rmSync(dir, { recursive: true });
});

test('finding the reference: reasons when DRIN_REF is unset or not a checkout', () => {
  assert.match((findReference({}) as { why: string }).why, /DRIN_REF is not set/);
  assert.match((findReference({ DRIN_REF: os.tmpdir() }) as { why: string }).why, /not a checkout of starreeze\/drin/);
});
