/**
 * GHMFC (multimodal, bi) and MEL-HI train throughput at the paper's sizes (batch 64, WikiDiverse layout:
 * 128 tokens × BERT 768, 49 regions × ResNet 2048, 11 candidate slots; one Adam step with the triplet
 * loss, dropout on as in training), against the reference measured in the same run.
 *
 * `npm run bench -- baselines`. With `DRIN_REF` = a checkout of starreeze/drin, the reference
 * (../shared/tools/reference-bench/ghmfc_bench.py, torch 1.13 + OpenBLAS, 2 threads, OpenBLAS
 * variables unset) and ours alternate for `DRIN_BENCH_ROUNDS` rounds (3) of `DRIN_BENCH_STEPS` timed
 * steps (2) after a warm-up (the reference: 1 step in each of its processes; ours: 1 step, 2 on the ort
 * engine, whose memory arena settles at the second run); medians are compared. MEL-HI's reference run is the same driver with
 * `model_type = "melhi"`, its model class and an entity image batch (a patched copy in a temporary
 * folder). Without `DRIN_REF` no reference is measured and the ratios are null.
 * `DRIN_BENCH_BATCH` (64) changes the batch, `DRIN_BENCH_MODELS=ghmfc` or `melhi` runs one model,
 * `DRIN_BENCH_LAYOUT=wikimel` measures GHMFC with WikiMEL's entity text (64 tokens × 768 per candidate, pooled
 * before the graph) on our side only (the reference driver builds WikiDiverse batches).
 * Writes results/bench/baselines.json (rows of models not run this time are kept from the previous file)
 * and prints one line per round, each with the load average.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { createGhmfc } from '../src/models/ghmfc';
import { createMelhi } from '../src/models/melhi';
import { SHARED } from '../src/paths';
import { Adam, trainStep } from '../src/train';
import type { RankingModel } from '../src/train/model';

const T = 128;
const N = 49;
const R = 11;

type Name = 'ghmfc' | 'melhi';

/** Entity tokens per candidate in the WikiMEL layout (the reference's max_entity_attr_token_len). */
const L = 64;

/**
 * The reference bench's batch: mention span [3, 6), full masks, random features. `wikimel`: the entity
 * text as L token features with a mask (the first 40 tokens real) instead of one vector per candidate.
 */
function paperBatch(B: number, layout: 'wikidiverse' | 'wikimel' = 'wikidiverse'): Record<string, tf.Tensor> {
  if (layout === 'wikimel') {
    const b = paperBatch(B);
    b.entity_text_feature.dispose();
    b.entity_text_feature = tf.randomNormal([B, R, L, 768], 0, 1, 'float32', 5);
    b.entity_text_mask = tf.tidy(() => tf.tile(tf.concat([tf.ones([1, 1, 40], 'int32'), tf.zeros([1, 1, L - 40], 'int32')], 2), [B, R, 1]));
    return b;
  }
  return tf.tidy(() => ({
    mention_text_feature: tf.randomNormal([B, T, 768], 0, 1, 'float32', 1),
    mention_text_mask: tf.ones([B, T], 'int32'),
    mention_start_pos: tf.fill([B], 3, 'int32'),
    mention_end_pos: tf.fill([B], 6, 'int32'),
    mention_image_feature: tf.randomUniform([B, N, 2048], 0, 1, 'float32', 2),
    entity_text_feature: tf.randomNormal([B, R, 768], 0, 1, 'float32', 5),
    entity_text_mask: tf.zeros([B], 'int32'),
    entity_image_feature: tf.randomUniform([B, R, 2048], 0, 1, 'float32', 7),
    answer_onehot: tf.oneHot(tf.fill([B], 0, 'int32'), R - 1).toFloat(),
  }));
}

/** The reference driver for `name` (MEL-HI: a patched copy of the GHMFC driver in a temporary folder). */
function referenceScript(name: Name): string {
  const ghmfc = path.join(SHARED, 'tools', 'reference-bench', 'ghmfc_bench.py');
  if (name === 'ghmfc') return ghmfc;
  let s = fs.readFileSync(ghmfc, 'utf8');
  const patch = (from: RegExp, to: string) => {
    if (!from.test(s)) throw new Error(`${ghmfc}: cannot make the MEL-HI driver (no ${from})`);
    s = s.replace(from, to);
  };
  patch(/model_type = "ghmfc"/, 'model_type = "melhi"');
  patch(/from baselines\.ghmfc import Model/, 'from baselines.melhi import Model');
  patch(/torch\.zeros\(B, dtype=torch\.long\), torch\.zeros\(B, dtype=torch\.long\)\]/, 'torch.zeros(B, dtype=torch.long), torch.rand(B, R, 2048, generator=g)]');
  patch(/"model": "ghmfc"/, '"model": "melhi"');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'melhi-bench-')), 'melhi_bench.py');
  fs.writeFileSync(file, s);
  return file;
}

