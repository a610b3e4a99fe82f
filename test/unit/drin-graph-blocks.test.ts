// Each block of the ort engine's DRIN graph (src/models/graph/) on its own: a tiny ONNX graph of just that
// block, run by onnxruntime on random inputs and a random upstream gradient dy, against tf.grad of
// Σ(dy ⊙ tfjs twin) — so a wrong gradient points at its block. Forward values are compared too.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { onnx } from 'onnx-proto';
import { OnnxGraph } from '../../src/onnx/graph';
import { OrtSession } from '../../src/onnx/session';
import { drinConfig, DrinConfig } from '../../src/models/drin-config';
import { initDrinParams } from '../../src/models/drin';
import { drinGraphParamKeys, drinGraphParamShape } from '../../src/models/drin-graph';
import { drinEncodeVertices, drinMentionSpanMean, drinMentionSpanWeights, DrinVertices } from '../../src/models/vertices';
import { DrinEdges, drinInitialEdges } from '../../src/models/edges';
import { drinGcnLayer } from '../../src/models/gcn-layer';
import { drinCosine } from '../../src/nn';
import { tripletLoss } from '../../src/train/loss';
import { Adam } from '../../src/train/adam';
import { BatchInputs, DrinGraphContext, DrinOps, Value } from '../../src/models/graph/ops';
import { denseTerm, GraphVertices, isLazy, vertexBackward, vertexFeatures, vertexForward, VertexGradTerm, VertexGrads } from '../../src/models/graph/vertices';
import { initialEdgesForward } from '../../src/models/graph/edges';
import { gcnLayerBackward, gcnLayerForward } from '../../src/models/graph/gcn-layer';
import { scoreBackward, scoreForward, tripletLossBackward, tripletLossForward } from '../../src/models/graph/loss';
import { adamUpdate } from '../../src/models/graph/adam';

before(async () => {
  await tf.setBackend('cpu');
});

const B = 3;
const R = 4;
const Dt = 7;
const Di = 5;
const D = 6;
const EDGES = ['tt', 'ti', 'it', 'ii'];

let seed = 0;
const normal = (shape: number[]): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', ++seed);
const uniform = (shape: number[]): tf.Tensor => tf.randomUniform(shape, 0.1, 1, 'float32', ++seed);

/** A graph under construction with its feeds: every input is a tfjs tensor fed by name. */
class Harness {
  readonly graph = new OnnxGraph('block');
  readonly feeds: Record<string, tf.Tensor> = {};
  readonly ops: DrinOps;
  readonly ctx: DrinGraphContext;
  readonly params: Map<string, tf.Variable>;
  constructor(readonly cfg: DrinConfig) {
    this.ops = new DrinOps(this.graph, B, R, cfg.gcnDim);
    this.params = initDrinParams(cfg, 5);
    const param: Record<string, Value> = {};
    for (const k of drinGraphParamKeys(cfg)) {
      param[k] = this.graph.input(k, drinGraphParamShape(cfg, k));
      this.feeds[k] = this.params.get(k)!;
    }
    this.ctx = { ops: this.ops, cfg, param };
  }
  /** A graph input `name` with the values of `t`, fed under its own shape or `dims`. */
  input(name: string, t: tf.Tensor, dims = t.shape): Value {
    this.feeds[name] = t.reshape(dims);
    return this.graph.input(name, dims);
  }
  /** Batch inputs declared on first read, fed from `batch`. */
  batchInputs(batch: Record<string, tf.Tensor>): BatchInputs {
    Object.assign(this.feeds, batch);
    return new BatchInputs(this.graph, Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, t.shape])));
  }
  /** Run with outputs `fetch` (name → value, shape) and the outputs a block declared itself (`declared`). */
  run(fetch: Record<string, [Value, number[]]>, declared: string[] = []): Record<string, Float32Array> {
    for (const [name, [value, dims]] of Object.entries(fetch)) this.graph.output(name, value, dims);
    const bytes = this.graph.toBytes();
    const inputs = onnx.ModelProto.decode(bytes).graph!.input!.map((i) => i.name!);
    const session = new OrtSession(bytes, 1);
    try {
      const feeds = Object.fromEntries(inputs.map((k) => [k, { data: Float32Array.from(this.feeds[k].dataSync()), dims: this.feeds[k].shape }]));
      return session.run(feeds, [...Object.keys(fetch), ...declared]);
    } finally {
      session.dispose();
    }
  }
}

