/**
 * `npx drin baseline <model>`: the paper's comparison models on a preprocessed directory, with DRIN's
 * loop, loss, metrics and the released reference's settings (lr 1e-3, margin 0.25, batch 64, 30 epochs
 * with a test every 10; `referenceTrainSettings`). The same functions as notebook 05:
 * - `ghmfc`: GHMFC (Wang et al. 2022, the reference's `baselines/ghmfc.py`), trained by `trainBaseline`;
 * - `melhi`: MEL-HI (WikiDiverse layout only, as the reference), trained by `trainBaseline`;
 * - `bert-zero-shot`, `image-zero-shot`, `clip-zero-shot`: the untrained floors, `evaluateZeroShot`.
 * Writes results/runs/<dataset>/<model>/{history.json, metrics.json, predictions_{valid,test}.jsonl}.
 * `--device` (default DRIN_DEVICE, else auto) as `drin train`: GHMFC's ort engine by `resolveOrtDevice`, the
 * tfjs models (MEL-HI, GHMFC on tfjs, the floors) by `resolveTfjsDevice` (src/device.ts); the run prints which.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { initBackend } from '../backend';
import { parseDeviceRequest } from '../device';
import { datasetName, PREPROCESSED, RUNS } from '../paths';
import { readDrinEnv } from './env';

/** The models `drin baseline` runs. */
export const BASELINE_MODELS = ['ghmfc', 'melhi', 'bert-zero-shot', 'image-zero-shot', 'clip-zero-shot'] as const;
export type BaselineModelName = (typeof BASELINE_MODELS)[number];

