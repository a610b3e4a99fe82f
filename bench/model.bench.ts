/**
 * DRIN train / eval throughput and peak RSS at the paper's sizes (batch 64, BERT 768, ResNet 2048 with
 * 49 regions, 3 mention objects, GCN 768, 2 layers): WikiDiverse (11 slots) and WikiMEL (101 slots,
 * entity text in the pre-pooled form of CONTRACTS §3), against the reference measured in the same run.
 *
 * `npm run bench -- model`. With `DRIN_REF=<checkout of starreeze/drin>` and a Python with torch
 * (`DRIN_REF_PYTHON`, default /usr/bin/python3; Debian python3-torch + libopenblas0-pthread), the
 * reference's own model and TripletLoss run on the same batch shapes (bench/reference/drin_ref_server.py,
 * with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for its command only), in rounds interleaved with ours;
 * figures are medians over rounds. Without DRIN_REF only ours are printed, and no ratio.
 * Writes results/bench/model.json (bench/reference/report.ts).
 *
 * Env: DRIN_BENCH_STEPS (timed steps per round, 3), DRIN_BENCH_ROUNDS (3), DRIN_BENCH_ONLY
 * (wikidiverse | wikimel), DRIN_ENGINE=tfjs (the tfjs engine instead of onnxruntime), DRIN_BENCH_CHUNK
 * (tfjs engine's backward chunk on WikiMEL, 16), DRIN_BENCH_OUT (the JSON path), DRIN_BENCH_ENTITY_IMAGES
 * (WikiMEL entity images: distinct, one per entity as in the DRIN release, the default | default, the shared default image), DRIN_BENCH_SLOTS=distinct (every slot its own entity),
 * DRIN_SHARED (../shared, for the real candidate lists; bench/reference/candidate-slots.ts).
 */
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { readDrinEnv, type DrinEnv } from '../src/cli/env';

/** The variables the bench runs with (src/cli/env.ts); DRIN_BENCH_DEVICE, when set, replaces DRIN_DEVICE. */
const benchEnv = (): DrinEnv => readDrinEnv(process.env.DRIN_BENCH_DEVICE ? { ...process.env, DRIN_DEVICE: process.env.DRIN_BENCH_DEVICE } : process.env);
import { createDrin } from '../src/models';
import { drinConfig } from '../src/models/drin-config';
import { buildDrinGraph, drinGraphGradKeys, drinGraphParamKeys } from '../src/models/drin-graph';
import { uniqueDim } from '../src/models/graph/unique-rows';
import { OnnxGraph } from '../src/onnx/graph';
import { OrtSession, ortThreads } from '../src/onnx/session';
import { Adam, trainStep } from '../src/train';
import { BenchSlots, CANDIDATES_FILE, distinctSlots, EntityImages, wikimelSlots } from './reference/candidate-slots';
import { formatLayout, LayoutMeasurement, median, ModelBenchEntry, RoundSteps, summarizeLayout, writeModelBench } from './reference/report';

type Layout = 'wikidiverse' | 'wikimel';
const SLOTS: Record<Layout, number> = { wikidiverse: 11, wikimel: 101 };
const B = 64;

/**
 * A paper-size random batch (the reference driver's shapes; WikiMEL's entity text pre-pooled) whose slots hold
 * `slots`' entities and images: one random row per distinct entity (text, CLS) and per distinct image
 * (image feature, object feature and score), gathered into the slots (bench/reference/candidate-slots.ts).
 */
