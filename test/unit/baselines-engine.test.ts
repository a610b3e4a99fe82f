// GHMFC's ort engine (ghmfc-graph.ts, generated backward) against its tfjs engine (tf.variableGrads over
// ghmfcForward) on every mention option and entity layout, random weights and batches; the memory check.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import * as fs from 'node:fs';
import { nvidiaInfo } from '../../src/device';
import { createGhmfc, GhmfcConfig, ghmfcEntityText } from '../../src/models/ghmfc';
import { reassociationSaves, ReassociateAttention } from '../../src/models/ghmfc-graph';
import { GhmfcOrtEngine, ghmfcStepMemory } from '../../src/models/ghmfc-ort';
import { ortExecutionProviders, OrtSession, ortUnavailable } from '../../src/onnx/session';
import { tripletLoss } from '../../src/train/loss';
import { needs } from '../helpers/needs';

const why = ortUnavailable();
const B = 3, T = 7, N = 4, R = 5, L = 6, Dt = 16, Di = 24;

function batch(layout: 'wikidiverse' | 'wikimel'): Record<string, tf.Tensor> {
  const n = (shape: number[], s: number) => tf.randomNormal(shape, 0, 1, 'float32', s);
  const lens = [7, 5, 4];
  const entity: Record<string, tf.Tensor> =
    layout === 'wikidiverse'
      ? { entity_text_feature: n([B, R, Dt], 5) }
      : {
          entity_text_feature: n([B, R, L, Dt], 5),
          entity_text_mask: tf.tensor3d(Array.from({ length: B * R * L }, (_, i) => ((i % L) < 3 + (Math.floor(i / L) % 3) ? 1 : 0)), [B, R, L], 'int32'),
        };
  return {
    mention_text_feature: n([B, T, Dt], 1),
    mention_text_mask: tf.tensor2d(lens.flatMap((len) => Array.from({ length: T }, (_, t) => (t < len ? 1 : 0))), [B, T], 'int32'),
    mention_start_pos: tf.tensor1d([1, 2, 1], 'int32'),
    mention_end_pos: tf.tensor1d([3, 4, 2], 'int32'),
    mention_image_feature: tf.randomUniform([B, N, Di], 0, 1, 'float32', 2),
    ...entity,
    answer_onehot: tf.oneHot(tf.tensor1d([0, 2, 3], 'int32'), R - 1).toFloat(),
  };
}

const CONFIGS: Array<[string, Partial<GhmfcConfig>]> = [
  ['multimodal bi (GHMFC)', {}],
  ['multimodal text, max pool', { multimodalAttention: 'text' }],
  ['multimodal text, avg extract', { multimodalAttention: 'text', mentionRepresentation: 'avg extract' }],
  ['linear', { mentionLayer: 'linear' }],
  ['transformer (2 layers, relu), max pool', { mentionLayer: 'transformer', transformerLayers: 2, transformerFfnDim: 12, transformerActivation: 'relu' }],
  ['transformer (1 layer), avg extract', { mentionLayer: 'transformer', transformerLayers: 1, transformerFfnDim: 12, mentionRepresentation: 'avg extract' }],
  ['none, max pool', { mentionLayer: 'none' }],
  ['linear, entity none', { mentionLayer: 'linear', entityLayer: 'none' }],
  ['none, avg extract', { mentionLayer: 'none', mentionRepresentation: 'avg extract' }],
  ['wikimel, entity max pooling', { dataset: 'wikimel', entityPooling: 'max' }],
  ['wikimel, entity CLS', { dataset: 'wikimel', entityPooling: 'bert default', subspaceActivation: 'tanh' }],
];

before(async () => {
  await initBackend();
});

const RUNS: Array<[string, Partial<GhmfcConfig>, ReassociateAttention?]> = [
  ...CONFIGS.map(([name, over]): [string, Partial<GhmfcConfig>] => [name, over]),
  ['multimodal bi, attention over the other modality re-associated', {}, 'always'],
  ['multimodal text, attention over the image re-associated', { multimodalAttention: 'text' }, 'always'],
];

