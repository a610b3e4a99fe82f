/**
 * More claims of the executed notebooks (results/notebooks/, written by test/notebooks.test.ts or
 * `npm run pipeline`), checked against the files the same run wrote under results/runs/<dataset>/:
 *  - 04: the validation-loss sentence and, after each Adam reset, the training-loss bump and the
 *    validation-loss move, against history.json (`trainLoss`, `validLoss`);
 *  - 05: top-k for k ≥ C equals the candidate recall (a ceiling), against DRIN's metrics.json; GHMFC's
 *    epochs against its history.json and DRIN's; the paper's table is either shown with sources or said
 *    to be missing.
 * Runs after test/notebooks.test.ts (node sorts the top-level test files by path). The claims of the
 * sample's acceptance figures live in test/notebooks.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lacks } from './helpers/needs';
import { notebookText } from './helpers/notebook-text';
import { PUBLISHED_RESULTS, PUBLISHED_RESULTS_MISSING } from '../src/train/runs/baselines';

const ROOT = path.resolve(__dirname, '..');
const EXECUTED = path.join(ROOT, 'results', 'notebooks');
const RUNS_SAMPLE = path.join(ROOT, 'results', 'runs', 'sample');
const onSample = !process.env.DRIN_DATASET && !process.env.DRIN_PREPROCESSED;

/** Everything an executed notebook printed or displayed as text, in order; undefined when it did not run. */
function printed(prefix: string): string | undefined {
  const name = fs.existsSync(EXECUTED) ? fs.readdirSync(EXECUTED).find((f) => f.startsWith(prefix) && f.endsWith('.ipynb')) : undefined;
  return name ? notebookText(path.join(EXECUTED, name)) : undefined;
}

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const f4 = (x: number) => Number(x.toFixed(4));

interface Epoch {
  epoch: number;
  trainLoss: number;
  validLoss: number;
  test?: unknown;
}