/** Largest |ours − ref| / (1e-5 + 1e-4·|ref|): ≤ 1 passes. */
function assertClose(name: string, ours: Float32Array, ref: tf.Tensor): void {
  assert.equal(ours.length, ref.size, `${name}: size ${ours.length} vs ${ref.size}`);
  const r = ref.dataSync();
  let worst = 0;
  for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(ours[i] - r[i]) / (1e-5 + 1e-4 * Math.abs(r[i])));
  assert.ok(worst <= 1, `${name}: differs from tf.grad (excess ${worst.toFixed(2)})`);
}

/** Σ_k ⟨outputs_k, dy_k⟩: a scalar whose gradient is the backward pass with upstream gradients dy. */
const weightedSum = (pairs: [tf.Tensor, tf.Tensor][]): tf.Scalar => tf.addN(pairs.map(([y, dy]) => y.mul(dy).sum())) as tf.Scalar;

/** A batch of the inputs the vertex and edge blocks read (graph names; span as weights). */
function vertexBatch(): { graph: Record<string, tf.Tensor>; tfjs: Record<string, tf.Tensor> } {
  const start = tf.tensor1d([1, 2, 1], 'int32');
  const end = tf.tensor1d([3, 5, 2], 'int32');
  const shared = {
    mention_text_feature: normal([B, 6, Dt]),
    mention_image_feature: uniform([B, 4, Di]),
    entity_image_feature: uniform([B, R, 1, Di]),
    mention_object_feature: uniform([B, 3, Di]),
    mention_object_score: uniform([B, 3]),
    entity_object_feature: uniform([B, R, 1, Di]),
    entity_object_score: uniform([B, R, 1]),
    miet_similarity: uniform([B, R]).mul(30),
    mtei_similarity: uniform([B, R]).mul(30),
  };
  const vector = normal([B, R, Dt]);
  return {
    graph: { ...shared, entity_text_vector: vector, span_weights: drinMentionSpanWeights(6, start, end) },
    tfjs: { ...shared, entity_text_feature: vector, mention_start_pos: start, mention_end_pos: end },
  };
}

test('vertex block: span/region features and the four Linears; their gradients = tf.grad of drinEncodeVertices', () => {
  const cfg = drinConfig({ bertDim: Dt, resnetDim: Di, gcnDim: D });
  const h = new Harness(cfg);
  const batch = vertexBatch();
  const { features } = vertexFeatures(h.ops, h.batchInputs(batch.graph), Dt, Di);
  const vertices = vertexForward(h.ctx, features, false);
  const dy = { mt: normal([B, D]), mi: normal([B, D]), et: normal([B, R, D]), ei: normal([B, R, D]) };
  const upstream: VertexGrads = {
    mt: [h.input('d_mt', dy.mt)],
    mi: [h.input('d_mi', dy.mi)],
    et: [h.input('d_et', dy.et, [B * R, D])],
    ei: [h.input('d_ei', dy.ei, [B * R, D])],
  };
  const grads: Record<string, Value> = {};
  vertexBackward(h.ctx, features, upstream, grads);
  const keys = Object.keys(grads);
  assert.equal(keys.length, 8);
  const out = h.run({
    mt: [vertices.mt, [B, D]],
    et: [vertices.et as Value, [B * R, D]],
    ...Object.fromEntries(keys.map((k) => [`grad:${k}`, [grads[k], drinGraphParamShape(cfg, k)]])),
  });
  const encode = (): DrinVertices =>
    drinEncodeVertices(
      h.params,
      drinMentionSpanMean(batch.tfjs.mention_text_feature, batch.tfjs.mention_start_pos, batch.tfjs.mention_end_pos),
      batch.tfjs.entity_text_feature,
      batch.tfjs,
    );
  const ref = encode();
  assertClose('mt', out.mt, ref.mt);
  assertClose('et', out.et, ref.et);
  const vars = keys.map((k) => h.params.get(k)!);
  const { grads: refGrads } = tf.variableGrads(() => {
    const v = encode();
    return weightedSum([
      [v.mt, dy.mt],
      [v.mi, dy.mi],
      [v.et, dy.et],
      [v.ei, dy.ei],
    ]);
  }, vars);
  keys.forEach((k, i) => assertClose(k, out[`grad:${k}`], refGrads[vars[i].name]));
});