for (const [name, over, reassociateAttention] of RUNS) {
  test(`GHMFC ort engine = tfjs engine: ${name}`, { skip: needs(!why, why ?? '') }, () => {
    const cfg: Partial<GhmfcConfig> = { dataset: 'wikidiverse', bertDim: Dt, resnetDim: Di, mentionOutputDim: Dt, entityOutputDim: Dt, numHeads: 4, ...over };
    const ort = createGhmfc(cfg, 3, { engine: 'ort', dropout: false, reassociateAttention });
    const ref = createGhmfc(cfg, 3, { engine: 'tfjs' });
    assert.equal(ort.engine, 'ort');
    assert.deepEqual([...ort.params.keys()], [...ref.params.keys()]);
    const b = batch(cfg.dataset!);
    const out = ort.lossAndGrads!(b, 0.25);
    const keys = [...ref.params.keys()];
    const vars = keys.map((k) => ref.params.get(k)!);
    const { value, grads } = tf.variableGrads(() => tripletLoss(ref.scores(b, { training: false }), b.answer_onehot, 0.25), vars);
    assert.ok(Math.abs(out.loss - value.dataSync()[0]) < 1e-5, `loss ${out.loss} vs ${value.dataSync()[0]}`);
    assert.ok(out.loss > 0, 'a loss with something to learn');
    const sd = tf.max(tf.abs(tf.sub(out.scores, ref.scores(b)))).dataSync()[0];
    assert.ok(sd < 1e-5, `scores differ by ${sd}`);
    let nonzero = 0;
    keys.forEach((k, i) => {
      const g = grads[vars[i].name];
      const ours = out.grads.get(k)!;
      const worst = tf.max(tf.sub(tf.abs(tf.sub(ours, g)), tf.mul(tf.abs(g), 1e-3))).dataSync()[0];
      assert.ok(worst < 1e-5, `gradient ${k}: excess ${worst}`);
      if (tf.max(tf.abs(ours)).dataSync()[0] > 0) nonzero++;
    });
    assert.ok(nonzero > 0, 'some gradient flows');
  });
}

test('GHMFC ort engine: a step that cannot fit says so before it runs, with the memory it needs', { skip: needs(!why, why ?? '') }, () => {
  const m = createGhmfc({ dataset: 'wikidiverse', bertDim: Dt, resnetDim: Di, numHeads: 4 }, 0, { engine: 'ort', memoryLimitBytes: 1e5 });
  const before = m.params.get('entity_encoder.final_layer.weight')!.dataSync().slice();
  assert.throws(() => m.lossAndGrads!(batch('wikidiverse'), 0.25), /needs about [\d.]+ GB .*available\. Use a smaller batch/);
  assert.deepEqual(m.params.get('entity_encoder.final_layer.weight')!.dataSync(), before);
});

test('GHMFC step memory: grows linearly with the batch, parameters counted once; full width at batch 64 fits in 24 GB', () => {
  const full = createGhmfc({ dataset: 'wikidiverse' }, 0, { engine: 'tfjs' });
  const shapes = new Map([...full.params].map(([k, v]) => [k, v.shape]));
  const m16 = ghmfcStepMemory(full.config, shapes, { B: 16, T: 128, N: 49, R: 11 });
  const m64 = ghmfcStepMemory(full.config, shapes, { B: 64, T: 128, N: 49, R: 11 });
  assert.equal(m16.paramBytes, m64.paramBytes);
  let n = 0;
  shapes.forEach((s) => (n += s.reduce((a, b) => a * b, 1)));
  assert.equal(m64.paramBytes, 32 * n);
  // graph: activations ∝ B (the text and image streams: ≥ 2 × (128 × 768 + 49 × 2048) floats per mention and block)
  const perMention = (m64.graphBytes - m16.graphBytes) / 48;
  assert.ok(perMention > 4 * 2 * (128 * 768 + 49 * 2048), `activations per mention ${perMention}`);
  // calibration (ghmfc-ort.ts): measured peak RSS 6.4–6.9 GiB at batch 64 — the estimate is above it, and fits 24 GB
  assert.ok(m64.totalBytes > 6.9 * 2 ** 30 && m64.totalBytes < 24 * 2 ** 30, `batch 64 needs ${(m64.totalBytes / 2 ** 30).toFixed(1)} GB`);
  full.params.forEach((v) => v.dispose());
});