export function paperBatch(B: number, R: number, slots: BenchSlots = distinctSlots(B, R)): Record<string, tf.Tensor> {
  const T = 128;
  return tf.tidy(() => {
    const entity = tf.tensor2d(slots.entity, [B, R], 'int32');
    const image = tf.tensor2d(slots.image, [B, R], 'int32');
    const perEntity = (seed: number): tf.Tensor => tf.gather(tf.randomNormal([slots.entities, 768], 0, 1, 'float32', seed), entity); // [B,R,768]
    const perImage = (shape: number[], seed: number): tf.Tensor => tf.gather(tf.randomUniform([slots.images, ...shape], 0, 1, 'float32', seed), image); // [B,R,...shape]
    return {
      mention_text_feature: tf.randomNormal([B, T, 768], 0, 1, 'float32', 1),
      mention_text_mask: tf.ones([B, T], 'int32'),
      mention_start_pos: tf.fill([B], 3, 'int32'),
      mention_end_pos: tf.fill([B], 6, 'int32'),
      mention_image_feature: tf.randomUniform([B, 49, 2048], 0, 1, 'float32', 2),
      mention_object_feature: tf.randomUniform([B, 3, 1, 2048], 0, 1, 'float32', 3),
      mention_object_score: tf.randomUniform([B, 3], 0, 1, 'float32', 4),
      // WikiDiverse: pre-pooled entity text [B,R,Dt]; WikiMEL: the memory-saving pooled + CLS form
      ...(R > 11
        ? { entity_text_pooled: perEntity(5), entity_text_cls: perEntity(6) }
        : { entity_text_feature: perEntity(5), entity_text_mask: tf.zeros([B], 'int32') }),
      entity_image_feature: perImage([1, 2048], 7),
      entity_object_feature: perImage([1, 2048], 8),
      entity_object_score: perImage([1], 9),
      miet_similarity: tf.randomUniform([B, R], 15, 35, 'float32', 10),
      mtei_similarity: tf.randomUniform([B, R], 15, 35, 'float32', 11),
      answer_onehot: tf.oneHot(tf.tensor1d(slots.answer, 'int32'), R - 1).toFloat(), // answer C (gold not among the candidates): a zero row
    };
  });
}

/**
 * The slots a layout's bench batch holds: WikiMEL from the real candidate lists in ../shared (entity images
 * as `DRIN_BENCH_ENTITY_IMAGES`: distinct = one image per entity, as the DRIN release has (the default) | default = every
 * entity the default image, as data without entity images; `DRIN_BENCH_SLOTS=distinct` for no repetition at all),
 * WikiDiverse every slot distinct (its 704 rows are below the width where per-distinct-row products apply).
 */
export function benchSlots(layout: Layout, env: NodeJS.ProcessEnv = process.env): BenchSlots {
  const R = SLOTS[layout];
  if (layout !== 'wikimel' || env.DRIN_BENCH_SLOTS === 'distinct') return distinctSlots(B, R);
  const images = (env.DRIN_BENCH_ENTITY_IMAGES ?? 'distinct') as EntityImages;
  if (images !== 'default' && images !== 'distinct') throw new Error(`DRIN_BENCH_ENTITY_IMAGES=${images}: expected default or distinct`);
  const shared = env.DRIN_SHARED ?? path.resolve(__dirname, '..', '..', 'shared');
  return (
    wikimelSlots(shared, B, R, images) ?? { ...distinctSlots(B, R), source: `random, every slot distinct (${path.join(shared, CANDIDATES_FILE)} not found)` }
  );
}

/** The reference driver as a child process answering "train N" / "eval N" (see drin_ref_server.py). */
class ReferenceProcess {
  private lines: string[] = [];
  private waiting: ((line: string | undefined) => void)[] = [];
  private stderr: string[] = [];
  private exited = false;

