/**
 * The two python-Levenshtein 0.12 functions that fuzzywuzzy 0.18's `partial_ratio` calls when
 * python-Levenshtein is installed (as in the DRIN authors' requirements), on code point arrays
 * (Python `str` indexes code points; a JS string indexes UTF-16 units, so callers pass
 * {@link codePoints}):
 *
 * - {@link matchingBlocks}: `Levenshtein.matching_blocks(Levenshtein.opcodes(s1, s2), s1, s2)`, i.e. the
 *   starts of the "equal" runs of one particular optimal edit script. Which optimal script is chosen
 *   decides fuzzywuzzy's windows, so the cost matrix (unit insert/delete/replace, after stripping the
 *   common prefix and suffix) and the backtrace's preference order are those of the C source
 *   (`lev_u_editops_find`, `ueditops_from_cost_matrix`, `lev_editops_to_opcodes`,
 *   `lev_opcodes_matching_blocks`): keep going in the current insert/delete direction, else a matching
 *   diagonal, else a replacement, else start inserting, else start deleting.
 * - {@link indelRatio}: `Levenshtein.ratio(s1, s2)` = (|s1|+|s2| - d)/(|s1|+|s2|) with d the edit
 *   distance where a replacement costs 2 (= 2·LCS/(|s1|+|s2|), the same double), 1.0 for two empty
 *   strings.
 *
 * Written from the behaviour of python-Levenshtein (GPL); no code is taken from it. Scratch buffers
 * are module-level (one set per thread), so the functions are not re-entrant.
 */

/** Code points of `s` (what Python's `str` indexes). */
export function codePoints(s: string): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out[n++] = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    out[n++] = c;
  }
  return n === out.length ? out : out.slice(0, n);
}

let matrix = new Int32Array(1 << 12);
let opType = new Int8Array(256);
let opS = new Int32Array(256);
let opD = new Int32Array(256);
let row = new Int32Array(256);

const INSERT = 1;
const DELETE = 2;
const REPLACE = 3;

/**
 * Matching blocks of `a[0..la)` against `b[0..lb)` as python-Levenshtein returns them for
 * `matching_blocks(opcodes(a, b), a, b)`: block k starts at `a[outS[k]]` / `b[outD[k]]`; the last block is
 * always the terminator (la, lb) (length 0). Returns the number of blocks written; `outS`/`outD` must
 * hold at least `min(la, lb) + 2` entries (blocks are separated by edits, each block starts after one).
 */
