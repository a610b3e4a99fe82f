/**
 * Exact top-K knowledge-base names for one mention, pruned: every name gets a cheap upper bound of
 * its score, names are scored best bound first, and the scan stops once the bound falls below the
 * running K-th score. The result is the one a full scan with a stable descending sort gives (ties
 * keep knowledge-base order), as in the DRIN authors' `candidates.py` (`partial_ratio`) and in
 * fuzzywuzzy's `process.extract` (`heapq.nlargest`, WRatio).
 *
 * Bounds (both ≥ the true score, so no name that belongs to the top K is skipped):
 * - partial_ratio: with n = min(|s1|, |s2|) and L = LCS(s1, s2), a full window w (|w| = n) of the
 *   longer string scores 2·LCS(shorter, w)/(2n) ≤ L/n; a window clipped by the end of the longer string
 *   is its suffix of some length t < n and scores ≤ 2·S_t/(n+t), S_t = LCS(shorter, that suffix). L and
 *   every S_t come from one bit-parallel LCS pass (Allison–Dix / Hyyrö) over the name read backwards
 *   with the reversed mention as the bit pattern (one 32-bit word per 32 code points), about as cheap as
 *   reading the name once. Both sides are exact integer ratios, and correctly rounded division and
 *   Python's rounding are monotone, so intr(100·max(L/n, max_t 2·S_t/(n+t))) bounds the score. When a
 *   name's turn comes and the running top K is full, a second tier (mention of at most 32 code points,
 *   the shorter string) replaces L by the best LCS over every full window of the name (n-step bit-parallel
 *   passes, far cheaper than the exact score). About 350 of WikiMEL's 18,880 names per mention are then
 *   scored in full (their windows, too, by the bit-parallel LCS when the mention is the shorter).
 * - WRatio (on processed strings): 100 when the two share a token or either repeats one; otherwise from
 *   multiset character counts CI (38 classes: a-z, 0-9, space, other) on whitespace-collapsed lengths:
 *   intr(100·2·CI/(|q|+|c|)) bounds ratio and the token ratios, intr(100·2·CI/(min(|q|,|c|)+CI)) the
 *   partial ones, each rounded before WRatio's scale factors exactly as WRatio rounds.
 */
import { codePoints } from './levenshtein';
import { fullProcess, intr, partialRatioCp, wRatio } from './fuzz';

/** The candidate scorers: the authors' `partial_ratio` on raw strings, or fuzzywuzzy's WRatio (process.extract's default). */
export type CandidateScorer = 'partial_ratio' | 'wratio';
export const CANDIDATE_SCORERS: readonly CandidateScorer[] = ['partial_ratio', 'wratio'];

/** Human-readable description of a scorer (for reports). */
export function describeScorer(s: CandidateScorer): string {
  return s === 'partial_ratio'
    ? 'fuzz.partial_ratio(mention, name) on raw strings (fuzzywuzzy 0.18 + python-Levenshtein 0.12, the authors\' candidates.py)'
    : 'fuzz.WRatio(mention, name) (fuzzywuzzy 0.18 + python-Levenshtein 0.12): both full_process(force_ascii=True)';
}

/** Top-K result: KB indices and their scores, best first (ties in KB order). */
export interface TopK {
  index: number[];
  score: number[];
}

/** A knowledge base prepared for one scorer (build once, query many times). */
export interface CandidateIndex {
  scorer: CandidateScorer;
  /** The strings the scorer compares: raw names (partial_ratio) or processed names (wratio). */
  choices: string[];
  /** Code points of each choice. */
  cps: Int32Array[];
  /** partial_ratio: all choices as dense alphabet ids, concatenated; choice i is ids[offsets[i]..offsets[i+1]). */
  ids: Int32Array;
  offsets: Int32Array;
  alphabet: Map<number, number>;
  /** wratio: character-class counts (38 per choice), repeated-token flags, collapsed lengths, token → choices. */
  chars: Uint8Array;
  dupTokens: Uint8Array;
  collapsedLen: Uint16Array;
  byToken: Map<string, number[]>;
}

const NCH = 38;
function charClass(c: number): number {
  return c >= 97 && c <= 122 ? c - 97 : c >= 48 && c <= 57 ? c - 22 : c === 32 ? 36 : 37;
}

/**
 * Prepare `names` (KB order) for {@link candidateTopK}. For `wratio`, names are processed with
 * `full_process(force_ascii=True)` unless `processed` says they already are.
 */