  private constructor(private child: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      const w = this.waiting.shift();
      if (w) w(l);
      else this.lines.push(l);
    });
    child.stderr.on('data', (d: Buffer) =>
      this.stderr.push(
        ...d
          .toString()
          .split('\n')
          .filter((l) => l.trim()),
      ),
    );
    child.on('exit', () => {
      this.exited = true;
      this.waiting.splice(0).forEach((w) => w(undefined));
    });
  }

  /** Start the driver for `layout` with `threads`; resolves with its start line (torch, BLAS). */
  static async start(
    python: string,
    ref: string,
    layout: Layout,
    threads: number,
    slotsFile: string,
  ): Promise<{ proc: ReferenceProcess; ready: Record<string, unknown> }> {
    const env: NodeJS.ProcessEnv = { ...process.env, DRIN_REF: ref };
    // this machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE force a slower OpenBLAS kernel: not for the reference
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const child = spawn(python, [path.join(__dirname, 'reference', 'drin_ref_server.py'), layout, String(threads), slotsFile], { env, stdio: 'pipe' });
    const proc = new ReferenceProcess(child);
    const ready = await proc.reply();
    if (!ready.ready) throw new Error(`reference driver did not start: ${JSON.stringify(ready)}`);
    return { proc, ready };
  }

  private next(): Promise<string | undefined> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.exited) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The next JSON reply (lines that are not JSON objects are skipped). */
  private async reply(): Promise<Record<string, unknown>> {
    for (;;) {
      const l = await this.next();
      if (l === undefined) throw new Error(`reference driver exited: ${this.stderr.slice(-5).join(' | ') || 'no message'}`);
      if (l.startsWith('{')) return JSON.parse(l) as Record<string, unknown>;
    }
  }

  /** Seconds of each of `n` timed steps. */
  async time(op: 'train' | 'eval', n: number): Promise<number[]> {
    this.child.stdin.write(`${op} ${n}\n`);
    const r = await this.reply();
    if (!Array.isArray(r.seconds)) throw new Error(`reference driver: ${JSON.stringify(r)}`);
    return r.seconds as number[];
  }

  async peakRssMiB(): Promise<number> {
    this.child.stdin.write('rss\n');
    return (await this.reply()).peak_rss_mib as number;
  }

  async close(): Promise<void> {
    if (!this.exited) {
      this.child.stdin.write('quit\n');
      await new Promise<void>((resolve) => (this.exited ? resolve() : this.child.on('exit', () => resolve())));
    }
  }
}

/** The reference's checkout and Python, or why it cannot be measured. */
export function findReference(env: NodeJS.ProcessEnv = process.env): { ref: string; python: string } | { why: string } {
  const ref = env.DRIN_REF;
  if (!ref) return { why: 'DRIN_REF is not set (a checkout of starreeze/drin)' };
  if (!fs.existsSync(path.join(ref, 'drin', 'model.py')) || !fs.existsSync(path.join(ref, 'common', 'args.py')))
    return { why: `DRIN_REF=${ref} is not a checkout of starreeze/drin (no drin/model.py, common/args.py)` };
  const python = env.DRIN_REF_PYTHON ?? '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return {
      why: `${python} cannot import torch (Debian: apt-get install python3-torch libopenblas0-pthread): ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`,
    };
  return { ref, python };
}

