/**
 * Number-for-number checks against the reference PyTorch outputs stored in a fixture directory
 * (../shared/fixtures/<family>/<name>/: manifest.json, inputs/, params/, scores.npy, grads/,
 * params_after_adam/, scores_after_adam.npy). The manifest names the model (`model_type`,
 * default `drin`); `PARITY_MODELS` (parity-models.ts) lists the factories, `registerParityModel` adds one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Adam } from './adam';
import { goldRanks } from './metrics';
import { lossAndGradients } from './loop';
import { RankingModel } from './model';
import { loadNpyTensor, loadWeights } from './weights';
import { PARITY_MODELS } from './parity-models';
import type { DeviceRequest } from '../device';
import type { OrtRunOptions } from '../onnx/session';
import type { ReassociateAttention } from '../models/ghmfc-graph';

/** The manifest fields parity reads (all fixture manifests have them; models read their own extras). */
export interface ParityManifest {
  model_type?: string;
  batch_order: string[];
  param_names: string[];
  triplet_margin: number;
  loss: number;
  adam: { lr: number; betas: [number, number]; eps: number; weight_decay?: number };
  params_without_gradient?: string[];
  metrics_after_dropping_gold_slot?: Record<string, number>;
  [key: string]: unknown;
}

/** How parity builds and reports a model (the CLI fills these from DRIN_ENGINE, DRIN_DEVICE, DRIN_ORT_*, DRIN_PARITY_DEBUG). */
export interface ParityOptions {
  /** The engine of DRIN and GHMFC (default auto; MEL-HI has tfjs only). */
  engine?: 'auto' | 'ort' | 'tfjs';
  /** Where DRIN's and GHMFC's ort engines run (default auto). */
  device?: DeviceRequest;
  /** The ort engines' onnxruntime options. */
  ort?: OrtRunOptions;
  /** Print the worst unexplained Adam element of each parameter. */
  debug?: boolean;
  /** GHMFC's ort engine: GhmfcGraphOptions.reassociateAttention (default 'when-cheaper'). */
  ghmfcReassociateAttention?: ReassociateAttention;
}

/** Builds an untrained model of the manifest's configuration (parity then loads params/ into it). */
export type ParityModelFactory = (manifest: ParityManifest, dir: string, opts: ParityOptions) => RankingModel;

const registry = new Map<string, ParityModelFactory>();

/** The factory for `name`: an added one (`registerParityModel`), else the listed one (`PARITY_MODELS`). */
function parityFactory(name: string): ParityModelFactory | undefined {
  return registry.get(name) ?? PARITY_MODELS[name];
}

/** Add (or replace) the model used for fixtures whose manifest says `model_type: name`, e.g. a model under development. */
export function registerParityModel(name: string, factory: ParityModelFactory): void {
  registry.set(name, factory);
}

/** Names of the models parity can check. */
export function parityModelNames(): string[] {
  return [...new Set([...Object.keys(PARITY_MODELS), ...registry.keys()])];
}

export interface ParityTolerances {
  scores: number;
  loss: number;
  gradAbs: number;
  gradRel: number;
  params: number;
  metrics: number;
}

export const PARITY_TOLERANCES: ParityTolerances = { scores: 1e-5, loss: 1e-5, gradAbs: 1e-5, gradRel: 1e-4, params: 1e-5, metrics: 1e-6 };

export interface ParityReport {
  dir: string;
  model: string;
  backend: string;
  /** Largest absolute differences. */
  scores: number;
  loss: number;
  grads: number;
  /** Worst gradient element, as the smaller of abs / rel excess over its tolerance (≤ 1 passes). */
  gradWorst: { key: string; abs: number; rel: number };
  paramsAfterAdam: number;
  /** Our Adam applied to the reference gradients (checks the optimizer alone; `scoresAfterAdam` uses these parameters). */
  paramsAfterAdamFromRefGrads: number;
  /**
   * Elements beyond the tolerance whose difference is fully explained by Adam's first-step slope
   * lr·eps/(|g| + eps)² times the (in-tolerance) gradient difference: |g| ≲ 1e-7 there.
   */
  illConditioned: number;
  scoresAfterAdam: number;
  /** top-k: [ours, reference]. */
  metrics: Record<string, [number, number]>;
  failures: string[];
  pass: boolean;
  seconds: number;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor, what: string): number {
  if (a.shape.join(',') !== b.shape.join(',')) throw new Error(`${what}: shape [${a.shape}] vs reference [${b.shape}]`);
  return tf.tidy(() => a.toFloat().sub(b.toFloat()).abs().max().dataSync()[0]);
}

