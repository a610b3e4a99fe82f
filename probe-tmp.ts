import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/backend';
import { createGhmfc } from './src/models/ghmfc';
import { Adam, trainStep } from './src/train';
import * as os from 'node:os';
async function main() {
  await initBackend();
  const B = Number(process.argv[2]);
  const T = 128, R = 11;
  const m = createGhmfc({ dataset: 'wikidiverse' }, 0, { engine: 'ort' });
  const batch = tf.tidy(() => ({
    mention_text_feature: tf.randomNormal([B, T, 768], 0, 1, 'float32', 1),
    mention_text_mask: tf.ones([B, T], 'int32'),
    mention_start_pos: tf.fill([B], 3, 'int32'), mention_end_pos: tf.fill([B], 6, 'int32'),
    mention_image_feature: tf.randomUniform([B, 49, 2048], 0, 1, 'float32', 2),
    entity_text_feature: tf.randomNormal([B, R, 768], 0, 1, 'float32', 5),
    answer_onehot: tf.oneHot(tf.fill([B], 2, 'int32'), R - 1).toFloat(),
  }));
  const adam = new Adam({ lr: 1e-3 });
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = trainStep(m, adam, batch, 0.25);
    console.log(`B=${B} step ${i}: ${((performance.now() - t0) / 1000).toFixed(2)} s loss ${r.loss.toFixed(4)} maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB load ${os.loadavg()[0].toFixed(1)}`);
  }
}
main();