/** Seconds of `fn` run `n` times, one entry per run. */
function timeSteps(n: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/**
 * Matmul throughput of onnxruntime here (GFLOP/s): a [rows, 2048] × [2048, 768] Gemm, as DRIN's entity
 * image projection on WikiMEL, median of 5 runs.
 */
export function ortMatmulGflops(rows = 6464, k = 2048, n = 768): number {
  const g = new OnnxGraph('gemm');
  const x = g.input('x', [rows, k]);
  const w = g.input('w', [n, k]);
  g.output('y', g.op('Gemm', [x, w], { transB: 1 }), [rows, n]);
  const s = new OrtSession(g.toBytes(), undefined, benchEnv().ort);
  const xs = new Float32Array(rows * k).map((_, i) => ((i * 7919) % 1000) / 1000);
  const ws = new Float32Array(n * k).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const feeds = { x: { data: xs, dims: [rows, k] }, w: { data: ws, dims: [n, k] } };
  s.run(feeds, ['y']);
  const secs = timeSteps(5, () => s.run(feeds, ['y']));
  s.dispose();
  return (2 * rows * k * n) / median(secs) / 1e9;
}

/**
 * Matmul FLOPs (2·m·n·k each, GFLOP) of one step of the ort engine's graph (src/models/drin-graph.ts) at
 * batch B, R slots, text Dt, image Di, GCN D, 2 layers, dynamic scalar edges. Entity vertices with more
 * rows (B·R) than input width go lazy in layer 0, computed once per distinct row (`distinct`: the batch's
 * distinct entity texts / images, default all B·R; src/models/graph/unique-rows.ts): with N ≥ din distinct
 * rows U·(W_h W_e)ᵀ and Q = dPᵀx summed per row; with N < din the vertex per row, U W_eᵀ, then W_h. The edge
 * row dots, slot sums and elementwise work are left out (a few % of the total).
 */
export function drinStepGflop(B: number, R: number, train: boolean, distinct: { text?: number; image?: number } = {}, D = 768, Dt = 768, Di = 2048): number {
  const BR = B * R;
  const mm = (m: number, k: number, n: number): number => 2 * m * k * n;
  let fwd = mm(B, Dt + Di, D) /* mention vertices */ + mm(2 * B, D, D) /* layer 0 mention rows */ + mm(2 * B, D, 2 * D); /* dynamic edges FU, G */
  fwd += mm(B + BR, D, D); // layer 1: mention-text and entity-text rows
  let bwd = mm(B, Dt + Di, D) + 2 * mm(2 * B, D, D) + 3 * mm(2 * B, D, D) + 2 * mm(B + BR, D, D);
  for (const [din, n] of [
    [Dt, distinct.text ?? BR],
    [Di, distinct.image ?? BR],
  ]) {
    if (BR > din && n >= din) {
      // W_h·W_e: in a training step; a forward pass reads it from the engine's cache (DrinOrtEngine.cacheParamProducts)
      fwd += (train ? mm(D, D, din) : 0) + mm(n, din, D); // W_h·W_e, U·(W_h W_e)ᵀ
      bwd += mm(n, din, D) + 2 * mm(D, D, din); // Q = dP_uᵀU, Q·W_e, W_hᵀ·Q
    } else if (BR > din) {
      fwd += mm(n, din, D) + mm(n, D, D); // h_u = U W_eᵀ, its W_h rows
      bwd += mm(n, din, D) + 2 * mm(n, D, D); // dW_e, dW_h, dh_u
    } else {
      fwd += mm(BR, din, D) + mm(BR, D, D); // h_e, its W_h rows
      bwd += mm(BR, din, D) + 2 * mm(BR, D, D); // dW_e, dW_h rows, dZ
    }
  }
  return (train ? fwd + bwd : fwd) / 1e9;
}

/**
 * Where one fused training step of the ort engine goes, by onnxruntime node type: the step's graph
 * (forward, backward, Adam) on random paper-size inputs, run with onnxruntime's profiler; returns
 * milliseconds per op type (median run of `runs`), largest first. `DRIN_BENCH_PROFILE=1` prints it.
 */
export async function profileDrinStep(layout: Layout, runs = 3, train = true): Promise<{ totalMs: number; byOp: [string, number][] }> {
  const R = SLOTS[layout];
  const cfg = drinConfig({ bertDim: 768, resnetDim: 2048, gcnDim: 768, numLayers: 2 });
  // the lazy entity inputs as their distinct rows, as the engine feeds them (src/models/graph/unique-rows.ts)
  const slots = benchSlots(layout);
  const lazy = B * R > 768;
  const inputs: Record<string, (number | string)[]> = {
    ...(lazy
      ? {
          'entity_text_vector.unique': [uniqueDim('entity_text_vector', slots.entities < 768), 768],
          'entity_text_vector.index': [B, R],
          'entity_image_feature.unique': [uniqueDim('entity_image_feature', slots.images < 2048), 1, 2048],
          'entity_image_feature.index': [B, R],
        }
      : { entity_text_vector: [B, R, 768], entity_image_feature: [B, R, 1, 2048] }),
    ...(layout === 'wikimel' ? { entity_text_raw: [B, R, 768] } : {}),
    span_weights: [B, 128],
    mention_text_feature: [B, 128, 768],
    mention_image_feature: [B, 49, 2048],
    mention_object_feature: [B, 3, 1, 2048],
    mention_object_score: [B, 3],
    entity_object_feature: [B, R, 1, 2048],
    entity_object_score: [B, R, 1],
    miet_similarity: [B, R],
    mtei_similarity: [B, R],
  };
  const bytes = buildDrinGraph(cfg, { B, R, inputs }, train ? { train, margin: 0.25, adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 } } : { train }).toBytes();
  let seed = 1;
  const rand = (n: number, scale: number): Float32Array =>
    new Float32Array(n).map(() => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * scale);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  const size = (d: number[]): number => d.reduce((a, b) => a * b, 1);
  const count: Record<string, number> = { entity_text_vector: slots.entities, entity_image_feature: slots.images };
  for (const [k, d0] of Object.entries(inputs)) {
    const [name, form] = k.split('.');
    const d = d0.map((x) => (typeof x === 'string' ? count[name] : x));
    const index = form === 'index' ? (name === 'entity_image_feature' ? slots.image : slots.entity) : undefined;
    feeds[k] = new ort.Tensor('float32', index ? Float32Array.from(index.flat()) : rand(size(d), k === 'span_weights' ? 0.1 : 2).map(Math.abs), d);
  }
  const model = createDrin({ bertDim: 768, resnetDim: 2048, gcnDim: 768, numLayers: 2 }, 0, { engine: 'tfjs' });
  for (const k of drinGraphParamKeys(cfg)) {
    const p = model.params.get(k)!;
    feeds[k] = new ort.Tensor('float32', Float32Array.from(p.dataSync()), p.shape);
  }
  model.params.forEach((p) => p.dispose());
  for (const k of train ? drinGraphGradKeys(cfg) : []) {
    const d = feeds[k].dims as number[];
    feeds[`adam.m:${k}`] = new ort.Tensor('float32', new Float32Array(size(d)), d);
    feeds[`adam.v:${k}`] = new ort.Tensor('float32', new Float32Array(size(d)), d);
    feeds[`adam.step_size:${k}`] = new ort.Tensor('float32', Float32Array.of(1e-3), []);
    feeds[`adam.bc2_sqrt:${k}`] = new ort.Tensor('float32', Float32Array.of(0.0316), []);
  }
  const onehot = new Float32Array(B * (R - 1));
  for (let b = 0; b < B; b++) onehot[b * (R - 1) + 2] = 1;
  if (train) feeds.answer_onehot = new ort.Tensor('float32', onehot, [B, R - 1]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-profile-'));
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: ortThreads(benchEnv().ort.threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableProfiling: true,
    profileFilePrefix: path.join(dir, 'p'),
  });
  const totals: number[] = [];
  const perRun: Map<string, number>[] = [];
  for (let r = 0; r <= runs; r++) await session.run(feeds, [train ? 'loss' : 'scores']);
  session.endProfiling();
  await session.release();
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new Error(`onnxruntime wrote no profile in ${dir}`);
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  fs.rmSync(dir, { recursive: true });
  for (const ev of events) {
    if (ev.cat === 'Session' && ev.name === 'model_run') {
      totals.push(ev.dur / 1000);
      perRun.push(new Map());
    } else if (ev.cat === 'Node' && ev.name.endsWith('_kernel_time') && ev.args?.op_name) {
      if (!perRun.length) perRun.push(new Map());
      const m = perRun[perRun.length - 1];
      m.set(ev.args.op_name, (m.get(ev.args.op_name) ?? 0) + ev.dur / 1000);
    }
  }
  // node events precede their model_run event: run j's nodes are in perRun[j]; skip the warm-up run
  const timed = totals.slice(1);
  const order = timed.map((t, i) => [t, i]).sort((a, b) => a[0] - b[0]);
  const mid = order[order.length >> 1][1] + 1;
  const byOp = [...(perRun[mid] ?? new Map()).entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs: totals[mid], byOp };
}