export function matchingBlocks(a: Int32Array, la: number, b: Int32Array, lb: number, outS: Int32Array, outD: Int32Array): number {
  // 1. The cost matrix of the stripped strings (lev_u_editops_find).
  let pre = 0;
  while (pre < la && pre < lb && a[pre] === b[pre]) pre++;
  let l1 = la - pre;
  let l2 = lb - pre;
  while (l1 > 0 && l2 > 0 && a[pre + l1 - 1] === b[pre + l2 - 1]) {
    l1--;
    l2--;
  }
  const R = l1 + 1;
  const C = l2 + 1;
  if (matrix.length < R * C) matrix = new Int32Array(Math.max(R * C, matrix.length * 2));
  const m = matrix;
  for (let j = 0; j < C; j++) m[j] = j;
  for (let i = 1; i < R; i++) {
    const c1 = a[pre + i - 1];
    let x = i;
    let prev = (i - 1) * C;
    let p = i * C;
    m[p++] = i;
    for (let j = 1; j < C; j++, prev++, p++) {
      let c3 = m[prev] + (c1 === b[pre + j - 1] ? 0 : 1);
      x++;
      if (x > c3) x = c3;
      c3 = m[prev + 1] + 1;
      if (x > c3) x = c3;
      m[p] = x;
    }
  }
  // 2. The way back (ueditops_from_cost_matrix), ops stored from the end.
  const n = m[R * C - 1];
  if (opType.length < n) {
    opType = new Int8Array(n * 2);
    opS = new Int32Array(n * 2);
    opD = new Int32Array(n * 2);
  }
  let pos = n;
  let i = R - 1;
  let j = C - 1;
  let p = R * C - 1;
  let dir = 0;
  while (i || j) {
    if (dir < 0 && j && m[p] === m[p - 1] + 1) {
      pos--;
      opType[pos] = INSERT;
      opS[pos] = i + pre;
      opD[pos] = --j + pre;
      p--;
      continue;
    }
    if (dir > 0 && i && m[p] === m[p - C] + 1) {
      pos--;
      opType[pos] = DELETE;
      opS[pos] = --i + pre;
      opD[pos] = j + pre;
      p -= C;
      continue;
    }
    if (i && j && m[p] === m[p - C - 1] && a[pre + i - 1] === b[pre + j - 1]) {
      i--;
      j--;
      p -= C + 1;
      dir = 0;
      continue;
    }
    if (i && j && m[p] === m[p - C - 1] + 1) {
      pos--;
      opType[pos] = REPLACE;
      opS[pos] = --i + pre;
      opD[pos] = --j + pre;
      p -= C + 1;
      dir = 0;
      continue;
    }
    if (dir === 0 && j && m[p] === m[p - 1] + 1) {
      pos--;
      opType[pos] = INSERT;
      opS[pos] = i + pre;
      opD[pos] = --j + pre;
      p--;
      dir = -1;
      continue;
    }
    if (dir === 0 && i && m[p] === m[p - C] + 1) {
      pos--;
      opType[pos] = DELETE;
      opS[pos] = --i + pre;
      opD[pos] = j + pre;
      p -= C;
      dir = 1;
      continue;
    }
    throw new Error('matchingBlocks: lost in the cost matrix (cannot happen for a valid matrix)');
  }
  // 3. Opcodes → matching blocks: an "equal" block starts wherever the next edit is not adjacent to
  //    the previous one (lev_editops_to_opcodes), plus the tail and the (la, lb, 0) terminator.
  let cnt = 0;
  let s = 0;
  let d = 0;
  for (let k = 0; k < n; k++) {
    if (s < opS[k] || d < opD[k]) {
      outS[cnt] = s;
      outD[cnt++] = d;
    }
    const t = opType[k];
    s = opS[k] + (t === INSERT ? 0 : 1);
    d = opD[k] + (t === DELETE ? 0 : 1);
  }
  if (s < la || d < lb) {
    outS[cnt] = s;
    outD[cnt++] = d;
  }
  outS[cnt] = la;
  outD[cnt++] = lb;
  return cnt;
}

/**
 * `Levenshtein.ratio(a[0..la), b[bs..be))`: 2·LCS/(la + lb) as a double (1 when both are empty).
 */
export function indelRatio(a: Int32Array, la: number, b: Int32Array, bs: number, be: number): number {
  const lb = be - bs;
  const lensum = la + lb;
  if (lensum === 0) return 1;
  return (2 * lcsLength(a, 0, la, b, bs, be)) / lensum;
}

/** Length of the longest common subsequence of a[as..ae) and b[bs..be) (prefix/suffix stripped, one DP row). */
export function lcsLength(a: Int32Array, as: number, ae: number, b: Int32Array, bs: number, be: number): number {
  let common = 0;
  while (as < ae && bs < be && a[as] === b[bs]) {
    as++;
    bs++;
    common++;
  }
  while (as < ae && bs < be && a[ae - 1] === b[be - 1]) {
    ae--;
    be--;
    common++;
  }
  const lb = be - bs;
  if (as === ae || lb === 0) return common;
  if (row.length < lb + 1) row = new Int32Array(lb * 2 + 1);
  const r = row;
  r.fill(0, 0, lb + 1);
  for (let i = as; i < ae; i++) {
    const c = a[i];
    let diag = 0; // r[j-1] of the previous row
    for (let j = 1; j <= lb; j++) {
      const up = r[j];
      if (b[bs + j - 1] === c) r[j] = diag + 1;
      else if (r[j - 1] > up) r[j] = r[j - 1];
      diag = up;
    }
  }
  return common + r[lb];
}