test('initial edge block (forward only: the edges are data) = drinInitialEdges', () => {
  const cfg = drinConfig({ bertDim: Dt, resnetDim: Di, gcnDim: D });
  const h = new Harness(cfg);
  const batch = vertexBatch();
  const span = normal([B, Dt]);
  const inputs = h.batchInputs(batch.graph);
  const edges = initialEdgesForward(h.ops, inputs, h.input('span', span), inputs.get('entity_text_vector'), cfg.cosineEps);
  const out = h.run(Object.fromEntries(edges.map((e, k) => [EDGES[k], [e, [B, R]]])));
  const ref = drinInitialEdges(batch.tfjs, span, batch.tfjs.entity_text_feature, cfg.cosineEps);
  EDGES.forEach((name, k) => assertClose(name, out[name], ref[k]));
});

test('score + triplet loss block: loss and its gradients to the final mention / entity text = tf.grad', () => {
  const cfg = drinConfig({ bertDim: Dt, resnetDim: Di, gcnDim: D });
  const h = new Harness(cfg);
  const mt = normal([B, D]);
  const et = normal([B, R, D]).mul(0.3);
  const onehot = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), R - 1).toFloat();
  const score = scoreForward(h.ops, h.input('mt', mt), h.input('et', et, [B * R, D]), cfg.cosineEps);
  const oh = h.input('onehot', onehot);
  const triplet = tripletLossForward(h.ops, score.scores, oh, 0.25);
  const back = scoreBackward(h.ops, score.tape, tripletLossBackward(h.ops, triplet.tape, oh));
  const out = h.run({ scores: [score.scores, [B, R]], loss: [triplet.loss, []], d_mt: [back.mention, [B, D]], d_et: [back.entity, [B * R, D]] });
  const f = (m: tf.Tensor, e: tf.Tensor) => tripletLoss(drinCosine(m.reshape([B, 1, D]), e, cfg.cosineEps), onehot, 0.25);
  assertClose('scores', out.scores, drinCosine(mt.reshape([B, 1, D]), et, cfg.cosineEps));
  assertClose('loss', out.loss, f(mt, et));
  const [dmt, det] = tf.grads(f)([mt, et]);
  assert.ok(dmt.abs().max().dataSync()[0] > 1e-3, 'the loss is active (some hinge > 0)');
  assertClose('d mention', out.d_mt, dmt);
  assertClose('d entity', out.d_et, det);
});

/**
 * GCN layer `index` of a `numLayers`-layer model on random vertices and edges (or, with `lazyFromFeatures`,
 * on the vertex block's output with lazy entity vertices): outputs and every gradient = tf.grad of drinGcnLayer.
 */