/** What the bench's batch held (bench/reference/candidate-slots.ts). */
interface SlotsNote {
  slots: { source: string; rows: number; distinctEntities: number; distinctEntityImages: number };
}

async function measureLayout(
  layout: Layout,
  steps: number,
  rounds: number,
  reference: { ref: string; python: string } | undefined,
): Promise<ModelBenchEntry & SlotsNote> {
  const R = SLOTS[layout];
  const model = createDrin({ bertDim: 768, resnetDim: 2048, gcnDim: 768, numLayers: 2 }, 0, benchEnv().drin);
  const chunk = model.engine === 'tfjs' && layout === 'wikimel' ? Number(process.env.DRIN_BENCH_CHUNK ?? 16) : undefined;
  const adam = new Adam({ lr: 1e-3 });
  const slots = benchSlots(layout);
  const batch = paperBatch(B, R, slots);
  console.log(`  ${layout} batch: ${slots.entities} distinct entities and ${slots.images} distinct entity images in ${B * R} slots (${slots.source})`);
  const threads = model.engine === 'ort' ? ortThreads(benchEnv().ort.threads) : 1;
  const trainOnce = (): void => void trainStep(model, adam, batch, 0.25, { chunk });
  const evalOnce = (): void => void tf.tidy(() => model.scores(batch).dataSync());
  let ref: ReferenceProcess | undefined;
  let referenceBlas: unknown;
  let slotsFile: string | undefined;
  if (reference) {
    // the reference builds its batch from the same slots (one random row per distinct entity / image)
    slotsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'drin-bench-')), 'slots.json');
    fs.writeFileSync(
      slotsFile,
      JSON.stringify({ entity: slots.entity, image: slots.image, answer: slots.answer, entities: slots.entities, images: slots.images }),
    );
    const started = await ReferenceProcess.start(reference.python, reference.ref, layout, threads, slotsFile);
    ref = started.proc;
    referenceBlas = started.ready.blas;
    const blas = started.ready.blas as { openblas_core?: string; libraries?: string[] };
    console.log(
      `  reference ${layout}: torch ${started.ready.torch}, ${threads} threads, BLAS ${blas.openblas_core ? `OpenBLAS kernel ${blas.openblas_core}` : (blas.libraries ?? []).join(', ') || 'unknown'}`,
    );
  }
  try {
    // warm-up (untimed): kernels, sessions, buffers. An onnxruntime session grows its memory arena at its
    // first two runs (page faults, seconds of system time at this size) and reuses it from the third on, so
    // the ort engine warms up twice, as the baselines bench does; the reference's allocator is malloc
    const warmup = model.engine === 'ort' ? 2 : 1;
    for (let i = 0; i < warmup; i++) {
      trainOnce();
      evalOnce();
    }
    if (ref) {
      await ref.time('train', 1);
      await ref.time('eval', 1);
    }
    const ours: RoundSteps[] = [];
    const theirs: RoundSteps[] = [];
    const load: number[] = [];
    for (let r = 0; r < rounds; r++) {
      load.push(os.loadavg()[0]);
      const o = { train: timeSteps(steps, trainOnce), eval: timeSteps(steps, evalOnce) };
      ours.push(o);
      let line = `  round ${r + 1}/${rounds} (load ${os.loadavg()[0].toFixed(1)}): ours train ${((B * steps) / o.train.reduce((a, b) => a + b)).toFixed(1)}, eval ${((B * steps) / o.eval.reduce((a, b) => a + b)).toFixed(1)} mentions/s`;
      if (ref) {
        const t = { train: await ref.time('train', steps), eval: await ref.time('eval', steps) };
        theirs.push(t);
        line += `; reference train ${((B * steps) / t.train.reduce((a, b) => a + b)).toFixed(1)}, eval ${((B * steps) / t.eval.reduce((a, b) => a + b)).toFixed(1)}`;
      }
      console.log(line);
    }
    const m: LayoutMeasurement = {
      batch: B,
      ours,
      reference: ref ? theirs : undefined,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      referencePeakRssMiB: ref ? await ref.peakRssMiB() : undefined,
      engine: chunk ? `${model.engine} (backward in chunks of ${chunk})` : model.engine,
      threads,
      steps,
      loadAverage: load,
      referenceBlas,
    };
    return { ...summarizeLayout(m), slots: { source: slots.source, rows: B * R, distinctEntities: slots.entities, distinctEntityImages: slots.images } };
  } finally {
    await ref?.close();
    if (slotsFile) fs.rmSync(path.dirname(slotsFile), { recursive: true, force: true });
    Object.values(batch).forEach((t) => t.dispose());
    model.params.forEach((p) => p.dispose());
    adam.reset();
  }
}

