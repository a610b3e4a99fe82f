/**
 * The model bench's figures: per-round throughputs → medians, ratios against the reference measured in
 * the same run, the one-line summary, and results/bench/model.json
 * (`{ "wikidiverse": {...}, "wikimel": {...} }`, one `ModelBenchEntry` per layout).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Seconds of each timed step of one round (ours or the reference's). */
export interface RoundSteps {
  train: number[];
  eval: number[];
}

/** What one layout's bench measured. */
export interface LayoutMeasurement {
  /** Mentions per step (the batch size). */
  batch: number;
  /** Our rounds, in order. */
  ours: RoundSteps[];
  /** The reference's rounds, interleaved with ours; absent when no reference was measured. */
  reference?: RoundSteps[];
  /** Our process's peak resident memory (MiB) after this layout. */
  peakRssMiB: number;
  /** The reference process's peak resident memory (MiB). */
  referencePeakRssMiB?: number;
  /** DRIN engine ('ort' | 'tfjs') and its threads. */
  engine: string;
  threads: number;
  /** Timed steps per round (each side, train and eval). */
  steps: number;
  /** 1-minute load average at each round (the machine is shared). */
  loadAverage: number[];
  /** The reference's BLAS (library, OpenBLAS kernel), as its driver reported it. */
  referenceBlas?: unknown;
}

/** One layout's entry of results/bench/model.json. Throughputs in mentions/s (medians over rounds). */
export interface ModelBenchEntry {
  train: number;
  eval: number;
  trainReference: number | null;
  evalReference: number | null;
  trainRatioVsReference: number | null;
  evalRatioVsReference: number | null;
  peakRssMiB: number;
  referencePeakRssMiB: number | null;
  engine: string;
  threads: number;
  batch: number;
  steps: number;
  rounds: number;
  /** Per-round throughputs behind the medians. */
  perRound: { train: number[]; eval: number[]; trainReference: number[] | null; evalReference: number[] | null };
  loadAverage: number[];
  referenceBlas: unknown;
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  if (!xs.length) throw new Error('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Mentions/s of one round: batch × steps / total seconds. */
export function roundRate(batch: number, seconds: number[]): number {
  const total = seconds.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error(`a round with no positive time (${seconds.length} steps)`);
  return (batch * seconds.length) / total;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;

/** Medians and ratios of one layout (ratios null without reference rounds). */
export function summarizeLayout(m: LayoutMeasurement): ModelBenchEntry {
  if (!m.ours.length) throw new Error('no rounds of ours measured');
  const rates = (rounds: RoundSteps[], k: keyof RoundSteps): number[] => rounds.map((r) => roundRate(m.batch, r[k]));
  const train = rates(m.ours, 'train');
  const evalR = rates(m.ours, 'eval');
  const ref = m.reference?.length ? m.reference : undefined;
  const trainRef = ref ? rates(ref, 'train') : null;
  const evalRef = ref ? rates(ref, 'eval') : null;
  const mt = median(train);
  const me = median(evalR);
  const mtr = trainRef ? median(trainRef) : null;
  const mer = evalRef ? median(evalRef) : null;
  return {
    train: r1(mt),
    eval: r1(me),
    trainReference: mtr === null ? null : r1(mtr),
    evalReference: mer === null ? null : r1(mer),
    trainRatioVsReference: mtr === null ? null : r2(mt / mtr),
    evalRatioVsReference: mer === null ? null : r2(me / mer),
    peakRssMiB: Math.round(m.peakRssMiB),
    referencePeakRssMiB: m.referencePeakRssMiB === undefined ? null : Math.round(m.referencePeakRssMiB),
    engine: m.engine,
    threads: m.threads,
    batch: m.batch,
    steps: m.steps,
    rounds: m.ours.length,
    perRound: { train: train.map(r1), eval: evalR.map(r1), trainReference: trainRef?.map(r1) ?? null, evalReference: evalRef?.map(r1) ?? null },
    loadAverage: m.loadAverage.map(r2),
    referenceBlas: m.referenceBlas ?? null,
  };
}

/** One printed line per layout: ours, the reference's and the ratio when measured, else says so. */
export function formatLayout(name: string, e: ModelBenchEntry): string {
  const side = (ours: number, ref: number | null, ratio: number | null): string =>
    `${ours.toFixed(1).padStart(6)} mentions/s` + (ref === null ? '' : ` vs reference ${ref.toFixed(1)} (${ratio!.toFixed(2)}×)`);
  const load = e.loadAverage.length ? `  load ${Math.min(...e.loadAverage).toFixed(1)}–${Math.max(...e.loadAverage).toFixed(1)}` : '';
  return (
    `model ${name.padEnd(11)} ${e.engine} engine, ${e.threads} threads, median of ${e.rounds} rounds × ${e.steps} steps:` +
    `  train ${side(e.train, e.trainReference, e.trainRatioVsReference)}  eval ${side(e.eval, e.evalReference, e.evalRatioVsReference)}` +
    `  peak RSS ${e.peakRssMiB} MiB${load}` +
    (e.trainReference === null ? '  (no reference measured)' : '')
  );
}

/** Write `{ layout: entry }` as pretty JSON, creating the folder. */
export function writeModelBench(file: string, entries: Record<string, ModelBenchEntry>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(entries, null, 2)}\n`);
}