export function buildCandidateIndex(names: string[], scorer: CandidateScorer, opts: { processed?: boolean } = {}): CandidateIndex {
  const choices = scorer === 'wratio' && !opts.processed ? names.map((n) => fullProcess(n, true)) : names.slice();
  const cps = choices.map(codePoints);
  const alphabet = new Map<number, number>();
  let ids = new Int32Array(0);
  const offsets = new Int32Array(choices.length + 1);
  let chars = new Uint8Array(0);
  let dupTokens = new Uint8Array(0);
  let collapsedLen = new Uint16Array(0);
  const byToken = new Map<string, number[]>();
  if (scorer === 'partial_ratio') {
    cps.forEach((c, i) => (offsets[i + 1] = offsets[i] + c.length));
    ids = new Int32Array(offsets[choices.length]);
    cps.forEach((c, j) => {
      for (let i = 0; i < c.length; i++) {
        let id = alphabet.get(c[i]);
        if (id === undefined) alphabet.set(c[i], (id = alphabet.size));
        ids[offsets[j] + i] = id;
      }
    });
  } else {
    chars = new Uint8Array(choices.length * NCH);
    dupTokens = new Uint8Array(choices.length);
    collapsedLen = new Uint16Array(choices.length);
    choices.forEach((c, i) => {
      for (const cp of cps[i]) {
        const d = i * NCH + charClass(cp);
        if (chars[d] < 255) chars[d]++;
      }
      const toks = c.split(' ').filter(Boolean);
      collapsedLen[i] = Math.min(65535, codePoints(toks.join(' ')).length);
      const set = new Set(toks);
      if (set.size !== toks.length) dupTokens[i] = 1;
      for (const t of set) {
        let l = byToken.get(t);
        if (!l) byToken.set(t, (l = []));
        l.push(i);
      }
    });
  }
  return { scorer, choices, cps, ids, offsets, alphabet, chars, dupTokens, collapsedLen, byToken };
}

/**
 * Bit-parallel LCS (Allison–Dix / Hyyrö) with the REVERSED mention as the bit pattern, one pass over a
 * name read backwards. After t characters, the zero bits of V count LCS(name's last t characters,
 * mention), and at the end the zero bits among the first t bits count LCS(name, mention's last t
 * characters); all bits give L = LCS(mention, name). LCS grows by one exactly when the addition carries
 * out of the top word, so zeros are counted as they appear, and the clipped-window bound 2·S_t/(n+t)
 * is only evaluated where S_t has just grown (its peaks). Arithmetic stays in int32 (uint32 values
 * would leave V8's small-integer fast path); the carry out of a + b = sum is the top bit of
 * (a & b) | ((a | b) & ~sum).
 */
function reversedMasks(q: Int32Array, alphabet: Map<number, number>): { masks: Int32Array; words: number } {
  const lq = q.length;
  const words = Math.max(1, Math.ceil(lq / 32));
  const masks = new Int32Array(alphabet.size * words);
  for (let i = 0; i < lq; i++) {
    const id = alphabet.get(q[lq - 1 - i]);
    if (id === undefined) continue; // a character no name has matches nothing
    masks[id * words + (i >>> 5)] |= 1 << (i & 31);
  }
  return { masks, words };
}

