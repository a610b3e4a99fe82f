// src/nn against torch 1.13: values and gradients from test/fixtures/torch-nn/make_torch_nn.py
// (float32, /usr/bin/python3 + python3-torch), on the wasm and cpu backends.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { torchActivation, torchCosineSimilarity, torchGelu, torchLayerNorm, torchLinear } from '../../src/nn';

const REF = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'torch-nn', 'torch-nn.json'), 'utf8'));

before(async () => {
  await tf.setBackend('wasm');
});

/** Largest |a − b| / max(1, |b|) over all elements. */
function maxErr(a: tf.Tensor, b: number[]): number {
  const x = a.dataSync();
  assert.equal(x.length, b.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

for (const backend of ['wasm', 'cpu']) {
  test(`exact GELU (erfc form) = torch.nn.functional.gelu, value and gradient (${backend})`, async () => {
    await tf.setBackend(backend);
    const x = tf.tensor1d(REF.gelu.x);
    assert.ok(maxErr(torchGelu(x), REF.gelu.y) <= 3e-7, `value ${maxErr(torchGelu(x), REF.gelu.y)}`);
    const g = tf.grad((v: tf.Tensor) => torchGelu(v).sum())(x);
    assert.ok(maxErr(g, REF.gelu.grad) <= 3e-7, `grad ${maxErr(g, REF.gelu.grad)}`);
    // the other candidate, tfjs's erf, is as close on [-8, 8] (the erf question: both pass; erfc is backend-independent)
    const viaTfErf = x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1));
    assert.ok(maxErr(viaTfErf, REF.gelu.y) <= 3e-7);
    assert.equal(torchActivation('gelu (exact, erf)'), torchGelu);
    assert.throws(() => torchActivation('swish'), /unknown activation 'swish' \(expected gelu, relu/);
  });

  test(`CosineSimilarity = torch 1.13 to float32 rounding, value and gradient, sub-eps rows included (${backend})`, async () => {
    await tf.setBackend(backend);
    const c = REF.cosine;
    const a = tf.tensor(c.a, c.a_shape); // [B,1,D]
    const b = tf.tensor(c.b, c.b_shape); // [B,R,D], with a zero row and rows shorter than eps
    const w = tf.range(1, c.y.length + 1, 1).reshape([c.b_shape[0], c.b_shape[1]]);
    const y = torchCosineSimilarity(a, b, c.eps);
    assert.ok(maxErr(y, c.y) <= 2e-7, `value ${maxErr(y, c.y)}`);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => torchCosineSimilarity(p, q, c.eps).mul(w).sum())([a, b]);
    // gradients reach 1e9 on the sub-eps rows: compare relatively
    const rel = (t: tf.Tensor, ref: number[]) => {
      const v = t.dataSync();
      return Math.max(...ref.map((r, i) => Math.abs(v[i] - r) / Math.max(1, Math.abs(r))));
    };
    assert.ok(rel(ga, c.grad_a) <= 1e-5, `grad a ${rel(ga, c.grad_a)}`);
    assert.ok(rel(gb, c.grad_b) <= 1e-5, `grad b ${rel(gb, c.grad_b)}`);
    // the formula matters: clamping the product |x|²|y|² instead of each norm is far off on short vectors
    const product = tf.tidy(() => a.mul(b).sum(-1).div(a.square().sum(-1).mul(b.square().sum(-1)).maximum(c.eps * c.eps).sqrt()));
    assert.ok(maxErr(product, c.y) > 1e-3);
  });

  test(`LayerNorm then Linear = torch, value and input gradient (${backend})`, async () => {
    await tf.setBackend(backend);
    const L = REF.layernorm_linear;
    const x = tf.tensor(L.x, L.shape);
    const [gamma, beta, W, bias] = [tf.tensor(L.ln_weight), tf.tensor(L.ln_bias), tf.tensor(L.linear_weight, L.linear_weight_shape), tf.tensor(L.linear_bias)];
    const f = (v: tf.Tensor) => torchLinear(torchLayerNorm(v, gamma, beta, L.eps), W, bias);
    assert.ok(maxErr(f(x), L.y) <= 5e-7, `value ${maxErr(f(x), L.y)}`);
    const g = tf.grad((v: tf.Tensor) => f(v).sum())(x);
    assert.ok(maxErr(g, L.grad_x) <= 2e-7, `grad ${maxErr(g, L.grad_x)}`);
    assert.throws(() => torchLinear(x, tf.zeros([7, 5])), /input last axis is 16 but weight is \[7,5\]/);
  });
}
