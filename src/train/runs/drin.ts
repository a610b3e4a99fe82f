/**
 * Train DRIN on a preprocessed directory end to end (what `drin train` and notebook 04 run):
 * open the data, build the model from its sizes, train with the reference's settings, save weights.
 */
import * as path from 'node:path';
import { openPreprocessedForDrin } from './open';
import { createDrin, DrinEngineName, DrinModel } from '../../models/drin';
import { DrinConfig } from '../../models/drin-config';
import type { DeviceRequest } from '../../device';
import type { OrtRunOptions } from '../../onnx/session';
import { datasetName, PREPROCESSED, RUNS } from '../../paths';
import { drinSplitsFromDataset, referenceTrainSettings } from '../dataset-splits';
import { TrainOptions, TrainResult, trainRanking, writeJsonAtomic } from '../loop';
import { loadWeights, saveWeights } from '../weights';

export interface DrinRunOptions {
  /** Preprocessed directory (default results/preprocessed/<dataset>). */
  dataDir?: string;
  /** The raw dataset directory whose name picks the default `dataDir` (`DRIN_DATASET`; default the sample). */
  dataset?: string;
  /** Run directory (default results/runs/<dataset name>/drin). */
  outDir?: string;
  /** Model options on top of the data's sizes (gcnDim, numLayers, edge options, maskGoldSlot). */
  model?: Partial<DrinConfig>;
  /** Batch size (default: the reference's per dataset). */
  batchSize?: number;
  /** WikiMEL entity text form (default 'reduced', the pre-pooled cache). */
  entityText?: 'raw' | 'reduced';
  /** Only the first `limit` mentions of each split. */
  limit?: number;
  /** Initial weights (.npz or npy directory). */
  weights?: string;
  /** Where the training step runs: `auto` (default: onnxruntime unless the model needs tfjs), `ort` or `tfjs`. */
  engine?: 'auto' | DrinEngineName;
  /** Where the ort engine runs: `auto` (default: CUDA when onnxruntime's CUDA provider passes its check), `cpu` or `cuda` (an error when it does not work). */
  device?: DeviceRequest;
  /** The ort engine's onnxruntime options (threads, CUDA device index, TF32; the CLI: DRIN_ORT_THREADS, DRIN_CUDA_DEVICE, DRIN_TF32). */
  ort?: OrtRunOptions;
  /** Loop options (epochs, testEvery, lr, margin, seed, resume, ...); lr / margin / top-k default to the reference's per dataset. */
  train?: Partial<TrainOptions>;
}

export interface DrinRunResult extends TrainResult {
  model: DrinModel;
  dataDir: string;
  outDir: string;
  layout: 'wikidiverse' | 'wikimel';
  /** The dataset's description lines (per split). */
  describe: string[];
}

/**
 * Train DRIN on a preprocessed directory; writes checkpoint.npz, history.json, predictions_*.jsonl,
 * metrics.json, weights.npz and config.json under the run directory.
 *
 * ```ts
 * const run = await runDrinTraining({ train: { epochs: 10, testEvery: 5 }, model: { gcnDim: 256 } });
 * run.history.map((h) => h.trainLoss);
 * ```
 */
export async function runDrinTraining(o: DrinRunOptions = {}): Promise<DrinRunResult> {
  const dataDir = path.resolve(o.dataDir ?? path.join(PREPROCESSED, datasetName(o.dataset)));
  const ds = openPreprocessedForDrin(dataDir);
  try {
    const ref = referenceTrainSettings(ds.layout);
    const seed = o.train?.seed ?? 0;
    const model = createDrin({ ...o.model, bertDim: ds.dims.textDim, resnetDim: ds.dims.imageDim }, seed, { engine: o.engine, device: o.device, ort: o.ort });
    console.log(`DRIN: ${model.engineNote}`);
    if (o.weights) loadWeights(model.params, path.resolve(o.weights));
    const outDir = path.resolve(o.outDir ?? path.join(RUNS, path.basename(dataDir), 'drin'));
    const entityText = o.entityText ?? 'reduced';
    if (ds.layout === 'wikimel' && entityText === 'reduced') {
      // built once per dataset (minutes at full WikiMEL scale): say so, with a bar and ETA on a terminal
      const t0 = Date.now();
      console.log(`DRIN: entity-text cache ${ds.reducedCachePath} (${ds.dims.entities} entities; built on first use)`);
      await ds.ensureReducedCache({ progress: o.train?.progress ?? true });
      console.log(`DRIN: entity-text cache ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const splits = drinSplitsFromDataset(ds, { batchSize: o.batchSize ?? ref.batchSize, entityText, limit: o.limit });
    // the released reference's settings (lr 1e-3, margin 0.25, batch 64, 30 epochs, a test every 10) unless overridden
    const res = await trainRanking(model, splits, {
      lr: ref.lr, margin: ref.margin, topks: ref.topks, epochs: ref.epochs, testEvery: ref.testEvery, ...o.train, seed, outDir,
    });
    saveWeights(model.params, path.join(outDir, 'weights.npz'));
    // the full model configuration, so that re-scoring (notebook 06's ablation) rebuilds exactly this model
    writeJsonAtomic(path.join(outDir, 'config.json'), { model: model.config, dataDir, layout: ds.layout, seed });
    return { ...res, model, dataDir, outDir, layout: ds.layout, describe: ds.describe() };
  } finally {
    ds.close();
  }
}