test('04: the validation-loss and Adam-reset sentences follow history.json', (t) => {
  const text = printed('04-');
  const hist = path.join(RUNS_SAMPLE, 'drin', 'history.json');
  if (lacks(t, onSample && !!text && fs.existsSync(hist), 'notebook 04 has not run on the sample (npm run pipeline -- 04)')) return;
  const h = readJson(hist) as Epoch[];
  const m = text!.match(/Validation loss: (\d+\.\d+) \(epoch 1\) → (\d+\.\d+) \(epoch (\d+)\); lowest (\d+\.\d+) at epoch (\d+)(, then it rises again)?\./);
  assert.ok(m, 'notebook 04 printed no validation-loss sentence');
  const last = h[h.length - 1];
  const low = h.reduce((a, e) => (e.validLoss < a.validLoss ? e : a), h[0]);
  assert.equal(Number(m[1]), f4(h[0].validLoss));
  assert.equal(Number(m[2]), f4(last.validLoss));
  assert.equal(Number(m[3]), last.epoch);
  assert.equal(Number(m[4]), f4(low.validLoss));
  assert.equal(Number(m[5]), low.epoch);
  assert.equal(!!m[6], low.epoch < last.epoch, '"then it rises again" must hold exactly when the lowest is not the last epoch');
  // one sentence per Adam reset (after every test round but the last)
  const resets = h.filter((e) => e.test && e.epoch < last.epoch).map((e) => e.epoch + 1);
  const said = [...text!.matchAll(/After the reset before epoch (\d+) the epoch's mean training loss (.*?); the validation loss after that epoch (rises|falls|stays at) (?:from )?(\d+\.\d+)(?: to (\d+\.\d+))?\./g)];
  assert.deepEqual(said.map((s) => Number(s[1])), resets, 'one reset sentence per Adam reset');
  for (const s of said) {
    const after = h.find((e) => e.epoch === Number(s[1]))!;
    const before = h.find((e) => e.epoch === Number(s[1]) - 1)!;
    const bump = f4(after.trainLoss) > f4(before.trainLoss); // compared as printed
    assert.equal(/\(a bump\)/.test(s[2]), bump, `epoch ${s[1]}: the training-loss bump claim`);
    assert.ok(s[2].includes(f4(before.trainLoss).toFixed(4)) && s[2].includes(f4(after.trainLoss).toFixed(4)), s[0]);
    const [vb, va] = [f4(before.validLoss), f4(after.validLoss)];
    assert.equal(s[3], va > vb ? 'rises' : va < vb ? 'falls' : 'stays at', `epoch ${s[1]}: validation loss direction`);
    assert.equal(Number(s[4]), vb);
    if (s[3] !== 'stays at') assert.equal(Number(s[5]), va);
  }
});

test('04: the final table names the top-k columns that are only the candidate recall', (t) => {
  const text = printed('04-');
  const metrics = path.join(RUNS_SAMPLE, 'drin', 'metrics.json');
  if (lacks(t, onSample && !!text && fs.existsSync(metrics), 'notebook 04 has not run on the sample (npm run pipeline -- 04)')) return;
  const m = readJson(metrics).test;
  const c = text!.match(/C = (\d+): Top-(\d+(?: and Top-\d+)*) = the candidate recall \(([\d.]+) % of test mentions\)/);
  assert.ok(c, 'notebook 04 printed no ceiling sentence');
  const ks = [...`Top-${c[2]}`.matchAll(/Top-(\d+)/g)].map((x) => Number(x[1]));
  const C = Number(c[1]);
  assert.deepEqual(ks, [5, 10, 20].filter((k) => k >= C));
  assert.equal(Number(c[3]), Math.round((m.withGold / m.total) * 10000) / 100);
  for (const k of ks) assert.ok(Math.abs(m[`top${k}`] - m.withGold / m.total) < 1e-12, `top-${k} is not the recall`);
});

test('05: top-k for k ≥ C is the candidate recall; epochs and the paper table are stated truthfully', (t) => {
  const text = printed('05-');
  const drinM = path.join(RUNS_SAMPLE, 'drin', 'metrics.json');
  if (lacks(t, onSample && !!text && fs.existsSync(drinM), 'notebook 05 has not run on the sample (npm run pipeline -- 05)')) return;
  const m = readJson(drinM).test;
  const c = text!.match(/With C = (\d+) candidates, (top-\d+(?: and top-\d+)*) (equal|do NOT equal) the candidate recall \((\d+\.\d) % of test mentions/);
  assert.ok(c, 'notebook 05 printed no ceiling sentence');
  const C = Number(c[1]);
  assert.equal(c[3], 'equal');
  const ks = [...c[2].matchAll(/top-(\d+)/g)].map((x) => Number(x[1]));
  assert.ok(ks.length > 0 && ks.every((k) => k >= C), `${c[2]} with C = ${C}`);
  const recall = m.withGold / m.total;
  assert.equal(Number(c[4]), Number((recall * 100).toFixed(1)));
  for (const k of ks) assert.ok(Math.abs(m[`top${k}`] - recall) < 1e-12, `DRIN top-${k} ${m[`top${k}`]} vs recall ${recall}`);
  // GHMFC's epochs, as the sentence and the table say
  const g = text!.match(/GHMFC \([\d.]+ %, trained (\d+) of (\d+) epochs/);
  assert.ok(g, 'notebook 05 printed no GHMFC sentence with its epochs');
  assert.equal(Number(g[1]), readJson(path.join(RUNS_SAMPLE, 'ghmfc', 'history.json')).length);
  assert.equal(Number(g[2]), readJson(path.join(RUNS_SAMPLE, 'drin', 'history.json')).length);
  // the single-modality floors, as printed
  const f = text!.match(/Single-modality floors: text only (\d+\.\d) %, image only (\d+\.\d) % top-1/);
  assert.ok(f, 'notebook 05 printed no single-modality floor sentence');
  const floor = (name: string) => readJson(path.join(RUNS_SAMPLE, name, 'metrics.json')).test.top1 * 100;
  assert.ok(Math.abs(Number(f[1]) - floor('bert-zero-shot')) < 0.051, `text floor ${f[1]} vs ${floor('bert-zero-shot')}`);
  assert.ok(Math.abs(Number(f[2]) - floor('image-zero-shot')) < 0.051, `image floor ${f[2]} vs ${floor('image-zero-shot')}`);
  // the paper's main table: rows only with a source; otherwise the notebook says it is missing
  for (const p of PUBLISHED_RESULTS) assert.match(p.source, /^https?:\/\//, `${p.model} ${p.dataset}: no source URL`);
  assert.equal(text!.includes(PUBLISHED_RESULTS_MISSING), PUBLISHED_RESULTS.length === 0);
});
