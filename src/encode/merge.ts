/**
 * The merge step of encode: when every chunk of every task is present under `<out>/_encode/`, stream
 * the chunks of each output into its final file (with the reference's 128-byte newline-padded headers
 * on the ResNet outputs, NpyWriter), copy the text-side files of the prepared directory, write
 * `encode.json` and remove `_encode/`. Missing chunks (other shards still running) leave everything as is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NpyWriter, readNpy } from '../data/npy';
import { textSideFiles, type PreparedData } from './prepared';
import { writeEncodeManifest, type EncodeReport } from './report';
import type { EncodeTask } from './tasks';

/** The folder name of chunk `c` (zero-padded, so folders sort in row order). */
export const chunkName = (c: number) => String(c).padStart(6, '0');

/** Chunks of `task` not yet finished (none when its final files exist). */
export function missingChunks(out: string, task: EncodeTask, size: number): string[] {
  if (task.outputs.every((o) => fs.existsSync(path.join(out, o.file)))) return [];
  const missing: string[] = [];
  for (let c = 0; c < Math.ceil(task.rows / size); c++) if (!fs.existsSync(path.join(out, '_encode', task.id, chunkName(c)))) missing.push(`${task.id}/${chunkName(c)}`);
  return missing;
}

/** Where and what to merge: the prepared and output directories, and whether to keep `_encode/`. */
export interface MergeTarget {
  prepared: string;
  out: string;
  keepParts?: boolean;
}

/** Merge finished chunks into the final files if every chunk of every task is present; true when merged. */
export function mergeParts(opts: MergeTarget, data: PreparedData, tasks: EncodeTask[], chunkRows: Record<EncodeTask['kind'], number>,
  report: EncodeReport, log: (l: string) => void): boolean {
  const work = path.join(opts.out, '_encode');
  const missing = tasks.flatMap((t) => missingChunks(opts.out, t, chunkRows[t.kind]));
  if (missing.length) {
    log(`merge: waiting for ${missing.length} chunk(s) from other shards (e.g. ${missing.slice(0, 3).join(', ')}); rerun \`drin encode\` without --shard to finish`);
    return false;
  }
  const counts: Record<string, number> = {};
  for (const t of tasks) {
    const n = Math.ceil(t.rows / chunkRows[t.kind]);
    for (let c = 0; c < n; c++) {
      const cf = path.join(work, t.id, chunkName(c), 'counts.json');
      if (fs.existsSync(cf)) for (const [k, v] of Object.entries(JSON.parse(fs.readFileSync(cf, 'utf8')) as Record<string, number>)) counts[k] = (counts[k] ?? 0) + v;
    }
    for (const o of t.outputs) {
      const final = path.join(opts.out, o.file);
      if (fs.existsSync(final)) continue;
      fs.mkdirSync(path.dirname(final), { recursive: true });
      const w = new NpyWriter(final, { dtype: o.dtype, rowShape: o.rowShape, header: o.header });
      try {
        for (let c = 0; c < n; c++) w.append(readNpy(path.join(work, t.id, chunkName(c), path.basename(o.file))).data as Float32Array);
        if (w.length !== t.rows) throw new Error(`merge ${o.file}: ${w.length} rows, expected ${t.rows}`);
        w.close();
      } catch (e) {
        w.abort();
        throw e;
      }
    }
  }
  for (const f of textSideFiles(data.layout)) {
    const src = path.join(opts.prepared, f);
    if (!fs.existsSync(src)) throw new Error(`${src}: missing text-side file of the ${data.layout} layout`);
    fs.copyFileSync(src, path.join(opts.out, f));
  }
  report.counts = counts;
  writeEncodeManifest(report, opts.prepared, data.slots);
  if (!opts.keepParts) fs.rmSync(work, { recursive: true, force: true });
  log(`merged into ${opts.out} (${data.layout} layout)`);
  return true;
}