const positive = (name: string, integer: boolean) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} expects a positive ${integer ? 'integer' : 'number'}, got '${v}'`);
  }
  return n;
};

interface BaselineCliOptions {
  data?: string; out?: string; epochs?: number; testEvery?: number; batchSize?: number; lr?: number; margin?: number;
  seed: number; entityText: 'raw' | 'reduced'; limit?: number; engine: 'auto' | 'ort' | 'tfjs'; mentionLayer?: string;
  attention?: string; resume: boolean; progress: boolean; device?: string;
}

export function register(program: Command): void {
  program
    .command('baseline')
    .description(`train or evaluate a comparison model (${BASELINE_MODELS.join(' | ')}) with DRIN's loop and the released reference's settings`)
    .argument('<model>', BASELINE_MODELS.join(' | '))
    .option('--data <dir>', 'preprocessed directory (default DRIN_PREPROCESSED, else results/preprocessed/<dataset>)')
    .option('--out <dir>', 'run directory (default results/runs/<data folder>/<model>)')
    .option('--epochs <n>', 'epochs (default: the released reference, 30)', positive('epochs', true))
    .option('--test-every <n>', 'test round length (default: the released reference, 10)', positive('test-every', true))
    .option('--batch-size <n>', 'batch size (default: the released reference, 64)', positive('batch-size', true))
    .option('--lr <x>', 'learning rate (default: the released reference, 1e-3)', positive('lr', false))
    .option('--margin <x>', 'triplet margin (default: the released reference, 0.25)', positive('margin', false))
    .option('--seed <n>', 'seed for init, shuffles and dropout masks', (v) => Number(v), 0)
    .option('--entity-text <form>', 'WikiMEL entity text: reduced (pre-pooled cache) | raw', 'reduced')
    .option('--limit <n>', 'only the first n mentions of each split', positive('limit', true))
    .option('--engine <e>', 'GHMFC: auto (onnxruntime when it loads) | ort | tfjs', 'auto')
    .option('--device <d>', 'auto | cpu | cuda; GHMFC (ort engine): the onnxruntime CUDA provider, as `drin train` (auto = CUDA when it passes its check, else the CPU, saying why; cuda = an error naming what is missing); MEL-HI, GHMFC on tfjs and the zero-shot floors: tfjs (cuda only through tfjs-node-gpu). Default DRIN_DEVICE, else auto')
    .option('--mention-layer <l>', "GHMFC mention_final_layer_name: multimodal (the paper's GHMFC) | linear | transformer | none")
    .option('--attention <a>', 'GHMFC mention_multimodal_attention: bi (the paper) | text')
    .option('--no-resume', 'start over even if a checkpoint exists')
    .option('--no-progress', 'no progress lines')
    .action(async (model: string, o: BaselineCliOptions) => {
      if (!(BASELINE_MODELS as readonly string[]).includes(model)) {
        throw new Error(`drin baseline: unknown model '${model}'; expected one of ${BASELINE_MODELS.join(', ')}`);
      }
      if (!['raw', 'reduced'].includes(o.entityText)) throw new Error(`--entity-text must be raw or reduced, got '${o.entityText}'`);
      if (!['auto', 'ort', 'tfjs'].includes(o.engine)) throw new Error(`--engine must be auto, ort or tfjs, got '${o.engine}'`);
      const env = readDrinEnv();
      const device = o.device === undefined ? env.device : parseDeviceRequest(o.device, '--device');
      const b = await initBackend({ verbose: true, ...env.backend });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the library loads after the backend is chosen, so commands start fast
      const lib = require('../index') as typeof import('../index');
      const dataDir = path.resolve(o.data ?? env.preprocessed ?? path.join(PREPROCESSED, datasetName(env.dataset)));
      const outDir = path.resolve(o.out ?? path.join(RUNS, path.basename(dataDir), model));
      const ds = lib.openPreprocessed(dataDir);
      try {
        const ref = lib.referenceTrainSettings(ds.layout);
        console.log(`${model} on ${dataDir} (${ds.layout}, ${b.name}) → ${outDir}`);
        const show = (m: Record<string, number> | undefined) => (m ? Object.entries(m).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join('  ') : '-');
        if (model.endsWith('-zero-shot')) {
          const ranker = model === 'bert-zero-shot' ? lib.createBertZeroShot() : model === 'image-zero-shot' ? lib.createImageZeroShot() : lib.createClipZeroShot();
          const r = await lib.evaluateZeroShot(ranker, ds, { outDir, entityText: o.entityText, topks: ref.topks, limit: o.limit, device });
          console.log(`valid: ${show(r.valid as unknown as Record<string, number>)}\ntest:  ${show(r.test as unknown as Record<string, number>)}\nrun files in ${outDir}`);
          return;
        }
        const overrides: Record<string, string> = {};
        if (o.mentionLayer !== undefined) overrides.mentionLayer = o.mentionLayer;
        if (o.attention !== undefined) overrides.multimodalAttention = o.attention;
        if (model === 'melhi' && Object.keys(overrides).length) throw new Error('--mention-layer / --attention are GHMFC options');
        const net =
          model === 'ghmfc'
            ? lib.createGhmfc(lib.ghmfcConfigForDataset(ds, overrides), o.seed, { engine: o.engine, dropoutSeed: o.seed, device, ort: env.ort })
            : lib.createMelhi(lib.melhiConfigForDataset(ds), o.seed, { device });
        lib.torchDropoutSeed(o.seed);
        const batchSize = o.batchSize ?? ref.batchSize;
        const res = await lib.trainBaseline(net, ds, { model: model as 'ghmfc' | 'melhi', batchSize, entityText: o.entityText, limit: o.limit }, {
          outDir,
          epochs: o.epochs ?? ref.epochs,
          testEvery: o.testEvery ?? ref.testEvery,
          lr: o.lr ?? ref.lr,
          margin: o.margin ?? ref.margin,
          topks: ref.topks,
          seed: o.seed,
          resume: o.resume,
          progress: o.progress,
        });
        console.log(`valid: ${show(res.valid as unknown as Record<string, number>)}\ntest:  ${show(res.test as unknown as Record<string, number>)}\n${res.secondsPerEpoch.toFixed(1)} s/epoch; run files in ${outDir}`);
      } finally {
        ds.close();
      }
    });
}
