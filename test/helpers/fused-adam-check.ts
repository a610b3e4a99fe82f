/**
 * The checks both fused-Adam tests (DRIN, GHMFC) make: a model's fused training step (Adam inside the
 * onnxruntime call, src/onnx/fused-adam.ts) against the same model's gradients followed by the tfjs Adam
 * (src/train/adam.ts).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Adam, trainStep } from '../../src/train';
import type { RankingModel } from '../../src/train/model';

/** The same model without its fused step: trainStep takes lossAndGrads + Adam.step. */
export const unfused = (m: RankingModel): RankingModel => ({ ...m, trainStepFused: undefined });

export const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

/**
 * Six steps on `b`, steps 1-3 fused, 4 on the tfjs Adam (host moments → tfjs), 5-6 fused again (tfjs → host),
 * against `plain` (same initial parameters) stepped with gradients + tfjs Adam: the losses agree within 1e-6,
 * then the parameters (1e-6), the step counts, the first (1e-7) and second (1e-9) moments; the parameters moved.
 */
export function checkFusedSteps(fused: RankingModel, plain: RankingModel, b: Record<string, tf.Tensor>, lr: number): void {
  assert.ok(fused.trainStepFused, 'the ort engine offers a fused step');
  const [oa, ob] = [new Adam({ lr }), new Adam({ lr })];
  const start = new Map([...fused.params].map(([k, v]) => [k, v.clone()]));
  [true, true, true, false, true, true].forEach((f, i) => {
    const la = trainStep(f ? fused : unfused(fused), oa, b, 0.25).loss;
    const lb = trainStep(unfused(plain), ob, b, 0.25).loss;
    assert.ok(Math.abs(la - lb) < 1e-6, `step ${i + 1}: loss ${la} vs ${lb}`);
  });
  for (const [k, p] of plain.params) {
    assert.ok(maxDiff(fused.params.get(k)!, p) < 1e-6, `${k}: parameters differ by ${maxDiff(fused.params.get(k)!, p)}`);
  }
  const moved = Math.max(...[...fused.params].map(([k, p]) => maxDiff(p, start.get(k)!)));
  assert.ok(moved > 1e-3, `the parameters moved (${moved})`);
  const [sa, sb] = [oa.getState(), ob.getState()];
  assert.deepEqual(sa.steps, sb.steps);
  assert.equal(Object.values(sa.steps)[0], 6);
  for (const [k, m] of sb.m) {
    assert.ok(maxDiff(sa.m.get(k)!, m) < 1e-7, `${k}: first moments differ`);
    assert.ok(maxDiff(sa.v.get(k)!, sb.v.get(k)!) < 1e-9, `${k}: second moments differ`);
  }
  start.forEach((t) => t.dispose());
}

/**
 * One fused step, then every parameter of `fused` replaced from outside by `plain`'s and the optimizer state
 * too (a checkpoint load); the next fused step must read the new values: loss (1e-6) and parameters (1e-6)
 * equal to `plain` stepped with gradients + tfjs Adam.
 */
export function checkFusedAfterReload(fused: RankingModel, plain: RankingModel, b: Record<string, tf.Tensor>): void {
  const [oa, ob] = [new Adam(), new Adam()];
  trainStep(fused, oa, b, 0.25);
  for (const [k, p] of plain.params) fused.params.get(k)!.assign(p);
  oa.setState(ob.getState());
  const la = trainStep(fused, oa, b, 0.25).loss;
  const lb = trainStep(unfused(plain), ob, b, 0.25).loss;
  assert.ok(Math.abs(la - lb) < 1e-6, `loss ${la} vs ${lb}`);
  for (const [k, p] of plain.params) assert.ok(maxDiff(fused.params.get(k)!, p) < 1e-6, `${k}: parameters differ`);
}
