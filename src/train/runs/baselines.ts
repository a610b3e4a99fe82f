/**
 * Running the baselines on a preprocessed dataset with DRIN's data path, loss, metrics and loop
 * (src/data `PreprocessedDataset`, src/train `trainRanking` / `evaluateRanking`), and the comparison
 * table of notebooks/05-run-baselines.ipynb.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PreprocessedDataset } from '../../data/preprocessed';
import { RankingSplit, trainRanking, TrainOptions, TrainResult, writeJsonAtomic } from '../loop';
import type { RankingMetrics } from '../metrics';
import type { RankingBatch, RankingModel } from '../model';
import { evaluateRanking, writePredictions } from '../predictions';
import { DeviceName, DeviceRequest, resolveTfjsDevice } from '../../device';
import { GhmfcConfig, GhmfcModel } from '../../models/ghmfc';
import { MelhiConfig } from '../../models/melhi';

export interface BaselineSplitOptions {
  /** Which batch form (src/data `baselineBatches`): GHMFC gets no entity image, MEL-HI does. */
  model: 'ghmfc' | 'melhi';
  batchSize: number;
  /** WikiMEL entity text: 'reduced' (pooled + CLS, memory-saving; GHMFC 'avg' pooling) or 'raw' tokens. */
  entityText?: 'raw' | 'reduced';
  /** Only the first `limit` mentions of each split. */
  limit?: number;
  /**
   * Keep only the first `text` BERT and `image` ResNet feature dimensions (see `sliceBaselineFeatures`):
   * a named speed option for CPU-only machines; default: full features.
   */
  featureDims?: { text: number; image: number };
}

const TEXT_KEYS = ['mention_text_feature', 'entity_text_feature', 'entity_text_pooled', 'entity_text_cls'];
const IMAGE_KEYS = ['mention_image_feature', 'entity_image_feature'];

/**
 * Keep the first `dims.text` / `dims.image` feature dimensions of every text / image feature in a
 * batch (float tensors only; GHMFC's integer placeholder for entity images stays). The inputs are
 * disposed. A smaller GHMFC / MEL-HI of the same structure then trains on them.
 */
export function sliceBaselineFeatures(batch: RankingBatch, dims: { text: number; image: number }): RankingBatch {
  const out: RankingBatch = { ...batch };
  for (const [keys, d] of [[TEXT_KEYS, dims.text], [IMAGE_KEYS, dims.image]] as const) {
    for (const k of keys) {
      const t = batch[k];
      if (!(t instanceof tf.Tensor) || t.dtype !== 'float32') continue;
      const last = t.shape[t.rank - 1] as number;
      if (d > last) throw new Error(`sliceBaselineFeatures: ${k} has ${last} dims, asked for ${d}`);
      const begin = t.shape.map(() => 0);
      const size = t.shape.map((x, i) => (i === t.rank - 1 ? d : x));
      out[k] = tf.slice(t, begin, size);
      t.dispose();
    }
  }
  return out;
}

async function* mapBatches(src: AsyncIterable<RankingBatch>, f: (b: RankingBatch) => RankingBatch): AsyncGenerator<RankingBatch> {
  for await (const b of src) yield f(b);
}

/** train / valid / test splits of baseline batches (names as the baseline fixtures' batch_order). */
export function baselineSplitsFromDataset(ds: PreprocessedDataset, o: BaselineSplitOptions): { train: RankingSplit; valid: RankingSplit; test: RankingSplit } {
  const make = (split: 'train' | 'valid' | 'test'): RankingSplit => ({
    size: o.limit !== undefined ? Math.min(o.limit, ds.splits[split].mentions) : ds.splits[split].mentions,
    batches: ({ shuffleSeed }) => {
      const src = ds.baselineBatches(split, {
        model: o.model,
        batchSize: o.batchSize,
        shuffle: shuffleSeed !== undefined,
        seed: shuffleSeed,
        entityText: o.entityText,
        limit: o.limit,
      }) as AsyncIterable<RankingBatch>;
      return o.featureDims ? mapBatches(src, (b) => sliceBaselineFeatures(b, o.featureDims!)) : src;
    },
  });
  return { train: make('train'), valid: make('valid'), test: make('test') };
}

/** GHMFC sizes and layout from a dataset (BERT / ResNet sizes); output sizes default to the BERT size as the reference. */
export function ghmfcConfigForDataset(
  ds: PreprocessedDataset,
  overrides: Partial<GhmfcConfig> = {},
  featureDims?: { text: number; image: number },
): Partial<GhmfcConfig> {
  const bert = featureDims?.text ?? ds.dims.textDim;
  return {
    dataset: ds.layout,
    bertDim: bert,
    resnetDim: featureDims?.image ?? ds.dims.imageDim,
    mentionOutputDim: bert,
    entityOutputDim: bert,
    ...overrides,
  };
}

