/**
 * WikiMEL's derived entity-text cache: the token features `entity-attr-feature.npy` [N, L, Dt] reduced
 * once to [N, 2, Dt] (row i: pooled = mean of tokens 1..n−2, CLS = token 0) by the reducer the caller
 * passes (DRIN's `reduceEntityText`), written under the cache directory (never inside the input
 * directory) and rebuilt when the source file's size or mtime changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { progressBar } from '../../progress';
import { NpyFile, NpyWriter } from '../npy';
import { EntityTextReducer } from './layout';
import { asFloat32 } from './arrays';

/**
 * Make sure `outPath` holds the reduction of `featurePath` (built now unless the metadata beside it says
 * it was built from this very file). Sizes: `dims.entities` N, `dims.entityTokens` L, `dims.textDim` Dt.
 */
export function ensureEntityTextCache(
  featurePath: string, mask: Int32Array, dims: { entities: number; entityTokens: number; textDim: number },
  cacheDir: string, outPath: string, reduce: EntityTextReducer, opts: { chunk?: number; progress?: boolean } = {},
): void {
  const st = fs.statSync(featurePath);
  const metaPath = path.join(cacheDir, 'entity-text-reduced.json');
  const meta = { source: path.resolve(featurePath), size: st.size, mtimeMs: st.mtimeMs, entities: dims.entities, textDim: dims.textDim };
  let fresh = false;
  if (fs.existsSync(metaPath) && fs.existsSync(outPath)) {
    try {
      const old = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
      fresh = JSON.stringify(old) === JSON.stringify(meta);
    } catch {
      fresh = false;
    }
  }
  if (!fresh) {
    fs.mkdirSync(cacheDir, { recursive: true });
    buildReducedEntityText(featurePath, mask, dims.entityTokens, outPath, reduce, opts);
    fs.writeFileSync(metaPath, JSON.stringify(meta));
  }
}

/**
 * Stream `[N, L, Dt]` entity token features through `reduce` (DRIN's `reduceEntityText`) into `[N, 2, Dt]`
 * (row i: pooled, CLS). Memory: one chunk of rows at a time.
 */
export function buildReducedEntityText(
  featurePath: string, mask: Int32Array, L: number, outPath: string, reduce: EntityTextReducer, opts: { chunk?: number; progress?: boolean } = {},
): void {
  const f = new NpyFile(featurePath);
  const [N, L2, Dt] = f.header.shape;
  if (L2 !== L) throw new Error(`${featurePath}: ${L2} tokens per entity, mask has ${L}`);
  const w = new NpyWriter(outPath, { dtype: 'f4', rowShape: [2, Dt] });
  const chunk = opts.chunk ?? 256;
  const bar = progressBar({ label: 'entity text cache', total: N, unit: 'entities', show: !!opts.progress && N > chunk });
  try {
    for (let a = 0; a < N; a += chunk) {
      const b = Math.min(N, a + chunk);
      const x = f.readRows(a, b);
      const rows = tf.tidy(() => {
        const feat = tf.tensor(asFloat32(featurePath, x.data), [b - a, L, Dt]); // [n,L,Dt]
        const m = tf.tensor(mask.subarray(a * L, b * L), [b - a, L], 'int32'); // [n,L]
        const { pooled, cls } = reduce(feat, m); // [n,Dt] each
        return tf.stack([pooled, cls], 1); // [n,2,Dt]
      });
      w.append(rows.dataSync() as Float32Array);
      rows.dispose();
      bar.update(b);
    }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  } finally {
    bar.stop();
    f.close();
  }
}
