/**
 * Validation of a preprocessed directory: every file checked against the others before any batch is
 * read, all problems collected into one PreprocessedValidationError.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NpyFile, NpyHeader, readNpy, readNpyHeader, toInt32 } from '../npy';
import {
  PREPROCESSED_SPLITS, preprocessedFileNames, PreprocessedDims, PreprocessedLayout, PreprocessedSplit, SplitState,
} from './layout';
import { shapeStr, isFloat, isInt } from './arrays';

/** What validation found: the problems, and the state a dataset opens with when there are none. */
export interface ValidationResult {
  problems: string[];
  dims: PreprocessedDims;
  state: Record<PreprocessedSplit, SplitState>;
  qid2idx?: Record<string, number>;
  entityMask?: Int32Array;
}

/**
 * Check every file of `dir` against the others: presence, dtypes, shapes (counts, candidate slots,
 * feature sizes), answer range, mention spans, QIDs in qid2idx, entity masks. Collects all problems.
 */
export function validateDir(dir: string, layout: PreprocessedLayout): Partial<ValidationResult> & { problems: string[] } {
  const problems: string[] = [];
  const expected = preprocessedFileNames(layout);
  const missing = expected.filter((n) => !fs.existsSync(path.join(dir, n)));
  if (missing.length > 0) {
    problems.push(`missing ${missing.length} of the ${expected.length} files of the ${layout} layout: ${missing.join(', ')}`);
    return { problems };
  }
  const headers = new Map<string, NpyHeader>();
  for (const n of expected) {
    if (!n.endsWith('.npy')) continue;
    try {
      headers.set(n, readNpyHeader(path.join(dir, n)));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0) return { problems };
  const H = (n: string) => headers.get(n)!;

  // dims from the train split (and the shared WikiMEL files)
  const mtf = H('mention-text-feature_train.npy').shape;
  const mif = H('mention-image-feature_train.npy').shape;
  const mof = H('mention-object-feature_train.npy').shape;
  const sim = H('similarity-miet_train.npy').shape;
  const dims: PreprocessedDims = {
    slots: sim[1], textTokens: mtf[1], textDim: mtf[2], imageRegions: mif[1], imageDim: mif[2], mentionObjects: mof[1],
  };
  if (layout === 'wikimel') {
    const eaf = H('entity-attr-feature.npy').shape;
    dims.entities = eaf[0];
    dims.entityTokens = eaf[1];
  }
  const { slots: R, textTokens: T, textDim: Dt, imageRegions: Rg, imageDim: Di, mentionObjects: K } = dims;
  if (!(R >= 2)) problems.push(`similarity-miet_train.npy: shape ${shapeStr(sim)}, expected (M, R) with R = candidates + 1 >= 2`);

  const expect = (name: string, shape: number[], kind: 'float' | 'int' | 'str', why: string) => {
    const h = H(name);
    const ok = h.shape.length === shape.length && h.shape.every((d, i) => d === shape[i]);
    if (!ok) problems.push(`${name}: shape ${shapeStr(h.shape)}, expected ${shapeStr(shape)} (${why})`);
    const kindOk = kind === 'float' ? isFloat(h) : kind === 'int' ? isInt(h) : h.dtype[0] === 'U' || h.dtype[0] === 'S';
    if (!kindOk) problems.push(`${name}: dtype ${h.descr}, expected a ${kind === 'str' ? 'string (<U / |S)' : kind} array`);
  };

  const state = {} as Record<PreprocessedSplit, SplitState>;
  for (const s of PREPROCESSED_SPLITS) {
    const M = H(`answer_${s}.npy`).shape[0];
    const why = `M = ${M} mentions as in answer_${s}.npy, T = ${T}, Dt = ${Dt}, Rg = ${Rg}, Di = ${Di}, K = ${K}, R = ${R} as in the train split`;
    expect(`answer_${s}.npy`, [M], 'int', why);
    expect(`start-pos_${s}.npy`, [M], 'int', why);
    expect(`end-pos_${s}.npy`, [M], 'int', why);
    expect(`mention-text-feature_${s}.npy`, [M, T, Dt], 'float', why);
    expect(`mention-text-mask_${s}.npy`, [M, T], 'int', why);
    expect(`mention-text-raw_${s}.npy`, [M], 'str', why);
    expect(`mention-image-feature_${s}.npy`, [M, Rg, Di], 'float', why);
    expect(`mention-object-feature_${s}.npy`, [M, K, 1, Di], 'float', why);
    expect(`mention-object-score_${s}.npy`, [M, K], 'float', why);
    expect(`similarity-miet_${s}.npy`, [M, R], 'float', why);
    expect(`similarity-eimt_${s}.npy`, [M, R], 'float', why);
    if (layout === 'wikidiverse') {
      const MR = `M·R = ${M}·${R} rows (one per mention and candidate slot)`;
      expect(`entity-attr-feature_${s}.npy`, [M * R, Dt], 'float', MR);
      expect(`entity-attr-raw_${s}.npy`, [M * R], 'str', MR);
      expect(`entity-image-feature_${s}.npy`, [M * R, 1, Di], 'float', MR);
      expect(`entity-image-path_${s}.npy`, [M * R], 'str', MR);
      expect(`entity-object-feature_${s}.npy`, [M * R, 1, 1, Di], 'float', MR);
      expect(`entity-object-score_${s}.npy`, [M * R, 1], 'float', MR);
      expect(`mention-image-path_${s}.npy`, [M], 'str', why);
    } else {
      expect(`entity-name-raw_${s}.npy`, [M * R], 'str', `M·R = ${M}·${R} candidate QIDs`);
    }
    state[s] = {
      summary: { split: s, mentions: M, candidates: R - 1, goldAbsent: 0 },
      answer: new Int32Array(0), start: new Int32Array(0), end: new Int32Array(0), files: new Map(),
    };
  }
  let qid2idx: Record<string, number> | undefined;
  let entityMask: Int32Array | undefined;
  if (layout === 'wikimel') {
    const N = dims.entities!;
    const L = dims.entityTokens!;
    const why = `N = ${N} entities, L = ${L} tokens as in entity-attr-feature.npy, Di = ${Di}`;
    expect('entity-attr-feature.npy', [N, L, Dt], 'float', `Dt = ${Dt} as the mention text`);
    expect('entity-attr-mask.npy', [N, L], 'int', why);
    expect('entity-image-feature_all.npy', [N, 1, Di], 'float', why);
    expect('entity-object-feature_all.npy', [N, 1, 1, Di], 'float', why);
    expect('entity-object-score_all.npy', [N, 1], 'float', why);
    const qp = path.join(dir, 'qid2idx.json');
    try {
      qid2idx = JSON.parse(fs.readFileSync(qp, 'utf8'));
      if (typeof qid2idx !== 'object' || qid2idx === null || Array.isArray(qid2idx)) throw new Error('not an object');
      for (const [q, i] of Object.entries(qid2idx)) {
        if (!Number.isInteger(i) || i < 0 || i >= N) {
          problems.push(`qid2idx.json: ${q} → ${i}, expected an integer row in [0, ${N}) of entity-attr-feature.npy`);
          break;
        }
      }
    } catch (e) {
      problems.push(`qid2idx.json: cannot parse (${(e as Error).message}); expected {"Q123": row, ...}`);
    }
  }
  if (problems.length > 0) return { problems, dims, state };

  // content checks
  if (layout === 'wikimel') {
    const L = dims.entityTokens!;
    entityMask = toInt32(readNpy(path.join(dir, 'entity-attr-mask.npy')).data, 'entity-attr-mask.npy');
    const short: number[] = [];
    for (let e = 0; e < dims.entities!; e++) {
      let n = 0;
      for (let j = 0; j < L; j++) n += entityMask[e * L + j];
      if (n < 3) short.push(e);
    }
    if (short.length > 0) {
      const inv = new Map(Object.entries(qid2idx!).map(([q, i]) => [i, q]));
      const list = short.slice(0, 5).map((e) => `row ${e}${inv.has(e) ? ` (${inv.get(e)})` : ''}`).join(', ');
      problems.push(`entity-attr-mask.npy: ${short.length} entities have fewer than 3 mask ones (CLS + token + SEP), their pooled text would be NaN: ${list}${short.length > 5 ? ', ...' : ''}`);
    }
  }
  for (const s of PREPROCESSED_SPLITS) {
    const st = state[s];
    const M = st.summary.mentions;
    const C = R - 1;
    st.answer = toInt32(readNpy(path.join(dir, `answer_${s}.npy`)).data, `answer_${s}.npy`);
    st.start = toInt32(readNpy(path.join(dir, `start-pos_${s}.npy`)).data, `start-pos_${s}.npy`);
    st.end = toInt32(readNpy(path.join(dir, `end-pos_${s}.npy`)).data, `end-pos_${s}.npy`);
    let mentionText: string[] | null = null;
    const mentionName = (i: number) => {
      mentionText ??= readNpy(path.join(dir, `mention-text-raw_${s}.npy`)).data as string[];
      const t = mentionText[i] ?? '';
      return `${s} row ${i} ("${t.length > 60 ? t.slice(0, 57) + '...' : t}")`;
    };
    const bad: string[] = [];
    for (let i = 0; i < M; i++) {
      const a = st.answer[i];
      if (a < 0 || a > C) bad.push(`answer_${s}.npy: ${mentionName(i)} answer ${a}, expected 0..${C} (${C} = gold absent)`);
      if (a === C) st.summary.goldAbsent++;
      const b = st.start[i];
      const e = st.end[i];
      if (b === e) bad.push(`start-pos_${s}.npy / end-pos_${s}.npy: ${mentionName(i)} has an empty mention span (start == end == ${b}); the reference would average zero tokens (NaN)`);
      else if (b < 0 || b > e || e + 1 > T) bad.push(`start-pos_${s}.npy / end-pos_${s}.npy: ${mentionName(i)} span [${b}, ${e}) expected 0 <= start < end <= ${T - 1} (T = ${T} tokens incl. CLS)`);
      if (bad.length >= 20) break;
    }
    problems.push(...bad);
    if (layout === 'wikimel') {
      const name = `entity-name-raw_${s}.npy`;
      const f = new NpyFile(path.join(dir, name));
      const idx = new Int32Array(M * R);
      const absent: string[] = [];
      let absentCount = 0;
      const step = 1 << 16;
      try {
        for (let a = 0; a < M * R; a += step) {
          const b = Math.min(M * R, a + step);
          const q = f.readRows(a, b).data as string[];
          for (let k = 0; k < q.length; k++) {
            const v = qid2idx![q[k]];
            if (v === undefined) {
              absentCount++;
              if (absent.length < 5) absent.push(`${q[k]} (mention ${Math.floor((a + k) / R)}, slot ${(a + k) % R})`);
              idx[a + k] = 0;
            } else idx[a + k] = v;
          }
        }
      } finally {
        f.close();
      }
      if (absentCount > 0) problems.push(`${name}: ${absentCount} candidate QIDs are absent from qid2idx.json: ${absent.join(', ')}${absentCount > 5 ? ', ...' : ''}`);
      st.entityIdx = idx;
    }
  }
  return { problems, dims, state, qid2idx, entityMask };
}
