/**
 * Exact top-K knowledge-base names for one mention, pruned: every name gets a cheap upper bound of
 * its score, names are scored best bound first, and the scan stops once the bound falls below the
 * running K-th score. The result is the one a full scan with a stable descending sort gives (ties
 * keep knowledge-base order), as in the DRIN authors' `candidates.py` (`partial_ratio`) and in
 * fuzzywuzzy's `process.extract` (`heapq.nlargest`, WRatio).
 *
 * Bounds (both ≥ the true score, so no name that belongs to the top K is skipped):
 * - partial_ratio: every window w of the longer string has |w| ≤ n = min(|s1|, |s2|) and
 *   LCS(shorter, w) ≤ L = LCS(s1, s2), so ratio = 2·LCS/(n+|w|) ≤ 2·LCS/(n+LCS) ≤ 2L/(n+L). L comes from
 *   the bit-parallel LCS of Allison–Dix / Hyyrö (the mention is the bit pattern, one 32-bit word per 32
 *   code points), about as cheap as reading the name once. Both sides are exact integer ratios, and
 *   correctly rounded division and Python's rounding are monotone, so intr(100·2L/(n+L)) bounds the score.
 * - WRatio (on processed strings): 100 when the two share a token or either repeats one; otherwise from
 *   multiset character counts CI (38 classes: a-z, 0-9, space, other), max(2·CI/(|q|+|c|),
 *   scale·2·CI/(min(|q|,|c|)+CI)) on whitespace-collapsed lengths, which bounds ratio, partial_ratio and
 *   the token ratios alike.
 */
import { codePoints } from './levenshtein';
import { fullProcess, intr, partialRatioCp, wRatio } from './fuzz';

/** The candidate scorers: the authors' `partial_ratio` on raw strings, or `process.extract`'s default WRatio. */
export type CandidateScorer = 'partial_ratio' | 'wratio';
export const CANDIDATE_SCORERS: readonly CandidateScorer[] = ['partial_ratio', 'wratio'];

