// GHMFC and MEL-HI against the reference PyTorch fixtures (../shared/fixtures/baselines):
// forward scores and inner blocks, triplet loss, gradients, one Adam step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { createGhmfc, ghmfcConfigFromManifest, ghmfcForward } from '../../src/models/ghmfc';
import { createMelhi, melhiConfigFromManifest, melhiForward } from '../../src/models/melhi';
import { torchLoadParams } from '../../src/nn';
import { tripletLoss } from '../../src/train/loss';
import { Adam } from '../../src/train/adam';
import { RankingModel } from '../../src/train/model';
import { ortUnavailable } from '../../src/onnx/session';
import { needs } from '../helpers/needs';
import { Fixture, loadFixture, maxAbsDiff } from './baselines-helpers';
import { lacks } from '../helpers/needs';

const NAMES = ['ghmfc-wikidiverse-small', 'ghmfc-wikimel-small', 'melhi-wikidiverse-small'];

function build(fx: Fixture, engine: 'tfjs' | 'ort' = 'tfjs'): RankingModel {
  // the fixtures ran in eval mode: no dropout in the ort engine's training step either
  const m = fx.manifest.model_type === 'melhi' ? createMelhi(melhiConfigFromManifest(fx.manifest)) : createGhmfc(ghmfcConfigFromManifest(fx.manifest), 0, { engine, dropout: false });
  torchLoadParams(m.params, fx.params);
  return m;
}

for (const name of NAMES) {
  test(`${name}: forward, inner blocks, loss, gradients and one Adam step match the reference`, async (t) => {
    const fx = loadFixture(name);
    if (lacks(t, fx !== undefined, `../shared absent: no fixture ${name}`) || !fx) return;
    await initBackend();
    const model = build(fx);
    const onehot = fx.inputs.answer_onehot!.toFloat();

    // forward and the inner blocks the reference recorded
    const out = fx.manifest.model_type === 'melhi'
      ? melhiForward(model as ReturnType<typeof createMelhi>, fx.inputs, { inner: true })
      : ghmfcForward(model as ReturnType<typeof createGhmfc>, fx.inputs, { inner: true });
    assert.ok(maxAbsDiff(out.scores, fx.scores) < 1e-5, 'scores');
    assert.deepEqual(Object.keys(fx.inter).sort(), Object.keys(fx.manifest.intermediates).sort(), 'every inner block the manifest lists is compared');
    for (const [k, ref] of Object.entries(fx.inter)) {
      assert.ok(out.inner[k], `inner block ${k} produced`);
      assert.ok(maxAbsDiff(out.inner[k]!, ref) < 1e-5, `inner block ${k}`);
    }

    // loss and gradients
    const keys = [...model.params.keys()];
    const vars = keys.map((k) => model.params.get(k)!);
    const { value, grads } = tf.variableGrads(() => tripletLoss(model.scores(fx.inputs), onehot, fx.manifest.triplet_margin), vars);
    assert.ok(Math.abs(value.dataSync()[0]! - fx.manifest.loss) < 1e-5, `loss ${value.dataSync()[0]} vs ${fx.manifest.loss}`);
    const ours = new Map(keys.map((k, i) => [k, grads[vars[i]!.name]!]));
    for (const k of keys) {
      const ok = tf.tidy(() => {
        const ref = fx.grads.get(k)!;
        const d = tf.abs(tf.sub(ours.get(k)!, ref));
        return tf.all(tf.logicalOr(tf.lessEqual(d, 1e-5), tf.lessEqual(d, tf.mul(tf.abs(ref), 1e-4)))).dataSync()[0];
      });
      assert.equal(ok, 1, `gradient ${k}`);
    }

    // Adam, PyTorch rule, applied to the reference's gradients: exact optimizer check
    const probe = build(fx);
    new Adam(fx.manifest.adam).step(probe.params, fx.grads);
    for (const k of keys) assert.ok(maxAbsDiff(probe.params.get(k)!, fx.paramsAfter.get(k)!) < 1e-5, `Adam(reference grads) ${k}`);

    // Adam on our gradients: parameters (except float-noise gradients, see README) and scores after the step
    new Adam({ lr: fx.manifest.adam.lr }).step(model.params, ours);
    for (const k of keys) {
      const worst = tf.tidy(() => {
        const ref = fx.grads.get(k)!;
        const conditioned = tf.greater(tf.abs(ref), 1e-8); // |g| <= Adam eps: step set by rounding noise
        const d = tf.where(conditioned, tf.abs(tf.sub(model.params.get(k)!, fx.paramsAfter.get(k)!)), tf.zerosLike(ref));
        return d.max().dataSync()[0]!;
      });
      assert.ok(worst < 1e-5, `param ${k} after Adam: ${worst}`);
    }
    const after = model.scores(fx.inputs);
    assert.ok(maxAbsDiff(after, fx.scoresAfter) < 1e-5, 'scores after Adam');
  });
}