function gcnLayerCase(opt: Partial<DrinConfig>, index: number, lazyFromFeatures = false): void {
  const cfg = drinConfig({ bertDim: Dt, resnetDim: Di, gcnDim: D, numLayers: 3, ...opt });
  const last = index === cfg.numLayers - 1;
  const h = new Harness(cfg);
  const batch = vertexBatch();
  const vin = { mt: normal([B, D]), mi: normal([B, D]), et: normal([B, R, D]), ei: normal([B, R, D]) };
  const ein = EDGES.map(() => uniform([B, R]));
  let graphVertices: GraphVertices;
  let features: ReturnType<typeof vertexFeatures>['features'] | undefined;
  if (lazyFromFeatures) {
    features = vertexFeatures(h.ops, h.batchInputs(batch.graph), Dt, Di).features;
    graphVertices = vertexForward(h.ctx, features, true);
    assert.ok(isLazy(graphVertices.et) && isLazy(graphVertices.ei), 'B·R > din: lazy entity vertices');
  } else graphVertices = { mt: h.input('mt', vin.mt), mi: h.input('mi', vin.mi), et: h.input('et', vin.et, [B * R, D]), ei: h.input('ei', vin.ei, [B * R, D]) };
  const layer = gcnLayerForward(
    h.ctx,
    index,
    graphVertices,
    ein.map((e, k) => h.input(EDGES[k], e)),
  );
  const dynamicOut = !last && cfg.edgeType === 'dynamic';
  const dy = { mt: normal([B, D]), mi: normal([B, D]), et: normal([B, R, D]), ei: normal([B, R, D]) };
  const dEdges = EDGES.map(() => normal([B, R]));
  const upstream: VertexGrads = { mt: [h.input('d_mt', dy.mt)], et: [h.input('d_et', dy.et, [B * R, D])], mi: [], ei: [] };
  if (!last) {
    upstream.mi.push(h.input('d_mi', dy.mi));
    upstream.ei.push(h.input('d_ei', dy.ei, [B * R, D]));
  }
  const grads: Record<string, Value> = {};
  const back = gcnLayerBackward(
    h.ctx,
    layer.tape,
    upstream,
    EDGES.map((name, k) => (dynamicOut ? [h.input(`d_${name}_out`, dEdges[k])] : [])),
    grads,
  );
  const fetch: Record<string, [Value, number[]]> = { new_mt: [layer.vertices.mt, [B, D]], new_et: [layer.vertices.et as Value, [B * R, D]] };
  if (dynamicOut) layer.edges.forEach((e, k) => (fetch[`${EDGES[k]}_out`] = [e, [B, R]]));
  if (features) vertexBackward(h.ctx, features, back.vertices, grads);
  else {
    const sum = (terms: VertexGradTerm[]): Value => h.ops.sum(terms.map((t) => denseTerm(h.ops, t)));
    fetch.in_d_mt = [sum(back.vertices.mt), [B, D]];
    fetch.in_d_mi = [sum(back.vertices.mi), [B, D]];
    fetch.in_d_et = [sum(back.vertices.et), [B * R, D]];
    fetch.in_d_ei = [sum(back.vertices.ei), [B * R, D]];
    back.edges.forEach((list, k) => list.length && (fetch[`in_d_${EDGES[k]}`] = [h.ops.sum(list), [B, R]]));
  }
  const keys = Object.keys(grads);
  for (const k of keys) fetch[`grad:${k}`] = [grads[k], drinGraphParamShape(cfg, k)];
  const out = h.run(fetch);

  // tfjs: the same layer on the same values (vertices from the vertex block when lazy)
  const inputs = { mt: tf.variable(vin.mt), mi: tf.variable(vin.mi), et: tf.variable(vin.et), ei: tf.variable(vin.ei) };
  const edgeVars = ein.map((e) => tf.variable(e));
  const forward = () => {
    const v = features
      ? drinEncodeVertices(
          h.params,
          drinMentionSpanMean(batch.tfjs.mention_text_feature, batch.tfjs.mention_start_pos, batch.tfjs.mention_end_pos),
          batch.tfjs.entity_text_feature,
          batch.tfjs,
        )
      : inputs;
    return drinGcnLayer(h.params, index, cfg, v, edgeVars as DrinEdges, { last });
  };
  const ref = forward();
  assertClose('mt', out.new_mt, ref.vertices.mt);
  assertClose('et', out.new_et, ref.vertices.et);
  if (dynamicOut) EDGES.forEach((name, k) => assertClose(`${name} out`, out[`${name}_out`], ref.edges[k]));
  const paramVars = keys.map((k) => h.params.get(k)!);
  const inputVars = features ? [] : [inputs.mt, inputs.mi, inputs.et, inputs.ei, ...edgeVars];
  const { grads: refGrads } = tf.variableGrads(() => {
    const r = forward();
    const pairs: [tf.Tensor, tf.Tensor][] = [
      [r.vertices.mt, dy.mt],
      [r.vertices.et, dy.et],
    ];
    if (!last) pairs.push([r.vertices.mi, dy.mi], [r.vertices.ei, dy.ei]);
    if (dynamicOut) r.edges.forEach((e, k) => pairs.push([e, dEdges[k]]));
    return weightedSum(pairs);
  }, [...paramVars, ...inputVars]);
  keys.forEach((k, i) => assertClose(k, out[`grad:${k}`], refGrads[paramVars[i].name]));
  if (!features) {
    (['mt', 'mi', 'et', 'ei'] as const).forEach((v) => assertClose(`d ${v}`, out[`in_d_${v}`], refGrads[inputs[v].name]));
    // edges: a gradient exactly where a lower layer's dynamic edges feed them (graph/gcn-layer.ts header)
    const edgesHaveGrad = cfg.edgeType === 'dynamic' && index > 0;
    EDGES.forEach((name, k) => {
      if (!edgesHaveGrad) return assert.equal(out[`in_d_${name}`], undefined, `${name}: no gradient to the initial edges`);
      if (cfg.edgeEnabled[k] === 0) return assert.equal(out[`in_d_${name}`], undefined, `${name}: masked edge, no gradient`);
      const ref = refGrads[edgeVars[k].name];
      // an edge the layer does not read (ii in the last layer) gets no gradient term; tfjs's is zero or absent
      if (!out[`in_d_${name}`]) return assert.ok(!ref || ref.abs().max().dataSync()[0] === 0, `${name}: no ort gradient but a non-zero tfjs one`);
      assertClose(`d ${name}`, out[`in_d_${name}`], ref);
    });
  }
  assert.ok(
    keys.some((k) => Math.max(...out[`grad:${k}`].map(Math.abs)) > 1e-3),
    'gradients are not all ~0',
  );
}

