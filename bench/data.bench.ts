/**
 * Data benchmark: write a synthetic preprocessed release (paper feature sizes) into a temp dir, then
 * measure validation, the derived entity-text cache build, and DRIN batches/s read from disk, with RSS.
 *
 * Sizes (environment variables):
 *   DRIN_BENCH_LAYOUT     wikimel | wikidiverse | both          (default both)
 *   DRIN_BENCH_MENTIONS   train mentions                        (default 512; paper: WikiMEL ~18000, WikiDiverse ~12000)
 *   DRIN_BENCH_ENTITIES   WikiMEL entity rows                   (default 2000; paper-size run: 60000)
 *   DRIN_BENCH_CANDIDATES candidates C (R = C + 1)              (default 100 WikiMEL, 10 WikiDiverse)
 *   DRIN_BENCH_BATCHES    batches to time per path              (default 12)
 *   DRIN_BENCH_DIR        where to write (default a fresh dir in os.tmpdir(), removed afterwards)
 * Full-size run (about 30 GB of disk for WikiMEL, several minutes to write):
 *   DRIN_BENCH_LAYOUT=wikimel DRIN_BENCH_MENTIONS=18000 DRIN_BENCH_ENTITIES=60000 npm run bench -- data
 * Note: the files were just written, so reads mostly hit the OS page cache unless the data exceed RAM.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NpyWriter, writeNpy } from '../src/data/npy';
import { openPreprocessed, PreprocessedLayout, PREPROCESSED_SPLITS } from '../src/data/preprocessed';
import { reduceEntityText } from '../src/models/vertices';
import { initBackend } from '../src/backend';
import { readDrinEnv } from '../src/cli/env';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const T = 128, Dt = 768, Rg = 49, Di = 2048, K = 3, L = 64;

/** A block of pseudo-random floats reused (with a rotating offset) so writing GBs stays fast. */
const NOISE = Float32Array.from({ length: 1 << 20 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
function noise(n: number, salt: number): Float32Array {
  const out = new Float32Array(n);
  let o = (salt * 7919) % NOISE.length;
  for (let i = 0; i < n; ) {
    const take = Math.min(n - i, NOISE.length - o);
    out.set(NOISE.subarray(o, o + take), i);
    i += take;
    o = 0;
  }
  return out;
}

/** Stream `rows` rows of `rowShape` floats into `file`, `per` rows at a time. */
function writeFloats(file: string, rows: number, rowShape: number[], header: 'numpy' | 'fixed128' = 'numpy'): void {
  const w = new NpyWriter(file, { dtype: 'f4', rowShape, header });
  const rowN = rowShape.reduce((a, b) => a * b, 1);
  const per = Math.max(1, Math.floor((16 << 20) / (rowN * 4)));
  for (let a = 0; a < rows; a += per) w.append(noise(Math.min(per, rows - a) * rowN, a));
  w.close();
}

/** Write a synthetic directory of the given layout. */
export function writeSyntheticRelease(dir: string, layout: PreprocessedLayout, o: { mentions: number; entities: number; candidates: number }): void {
  fs.mkdirSync(dir, { recursive: true });
  const R = o.candidates + 1;
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const s of PREPROCESSED_SPLITS) {
    const M = s === 'train' ? o.mentions : Math.max(8, Math.floor(o.mentions / 8));
    const f = (n: string) => path.join(dir, `${n}_${s}.npy`);
    const ints = (gen: (i: number) => number) => new BigInt64Array(Array.from({ length: M }, (_, i) => BigInt(gen(i))));
    const start = Array.from({ length: M }, () => 1 + Math.floor(rnd() * 20));
    writeNpy(f('answer'), { data: ints(() => Math.floor(rnd() * R)), shape: [M] }); // R-1 = C: gold absent
    writeNpy(f('start-pos'), { data: ints((i) => start[i]), shape: [M] });
    writeNpy(f('end-pos'), { data: ints((i) => start[i] + 1 + Math.floor(rnd() * 3)), shape: [M] });
    writeFloats(f('mention-text-feature'), M, [T, Dt]);
    const mask = new BigInt64Array(M * T);
    for (let i = 0; i < M; i++) for (let j = 0; j < 40; j++) mask[i * T + j] = 1n;
    writeNpy(f('mention-text-mask'), { data: mask, shape: [M, T] });
    writeNpy(f('mention-text-raw'), { data: Array.from({ length: M }, (_, i) => `synthetic sentence ${i}`), shape: [M] });
    writeFloats(f('mention-image-feature'), M, [Rg, Di], 'fixed128');
    writeFloats(f('mention-object-feature'), M, [K, 1, Di], 'fixed128');
    writeFloats(f('mention-object-score'), M, [K], 'fixed128');
    writeFloats(f('similarity-miet'), M, [R]);
    writeFloats(f('similarity-eimt'), M, [R]);
    if (layout === 'wikidiverse') {
      writeFloats(f('entity-attr-feature'), M * R, [Dt]);
      writeNpy(f('entity-attr-raw'), { data: Array.from({ length: M * R }, (_, i) => `entity ${i}`), shape: [M * R] });
      writeFloats(f('entity-image-feature'), M * R, [1, Di], 'fixed128');
      writeNpy(f('entity-image-path'), { data: Array.from({ length: M * R }, (_, i) => `${i}.png`), shape: [M * R] });
      writeFloats(f('entity-object-feature'), M * R, [1, 1, Di], 'fixed128');
      writeFloats(f('entity-object-score'), M * R, [1], 'fixed128');
      writeNpy(f('mention-image-path'), { data: Array.from({ length: M }, (_, i) => `${i}.jpg`), shape: [M] });
    } else {
      // skewed popularity: a few entities are candidates of many mentions (what the LRU exploits)
      const q = Array.from({ length: M * R }, () => `Q${Math.floor(o.entities * rnd() ** 2)}`);
      writeNpy(f('entity-name-raw'), { data: q, shape: [M * R] });
    }
  }
  if (layout === 'wikimel') {
    const N = o.entities;
    writeFloats(path.join(dir, 'entity-attr-feature.npy'), N, [L, Dt]);
    const mask = new BigInt64Array(N * L);
    for (let e = 0; e < N; e++) for (let j = 0; j < 3 + (e % 30); j++) mask[e * L + j] = 1n;
    writeNpy(path.join(dir, 'entity-attr-mask.npy'), { data: mask, shape: [N, L] });
    writeFloats(path.join(dir, 'entity-image-feature_all.npy'), N, [1, Di], 'fixed128');
    writeFloats(path.join(dir, 'entity-object-feature_all.npy'), N, [1, 1, Di], 'fixed128');
    writeFloats(path.join(dir, 'entity-object-score_all.npy'), N, [1], 'fixed128');
    fs.writeFileSync(path.join(dir, 'qid2idx.json'), JSON.stringify(Object.fromEntries(Array.from({ length: N }, (_, i) => [`Q${i}`, i]))));
  }
}

function dirBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function timeBatches(ds: ReturnType<typeof openPreprocessed>, label: string, batchSize: number, entityText: 'raw' | 'reduced', maxBatches: number) {
  let n = 0;
  let peak = 0;
  const t0 = performance.now();
  for await (const b of ds.drinBatches('train', { batchSize, entityText, seed: 1, limit: batchSize * maxBatches })) {
    peak = Math.max(peak, process.memoryUsage().rss);
    for (const v of Object.values(b)) if (v instanceof tf.Tensor) v.dispose();
    n++;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`data: ${label}: ${n} batches of ${batchSize} in ${s.toFixed(2)} s = ${(n / s).toFixed(2)} batches/s (${((n * batchSize) / s).toFixed(0)} mentions/s), peak RSS while iterating ${mib(peak)}`);
}

export async function run(): Promise<void> {
  await initBackend(readDrinEnv().backend);
  const layouts: PreprocessedLayout[] = (process.env.DRIN_BENCH_LAYOUT ?? 'both') === 'both' ? ['wikidiverse', 'wikimel'] : [process.env.DRIN_BENCH_LAYOUT as PreprocessedLayout];
  const mentions = env('DRIN_BENCH_MENTIONS', 512);
  const entities = env('DRIN_BENCH_ENTITIES', 2000);
  const batches = env('DRIN_BENCH_BATCHES', 12);
  const root = process.env.DRIN_BENCH_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'drin-bench-data-'));
  try {
    for (const layout of layouts) {
      const candidates = env('DRIN_BENCH_CANDIDATES', layout === 'wikimel' ? 100 : 10);
      const dir = path.join(root, layout);
      let t = performance.now();
      if (!fs.existsSync(path.join(dir, 'answer_test.npy'))) writeSyntheticRelease(dir, layout, { mentions, entities, candidates });
      const wrote = (performance.now() - t) / 1000;
      console.log(`data: ${layout}: synthetic release ${mentions} train mentions, C=${candidates}${layout === 'wikimel' ? `, ${entities} entities` : ''}: ${gib(dirBytes(dir))} written in ${wrote.toFixed(1)} s (${dir})`);
      t = performance.now();
      const ds = openPreprocessed(dir, { cacheDir: path.join(root, `${layout}-cache`), entityCacheBytes: 1 << 30, reduceEntityText });
      console.log(`data: ${layout}: open + validate ${((performance.now() - t) / 1000).toFixed(2)} s`);
      if (layout === 'wikimel') {
        t = performance.now();
        await ds.ensureReducedCache();
        const s = (performance.now() - t) / 1000;
        console.log(`data: wikimel: entity-text cache ${entities} entities in ${s.toFixed(2)} s (${(entities / s).toFixed(0)} entities/s), ${mib(fs.statSync(ds.reducedCachePath).size)} vs ${mib(fs.statSync(path.join(dir, 'entity-attr-feature.npy')).size)} of token features`);
        await timeBatches(ds, 'wikimel reduced entity text, B=32', 32, 'reduced', batches);
        await timeBatches(ds, 'wikimel raw entity tokens, B=8', 8, 'raw', Math.max(2, Math.floor(batches / 2)));
        const st = ds.cacheStats();
        const hits = Object.values(st).reduce((s, x) => s + x.hits, 0);
        const miss = Object.values(st).reduce((s, x) => s + x.misses, 0);
        console.log(`data: wikimel: entity LRU hit rate ${((100 * hits) / Math.max(1, hits + miss)).toFixed(1)}%, resident ${mib(Object.values(st).reduce((s, x) => s + x.residentBytes, 0))}`);
      } else {
        await timeBatches(ds, 'wikidiverse, B=32', 32, 'raw', batches);
      }
      ds.close();
    }
    console.log(`data: process peak RSS ${mib(process.resourceUsage().maxRSS * 1024)} (includes writing the synthetic data)`);
  } finally {
    if (!process.env.DRIN_BENCH_DIR) fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) run().catch((e) => {
  console.error(e);
  process.exit(1);
});
