/**
 * Encoder benchmark: sentences/s and images/s per encoder on this machine, through the same code
 * the pipeline runs (tokenization / image preprocessing included).
 *
 *   - stand-ins at the paper's sizes (text 768 × 128 tokens, image 49 × 2048, detector, CLIP 512);
 *   - the tiny ONNX models of test/fixtures/tiny-models (onnxruntime-node through transformers.js);
 *   - a BERT-base-shaped random model (12 × 768, 110 M parameters) when
 *     results/bench-models/bert-base-shape exists — make it (≈ 30 s, 414 MB, git-ignored) with
 *     `/usr/bin/python3 test/fixtures/tiny-models/make_tiny_models.py --base-shapes results/bench-models`.
 *
 * Environment: DRIN_BENCH_ITEMS (items per measurement, default 32), DRIN_BENCH_THREADS (onnxruntime
 * threads, default all cores).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { standinEncoders } from '../src/encode/standins';
import { BertTextEncoder } from '../src/encode/bert';
import { ResnetImageEncoder } from '../src/encode/resnet';
import { ClipEncoder } from '../src/encode/clip';
import { DetrObjectDetector } from '../src/encode/detector';
import { loadImageRGB, type RgbImage } from '../src/encode/images';

const ROOT = path.resolve(__dirname, '..');
const TINY = path.join(ROOT, 'test', 'fixtures', 'tiny-models');
const N = Number(process.env.DRIN_BENCH_ITEMS ?? 32);
const threads = process.env.DRIN_BENCH_THREADS ? Number(process.env.DRIN_BENCH_THREADS) : undefined;

const SENTENCE = 'Michael Jordan played for Chicago near the river and the red car is a star in the city of Paris France';

async function rate(label: string, unit: string, n: number, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm-up (first call loads / allocates)
  const t = process.hrtime.bigint();
  await fn();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`encode ${label.padEnd(44)} ${(n / s).toFixed(1).padStart(8)} ${unit}/s  (${n} in ${s.toFixed(2)} s)`);
}

export async function run(): Promise<void> {
  console.log(`encode bench: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${N} items per line`);
  const texts = Array.from({ length: N }, (_, i) => `${SENTENCE} ${i}`);
  const base = await Promise.all(['scene.png', 'portrait.jpg', 'noise.png'].map((f) => loadImageRGB(path.join(TINY, 'images', f))));
  const images: RgbImage[] = Array.from({ length: N }, (_, i) => base[i % base.length]);

  const st = standinEncoders({ tokenizer: path.join(TINY, 'tiny-bert') });
  await rate('stand-in text (128 tok x 768)', 'sentences', N, () => st.text.hidden(texts, 128));
  await rate('stand-in image (49 x 2048)', 'images', N, () => st.image.encode(images));
  await rate('stand-in detector', 'images', N, () => st.detector.detect(images, 3));
  await rate('stand-in CLIP image', 'images', N, () => st.clip.imageEmbeds(images));
  await rate('stand-in CLIP text', 'sentences', N, () => st.clip.textEmbeds(texts));

  const opts = { threads, batchSize: 8 };
  const bert = await BertTextEncoder.load(path.join(TINY, 'tiny-bert'), opts);
  await rate('tiny BERT ONNX (2 x 32, 128 tok)', 'sentences', N, () => bert.hidden(texts, 128));
  const resnet = await ResnetImageEncoder.load(path.join(TINY, 'tiny-resnet'), opts);
  await rate('tiny ResNet ONNX (incl. PIL-exact preprocessing)', 'images', N, () => resnet.encode(images));
  const detr = await DetrObjectDetector.load(path.join(TINY, 'tiny-detr'), opts);
  await rate('tiny DETR ONNX', 'images', N, () => detr.detect(images, 3));
  const clip = await ClipEncoder.load(path.join(TINY, 'tiny-clip'), opts);
  await rate('tiny CLIP ONNX image', 'images', N, () => clip.imageEmbeds(images));
  await rate('tiny CLIP ONNX text', 'sentences', N, () => clip.textEmbeds(texts));

  const bb = path.join(ROOT, 'results', 'bench-models', 'bert-base-shape');
  if (fs.existsSync(path.join(bb, 'config.json'))) {
    const big = await BertTextEncoder.load(bb, opts);
    const n = Math.min(N, 16);
    await rate('BERT-base-shaped ONNX (12 x 768, 128 tok)', 'sentences', n, () => big.hidden(texts.slice(0, n), 128));
  } else {
    console.log('encode BERT-base-shaped model: skipped (make it with make_tiny_models.py --base-shapes results/bench-models)');
  }
}

if (require.main === module) run().catch((e) => { console.error(e); process.exit(1); });