/** Fixture directories under `root` (itself if it has a manifest.json), sorted. */
export function findFixtureDirs(root: string): string[] {
  if (fs.existsSync(path.join(root, 'manifest.json'))) return [root];
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`${root}: not a fixture directory (no manifest.json)`);
  const out: string[] = [];
  for (const d of fs.readdirSync(root).sort()) {
    const p = path.join(root, d);
    if (fs.statSync(p).isDirectory()) out.push(...findFixtureDirs(p));
  }
  return out;
}

/** Read a fixture's manifest. */
export function readParityManifest(dir: string): ParityManifest {
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as ParityManifest;
  for (const k of ['batch_order', 'param_names', 'triplet_margin', 'adam'] as const)
    if (m[k] === undefined) throw new Error(`${file}: missing '${k}'`);
  return m;
}

/** Load `inputs/*.npy` as a batch (integers as int32). */
export function loadParityBatch(dir: string): Record<string, tf.Tensor> {
  const inDir = path.join(dir, 'inputs');
  const batch: Record<string, tf.Tensor> = {};
  for (const f of fs.readdirSync(inDir).filter((x) => x.endsWith('.npy'))) batch[f.slice(0, -4)] = loadNpyTensor(path.join(inDir, f));
  if (!batch.answer_onehot) throw new Error(`${inDir}: missing answer_onehot.npy`);
  batch.answer_onehot = batch.answer_onehot.toFloat();
  return batch;
}

/**
 * Check one fixture directory: forward scores, triplet loss, gradients, one Adam step
 * (parameters and scores after it) and the batch's top-k metrics.
 */