/** One reference run: mentions/s of its timed steps. */
function referenceRate(script: string, steps: number, B: number): number {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // these force a slower OpenBLAS kernel on this machine (reference-bench README)
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('/usr/bin/python3', [script, String(steps), String(B)], { env, encoding: 'utf8', timeout: 3600_000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return B / (JSON.parse(line).train_step_s as number); // its mentions/s field is rounded to 0.1
  } catch {
    throw new Error(`reference bench ${script} failed (exit ${r.status}): ${(r.stderr ?? '').slice(-800)}`);
  }
}

function build(name: Name, layout: 'wikidiverse' | 'wikimel'): RankingModel {
  return name === 'ghmfc' ? createGhmfc({ dataset: layout }, 0) : createMelhi({}, 0);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

export async function run(): Promise<void> {
  await initBackend();
  const B = Number(process.env.DRIN_BENCH_BATCH ?? 64);
  const steps = Number(process.env.DRIN_BENCH_STEPS ?? 2);
  const rounds = Number(process.env.DRIN_BENCH_ROUNDS ?? 3);
  const names = (process.env.DRIN_BENCH_MODELS ?? 'ghmfc,melhi').split(',').map((s) => s.trim()) as Name[];
  const layout = (process.env.DRIN_BENCH_LAYOUT ?? 'wikidiverse') as 'wikidiverse' | 'wikimel';
  if (layout !== 'wikidiverse' && layout !== 'wikimel') throw new Error(`DRIN_BENCH_LAYOUT: expected wikidiverse or wikimel, got '${layout}'`);
  if (layout === 'wikimel' && names.includes('melhi')) throw new Error('DRIN_BENCH_LAYOUT=wikimel is for GHMFC only (set DRIN_BENCH_MODELS=ghmfc)');
  // the reference driver builds the WikiDiverse layout only: another layout is measured on our side alone
  const ref = layout === 'wikidiverse' ? process.env.DRIN_REF : undefined;
  if (layout !== 'wikidiverse') console.log(`baselines: ${layout} layout (entity text ${L} tokens × 768): ours only, the reference driver builds WikiDiverse batches`);
  else if (!ref) console.log('baselines: DRIN_REF is not set: no reference was measured (ratios null); set it to a starreeze/drin checkout');
  const results: Record<string, unknown>[] = [];
  for (const name of names) {
    const model = build(name, layout);
    const engine = (model as { engine?: string }).engine ?? 'tfjs';
    const adam = new Adam({ lr: 1e-3 });
    const batch = paperBatch(B, layout);
    const script = ref ? referenceScript(name) : undefined;
    // onnxruntime plans its memory at the first run and grows its arena at the second (seconds of page
    // faults at full width); from the third on a step reuses it: two warm-up steps reach the steady state
    const warmup = engine === 'ort' ? 2 : 1;
    console.log(`${name}: ${engine} engine, ${layout} layout, batch ${B}, T ${T}, ${N} regions, ${R} slots, ${rounds} rounds × ${steps} steps (+ ${warmup} warm-up)`);
    for (let i = 0; i < warmup; i++) trainStep(model, adam, batch, 0.25); // sessions, buffers
    const ours: number[] = [];
    const theirs: number[] = [];
    const loads: string[] = [];
    for (let r = 0; r < rounds; r++) {
      if (script) {
        process.env.DRIN_REF = ref;
        theirs.push(referenceRate(script, steps, B));
      }
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) trainStep(model, adam, batch, 0.25);
      ours.push((B * steps) / ((performance.now() - t0) / 1000));
      loads.push(load());
      console.log(
        `  round ${r + 1}: ours ${ours[r].toFixed(2)} mentions/s` + (script ? `, reference ${theirs[r].toFixed(2)} (${(ours[r] / theirs[r]).toFixed(2)}×)` : '') + `  load average ${loads[r]}`,
      );
    }
    const rss = process.resourceUsage().maxRSS * 1024;
    const row = {
      model: name,
      layout,
      date: new Date().toISOString(),
      engine,
      batch: B,
      oursTrainMentionsPerS: ours,
      referenceTrainMentionsPerS: script ? theirs : null,
      oursMedian: median(ours),
      referenceMedian: script ? median(theirs) : null,
      ratio: script ? median(ours) / median(theirs) : null,
      peakRssBytes: rss,
      loadAverage: loads,
    };
    results.push(row);
    console.log(
      `${name}: median ours ${row.oursMedian.toFixed(2)} mentions/s` +
        (script ? `, reference ${row.referenceMedian!.toFixed(2)}, ratio ${row.ratio!.toFixed(2)}×` : ', no reference measured') +
        `, peak RSS ${(rss / 2 ** 30).toFixed(2)} GiB (process so far)`,
    );
    Object.values(batch).forEach((t) => t.dispose());
    model.params.forEach((p) => p.dispose());
    adam.reset();
  }
  const out = path.join('results', 'bench', 'baselines.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // a run of some models keeps the other models' rows of the previous file (each row has its date)
  let kept: Record<string, unknown>[] = [];
  if (fs.existsSync(out)) {
    try {
      kept = (JSON.parse(fs.readFileSync(out, 'utf8')).results ?? []).filter((r: { model: string; layout?: string }) => !(names.includes(r.model as Name) && (r.layout ?? 'wikidiverse') === layout));
    } catch {
      kept = [];
    }
  }
  fs.writeFileSync(
    out,
    JSON.stringify({ cpus: os.cpus().length, reference: ref ? 'measured in the same run as ours, interleaved (medians)' : 'not measured (DRIN_REF unset)', results: [...kept, ...results] }, null, 1),
  );
  console.log(`wrote ${out}`);
}

if (require.main === module) run();