/** MEL-HI sizes from a dataset; throws on WikiMEL, which the reference does not define MEL-HI for. */
export function melhiConfigForDataset(
  ds: PreprocessedDataset,
  overrides: Partial<MelhiConfig> = {},
  featureDims?: { text: number; image: number },
): Partial<MelhiConfig> {
  if (ds.layout !== 'wikidiverse') {
    throw new Error(`${ds.dir}: MEL-HI needs the WikiDiverse layout (one entity text vector and image per candidate); this is ${ds.layout}, as the reference refuses too`);
  }
  return { bertDim: featureDims?.text ?? ds.dims.textDim, resnetDim: featureDims?.image ?? ds.dims.imageDim, ...overrides };
}

/**
 * Train a baseline with the shared loop; writes history.json, predictions and metrics.json under `outDir`.
 * The device is the model's, chosen when it was made (`createGhmfc` / `createMelhi`'s `device` option):
 * its `engineNote` (engine, device and why) is the first line logged (`options.log`, default console.log).
 */
export async function trainBaseline(
  model: RankingModel,
  ds: PreprocessedDataset,
  split: BaselineSplitOptions,
  options: Partial<TrainOptions> & { outDir: string },
): Promise<TrainResult> {
  if (model.engineNote) (options.log ?? console.log)(`${model.name}: ${model.engineNote}`);
  // GHMFC on onnxruntime: a step that cannot fit in memory fails here, saying what it needs, before any epoch
  const ort = (model as Partial<GhmfcModel>).ort;
  if (ort) ort.checkMemory({ B: split.batchSize, T: ds.dims.textTokens, N: ds.dims.imageRegions, R: ds.dims.slots });
  return trainRanking(model, baselineSplitsFromDataset(ds, split), options);
}

export interface ZeroShotOptions {
  outDir: string;
  batchSize?: number;
  topks?: number[];
  entityText?: 'raw' | 'reduced';
  limit?: number;
  absentShare?: { valid?: number; test?: number };
  /**
   * `auto` (default) | `cpu` | `cuda` (the CLI: `--device`, DRIN_DEVICE). The floors are tfjs ops, so this is
   * `resolveTfjsDevice` (src/device.ts): `cuda` is an Error unless tfjs-node-gpu runs on a GPU.
   */
  device?: DeviceRequest;
  /** Gets the line naming the device and why (default console.log). */
  log?: (line: string) => void;
}

/**
 * Evaluate a ranker that needs no training (zero-shot) on valid and test with DRIN batches; writes
 * predictions_{valid,test}.jsonl, metrics.json and a one-record history.json (epoch 0) like a run.
 * Returns the metrics, the seconds taken and the device it computed on (with why).
 */
export async function evaluateZeroShot(
  model: RankingModel,
  ds: PreprocessedDataset,
  o: ZeroShotOptions,
): Promise<{ valid: RankingMetrics; test: RankingMetrics; seconds: number; device: DeviceName; engineNote: string }> {
  const dev = resolveTfjsDevice(o.device);
  const engineNote = `tfjs ${dev.note}`;
  (o.log ?? console.log)(`${model.name}: ${engineNote}`);
  const t0 = Date.now();
  const batches = (split: 'valid' | 'test') => ds.drinBatches(split, { batchSize: o.batchSize ?? 32, shuffle: false, entityText: o.entityText, limit: o.limit }) as AsyncIterable<RankingBatch>;
  const valid = await evaluateRanking(model, batches('valid'), { topks: o.topks, absentShare: o.absentShare?.valid });
  const test = await evaluateRanking(model, batches('test'), { topks: o.topks, absentShare: o.absentShare?.test });
  const seconds = (Date.now() - t0) / 1000;
  fs.mkdirSync(o.outDir, { recursive: true });
  writePredictions(path.join(o.outDir, 'predictions_valid.jsonl'), valid.predictions);
  writePredictions(path.join(o.outDir, 'predictions_test.jsonl'), test.predictions);
  writeJsonAtomic(path.join(o.outDir, 'history.json'), [{ epoch: 0, trainLoss: null, valid: valid.metrics, test: test.metrics, seconds }]);
  writeJsonAtomic(path.join(o.outDir, 'metrics.json'), { valid: valid.metrics, test: test.metrics, secondsPerEpoch: 0, zeroShot: true });
  return { valid: valid.metrics, test: test.metrics, seconds, device: dev.device, engineNote };
}