export function runParity(dir: string, tol: ParityTolerances = PARITY_TOLERANCES, opts: ParityOptions = {}): ParityReport {
  const t0 = Date.now();
  const manifest = readParityManifest(dir);
  const name = manifest.model_type ?? 'drin';
  const factory = parityFactory(name);
  if (!factory) throw new Error(`${dir}: no parity model registered for '${name}' (registered: ${parityModelNames().join(', ') || 'none'})`);
  const model = factory(manifest, dir, opts);
  const failures: string[] = [];
  const batch = loadParityBatch(dir);
  try {
    loadWeights(model.params, path.join(dir, 'params'));
    const margin = manifest.triplet_margin;
    const onehot = batch.answer_onehot;

    // forward
    const refScores = loadNpyTensor(path.join(dir, 'scores.npy'));
    const scores = tf.tidy(() => model.scores(batch, { training: false }));
    const dScores = maxAbsDiff(scores, refScores, 'scores');

    // metrics of the batch (gold slot dropped)
    const metrics: Record<string, [number, number]> = {};
    const ranks = goldRanks(scores, onehot);
    const r = Array.from(ranks.dataSync());
    ranks.dispose();
    for (const [k, ref] of Object.entries(manifest.metrics_after_dropping_gold_slot ?? {})) {
      const kk = Number(k.replace(/^top-?/, ''));
      const ours = r.filter((x) => x > 0 && x <= kk).length / r.length;
      metrics[k] = [ours, ref];
      if (Math.abs(ours - ref) > tol.metrics) failures.push(`metric ${k}: ${ours} vs ${ref}`);
    }
    scores.dispose();
    refScores.dispose();

    // loss and gradients, as training takes them (the fused engine, else autodiff; eval mode like the fixtures)
    const keys = [...model.params.keys()];
    const { loss, grads: gradMap } = lossAndGradients(model, batch, margin, { training: false });
    const dLoss = Math.abs(loss - manifest.loss);
    let dGrads = 0;
    let gradWorst = { key: '', abs: 0, rel: 0 };
    let worstExcess = 0;
    for (const k of keys) {
      const ref = loadNpyTensor(path.join(dir, 'grads', `${k}.npy`));
      const ours = gradMap.get(k) ?? tf.zerosLike(ref);
      const [abs, excess, rel] = tf.tidy(() => {
        const d = ours.sub(ref).abs(); // per element
        const relE = d.div(ref.abs().add(1e-30));
        const ex = tf.minimum(d.div(tol.gradAbs), relE.div(tol.gradRel)); // ≤ 1 passes
        const iw = ex.flatten().argMax();
        return [d.max().dataSync()[0], ex.max().dataSync()[0], relE.flatten().gather(iw).dataSync()[0]];
      });
      dGrads = Math.max(dGrads, abs);
      if (excess > worstExcess) {
        worstExcess = excess;
        gradWorst = { key: k, abs, rel };
      }
      if (!gradMap.has(k)) ours.dispose();
      ref.dispose();
    }
    if (worstExcess > 1) failures.push(`gradient ${gradWorst.key}: abs ${gradWorst.abs.toExponential(2)}, rel ${gradWorst.rel.toExponential(2)}`);

    // one Adam step (PyTorch rule) from the reference gradients: checks the optimizer on its own
    const adamOpts = { lr: manifest.adam.lr, beta1: manifest.adam.betas[0], beta2: manifest.adam.betas[1], eps: manifest.adam.eps };
    const initial = new Map([...model.params].map(([k, v]) => [k, v.clone()]));
    const refGrads = new Map(keys.map((k) => [k, loadNpyTensor(path.join(dir, 'grads', `${k}.npy`))]));
    const withoutGrad = new Set(manifest.params_without_gradient ?? []);
    for (const k of withoutGrad) refGrads.get(k)?.dispose();
    for (const k of withoutGrad) refGrads.delete(k);
    const adamRef = new Adam(adamOpts);
    adamRef.step(model.params, refGrads);
    adamRef.reset();
    let dAdamOnly = 0;
    const refAfter = new Map(keys.map((k) => [k, loadNpyTensor(path.join(dir, 'params_after_adam', `${k}.npy`))]));
    for (const k of keys) dAdamOnly = Math.max(dAdamOnly, maxAbsDiff(model.params.get(k)!, refAfter.get(k)!, `params_after_adam/${k}`));

    // scores after the step (at the parameters Adam gives from the reference gradients)
    let dScoresAfter = 0;
    const afterFile = path.join(dir, 'scores_after_adam.npy');
    if (fs.existsSync(afterFile)) {
      const refScoresAfter = loadNpyTensor(afterFile);
      const after = tf.tidy(() => model.scores(batch, { training: false }));
      dScoresAfter = maxAbsDiff(after, refScoresAfter, 'scores_after_adam');
      after.dispose();
      refScoresAfter.dispose();
    }

    // the full chain: our gradients, our Adam step
    for (const [k, v] of initial) model.params.get(k)!.assign(v);
    const adam = new Adam(adamOpts);
    adam.step(model.params, gradMap);
    adam.reset();
    let dParams = 0;
    let illConditioned = 0;
    let worstUnexplained = 0;
    for (const k of keys) {
      const refP = refAfter.get(k)!;
      dParams = Math.max(dParams, maxAbsDiff(model.params.get(k)!, refP, `params_after_adam/${k}`));
      // Adam's first step is p − lr·g/(|g| + eps): where |g| is ~eps its slope lr·eps/(|g| + eps)² turns the
      // float32 rounding of a gradient into a visible parameter difference. Count those elements separately.
      const g1 = gradMap.get(k);
      const g2 = refGrads.get(k);
      if (!g1 || !g2) continue;
      const [n, worst] = tf.tidy(() => {
        const d = model.params.get(k)!.sub(refP).abs();
        const sameSign = g1.mul(g2).greater(0);
        const gmin = tf.where(sameSign, tf.minimum(g1.abs(), g2.abs()), tf.zerosLike(g1));
        const slope = gmin.add(adamOpts.eps).square().reciprocal().mul(adamOpts.lr * adamOpts.eps);
        const explained = slope.mul(g1.sub(g2).abs());
        const beyond = d.greater(tol.params);
        const unexplained = d.sub(explained).maximum(0);
        if (opts.debug) {
          const i = unexplained.flatten().argMax().dataSync()[0];
          const at = (t: tf.Tensor) => t.flatten().gather([i]).dataSync()[0];
          console.log(`  [debug] ${k}[${i}]: g ${at(g1)} ref ${at(g2)} |Δp| ${at(d)} explained ${at(explained)}`);
        }
        return [beyond.sum().dataSync()[0], unexplained.max().dataSync()[0]];
      });
      illConditioned += n;
      worstUnexplained = Math.max(worstUnexplained, worst);
    }
    initial.forEach((t) => t.dispose());
    refGrads.forEach((t) => t.dispose());
    refAfter.forEach((t) => t.dispose());
    gradMap.forEach((g) => g.dispose());
    if (!(dScores <= tol.scores)) failures.push(`scores: ${dScores.toExponential(2)}`);
    if (!(dLoss <= tol.loss)) failures.push(`loss: ${loss} vs ${manifest.loss}`);
    if (!(dAdamOnly <= tol.params)) failures.push(`params after Adam from the reference gradients: ${dAdamOnly.toExponential(2)}`);
    if (!(worstUnexplained <= tol.params))
      failures.push(`params after Adam: ${dParams.toExponential(2)} (${worstUnexplained.toExponential(2)} beyond what the gradient difference explains)`);
    if (!(dScoresAfter <= tol.scores)) failures.push(`scores after Adam: ${dScoresAfter.toExponential(2)}`);
    return {
      dir,
      model: name,
      backend: model.engine ? `${tf.getBackend()}, ${model.engine} engine` : tf.getBackend(),
      scores: dScores,
      loss: dLoss,
      grads: dGrads,
      gradWorst,
      paramsAfterAdam: dParams,
      paramsAfterAdamFromRefGrads: dAdamOnly,
      illConditioned,
      scoresAfterAdam: dScoresAfter,
      metrics,
      failures,
      pass: failures.length === 0,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    Object.values(batch).forEach((t) => t.dispose());
    model.params.forEach((p) => p.dispose());
  }
}

/** One line per check, as `drin parity` prints it. */
export function formatParityReport(r: ParityReport): string {
  const e = (x: number) => x.toExponential(2);
  const m = Object.entries(r.metrics)
    .map(([k, [a, b]]) => `${k} ${a.toFixed(4)}${Math.abs(a - b) <= PARITY_TOLERANCES.metrics ? '=' : '≠'}${b.toFixed(4)}`)
    .join(' ');
  return (
    `${r.dir} [${r.model}, ${r.backend}, ${r.seconds.toFixed(1)}s]\n` +
    `  max |Δ| scores ${e(r.scores)}  loss ${e(r.loss)}  grads ${e(r.grads)}  params after Adam ${e(r.paramsAfterAdam)}  scores after Adam ${e(r.scoresAfterAdam)}\n` +
    `  Adam alone (reference grads) ${e(r.paramsAfterAdamFromRefGrads)}` +
    (r.illConditioned
      ? `; ${r.illConditioned} param element(s) beyond ${PARITY_TOLERANCES.params} where |g| ≈ eps makes Adam's first step amplify float32 gradient rounding (explained by the in-tolerance gradient difference)`
      : '') +
    '\n' +
    `  metrics ${m || '(none in manifest)'}\n` +
    `  ${r.pass ? 'PASS' : 'FAIL: ' + r.failures.join('; ')}`
  );
}
