/**
 * fuzzywuzzy 0.18 scorers on Python 3 with python-Levenshtein 0.12 installed (the DRIN authors'
 * candidate requirements), reproduced score for score:
 *
 * - {@link partialRatio}: `fuzz.partial_ratio(s1, s2)`. The shorter string (s1 on equal lengths) is
 *   compared with windows of the longer one, one window per matching block of
 *   {@link matchingBlocks} (`longer[max(0, dpos - spos) : ... + len(shorter)]`, the terminator block
 *   included); each window is scored with `Levenshtein.ratio`; a window above 0.995 returns 100 at
 *   once; otherwise `intr(100 * max)`. Decorators: equal strings → 100 (checked first, so two empty
 *   strings give 100), an empty string → 0.
 * - {@link ratio}: `fuzz.ratio` (same decorators, `intr(100 * Levenshtein.ratio)`).
 * - {@link wRatio}: `fuzz.WRatio(p1, p2, full_process=False)` on already processed strings, with
 *   `token_sort_ratio`, `token_set_ratio` and their partial forms.
 * - {@link fullProcess}: `utils.full_process(s, force_ascii)`: with force_ascii, Python 3's
 *   `asciidammit` deletes only U+0080–U+00FF ("Łódź" → "łdź", "Москва" stays); then every character
 *   that is not a Unicode letter, number or "_" (Python's `\W`) becomes a space; lower-case; strip.
 *
 * `intr` is Python's `int(round(x))`: round half to even. Lengths, slices and sorts are by code
 * point. Unicode letter/number classes come from the JS engine's tables (Python 3.11 uses Unicode 14;
 * characters added since then may be classed differently).
 */
import { codePoints, indelRatio, matchingBlocks } from './levenshtein';

/** Python 3 `int(round(x))` (round half to even). */
export function intr(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

let blkS = new Int32Array(64);
let blkD = new Int32Array(64);

function sameCodePoints(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * {@link partialRatio} on code point arrays (see the module comment). `s1WindowLcs(start, end)`, when
 * given, must return LCS(s1, s2[start..end)); it is used for the windows when s1 is the shorter string
 * (a faster LCS than the DP, e.g. bit-parallel with s1 as the pattern).
 */
export function partialRatioCp(s1: Int32Array, s2: Int32Array, s1WindowLcs?: (start: number, end: number) => number): number {
  if (sameCodePoints(s1, s2)) return 100;
  if (s1.length === 0 || s2.length === 0) return 0;
  const s1Shorter = s1.length <= s2.length;
  const sh = s1Shorter ? s1 : s2;
  const lo = s1Shorter ? s2 : s1;
  const fast = s1Shorter ? s1WindowLcs : undefined;
  const n = sh.length;
  if (blkS.length < n + 2) {
    blkS = new Int32Array(2 * n + 2);
    blkD = new Int32Array(2 * n + 2);
  }
  const nb = matchingBlocks(sh, n, lo, lo.length, blkS, blkD);
  let best = 0;
  let lastStart = -1;
  for (let k = 0; k < nb; k++) {
    const start = Math.max(0, blkD[k] - blkS[k]);
    if (start === lastStart) continue; // same window, same ratio
    lastStart = start;
    const ws = Math.min(start, lo.length);
    const we = Math.min(lo.length, start + n);
    const r = fast ? (2 * fast(ws, we)) / (n + we - ws) : indelRatio(sh, n, lo, ws, we);
    if (r > 0.995) return 100;
    if (r > best) best = r;
  }
  return intr(100 * best);
}

/** {@link ratio} on code point arrays. */
export function ratioCp(s1: Int32Array, s2: Int32Array): number {
  if (sameCodePoints(s1, s2)) return 100;
  if (s1.length === 0 || s2.length === 0) return 0;
  return intr(100 * indelRatio(s1, s1.length, s2, 0, s2.length));
}

/** fuzzywuzzy 0.18 `fuzz.partial_ratio(s1, s2)` with python-Levenshtein, on raw strings. */
export function partialRatio(s1: string, s2: string): number {
  return partialRatioCp(codePoints(s1), codePoints(s2));
}

/** fuzzywuzzy 0.18 `fuzz.ratio(s1, s2)` with python-Levenshtein. */
export function ratio(s1: string, s2: string): number {
  return ratioCp(codePoints(s1), codePoints(s2));
}

const LATIN1 = /[\u0080-\u00ff]/g;
const NON_WORD = /[^\p{L}\p{N}_]/gu;

/** fuzzywuzzy 0.18 `utils.full_process(s, force_ascii)` on Python 3 (see the module comment). */
export function fullProcess(s: string, forceAscii = true): string {
  if (forceAscii) s = s.replace(LATIN1, '');
  return s.replace(NON_WORD, ' ').toLowerCase().trim();
}

/** Python's `str` order (by code point; JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1; // a surrogate (≥ U+10000) sorts after any BMP unit
    return x - y;
  }
  return a.length - b.length;
}

/** Python `s.split()` on a processed string (only spaces separate tokens there). */
function tokens(s: string): string[] {
  return s.split(' ').filter((t) => t.length > 0);
}

function sortedJoin(toks: Iterable<string>): string {
  return [...toks].sort(compareCodePoints).join(' ');
}

function tokenSort(p1: string, p2: string, partial: boolean): number {
  const a = codePoints(sortedJoin(tokens(p1)).trim());
  const b = codePoints(sortedJoin(tokens(p2)).trim());
  return partial ? partialRatioCp(a, b) : ratioCp(a, b);
}

function tokenSet(p1: string, p2: string, partial: boolean): number {
  if (p1 === p2) return 100;
  if (p1.length === 0 || p2.length === 0) return 0;
  const t1 = new Set(tokens(p1));
  const t2 = new Set(tokens(p2));
  const sect = sortedJoin([...t1].filter((t) => t2.has(t)));
  const d12 = sortedJoin([...t1].filter((t) => !t2.has(t)));
  const d21 = sortedJoin([...t2].filter((t) => !t1.has(t)));
  const a = codePoints(sect.trim());
  const b = codePoints(`${sect} ${d12}`.trim());
  const c = codePoints(`${sect} ${d21}`.trim());
  const f = partial ? partialRatioCp : ratioCp;
  return Math.max(f(a, b), f(a, c), f(b, c));
}

/**
 * fuzzywuzzy 0.18 `fuzz.WRatio(p1, p2, full_process=False)`: `p1`, `p2` already processed by
 * {@link fullProcess} (as `process.extract` does). 0 when either is empty.
 */
export function wRatio(p1: string, p2: string): number {
  if (p1.length === 0 || p2.length === 0) return 0;
  const a = codePoints(p1);
  const b = codePoints(p2);
  const unbaseScale = 0.95;
  let partialScale = 0.9;
  const base = ratioCp(a, b);
  const lenRatio = Math.max(a.length, b.length) / Math.min(a.length, b.length);
  if (lenRatio > 8) partialScale = 0.6;
  if (lenRatio >= 1.5) {
    const partial = partialRatioCp(a, b) * partialScale;
    const ptsor = tokenSort(p1, p2, true) * unbaseScale * partialScale;
    const ptser = tokenSet(p1, p2, true) * unbaseScale * partialScale;
    return intr(Math.max(base, partial, ptsor, ptser));
  }
  const tsor = tokenSort(p1, p2, false) * unbaseScale;
  const tser = tokenSet(p1, p2, false) * unbaseScale;
  return intr(Math.max(base, tsor, tser));
}
