/**
 * `npx drin encode [--prepared DIR] [--out DIR] [--models standin|pretrained] [--shard i/n]`:
 * a prepared directory → a complete preprocessed directory (BERT, ResNet, detector, CLIP features).
 * Resumable (finished chunks are skipped) and shardable (`--shard i/n`; the last shard to finish,
 * or a plain rerun, merges).
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { PREPARED, PREPROCESSED, datasetName } from '../paths';
import { readDrinEnv } from './env';
import { encodePrepared, parseShard, readPrepared } from '../encode/encode';
import { loadEncoders, PRETRAINED_MODELS } from '../encode/models';
import { STANDIN_DIMS } from '../encode/standins';
import { resolveEncodeDevice } from '../device';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects a positive integer, got '${v}'`);
  return n;
};

/** `--standin-dims 128,256` → { text: 128, image: 256 }. */
function parseStandinDims(v: string): { text: number; image: number } {
  const m = /^(\d+),(\d+)$/.exec(v.trim());
  if (!m || Number(m[1]) < 2 || Number(m[2]) < 2) throw new Error(`--standin-dims expects TEXT,IMAGE widths (e.g. 128,256), got '${v}'`);
  return { text: Number(m[1]), image: Number(m[2]) };
}

interface EncodeCliOptions {
  prepared?: string; out?: string; models: string; modelDir?: string; text?: string; image?: string; detector?: string; clip?: string;
  shard?: string; threads?: number; batchSize?: number; device?: string; defaultImage?: string; cropFrame: string;
  keepParts?: boolean; merge: boolean; standinDims?: string; chunkImages?: number; chunkTexts?: number;
}

export function register(program: Command): void {
  program
    .command('encode')
    .description('encode a prepared dataset into the preprocessed layout (stand-in encoders by default; --models pretrained for BERT/ResNet/DETR/CLIP)')
    .option('--prepared <dir>', 'prepared directory (default: results/prepared/<dataset>)')
    .option('--out <dir>', 'output directory (default: results/preprocessed/<dataset>)')
    .option('--models <kind>', 'standin | pretrained: the default for every role not set below', 'standin')
    .option('--model-dir <dir>', `folder of local model folders (${Object.values(PRETRAINED_MODELS).map((m) => m.split('/').pop()).join(', ')}) for offline use`)
    .option('--text <src>', `BERT: 'standin', a hub name (${PRETRAINED_MODELS.text}) or a local folder`)
    .option('--image <src>', `ResNet: 'standin', a hub name or a local folder (${PRETRAINED_MODELS.image} exported to ONNX)`)
    .option('--detector <src>', `object detector: 'standin' or a DETR (${PRETRAINED_MODELS.detector}; replaces Faster R-CNN)`)
    .option('--clip <src>', `CLIP: 'standin', a hub name (${PRETRAINED_MODELS.clip}) or a local folder`)
    .option('--shard <i/n>', 'encode only every n-th chunk starting at i (0-based); run n of these, then merge')
    .option('--no-merge', 'do not merge even when every chunk is present')
    .option('--keep-parts', 'keep the _encode/ chunk folder after merging')
    .option('--threads <n>', 'onnxruntime threads', int('threads'))
    .option('--batch-size <n>', 'model batch size', int('batch-size'))
    .option('--device <d>', 'pretrained models: auto (CUDA when the onnxruntime CUDA provider passes its one-op check) | cpu | cuda (falls back to the CPU, saying why, when the provider does not work); default DRIN_DEVICE, else auto')
    .option('--default-image <file>', 'image used for missing / unreadable / small images (default: 224x224 grey)')
    .option('--crop-frame <f>', "reference: crop detector boxes (224 frame) from the original image, as the reference does; scaled: rescale boxes first", 'reference')
    .option('--chunk-images <n>', 'images per chunk (resume granularity)', int('chunk-images'))
    .option('--chunk-texts <n>', 'texts per chunk', int('chunk-texts'))
    .option('--standin-dims <text,image>', `output widths of the text and image stand-ins (default ${STANDIN_DIMS.text},${STANDIN_DIMS.image}; BERT / ResNet give 768,2048)`)
    .action(async (o: EncodeCliOptions) => {
      if (!['standin', 'pretrained'].includes(o.models)) throw new Error(`--models must be standin or pretrained, got '${o.models}'`);
      if (!['reference', 'scaled'].includes(o.cropFrame)) throw new Error(`--crop-frame must be reference or scaled, got '${o.cropFrame}'`);
      const env = readDrinEnv();
      const name = datasetName(env.dataset);
      const prepared = path.resolve(o.prepared ?? path.join(PREPARED, name));
      const out = path.resolve(o.out ?? path.join(PREPROCESSED, name));
      const data = readPrepared(prepared);
      const roles = [o.text, o.image, o.detector, o.clip];
      const pretrained = roles.some((r) => r !== undefined && r !== 'standin') || (o.models === 'pretrained' && roles.some((r) => r === undefined));
      const device = pretrained ? resolveEncodeDevice(o.device ?? env.device) : { device: 'cpu' as const, note: 'stand-ins only (no onnxruntime)', fellBack: false };
      console.log(`${device.fellBack ? 'WARNING: ' : ''}encode device: ${device.device} — ${device.note}`);
      const encoders = await loadEncoders({
        defaults: o.models as 'standin' | 'pretrained', modelDir: o.modelDir, tokenizer: data.tokenizer,
        choice: { text: o.text, image: o.image, detector: o.detector, clip: o.clip },
        threads: o.threads, batchSize: o.batchSize, device: device.device, offline: env.offline,
        standinDims: o.standinDims ? parseStandinDims(o.standinDims) : undefined,
      });
      for (const [role, e] of Object.entries(encoders)) console.log(`${role.padEnd(8)} ${e.name}${e.standin ? '  (STAND-IN: deterministic substitute, not pretrained features)' : ''}`);
      const report = await encodePrepared({
        prepared, out, encoders, shard: o.shard ? parseShard(o.shard) : undefined, merge: o.merge, keepParts: o.keepParts,
        defaultImage: o.defaultImage, cropFrame: o.cropFrame as 'reference' | 'scaled', progress: true,
        chunkRows: { ...(o.chunkImages ? { image: o.chunkImages } : {}), ...(o.chunkTexts ? { text: o.chunkTexts } : {}) },
      });
      const done = report.tasks.reduce((a, t) => a + t.computed, 0), skipped = report.tasks.reduce((a, t) => a + t.skipped, 0);
      console.log(`encode: ${done} chunk(s) computed, ${skipped} already done, ${report.seconds.toFixed(1)} s; ${report.merged ? `complete: ${out}` : 'not merged yet'}`);
      if (Object.keys(report.counts).length) console.log(`counts: ${JSON.stringify(report.counts)}`);
      const v = report.vocabulary;
      if (v) console.log(`vocabulary: positions ${v.prepared ? `${v.prepared.name} sha256 ${v.prepared.sha256.slice(0, 12)}` : 'unknown'}, BERT tokens ${v.bert ? `${v.bert.name} sha256 ${v.bert.sha256.slice(0, 12)}` : 'unknown'} (${v.check}); tokens by ${v.rules}`);
    });
}
