// onnxruntime's fused kernels that the DRIN graph uses (src/models/graph/gcn-layer.ts, layerNormGeluForward):
// ONNX LayerNormalization (opset 17, with its mean and inverse-std outputs) and com.microsoft Gelu, built
// through OnnxGraph (opDomain for the contrib op), against the written-out float64 formulas on random rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { OnnxGraph } from '../../src/onnx/graph';
import { OrtSession } from '../../src/onnx/session';

const N = 5;
const D = 16;
const EPS = 1e-5;

let seed = 7;
const rand = (n: number, scale: number, shift = 0): Float32Array =>
  Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * scale + shift);

/** erf to float64 precision far beyond float32 (Abramowitz–Stegun 7.1.26 is too coarse; a series + continued fraction). */
function erf(x: number): number {
  if (Math.abs(x) < 3) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x); // |erf| within 2e-5 of 1 for |x| ≥ 3: below float32's step near 1 after 0.5(1 + ·)·x rounding
}

test('OnnxGraph.opDomain declares the contrib domain; LayerNormalization + com.microsoft Gelu match the formulas', () => {
  const g = new OnnxGraph('ln-gelu');
  const P = g.input('P', [N, D]);
  const gamma = g.input('gamma', [D]);
  const beta = g.input('beta', [D]);
  const [Y, mean, rstd] = g.opN('LayerNormalization', [P, gamma, beta], { axis: -1, epsilon: { float: EPS } }, 3);
  const [out] = g.opDomain('com.microsoft', 1, 'Gelu', [Y]);
  g.output('Y', Y, [N, D]);
  g.output('mean', mean, [N, 1]);
  g.output('rstd', rstd, [N, 1]);
  g.output('out', out, [N, D]);
  const bytes = g.toBytes();
  const model = onnx.ModelProto.decode(bytes);
  assert.deepEqual(
    model.opsetImport.map((o) => [o.domain, Number(o.version)]),
    [
      ['', 17],
      ['com.microsoft', 1],
    ],
  );
  assert.equal(model.graph!.node!.find((n) => n.opType === 'Gelu')!.domain, 'com.microsoft');

  const p = rand(N * D, 4, 0.3);
  const ga = rand(D, 1, 1);
  const be = rand(D, 1);
  const s = new OrtSession(bytes, 1);
  const res = s.run({ P: { data: p, dims: [N, D] }, gamma: { data: ga, dims: [D] }, beta: { data: be, dims: [D] } }, ['Y', 'mean', 'rstd', 'out']);
  s.dispose();
  let maxY = 0;
  let maxOut = 0;
  for (let n = 0; n < N; n++) {
    const row = Array.from(p.subarray(n * D, (n + 1) * D));
    const mu = row.reduce((a, b) => a + b, 0) / D;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / D;
    const r = 1 / Math.sqrt(v + EPS);
    assert.ok(Math.abs(res.mean[n] - mu) < 1e-6, `row ${n} mean ${res.mean[n]} vs ${mu}`);
    assert.ok(Math.abs(res.rstd[n] - r) < 1e-5 * r, `row ${n} rstd ${res.rstd[n]} vs ${r}`);
    for (let d = 0; d < D; d++) {
      const y = (row[d] - mu) * r * ga[d] + be[d];
      maxY = Math.max(maxY, Math.abs(res.Y[n * D + d] - y));
      const yf = res.Y[n * D + d];
      maxOut = Math.max(maxOut, Math.abs(res.out[n * D + d] - 0.5 * yf * (1 + erf(yf / Math.SQRT2))));
    }
  }
  assert.ok(maxY < 1e-5, `LayerNormalization max |Δ| ${maxY}`);
  assert.ok(maxOut < 1e-6, `Gelu max |Δ| ${maxOut} (the exact erf form; FastGelu's tanh approximation is off by ~1e-4)`);
});

test('OnnxGraph.toBytes leaves out the nodes no output reads and the constants only they read (onnxruntime warns about unused initializers)', () => {
  const g = new OnnxGraph('dead');
  const a = g.input('a', [2]);
  const live = g.constF([2, 3], [2]);
  const dead = g.constF([5, 7], [2]);
  const deadAxes = g.constI([0]);
  g.op('ReduceSum', [g.op('Mul', [a, dead]), deadAxes]); // built, never read
  g.output('y', g.op('Mul', [a, live]), [2]);
  const m = onnx.ModelProto.decode(g.toBytes());
  assert.deepEqual(m.graph!.node!.map((n) => n.opType), ['Mul']);
  assert.deepEqual(m.graph!.initializer!.map((t) => t.name), [live]);
  const y = new OrtSession(g.toBytes(), 1).run({ a: { data: new Float32Array([1, 10]), dims: [2] } }, ['y']);
  assert.deepEqual(Array.from(y.y), [2, 30]);
});
