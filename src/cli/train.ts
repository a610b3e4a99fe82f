/**
 * `npx drin train`: train DRIN on a preprocessed directory (default results/preprocessed/<dataset>),
 * writing results/runs/<dataset>/drin/{checkpoint.npz, history.json, predictions_*.jsonl, metrics.json, weights.npz}.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { initBackend } from '../backend';
import { parseDeviceRequest } from '../device';
import { datasetName, PREPROCESSED } from '../paths';
import { readDrinEnv } from './env';

export function register(program: Command): void {
  program
    .command('train')
    .description('train DRIN (triplet loss, Adam; validation each epoch, test every --test-every epochs) with checkpoints and predictions')
    .option('--data <dir>', 'preprocessed directory (default results/preprocessed/<dataset>)')
    .option('--out <dir>', 'run directory (default results/runs/<dataset>/drin)')
    .option('--epochs <n>', 'epochs (reference 30)', '30')
    .option('--test-every <n>', 'test round length (reference 10)', '10')
    .option('--batch-size <n>', 'batch size (default: the released reference, 64)')
    .option('--lr <x>', 'learning rate (default: the released reference, 1e-3)')
    .option('--margin <x>', 'triplet margin (default: the released reference, 0.25)')
    .option('--seed <n>', 'seed for init and shuffles', '0')
    .option('--gcn-dim <n>', 'GCN size', '768')
    .option('--layers <n>', 'GCN layers', '2')
    .option('--edge-type <t>', 'dynamic | static', 'dynamic')
    .option('--edge-feature <f>', 'scalar (the reference: scaler) | vector', 'scalar')
    .option('--edge-enabled <list>', 'edge multipliers tt,ti,it,ii', '1,1,1,1')
    .option('--mask-gold-slot', 'leave the gold slot out of the mention vertices (ours; default off = faithful)')
    .option('--no-optimizer-reset', 'keep Adam state across test rounds (the reference resets it each round)')
    .option('--no-resume', 'start over even if a checkpoint exists')
    .option('--entity-text <form>', 'WikiMEL entity text: reduced (pre-pooled cache) | raw', 'reduced')
    .option('--limit <n>', 'only the first n mentions of each split')
    .option('--engine <e>', 'auto | ort (one onnxruntime graph per step) | tfjs (tfjs autodiff, every option); default DRIN_ENGINE, else auto')
    .option('--device <d>', 'auto (CUDA when the onnxruntime CUDA provider passes its one-op check, else the CPU, saying why) | cpu | cuda (an error naming what is missing); default DRIN_DEVICE, else auto')
    .option('--backward-chunk <n>', 'tfjs engine: back-propagate in chunks of n mentions (exact; bounds memory for WikiMEL at batch 64)')
    .option('--weights <file>', 'initial weights: .npz or a directory of <key>.npy (PyTorch state_dict names)')
    .action(async (o) => {
      const env = readDrinEnv();
      const device = o.device === undefined ? env.device : parseDeviceRequest(o.device, '--device');
      const b = await initBackend({ verbose: true, ...env.backend });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the library loads after the backend is chosen, so commands start fast
      const lib = require('../index') as typeof import('../index');
      const num = (x: string | undefined) => (x === undefined ? undefined : Number(x));
      const dataDir = path.resolve(o.data ?? env.preprocessed ?? path.join(PREPROCESSED, datasetName(env.dataset)));
      console.log(`training DRIN on ${dataDir} (${b.name})`);
      const res = await lib.runDrinTraining({
        dataDir,
        outDir: o.out,
        batchSize: num(o.batchSize),
        entityText: o.entityText,
        limit: num(o.limit),
        weights: o.weights,
        engine: o.engine ?? env.engine,
        device,
        ort: env.ort,
        model: {
          gcnDim: Number(o.gcnDim),
          numLayers: Number(o.layers),
          edgeType: o.edgeType,
          edgeFeature: lib.drinEdgeFeature(o.edgeFeature),
          edgeEnabled: String(o.edgeEnabled).split(',').map(Number) as [number, number, number, number],
          maskGoldSlot: !!o.maskGoldSlot,
        },
        train: {
          epochs: Number(o.epochs),
          testEvery: Number(o.testEvery),
          seed: Number(o.seed),
          resetOptimizerEachRound: o.optimizerReset !== false,
          resume: o.resume !== false,
          ...(o.backwardChunk !== undefined ? { backwardChunk: Number(o.backwardChunk) } : {}),
          ...(o.lr !== undefined ? { lr: Number(o.lr) } : {}),
          ...(o.margin !== undefined ? { margin: Number(o.margin) } : {}),
        },
      });
      const show = (m: Record<string, number> | undefined) => (m ? Object.entries(m).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join('  ') : '-');
      console.log(`valid: ${show(res.valid)}\ntest:  ${show(res.test)}\n${res.secondsPerEpoch.toFixed(1)} s/epoch; run files in ${res.outDir}`);
    });
}
