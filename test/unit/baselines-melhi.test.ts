// MEL-HI's reference read-out computed from only the LSTM outputs it reads (melhiReferenceContexts)
// equals the full computation (every row, every step, then melhiLstmExtract): values and gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { initLstm, torchLstm } from '../../src/models/lstm';
import { melhiLstm } from '../../src/models/melhi-lstm';
import { melhiContextWindow, melhiLstmExtract, melhiReferenceContexts, melhiReferenceReadout } from '../../src/models/melhi';
import { TorchParams, torchRng } from '../../src/nn';

test('melhiReferenceReadout: sorted positions (stable, longest first), empty = length 1', () => {
  // lengths (at least 1): [2, 5, 1, 5, 3] → order by length: rows 1, 3 (5), 4 (3), 0 (2), 2 (1)
  const r = melhiReferenceReadout([2, 5, 0, 5, 3]);
  assert.deepEqual(Array.from(r.source), [4, -1, 0, 1, 3]);
  assert.equal(r.long, 3); // the 2nd (= #max-length rows) row in sorted order
  assert.equal(r.maxLen, 5);
});

for (const lens of [[0, 3, 5, 0, 7, 2], [4, 4, 1, 4, 2, 0], [1, 1, 1, 1, 1, 1]]) {
  test(`MEL-HI reference read-out from the outputs it reads = full LSTM + melhiLstmExtract (lengths ${lens})`, async () => {
    await initBackend();
    const B = lens.length, T = 9, F = 6;
    const params: TorchParams = new Map();
    initLstm(params, 'mention_encoder.mention_lstm', F, F, torchRng('melhi-test'));
    const tokens = tf.randomNormal([B, T, F], 0, 1, 'float32', 3) as tf.Tensor3D;
    const from = tf.tensor1d([1, 1, 2, 1, 1, 1], 'int32');
    const L = Int32Array.from(lens);
    const probe = tf.randomNormal([B, F], 0, 1, 'float32', 4);
    const full = () => {
      const steps = Math.max(1, ...L);
      const out = torchLstm(params, 'mention_encoder.mention_lstm', melhiContextWindow(tokens, from, tf.tensor1d(L, 'int32'), steps), steps);
      return melhiLstmExtract(out, tf.maximum(tf.tensor1d(L, 'int32'), 1) as tf.Tensor1D, 'reference');
    };
    const fast = () => melhiReferenceContexts(params, tokens, [{ from, lens: L }])[0];
    const a = full();
    const b = fast();
    assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] < 1e-6, 'values');
    assert.ok(tf.max(tf.abs(a)).dataSync()[0] > 0);
    const vars = [...params.values()];
    const ga = tf.variableGrads(() => tf.sum(tf.mul(full(), probe)) as tf.Scalar, vars).grads;
    const gb = tf.variableGrads(() => tf.sum(tf.mul(fast(), probe)) as tf.Scalar, vars).grads;
    for (const v of vars) assert.ok(tf.max(tf.abs(tf.sub(ga[v.name], gb[v.name]))).dataSync()[0] < 1e-5, `gradient ${v.name}`);
  });
}

test('melhiLstm (hand-written backward through time) = torchLstm: values and gradients', async () => {
  await initBackend();
  const params: TorchParams = new Map();
  initLstm(params, 'l', 5, 7, torchRng('lstm-test'));
  const x = tf.randomNormal([3, 6, 5], 0, 1, 'float32', 8) as tf.Tensor3D;
  const probe = tf.randomNormal([3, 4, 7], 0, 1, 'float32', 9);
  const a = torchLstm(params, 'l', x, 4);
  const b = melhiLstm(params, 'l', x, 4);
  assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] < 1e-6);
  const vars = [...params.values()];
  const ga = tf.variableGrads(() => tf.sum(tf.mul(torchLstm(params, 'l', x, 4), probe)) as tf.Scalar, vars).grads;
  const gb = tf.variableGrads(() => tf.sum(tf.mul(melhiLstm(params, 'l', x, 4), probe)) as tf.Scalar, vars).grads;
  for (const v of vars) assert.ok(tf.max(tf.abs(tf.sub(ga[v.name], gb[v.name]))).dataSync()[0] < 1e-5, `gradient ${v.name}`);
  assert.ok(tf.max(tf.abs(gb[vars[1].name])).dataSync()[0] > 0, 'W_hh gets a gradient');
});

test('melhiLstm: one step still gives W_hh its (zero) gradient, as PyTorch (Adam then still steps it)', async () => {
  await initBackend();
  const params: TorchParams = new Map();
  initLstm(params, 'l', 5, 7, torchRng('lstm-one'));
  const x = tf.randomNormal([3, 2, 5], 0, 1, 'float32', 8) as tf.Tensor3D;
  const vars = [...params.values()];
  const g = tf.variableGrads(() => tf.sum(melhiLstm(params, 'l', x, 1)) as tf.Scalar, vars).grads;
  assert.ok(g[vars[1].name], 'W_hh has a gradient');
  assert.equal(tf.max(tf.abs(g[vars[1].name])).dataSync()[0], 0);
  assert.ok(tf.max(tf.abs(g[vars[0].name])).dataSync()[0] > 0);
});

test('MEL-HI reference read-out of two contexts in shared LSTM calls = each alone', async () => {
  await initBackend();
  const params: TorchParams = new Map();
  initLstm(params, 'mention_encoder.mention_lstm', 6, 6, torchRng('pair'));
  const tokens = tf.randomNormal([4, 9, 6], 0, 1, 'float32', 5) as tf.Tensor3D;
  const a = { from: tf.tensor1d([1, 1, 1, 1], 'int32'), lens: Int32Array.from([0, 2, 1, 3]) };
  const b = { from: tf.tensor1d([3, 4, 2, 5], 'int32'), lens: Int32Array.from([5, 4, 6, 0]) };
  const [pa, pb] = melhiReferenceContexts(params, tokens, [a, b]);
  const [sa] = melhiReferenceContexts(params, tokens, [a]);
  const [sb] = melhiReferenceContexts(params, tokens, [b]);
  assert.ok(tf.max(tf.abs(tf.sub(pa, sa))).dataSync()[0] < 1e-6);
  assert.ok(tf.max(tf.abs(tf.sub(pb, sb))).dataSync()[0] < 1e-6);
});