/** One row of the comparison table (percentages, as the paper reports them). */
export interface BaselineTableRow {
  model: string;
  /** 'ours' (this run) or 'paper' (published). */
  source: string;
  split: string;
  [metric: string]: string | number | null;
}

/**
 * Table rows from a run's metrics (numbers ×100, rounded to 0.01): top-k uncorrected and corrected,
 * MRR, mean rank, seconds per epoch.
 */
export function baselineTableRow(model: string, metrics: RankingMetrics, split: string, secondsPerEpoch: number | null, topks = [1, 5, 10, 20]): BaselineTableRow {
  const pct = (x: number | undefined) => (x === undefined || x === null || !Number.isFinite(x) ? null : Math.round(x * 10000) / 100);
  const row: BaselineTableRow = { model, source: 'ours', split };
  for (const k of topks) row[`top${k}`] = pct(metrics[`top${k}`]);
  for (const k of topks) row[`top${k} corr.`] = pct(metrics[`top${k}Corrected`]);
  row.MRR = pct(metrics.mrr);
  row['mean rank'] = Number.isFinite(metrics.meanRank) ? Math.round(metrics.meanRank * 100) / 100 : null;
  row['s/epoch'] = secondsPerEpoch === null || !Number.isFinite(secondsPerEpoch) ? null : Math.round(secondsPerEpoch * 100) / 100;
  return row;
}

/** One row of the DRIN paper's main table (percent, test split), with where it was read. */
export interface PublishedResult {
  model: string;
  dataset: 'WikiMEL' | 'WikiDiverse';
  /** Metric name as the paper writes it (e.g. 'Top-1', 'MRR') → value in percent. */
  metrics: Record<string, number>;
  /** The URL of the page (or file) the values were read from. */
  source: string;
}

/**
 * Rows of the DRIN paper's main table (Xing et al., ACM MM 2023, arXiv 2310.05589, Table 2: WikiMEL and
 * WikiDiverse) that were read in a source this project could reach, each with its URL. **None so far**: the
 * paper's PDF/HTML is not reachable from the project's machines (npm and Debian only), and the searchable copies
 * of pages about 2310.05589 (summary and review sites) and of later MEL papers that compare with DRIN (OT-MEL
 * 2406.01934, DWE+ 2404.04818, DIM 2407.12019, M3EL 2412.10440) gave their abstracts and openings, not the table;
 * the reference repository's readme gives no numbers. A DRIN WikiMEL row quoted here before had no recorded
 * source and was removed. Add a row only with the URL it was read from; {@link PUBLISHED_RESULTS_MISSING} says
 * what is missing.
 */
export const PUBLISHED_RESULTS: PublishedResult[] = [];

/** What the notebook says about the paper's table while {@link PUBLISHED_RESULTS} lacks rows. */
export const PUBLISHED_RESULTS_MISSING =
  "The paper's main table (Table 2: DRIN, GHMFC, MEL-HI and the other baselines it lists, on WikiMEL and " +
  'WikiDiverse) is not reproduced here: its values could not be read in any source this project can reach, ' +
  'and numbers without a source are not quoted.';

/**
 * The released reference's setting (starreeze/drin, release 23.07 and later, `common/args.py`): what a paper
 * row would differ from in our run. Candidates per mention: `num_candidates_data` (100 for WikiMEL, 10 for
 * WikiDiverse); features: BERT 768 (`bert_embed_dim`), ResNet 2048 (`resnet_embed_dim`), CLIP similarities;
 * DRIN's GCN width `gcn_embed_dim` 768; `num_epoch` 30, a test every `test_epoch_interval` 10.
 */
export const REFERENCE_SETUP = {
  candidates: { WikiMEL: 100, WikiDiverse: 10 },
  textDim: 768,
  imageDim: 2048,
  gcnDim: 768,
  epochs: 30,
  testEvery: 10,
} as const;

/** Read a run's metrics.json (CONTRACTS §5), or undefined when the run is absent. */
export function readRunMetrics(runDir: string): { valid?: RankingMetrics; test?: RankingMetrics; secondsPerEpoch?: number } | undefined {
  const f = path.join(runDir, 'metrics.json');
  if (!fs.existsSync(f)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch (e) {
    throw new Error(`${f}: not valid JSON (${(e as Error).message}); expected {valid, test, secondsPerEpoch}`);
  }
}
