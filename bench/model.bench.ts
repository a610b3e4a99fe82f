/**
 * DRIN train / eval throughput and peak RSS at the paper's sizes (batch 64, BERT 768, ResNet 2048 with
 * 49 regions, 3 mention objects, GCN 768, 2 layers): WikiDiverse (11 slots) and WikiMEL (101 slots,
 * entity text in the pre-pooled form of CONTRACTS §3). Reference (torch 1.13, OpenBLAS, 2 threads):
 * train 149 / 18.8 mentions/s, eval 435 / 38.  `npm run bench -- model`; `DRIN_BENCH_STEPS=n` steps;
 * `DRIN_ENGINE=tfjs` measures the tfjs engine instead of the onnxruntime one.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { readDrinEnv } from '../src/cli/env';
import { createDrin } from '../src/models';
import { Adam, trainStep } from '../src/train';

const REFERENCE = { wikidiverse: { train: 149, eval: 435 }, wikimel: { train: 18.8, eval: 38 } };

function paperBatch(B: number, R: number): Record<string, tf.Tensor> {
  const T = 128;
  return tf.tidy(() => ({
    mention_text_feature: tf.randomNormal([B, T, 768], 0, 1, 'float32', 1),
    mention_text_mask: tf.ones([B, T], 'int32'),
    mention_start_pos: tf.fill([B], 3, 'int32'),
    mention_end_pos: tf.fill([B], 6, 'int32'),
    mention_image_feature: tf.randomUniform([B, 49, 2048], 0, 1, 'float32', 2),
    mention_object_feature: tf.randomUniform([B, 3, 1, 2048], 0, 1, 'float32', 3),
    mention_object_score: tf.randomUniform([B, 3], 0, 1, 'float32', 4),
    // WikiDiverse: pre-pooled entity text [B,R,Dt]; WikiMEL: the memory-saving pooled + CLS form
    ...(R > 11
      ? { entity_text_pooled: tf.randomNormal([B, R, 768], 0, 1, 'float32', 5), entity_text_cls: tf.randomNormal([B, R, 768], 0, 1, 'float32', 6) }
      : { entity_text_feature: tf.randomNormal([B, R, 768], 0, 1, 'float32', 5), entity_text_mask: tf.zeros([B], 'int32') }),
    entity_image_feature: tf.randomUniform([B, R, 1, 2048], 0, 1, 'float32', 7),
    entity_object_feature: tf.randomUniform([B, R, 1, 2048], 0, 1, 'float32', 8),
    entity_object_score: tf.randomUniform([B, R, 1], 0, 1, 'float32', 9),
    miet_similarity: tf.randomUniform([B, R], 15, 35, 'float32', 10),
    mtei_similarity: tf.randomUniform([B, R], 15, 35, 'float32', 11),
    answer_onehot: tf.oneHot(tf.fill([B], 2, 'int32'), R - 1).toFloat(),
  }));
}

async function measure(name: 'wikidiverse' | 'wikimel', R: number, steps: number, chunkTfjs?: number): Promise<string> {
  const B = 64;
  const model = createDrin({ bertDim: 768, resnetDim: 2048, gcnDim: 768, numLayers: 2 }, 0, { engine: readDrinEnv().engine });
  const chunk = model.engine === 'tfjs' ? chunkTfjs : undefined; // the ort engine needs no chunks (its memory is native)
  const adam = new Adam({ lr: 1e-3 });
  const batch = paperBatch(B, R);
  trainStep(model, adam, batch, 0.25, { chunk }); // warm-up (kernels, buffers)
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) trainStep(model, adam, batch, 0.25, { chunk });
  const train = (B * steps) / ((performance.now() - t0) / 1000);
  tf.tidy(() => model.scores(batch).dataSync());
  t0 = performance.now();
  for (let i = 0; i < steps; i++) tf.tidy(() => model.scores(batch).dataSync());
  const evalRate = (B * steps) / ((performance.now() - t0) / 1000);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  Object.values(batch).forEach((t) => t.dispose());
  model.params.forEach((p) => p.dispose());
  adam.reset();
  const ref = REFERENCE[name];
  return (
    `model ${name.padEnd(11)} R=${String(R).padEnd(3)} ${model.engine} engine${chunk ? ` (backward in chunks of ${chunk})` : ''}  train ${train.toFixed(1).padStart(6)} mentions/s (${(train / ref.train).toFixed(2)}× ref ${ref.train})` +
    `  eval ${evalRate.toFixed(1).padStart(6)} mentions/s (${(evalRate / ref.eval).toFixed(2)}× ref ${ref.eval})  peak RSS ${rssMiB.toFixed(0)} MiB`
  );
}

/** Print one line per dataset layout. */
export async function run(): Promise<void> {
  if (process.env.DRIN_BENCH_DEVICE) process.env.DRIN_DEVICE = process.env.DRIN_BENCH_DEVICE; // auto | cpu | cuda (src/device.ts)
  const b = await initBackend(readDrinEnv().backend);
  const steps = Number(process.env.DRIN_BENCH_STEPS ?? 3);
  const probe = createDrin({ bertDim: 8, resnetDim: 8, gcnDim: 8 }, 0, { engine: readDrinEnv().engine });
  probe.params.forEach((p) => p.dispose());
  console.log(`model: ${probe.engineNote}, tfjs ${b.name}, batch 64, GCN 768 × 2 layers, ${steps} timed steps after one warm-up (DRIN_ENGINE=tfjs for the tfjs engine)`);
  if (process.env.DRIN_BENCH_ONLY !== 'wikimel') console.log(await measure('wikidiverse', 11, steps));
  if (process.env.DRIN_BENCH_ONLY !== 'wikidiverse') console.log(await measure('wikimel', 101, steps, Number(process.env.DRIN_BENCH_CHUNK ?? 16)));
}

if (require.main === module) run();
