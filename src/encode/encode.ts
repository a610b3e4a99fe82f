/**
 * The encode driver: a prepared directory (CONTRACTS §2) → a complete preprocessed directory in the
 * reference's layout (WikiMEL: 42 files; WikiDiverse: 54), with any {@link EncoderSet}.
 *
 * Work is cut into TASKS (tasks.ts: one per group of output files) and each task into CHUNKS of rows.
 * A finished chunk is a directory `<out>/_encode/<task>/<chunk>/` holding one .npy per output, made
 * visible by an atomic rename — so a run that is killed and restarted skips every finished chunk and
 * recomputes at most the chunks that were in flight. `shard: {index, count}` (CLI `--shard i/n`) takes
 * every n-th chunk, so n processes or cluster jobs can share one output directory; whichever finds all
 * chunks present MERGES them (merge.ts) and writes `encode.json` (report.ts). The prepared directory is
 * read by prepared.ts; the vocabularies of prepare's positions and of the BERT tokens are refused when
 * they differ (vocabulary-check.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy } from '../data/npy';
import { progressBar } from '../progress';
import { decodeRGB } from './images';
import type { EncoderSet } from './types';
import { checkTextVocabulary } from './vocabulary-check';
import { readPrepared } from './prepared';
import { buildTasks, type EncodeTask, type EncodeTaskOptions } from './tasks';
import { EncodeImageLoader } from './task-image';
import { chunkName, mergeParts, missingChunks } from './merge';
import { encoderRecord, type EncodeReport } from './report';

// the parts, re-exported: `import { readPrepared, EncodeReport, ... } from './encode'` keeps working
export { ENCODE_SPLITS, readPrepared, textSideFiles } from './prepared';
export type { EncodeSplit, EncodeMentionRecord, EncodeEntityRecord, PreparedData } from './prepared';
export { buildTasks } from './tasks';
export type { EncodeOutput, EncodeTask, EncodeTaskOptions } from './tasks';
export { EncodeImageLoader } from './task-image';
export type { EncodeReport } from './report';

/** Options of {@link encodePrepared}. */
export interface EncodeOptions extends EncodeTaskOptions {
  /** Prepared directory (CONTRACTS §2). */
  prepared: string;
  /** Output preprocessed directory. */
  out: string;
  encoders: EncoderSet;
  /** This process's shard of the chunks (default 0 of 1). */
  shard?: { index: number; count: number };
  /** Rows per chunk by task kind (defaults: text 64, image 16, clip 32). */
  chunkRows?: Partial<Record<EncodeTask['kind'], number>>;
  /** Default image file (else a 224×224 grey image). */
  defaultImage?: string;
  /** Merge when every chunk is present (default true). */
  merge?: boolean;
  /** Keep `_encode/` after merging (default false). */
  keepParts?: boolean;
  /** Show cli-progress bars (default: when stderr is a TTY; the CLI passes true). */
  progress?: boolean;
  /** Start from scratch in a private directory and replace `out` when complete (no resume; safe against concurrent runs). */
  fresh?: boolean;
  /** Testing: stop (throw) after computing this many chunks, as a kill would. */
  stopAfterChunks?: number;
  log?: (line: string) => void;
}

/** Parse `i/n` (0-based i). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new Error(`--shard ${text}: expected i/n with 0 <= i < n, e.g. 0/4`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** Throwable used by `stopAfterChunks` (tests simulate a kill with it). */
export class EncodeInterrupted extends Error {}

/**
 * Encode a prepared directory into a preprocessed directory (see the file comment). Resumable and
 * shardable; returns what this process did. Throws with the file and row on bad input.
 */