/** Human-readable description of a scorer (for reports). */
export function describeScorer(s: CandidateScorer): string {
  return s === 'partial_ratio'
    ? 'fuzz.partial_ratio(mention, name) on raw strings (fuzzywuzzy 0.18 + python-Levenshtein 0.12, the authors\' candidates.py)'
    : 'fuzzywuzzy 0.18 process.extract default: WRatio after full_process(force_ascii=True)';
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
  /** partial_ratio: each choice as dense alphabet ids (for the bit-parallel LCS bound). */
  ids: Int32Array[];
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
  let ids: Int32Array[] = [];
  let chars = new Uint8Array(0);
  let dupTokens = new Uint8Array(0);
  let collapsedLen = new Uint16Array(0);
  const byToken = new Map<string, number[]>();
  if (scorer === 'partial_ratio') {
    ids = cps.map((c) => {
      const out = new Int32Array(c.length);
      for (let i = 0; i < c.length; i++) {
        let id = alphabet.get(c[i]);
        if (id === undefined) alphabet.set(c[i], (id = alphabet.size));
        out[i] = id;
      }
      return out;
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
  return { scorer, choices, cps, ids, alphabet, chars, dupTokens, collapsedLen, byToken };
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Bit-parallel LCS (Allison–Dix / Hyyrö) with the REVERSED mention as the bit pattern, one pass over a
 * name read backwards. After t characters, the zero bits of V count LCS(name's last t characters,
 * mention), and at the end the zero bits among the first t bits count LCS(name, mention's last t
 * characters); all bits give L = LCS(mention, name). This gives the window bound of {@link partialBound}.
 */
class ReversedLcsPattern {
  readonly words: number;
  private readonly masks: Uint32Array;
  private readonly v: Uint32Array;
  /** suffix[t] = LCS of the shorter string with the last t characters of the longer one (t < n). */
  readonly suffix: Int32Array;
  constructor(readonly q: Int32Array, alphabet: Map<number, number>) {
    const lq = q.length;
    this.words = Math.max(1, Math.ceil(lq / 32));
    this.masks = new Uint32Array(alphabet.size * this.words);
    this.v = new Uint32Array(this.words);
    this.suffix = new Int32Array(lq + 1);
    for (let i = 0; i < lq; i++) {
      const id = alphabet.get(q[lq - 1 - i]);
      if (id === undefined) continue; // a character no name has matches nothing
      this.masks[id * this.words + (i >>> 5)] |= 1 << (i & 31);
    }
  }

  /**
   * Upper bound of partial_ratio(mention, name) as a ratio in [0, 1] (see the module comment); fills
   * nothing outside this object.
   */
  bound(ids: Int32Array): number {
    const M = this.masks;
    const W = this.words;
    const lq = this.q.length;
    const lc = ids.length;
    const mentionShorter = lq <= lc;
    const n = mentionShorter ? lq : lc;
    const S = this.suffix;
    let L: number;
    const V = this.v;
    if (W === 1) {
      // one word: the same recurrence on a local
      let v = 0xffffffff;
      for (let k = 0; k < lc; k++) {
        const u = (v & M[ids[lc - 1 - k]]) >>> 0;
        v = ((v + u) | (v & ~u)) >>> 0;
        if (mentionShorter && k + 1 < n) S[k + 1] = popcount32(~v >>> 0);
      }
      V[0] = v;
    } else V.fill(0xffffffff);
    for (let k = 0; W > 1 && k < lc; k++) {
      const off = ids[lc - 1 - k] * W;
      let carry = 0;
      for (let w = 0; w < W; w++) {
        const vw = V[w];
        const u = (vw & M[off + w]) >>> 0;
        const s = vw + u + carry;
        carry = s > 0xffffffff ? 1 : 0;
        V[w] = (s | (vw & ~u)) >>> 0;
      }
      if (mentionShorter && k + 1 < n) {
        let z = 0;
        for (let w = 0; w < W; w++) z += popcount32(~V[w] >>> 0);
        S[k + 1] = z;
      }
    }
    L = 0;
    for (let w = 0; w < W; w++) L += popcount32(~V[w] >>> 0); // bits past the mention stay 1
    if (L === 0) return 0;
    if (!mentionShorter) {
      // zeros among the first t bits = LCS(name, mention's last t characters), t < n
      let z = 0;
      for (let t = 1; t < n; t++) {
        if (((V[(t - 1) >>> 5] >>> ((t - 1) & 31)) & 1) === 0) z++;
        S[t] = z;
      }
    }
    // full windows (length n): LCS/n ≤ L/n; windows clipped at the end (length t < n): 2·S_t/(n+t)
    let best = (2 * L) / (2 * n);
    for (let t = 1; t < n; t++) {
      const r = (2 * S[t]) / (n + t);
      if (r > best) best = r;
    }
    return best;
  }
}

/** Upper bounds (0..100) of the score of every choice for one query. */
function bounds(ix: CandidateIndex, query: string, q: Int32Array): Uint8Array {
  const N = ix.choices.length;
  const ub = new Uint8Array(N);
  const lq = q.length;
  if (ix.scorer === 'partial_ratio') {
    const pat = new ReversedLcsPattern(q, ix.alphabet);
    for (let i = 0; i < N; i++) {
      const lc = ix.cps[i].length;
      if (lq === 0 || lc === 0) {
        ub[i] = lq === lc ? 100 : 0;
        continue;
      }
      ub[i] = intr(100 * pat.bound(ix.ids[i]));
    }
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
      const lr = Math.max(lq, lc) / Math.min(lq, lc);
      const lc1 = ix.collapsedLen[i];
      let r = (2 * ci) / (lq1 + lc1);
      if (lr >= 1.5) r = Math.max(r, (lr > 8 ? 0.6 : 0.9) * ((2 * ci) / (Math.min(lq1, lc1) + ci)));
      b = Math.min(100, Math.round(100 * r + 1e-6));
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
function scoreOne(ix: CandidateIndex, query: string, q: Int32Array, i: number): number {
  return ix.scorer === 'partial_ratio' ? partialRatioCp(q, ix.cps[i]) : wRatio(query, ix.choices[i]);
}

/** Statistics of the last {@link candidateTopK} calls in this thread (for the speed report). */
export const topKStats = { queries: 0, scored: 0 };

/**
 * Top-`k` choices of `ix` for `mention` (the raw mention; for wratio it is processed here like
 * `process.extract` does), exact, with pruning (see the module comment). Empty choices take part with
 * score 0, as in a full scan. Returns fewer than k only when the KB has fewer than k names.
 */
export function candidateTopK(ix: CandidateIndex, mention: string, k: number, opts: { queryIsProcessed?: boolean } = {}): TopK {
  const query = opts.queryIsProcessed ? mention : scorerQuery(ix.scorer, mention);
  if (k <= 0) return { index: [], score: [] };
  const q = codePoints(query);
  const ub = bounds(ix, query, q);
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
      const sc = scoreOne(ix, query, q, i);
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
  const all = ix.choices.map((_, i) => [i, scoreOne(ix, query, q, i)] as [number, number]);
  all.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const top = all.slice(0, Math.max(0, k));
  return { index: top.map((x) => x[0]), score: top.map((x) => x[1]) };
}