/** Window bound from L, the clipped-window peak `best` and, when the name is the shorter, the final V. */
function finishBound(L: number, best: number, n: number, mentionShorter: boolean, V: Int32Array): number {
  if (L === 0) return 0;
  if (!mentionShorter) {
    // zeros among the first t bits = LCS(name, the mention's last t characters), t < n
    let zt = 0;
    for (let t = 1; t < n; t++) {
      if (((V[(t - 1) >>> 5] >>> ((t - 1) & 31)) & 1) === 0) {
        zt++;
        const r = (2 * zt) / (n + t);
        if (r > best) best = r;
      }
    }
  }
  // full windows (length n): LCS/n ≤ L/n; windows clipped at the end (length t < n): 2·S_t/(n+t)
  const full = (2 * L) / (2 * n);
  return full > best ? full : best;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Where name i lies in the concatenated ids and how it compares with the mention (see {@link nextName}). */
interface NameWindow {
  /** The name's code points are ids[from..to). */
  from: number;
  to: number;
  /** n = min(|mention|, |name|): the window length of partial_ratio. */
  n: number;
  /** True when the mention is the shorter side (or the lengths are equal). */
  mentionShorter: boolean;
  /** Steps 1..clipEnd (k < n, mention the shorter) end windows clipped at the name's end; 0 otherwise. */
  clipEnd: number;
}

const nameWindow = (): NameWindow => ({ from: 0, to: 0, n: 0, mentionShorter: false, clipEnd: 0 });

/**
 * The per-name head of both bound loops: fill `w` for name i (ids[offsets[i]..offsets[i+1])) against a
 * mention of `lq` code points and return true; for an empty name set its bound `ub[i]` to 0 and return
 * false. `w` is reused, not allocated.
 */
function nextName(offsets: Int32Array, i: number, lq: number, w: NameWindow, ub: Uint8Array): boolean {
  const from = offsets[i];
  const to = offsets[i + 1];
  const lc = to - from;
  if (lc === 0) {
    ub[i] = 0;
    return false;
  }
  w.from = from;
  w.to = to;
  w.mentionShorter = lq <= lc;
  w.n = w.mentionShorter ? lq : lc;
  w.clipEnd = w.mentionShorter ? w.n - 1 : 0; // steps t < n give clipped windows of the name
  return true;
}

/**
 * partial_ratio bounds (0..100) of every name for a mention of 1..32 code points, in one tight loop:
 * the steps that can end a clipped window (t < n, mention the shorter) track the LCS by carries and
 * keep the best 2·S_t/(n+t) as an exact fraction; the remaining steps only update V, and L is its
 * zero count at the end.
 */
function boundsOneWord(ids: Int32Array, offsets: Int32Array, M: Int32Array, lq: number, ub: Uint8Array, clipOut: Float64Array | null): void {
  const w = nameWindow();
  for (let i = 0; i < ub.length; i++) {
    if (!nextName(offsets, i, lq, w, ub)) continue;
    const { from, to, n, mentionShorter, clipEnd } = w;
    let z = 0;
    let bestNum = 0;
    let bestDen = 1;
    let v = -1;
    let p = to - 1;
    for (let k = 1; k <= clipEnd; k++, p--) {
      const u = v & M[ids[p]];
      const sum = (v + u) | 0;
      const carry = ((v & u) | ((v | u) & ~sum)) >>> 31;
      v = sum | (v & ~u);
      if (carry) {
        z++;
        if (2 * z * bestDen > bestNum * (n + k)) {
          bestNum = 2 * z;
          bestDen = n + k;
        }
      }
    }
    for (; p >= from; p--) {
      const u = v & M[ids[p]];
      v = ((v + u) | 0) | (v & ~u);
    }
    const L = popcount32(~v);
    if (L === 0) {
      ub[i] = 0;
      continue;
    }
    if (!mentionShorter) {
      // zeros among the first t bits = LCS(name, the mention's last t characters), t < n ≤ 32
      let zt = 0;
      for (let t = 1; t < n; t++) {
        if (((v >>> (t - 1)) & 1) === 0) {
          zt++;
          if (2 * zt * bestDen > bestNum * (n + t)) {
            bestNum = 2 * zt;
            bestDen = n + t;
          }
        }
      }
    }
    // full windows: LCS/n ≤ L/n; clipped windows: the best 2·S_t/(n+t)
    const full = (2 * L) / (2 * n);
    const clipped = bestNum / bestDen;
    if (clipOut) clipOut[i] = clipped;
    ub[i] = intr(100 * (full > clipped ? full : clipped));
  }
}

/** The same for a mention of more than 32 code points (one word per 32). */
function boundsMultiWord(ids: Int32Array, offsets: Int32Array, M: Int32Array, W: number, lq: number, ub: Uint8Array): void {
  const V = new Int32Array(W);
  const w = nameWindow();
  for (let i = 0; i < ub.length; i++) {
    if (!nextName(offsets, i, lq, w, ub)) continue;
    const { from, to, n, mentionShorter, clipEnd } = w;
    let z = 0;
    let best = 0;
    V.fill(-1);
    for (let k = 1, p = to - 1; p >= from; k++, p--) {
      const off = ids[p] * W;
      let carry = 0;
      for (let w = 0; w < W; w++) {
        const vw = V[w];
        const u = vw & M[off + w];
        const sum = (vw + u + carry) | 0;
        carry = ((vw & u) | ((vw | u) & ~sum)) >>> 31;
        V[w] = sum | (vw & ~u);
      }
      if (carry) {
        z++;
        if (k <= clipEnd) {
          const r = (2 * z) / (n + k);
          if (r > best) best = r;
        }
      }
    }
    ub[i] = intr(100 * finishBound(z, best, n, mentionShorter, V));
  }
}

/**
 * Upper bounds (0..100) of the score of every choice for one query (as {@link scorerQuery} gives it;
 * `q` its code points), the bounds of the module comment: never below the true score.
 */
export function scoreUpperBounds(
  ix: CandidateIndex, query: string, q: Int32Array = codePoints(query), clipOut: Float64Array | null = null,
): Uint8Array {
  const N = ix.choices.length;
  const ub = new Uint8Array(N);
  const lq = q.length;
  if (ix.scorer === 'partial_ratio') {
    if (lq === 0) {
      for (let i = 0; i < N; i++) ub[i] = ix.cps[i].length === 0 ? 100 : 0; // only equal (empty) names score
      return ub;
    }
    const { masks, words } = reversedMasks(q, ix.alphabet);
    if (words === 1) boundsOneWord(ix.ids, ix.offsets, masks, lq, ub, clipOut);
    else boundsMultiWord(ix.ids, ix.offsets, masks, words, lq, ub);
    return ub;
  }
  // wratio
  const qc = new Uint8Array(NCH);
  for (const cp of q) qc[charClass(cp)]++;
  const qToks = query.split(' ').filter(Boolean);
  const qDup = new Set(qToks).size !== qToks.length;
  const shared = new Uint8Array(N);
  for (const t of new Set(qToks)) for (const i of ix.byToken.get(t) ?? []) shared[i] = 1;
  const lq1 = codePoints(qToks.join(' ')).length;
  for (let i = 0; i < N; i++) {
    const lc = ix.cps[i].length;
    if (lq === 0 || lc === 0) {
      ub[i] = 0; // WRatio of an empty processed string is 0
      continue;
    }
    let b = 100;
    if (!qDup && !shared[i] && !ix.dupTokens[i]) {
      let ci = 0;
      const off = i * NCH;
      for (let d = 0; d < NCH; d++) ci += qc[d] < ix.chars[off + d] ? qc[d] : ix.chars[off + d];
      // mirror WRatio's own rounding: each ratio is rounded to an integer before it is scaled
      const lr = Math.max(lq, lc) / Math.min(lq, lc);
      const lc1 = ix.collapsedLen[i];
      const full = intr(100 * ((2 * ci) / (lq1 + lc1))); // ratio, token_sort_ratio, token_set_ratio
      b = full;
      if (lr >= 1.5) {
        const partial = intr(100 * ((2 * ci) / (Math.min(lq1, lc1) + ci))); // partial_ratio and its token forms
        b = intr(Math.max(full, partial * (lr > 8 ? 0.6 : 0.9)));
      }
    }
    ub[i] = b;
  }
  return ub;
}

/**
 * The string a scorer compares for a mention: raw (partial_ratio), or `full_process(mention,
 * force_ascii=True)` (wratio, as `fuzz.WRatio(mention, name)` processes it; ../shared/cases/candidates/
 * wratio_nonlatin25.json holds these lists. `process.extract` with its default processor would run
 * `full_process` twice on the query, which differs only where lower-casing makes a combining mark or a
 * U+0080–U+00FF letter, e.g. "Selçuk İnan": 91 instead of 100 for the identical name).
 */
export function scorerQuery(scorer: CandidateScorer, mention: string): string {
  return scorer === 'wratio' ? fullProcess(mention, true) : mention;
}

/** Score of one (query, choice) pair as the index's scorer computes it (query already from {@link scorerQuery}). */
function scoreOne(ix: CandidateIndex, query: string, q: Int32Array, i: number, fwd: Int32Array | null): number {
  if (ix.scorer !== 'partial_ratio') return wRatio(query, ix.choices[i]);
  if (!fwd) return partialRatioCp(q, ix.cps[i]);
  const base = ix.offsets[i];
  return partialRatioCp(q, ix.cps[i], (start, end) => windowLcs(fwd, ix.ids, base + start, base + end));
}

/** Forward bit masks of a mention of 1..32 code points by alphabet id (bit j: the mention's character j). */
function forwardMasks(q: Int32Array, alphabet: Map<number, number>): Int32Array {
  const masks = new Int32Array(alphabet.size);
  for (let j = 0; j < q.length; j++) {
    const id = alphabet.get(q[j]);
    if (id !== undefined) masks[id] |= 1 << j;
  }
  return masks;
}

/** max over the full windows ids[s..s+n) of [from, to) of LCS(mention, window) (mention of n ≤ 32 code points). */
function maxWindowLcs(M: Int32Array, ids: Int32Array, from: number, to: number, n: number): number {
  let best = 0;
  for (let s = from; s + n <= to && best < n; s++) {
    const l = windowLcs(M, ids, s, s + n);
    if (l > best) best = l;
  }
  return best;
}

/** LCS(mention, ids[from..to)) by the bit-parallel recurrence (mention ≤ 32 code points as the pattern). */
function windowLcs(M: Int32Array, ids: Int32Array, from: number, to: number): number {
  let v = -1;
  for (let p = from; p < to; p++) {
    const u = v & M[ids[p]];
    v = ((v + u) | 0) | (v & ~u);
  }
  return popcount32(~v);
}

/** Statistics of the last {@link candidateTopK} calls in this thread (for the speed report). */
export const topKStats = { queries: 0, scored: 0 };

/**
 * Top-`k` choices of `ix` for `mention` (the raw mention; for wratio it is processed here as
 * {@link scorerQuery} says), exact, with pruning (see the module comment). Empty choices take part with
 * score 0, as in a full scan. Returns fewer than k only when the KB has fewer than k names.
 */
export function candidateTopK(ix: CandidateIndex, mention: string, k: number, opts: { queryIsProcessed?: boolean } = {}): TopK {
  const query = opts.queryIsProcessed ? mention : scorerQuery(ix.scorer, mention);
  if (k <= 0) return { index: [], score: [] };
  const q = codePoints(query);
  const fwd = ix.scorer === 'partial_ratio' && q.length > 0 && q.length <= 32 ? forwardMasks(q, ix.alphabet) : null;
  // second tier (mention of <= 32 code points, the shorter string): the best LCS over every full window
  // of the name replaces L in the full-window bound; clipped windows keep their bound from the pass
  const clip = fwd ? new Float64Array(ix.choices.length) : null;
  const ub = scoreUpperBounds(ix, query, q, clip);
  const lq = q.length;
  // counting sort by bound, KB order inside a bucket
  const count = new Int32Array(102);
  for (let i = 0; i < ub.length; i++) count[ub[i]]++;
  const startOf = new Int32Array(102);
  for (let b = 99; b >= 0; b--) startOf[b] = startOf[b + 1] + count[b + 1];
  const fill = startOf.slice();
  const order = new Int32Array(ub.length);
  for (let i = 0; i < ub.length; i++) order[fill[ub[i]]++] = i;
  const topI: number[] = [];
  const topS: number[] = [];
  let scored = 0;
  for (let b = 100; b >= 0; b--) {
    if (topI.length >= k && b < topS[k - 1]) break;
    for (let p = startOf[b], e = startOf[b] + count[b]; p < e; p++) {
      const i = order[p];
      if (topI.length >= k && (b < topS[k - 1] || (b === topS[k - 1] && i > topI[k - 1]))) break;
      if (fwd && topI.length >= k && ix.offsets[i + 1] - ix.offsets[i] >= lq) {
        const wm = maxWindowLcs(fwd, ix.ids, ix.offsets[i], ix.offsets[i + 1], lq);
        const full = (2 * wm) / (2 * lq);
        const mid = intr(100 * (full > clip![i] ? full : clip![i]));
        if (mid < topS[k - 1] || (mid === topS[k - 1] && i > topI[k - 1])) continue;
      }
      const sc = scoreOne(ix, query, q, i, fwd);
      scored++;
      if (topI.length >= k && (sc < topS[k - 1] || (sc === topS[k - 1] && i > topI[k - 1]))) continue;
      let j = topI.length;
      while (j > 0 && (topS[j - 1] < sc || (topS[j - 1] === sc && topI[j - 1] > i))) j--;
      topI.splice(j, 0, i);
      topS.splice(j, 0, sc);
      if (topI.length > k) {
        topI.pop();
        topS.pop();
      }
    }
  }
  topKStats.queries++;
  topKStats.scored += scored;
  return { index: topI, score: topS };
}

/** {@link candidateTopK} without pruning: score every choice, stable descending sort (for tests). */
export function candidateTopKBrute(ix: CandidateIndex, mention: string, k: number, opts: { queryIsProcessed?: boolean } = {}): TopK {
  const query = opts.queryIsProcessed ? mention : scorerQuery(ix.scorer, mention);
  const q = codePoints(query);
  const all = ix.choices.map((_, i) => [i, scoreOne(ix, query, q, i, null)] as [number, number]);
  all.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const top = all.slice(0, Math.max(0, k));
  return { index: top.map((x) => x[0]), score: top.map((x) => x[1]) };
}