/** Print one line per layout and write results/bench/model.json. */
export async function run(): Promise<void> {
  const b = await initBackend(benchEnv().backend);
  const steps = Number(process.env.DRIN_BENCH_STEPS ?? 3);
  const rounds = Number(process.env.DRIN_BENCH_ROUNDS ?? 3);
  const probe = createDrin({ bertDim: 8, resnetDim: 8, gcnDim: 8 }, 0, benchEnv().drin);
  probe.params.forEach((p) => p.dispose());
  const found = findReference();
  const reference = 'why' in found ? undefined : found;
  console.log(
    `model: ${probe.engineNote}, tfjs ${b.name}, batch ${B}, GCN 768 × 2 layers, ${rounds} rounds × ${steps} timed steps after a warm-up (ort engine: 2 steps, tfjs: 1; the reference: 1)` +
      ` (DRIN_ENGINE=tfjs for the tfjs engine); ${reference ? `reference: ${reference.ref} with ${reference.python}, interleaved` : `no reference measured: ${(found as { why: string }).why}`}`,
  );
  const layouts = (['wikidiverse', 'wikimel'] as Layout[]).filter((l) => !process.env.DRIN_BENCH_ONLY || process.env.DRIN_BENCH_ONLY === l);
  const entries: Record<string, ModelBenchEntry & { matmulGflops?: number; stepGflop?: { train: number; eval: number } }> = {};
  for (const layout of layouts) {
    // the machine's matmul rate now (it is shared: measured next to each layout, not once)
    const gflops = probe.engine === 'ort' ? ortMatmulGflops() : undefined;
    if (gflops)
      console.log(
        `  onnxruntime matmul [6464×2048]·[2048×768]: ${gflops.toFixed(0)} GFLOP/s (${ortThreads(benchEnv().ort.threads)} threads, load ${os.loadavg()[0].toFixed(1)})`,
      );
    const e = await measureLayout(layout, steps, rounds, reference);
    const distinct = { text: e.slots.distinctEntities, image: e.slots.distinctEntityImages };
    const flop = { train: drinStepGflop(B, SLOTS[layout], true, distinct), eval: drinStepGflop(B, SLOTS[layout], false, distinct) };
    entries[layout] = {
      ...e,
      ...(gflops ? { matmulGflops: Math.round(gflops), stepGflop: { train: Math.round(flop.train * 10) / 10, eval: Math.round(flop.eval * 10) / 10 } } : {}),
    };
    console.log(formatLayout(layout, e));
    if (gflops) {
      const limit = (g: number): number => (B * gflops) / g; // mentions/s if the step ran at the matmul rate
      console.log(
        `  FLOP-count limit at ${gflops.toFixed(0)} GFLOP/s: train ${flop.train.toFixed(1)} GFLOP/step → ${limit(flop.train).toFixed(0)} mentions/s (ours at ${((100 * e.train) / limit(flop.train)).toFixed(0)} %),` +
          ` eval ${flop.eval.toFixed(1)} GFLOP → ${limit(flop.eval).toFixed(0)} (ours at ${((100 * e.eval) / limit(flop.eval)).toFixed(0)} %)`,
      );
    }
  }
  if (process.env.DRIN_BENCH_PROFILE === '1' && probe.engine === 'ort') {
    for (const layout of layouts) {
      for (const train of [true, false]) {
        const { totalMs, byOp } = await profileDrinStep(layout, 3, train);
        const mm = byOp.filter(([k]) => k === 'MatMul' || k === 'Gemm' || k === 'FusedGemm' || k === 'FusedMatMul').reduce((a, [, v]) => a + v, 0);
        console.log(
          `  profile ${layout} (${train ? 'one fused train step' : 'one forward'} in onnxruntime, load ${os.loadavg()[0].toFixed(1)}): ${totalMs.toFixed(0)} ms, matmuls ${mm.toFixed(0)} ms (${((100 * mm) / totalMs).toFixed(0)} %)`,
        );
        console.log(
          `    ${byOp
            .slice(0, 12)
            .map(([k, v]) => `${k} ${v.toFixed(0)}`)
            .join(', ')}`,
        );
      }
    }
  }
  const out = process.env.DRIN_BENCH_OUT ?? path.join('results', 'bench', 'model.json');
  writeModelBench(out, entries);
  console.log(`  wrote ${out}`);
}

if (require.main === module) run();