for (const name of NAMES.filter((n) => n.startsWith('ghmfc'))) {
  test(`${name}: the ort engine (generated backward) matches the reference: scores, loss, gradients, one Adam step`, { skip: needs(!ortUnavailable(), ortUnavailable() ?? '') }, async (t) => {
    const fx = loadFixture(name);
    if (!fx) return t.skip(`../shared absent: no fixture ${name}`);
    await initBackend();
    const model = build(fx, 'ort');
    assert.equal((model as ReturnType<typeof createGhmfc>).engine, 'ort');
    assert.ok(maxAbsDiff(model.scores(fx.inputs), fx.scores) < 1e-5, 'scores');
    const out = model.lossAndGrads!(fx.inputs, fx.manifest.triplet_margin);
    assert.ok(Math.abs(out.loss - fx.manifest.loss) < 1e-5, `loss ${out.loss} vs ${fx.manifest.loss}`);
    assert.ok(maxAbsDiff(out.scores, fx.scores) < 1e-5, 'scores of the training step');
    const keys = [...model.params.keys()];
    for (const k of keys) {
      const ref = fx.grads.get(k)!;
      const ok = tf.tidy(() => {
        const d = tf.abs(tf.sub(out.grads.get(k)!, ref));
        return tf.all(tf.logicalOr(tf.lessEqual(d, 1e-5), tf.lessEqual(d, tf.mul(tf.abs(ref), 1e-4)))).dataSync()[0];
      });
      assert.equal(ok, 1, `gradient ${k}`);
    }
    new Adam({ lr: fx.manifest.adam.lr }).step(model.params, out.grads);
    for (const k of keys) {
      const worst = tf.tidy(() => {
        const ref = fx.grads.get(k)!;
        const d = tf.where(tf.greater(tf.abs(ref), 1e-8), tf.abs(tf.sub(model.params.get(k)!, fx.paramsAfter.get(k)!)), tf.zerosLike(ref));
        return d.max().dataSync()[0]!;
      });
      assert.ok(worst < 1e-5, `param ${k} after Adam: ${worst}`);
    }
    assert.ok(maxAbsDiff(model.scores(fx.inputs), fx.scoresAfter) < 1e-5, 'scores after Adam');
  });
}

test('melhi-wikidiverse-small: image gate opens exactly as the reference', async (t) => {
  const fx = loadFixture('melhi-wikidiverse-small');
  if (lacks(t, fx !== undefined, '../shared absent: no melhi fixture') || !fx) return;
  await initBackend();
  const m = createMelhi(melhiConfigFromManifest(fx.manifest));
  torchLoadParams(m.params, fx.params);
  const out = melhiForward(m, fx.inputs, { inner: true });
  assert.deepEqual(Array.from(out.inner.image_gate!.dataSync()), fx.manifest.image_gate);
});