test('GCN layer block, middle layer (dynamic edges, their gradients to the layer below) = tf.grad of drinGcnLayer', () => gcnLayerCase({}, 1));
test('GCN layer block, middle layer with edge mask [1, 0.5, 0, 1] and maskGoldSlot = tf.grad', () =>
  gcnLayerCase({ edgeEnabled: [1, 0.5, 0, 1], maskGoldSlot: true }, 1));
test('GCN layer block, last layer (mt and et rows only, no edges) = tf.grad', () => gcnLayerCase({}, 2));
test('GCN layer block, static edges = tf.grad', () => gcnLayerCase({ edgeType: 'static' }, 1));
test('GCN layer block, first layer: edges get no gradient = tf.grad', () => gcnLayerCase({}, 0));
test('vertex block + first GCN layer with lazy entity vertices (B·R > din: x-side products) = tf.grad', () => gcnLayerCase({}, 0, true));

test('Adam block: one fused update = src/train/adam.ts (parameter and both moments, two steps)', () => {
  const cfg = drinConfig({ bertDim: Dt, resnetDim: Di, gcnDim: D });
  const key = 'p';
  const param = tf.variable(normal([4, 3]));
  const adam = new Adam({ lr: 0.01 });
  let host = { p: Float32Array.from(param.dataSync()), m: new Float32Array(12), v: new Float32Array(12) };
  for (let step = 1; step <= 2; step++) {
    const grad = normal([4, 3]);
    const h = new Harness(cfg);
    const ops = h.ops;
    const { stepSize, bc2Sqrt } = adam.scalars(step);
    const p = h.input(key, tf.tensor(host.p, [4, 3]));
    adamUpdate(ops, adam.opts, key, p, h.input('grad', grad), [4, 3]);
    Object.assign(h.feeds, {
      [`adam.m:${key}`]: tf.tensor(host.m, [4, 3]),
      [`adam.v:${key}`]: tf.tensor(host.v, [4, 3]),
      [`adam.step_size:${key}`]: tf.scalar(stepSize),
      [`adam.bc2_sqrt:${key}`]: tf.scalar(bc2Sqrt),
    });
    const out = h.run({}, [`next:${key}`, `next.m:${key}`, `next.v:${key}`]);
    adam.step(new Map([[key, param]]), new Map([[key, grad]]));
    const state = adam.getState();
    assertClose(`step ${step}: parameter`, out[`next:${key}`], param);
    assertClose(`step ${step}: m`, out[`next.m:${key}`], state.m.get(key)!);
    assertClose(`step ${step}: v`, out[`next.v:${key}`], state.v.get(key)!);
    host = { p: out[`next:${key}`], m: out[`next.m:${key}`], v: out[`next.v:${key}`] };
  }
});