test('GHMFC ort engine: sessions come from the `session` option when given (execution providers, threads), one per shape and mode', { skip: needs(!why, why ?? '') }, () => {
  const made: number[] = [];
  const m = createGhmfc({ dataset: 'wikidiverse', bertDim: Dt, resnetDim: Di, numHeads: 4 }, 0, {
    engine: 'ort',
    dropout: false,
    session: (bytes) => {
      made.push(bytes.length);
      return new OrtSession(bytes, 1);
    },
  });
  const b = batch('wikidiverse');
  m.lossAndGrads!(b, 0.25);
  m.lossAndGrads!(b, 0.25);
  m.scores(b);
  assert.equal(made.length, 2, 'one training and one scoring session');
});

test('GHMFC attention re-association: at the paper sizes only the image-over-text attention saves multiply-adds', () => {
  const paper = { heads: 8, T: 128, N: 49, Dt: 768, Di: 2048 };
  // t2v: text queries over the image (a2b), then over the text itself (b2a); v2t: image queries over the text, then the image
  assert.equal(reassociationSaves({ E: paper.Dt, heads: paper.heads, Lq: paper.T, Lk: paper.N, kdim: paper.Di }), false);
  assert.equal(reassociationSaves({ E: paper.Dt, heads: paper.heads, Lq: paper.T, Lk: paper.T, kdim: paper.Dt }), false);
  assert.equal(reassociationSaves({ E: paper.Di, heads: paper.heads, Lq: paper.N, Lk: paper.T, kdim: paper.Dt }), true);
  assert.equal(reassociationSaves({ E: paper.Di, heads: paper.heads, Lq: paper.N, Lk: paper.N, kdim: paper.Di }), false);
  // the parity fixtures' sizes (8 heads, 9 regions over 16 tokens of 32, E 48) keep the reference's order
  assert.equal(reassociationSaves({ E: 48, heads: 8, Lq: 9, Lk: 16, kdim: 32 }), false);
});

/** A machine with an NVIDIA driver may have a working CUDA provider: the "fails here" check does not apply. */
const onGpu = nvidiaInfo().gpus.length > 0 || fs.existsSync('/proc/driver/nvidia/version') ? 'this machine has an NVIDIA driver' : false;

test('GHMFC ort engine: its sessions get the device and the onnxruntime options (cuda: the CUDA provider on the given device index)', { skip: needs(!why, why ?? '') }, () => {
  const cfg = { dataset: 'wikidiverse' as const, bertDim: Dt, resnetDim: Di, numHeads: 4 };
  const cpu = createGhmfc(cfg, 0, { engine: 'ort', device: 'cpu', dropout: false });
  assert.equal(cpu.device, 'cpu');
  assert.deepEqual(cpu.ort!.sessionOptions(), { device: 'cpu', allowSpinning: true });
  const first = cpu.lossAndGrads!(batch('wikidiverse'), 0.25);
  assert.ok(Number.isFinite(first.loss));
  first.scores.dispose();
  first.grads.forEach((g) => g.dispose());
  // the engine as createGhmfc builds it once resolveOrtDevice says cuda (DRIN_CUDA_DEVICE=1, DRIN_ORT_THREADS=2)
  const cuda = new GhmfcOrtEngine(cpu.config, cpu.params, (b) => ghmfcEntityText(cpu.config, b), { device: 'cuda', ort: { cudaDevice: 1, threads: 2 }, dropout: false });
  const o = cuda.sessionOptions();
  assert.deepEqual(o, { device: 'cuda', cudaDevice: 1, threads: 2, allowSpinning: true });
  assert.deepEqual(ortExecutionProviders(o.device, { ...o, tf32: true }), [{ name: 'cuda', deviceId: 1 }]);
  cpu.params.forEach((p) => p.dispose());
});

test('GHMFC ort engine on cuda asks onnxruntime for the CUDA provider (fails here with its error, before a step runs)', { skip: needs(!why, why ?? '') || onGpu }, () => {
  const m = createGhmfc({ dataset: 'wikidiverse', bertDim: Dt, resnetDim: Di, numHeads: 4 }, 0, { engine: 'ort', device: 'cpu', dropout: false });
  const cuda = new GhmfcOrtEngine(m.config, m.params, (b) => ghmfcEntityText(m.config, b), { device: 'cuda', dropout: false });
  const before = m.params.get('entity_encoder.final_layer.weight')!.dataSync().slice();
  assert.throws(() => cuda.step(batch('wikidiverse'), 0.25), /OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library/);
  assert.deepEqual(m.params.get('entity_encoder.final_layer.weight')!.dataSync(), before);
  m.params.forEach((p) => p.dispose());
});