export async function encodePrepared(opts: EncodeOptions): Promise<EncodeReport> {
  if (opts.fresh) {
    // encode into a private directory, then swap it in: concurrent runs never see each other's parts
    const tmp = `${path.resolve(opts.out)}.fresh-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const r = await encodePrepared({ ...opts, out: tmp, fresh: false, shard: undefined });
    fs.rmSync(opts.out, { recursive: true, force: true });
    fs.renameSync(tmp, opts.out);
    const mf = path.join(opts.out, 'encode.json');
    fs.writeFileSync(mf, fs.readFileSync(mf, 'utf8').split(tmp).join(path.resolve(opts.out)));
    return { ...r, out: opts.out };
  }
  const t0 = Date.now();
  const log = opts.log ?? ((l: string) => console.log(l));
  const shard = opts.shard ?? { index: 0, count: 1 };
  const data = readPrepared(opts.prepared);
  const vocabulary = checkTextVocabulary(data, opts.encoders.text); // throws when the vocabularies differ
  const defaultImage = opts.defaultImage ? await decodeRGB(opts.defaultImage) : undefined;
  const loader = new EncodeImageLoader(defaultImage);
  const tasks = buildTasks(data, opts.encoders, opts, loader);
  const work = path.join(opts.out, '_encode');
  fs.mkdirSync(work, { recursive: true });
  // never mix features of different encoders in one directory
  const used = Object.fromEntries(Object.entries(opts.encoders).map(([k, e]) => [k, e.name]));
  for (const f of [path.join(work, 'encoders.json'), path.join(opts.out, 'encode.json')]) {
    if (!fs.existsSync(f)) continue;
    const prev = (JSON.parse(fs.readFileSync(f, 'utf8')) as { encoders: Record<string, string | { name: string }> }).encoders;
    const prevNames = Object.fromEntries(Object.entries(prev).map(([k, v]) => [k, typeof v === 'string' ? v : v.name]));
    if (JSON.stringify(prevNames) !== JSON.stringify(used)) {
      throw new Error(`${f}: ${opts.out} holds features of other encoders (${JSON.stringify(prevNames)}; now ${JSON.stringify(used)}): use another --out or delete it`);
    }
  }
  fs.writeFileSync(path.join(work, 'encoders.json'), JSON.stringify({ encoders: used }));
  const chunkRows = { text: 64, image: 16, clip: 32, ...opts.chunkRows };
  const showProgress = opts.progress ?? Boolean(process.stderr.isTTY);
  const counts: Record<string, number> = {};
  const taskReports: EncodeReport['tasks'] = [];
  let globalChunk = 0, computedTotal = 0;

  for (let pass = 0; pass < 2; pass++) {
  if (pass === 1) {
    // a single-shard run must finish: chunks that vanished (another process cleaning the directory) are redone once
    if (shard.count !== 1 || opts.merge === false || !tasks.some((t) => missingChunks(opts.out, t, chunkRows[t.kind]).length)) break;
    log('encode: chunks went missing while running (another process using the same output directory?); redoing them');
    globalChunk = 0;
  }
  for (const task of tasks) {
    const size = chunkRows[task.kind];
    const nChunks = Math.ceil(task.rows / size);
    const dir = path.join(work, task.id);
    fs.mkdirSync(dir, { recursive: true });
    const finalDone = task.outputs.every((o) => fs.existsSync(path.join(opts.out, o.file)));
    const mine: number[] = [];
    for (let c = 0; c < nChunks; c++, globalChunk++) if (globalChunk % shard.count === shard.index) mine.push(c);
    const todo = finalDone ? [] : mine.filter((c) => !fs.existsSync(path.join(dir, chunkName(c))));
    const rowsTodo = todo.reduce((a, c) => a + Math.min(size, task.rows - c * size), 0);
    const ts = Date.now();
    const bar = progressBar({ label: task.id.padEnd(20), total: rowsTodo, unit: 'rows', fields: { speed: '-' }, show: showProgress && todo.length > 0, logEveryMs: 5000 });
    let rowsDone = 0;
    for (const c of todo) {
      if (opts.stopAfterChunks !== undefined && computedTotal >= opts.stopAfterChunks) {
        bar.stop();
        throw new EncodeInterrupted(`stopped after ${computedTotal} chunks (stopAfterChunks)`);
      }
      const s = c * size, e = Math.min(task.rows, s + size);
      let res;
      try {
        res = await task.run(s, e);
      } catch (err) {
        bar.stop();
        throw new Error(`encode ${task.id}: rows ${s}..${e - 1} of ${opts.prepared}: ${(err as Error).message}`);
      }
      const tmp = path.join(dir, `${chunkName(c)}.tmp-${shard.index}-${process.pid}`);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      for (const o of task.outputs) {
        const arr = res.data[o.file];
        const n = o.rowShape.reduce((a, b) => a * b, 1) * (e - s);
        if (!arr || arr.length !== n) throw new Error(`encode ${task.id}: ${o.file} got ${arr?.length ?? 0} values for rows ${s}..${e - 1}, expected ${n}`);
        writeNpy(path.join(tmp, path.basename(o.file)), { data: arr, shape: [e - s, ...o.rowShape], dtype: o.dtype });
      }
      fs.writeFileSync(path.join(tmp, 'counts.json'), JSON.stringify({ ...res.counts, ...loader.counts }));
      loader.counts = {};
      try {
        fs.renameSync(tmp, path.join(dir, chunkName(c)));
      } catch {
        fs.rmSync(tmp, { recursive: true, force: true }); // another process finished it first
      }
      computedTotal++;
      rowsDone += e - s;
      const secs = (Date.now() - ts) / 1000;
      bar.update(rowsDone, { speed: `${(rowsDone / Math.max(secs, 1e-3)).toFixed(1)} items/s` });
    }
    bar.stop();
    const secs = (Date.now() - ts) / 1000;
    const prev = taskReports.find((t) => t.id === task.id);
    if (prev) { // second pass (vanished chunks redone): add to the first pass's numbers
      prev.computed += todo.length; prev.skipped -= todo.length; prev.seconds += secs;
    } else {
      taskReports.push({ id: task.id, rows: task.rows, chunks: nChunks, computed: todo.length, skipped: mine.length - todo.length, seconds: secs, itemsPerSecond: todo.length ? rowsDone / Math.max(secs, 1e-3) : null });
    }
    if (todo.length) log(`${task.id}: ${rowsDone} rows in ${todo.length} chunk(s), ${secs.toFixed(1)} s (${(rowsDone / Math.max(secs, 1e-3)).toFixed(1)} items/s)`);
  }
  }

  const report: EncodeReport = {
    out: opts.out, layout: data.layout, shard, encoders: encoderRecord(opts.encoders),
    tasks: taskReports, counts, merged: false, seconds: 0, vocabulary,
  };
  if (opts.merge !== false) report.merged = mergeParts(opts, data, tasks, chunkRows, report, log);
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}
