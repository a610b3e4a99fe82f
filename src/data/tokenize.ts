/**
 * BERT WordPiece tokenization for mention token positions (bert-base-cased semantics).
 *
 * The reference (preprocess/prepare.py, `MentionPositionProcessor`) computes, per mention,
 *   start = #tokens(sentence[:startChar])            (attention-mask sum minus CLS and SEP)
 *   end   = start + #tokens(sentence[startChar:endChar])
 * with `truncation=True` (so a count never exceeds 512 - 2 = 510). The mention text features are
 * cut at 128 tokens (CLS included), so positions are additionally clamped into that window here
 * (`maxTokens`, default 128) and the clamped mentions are counted by the caller.
 *
 * The tokenizer is Python's slow `BertTokenizer` (transformers 4.25.1, the reference's pin),
 * re-implemented here by Unicode code point: transformers.js' BertNormalizer tests UTF-16 units, so it
 * puts no spaces around CJK ideographs outside the BMP (Extension B and later): "Chan𠮷Tai met" must
 * give `Chan [UNK] Tai met` (4 tokens), not 2. Every step works on code points: special-token split,
 * per-code-point lower-casing (uncased vocabularies only), `_clean_text` (NUL, U+FFFD and category C*
 * dropped — including unassigned code points —, Zs/tab/newline → space), CJK spacing (Python's
 * ranges), Python `str.split()` whitespace, accent stripping (NFD, drop Mn) when lower-casing,
 * punctuation split (ASCII symbols or category P*), WordPiece longest match with words over 100
 * code points → [UNK]. Not NFC-normalised (that step came to transformers after 4.25). Unicode
 * categories are Node's (ICU), so a character assigned after the reference's Python (3.10,
 * Unicode 13) is a letter here and "unassigned" (dropped) there.
 *
 * Loaded offline from a directory with `vocab.txt` and/or `tokenizer.json` (+ `tokenizer_config.json`
 * for `do_lower_case`), or a bare `vocab.txt` (bert-base-cased's rules).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The special tokens of bert-base-cased, in its vocabulary order. */
export const BERT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** A loaded WordPiece tokenizer plus where it came from. */
export interface WordPieceTokenizer {
  /** Directory or vocab file it was loaded from. */
  source: string;
  /** Vocabulary size. */
  vocabSize: number;
  /** The tokens in id order. */
  vocab: string[];
  /** Normalisation and splitting rules (Python's slow BertTokenizer). */
  rules: BertTokenizerRules;
  /** {@link vocabSha256} of `vocab`. */
  sha256: string;
  /** Token strings of `text`, without [CLS]/[SEP]. */
  tokens(text: string): string[];
  /** Token ids of `text`, without [CLS]/[SEP]. */
  ids(text: string): number[];
  /** Id of one token ([UNK]'s when absent). */
  tokenId(token: string): number;
}

/**
 * The `tokenizer.json` (HF tokenizers format) of a cased BERT WordPiece tokenizer over `vocab`
 * (one token per entry, ids = positions). Same pipeline as bert-base-cased's own tokenizer.json.
 */
export function bertTokenizerJson(vocab: string[], opts: { lowercase?: boolean } = {}): Record<string, unknown> {
  const map: Record<string, number> = {};
  vocab.forEach((t, i) => {
    if (!(t in map)) map[t] = i;
  });
  for (const s of ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]']) {
    if (!(s in map)) throw new Error(`vocabulary lacks the special token ${s}`);
  }
  const special = (content: string) => ({
    id: map[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(special),
    normalizer: {
      type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null,
      lowercase: opts.lowercase ?? false,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [map['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [map['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: map,
    },
  };
}

/** The `tokenizer_config.json` that goes with {@link bertTokenizerJson}. */
export function bertTokenizerConfig(opts: { lowercase?: boolean } = {}): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer', do_lower_case: opts.lowercase ?? false, model_max_length: 512,
    cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]',
    tokenize_chinese_chars: true, strip_accents: null, clean_up_tokenization_spaces: true,
  };
}

/** Read a `vocab.txt` (one token per line, id = line number; lines end at \n, \r\n or \r, as Python's text mode reads them). */
export function readVocabTxt(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').split(/\r\n|\r|\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Write a tokenizer directory (`vocab.txt`, `tokenizer.json`, `tokenizer_config.json`) for `vocab`;
 * loadable by {@link loadWordPieceTokenizer} and by transformers.js `AutoTokenizer` offline.
 */
export function writeTokenizerDir(dir: string, vocab: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson(vocab)));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(bertTokenizerConfig(), null, 2) + '\n');
}

/**
 * How the slow Python `BertTokenizer` (transformers 4.25.1, the reference's pin) normalises and
 * splits text before WordPiece. Every test works on Unicode code points, as Python's `str` does.
 */
export interface BertTokenizerRules {
  /** `do_lower_case`: lower-case each code point (special tokens excepted). bert-base-cased: false. */
  lowercase: boolean;
  /** `strip_accents`: null = strip only when lower-casing (Python's default), true = always, false = never. */
  stripAccents: boolean | null;
  /** `tokenize_chinese_chars`: put spaces around CJK ideographs (default true). */
  tokenizeChineseChars: boolean;
  /** Words longer than this many code points become [UNK] (Python's slow tokenizer: 100). */
  maxInputCharsPerWord: number;
  /** Tokens the text is split on first and never split further ([PAD] [UNK] [CLS] [SEP] [MASK]). */
  specialTokens: string[];
  /** The unknown token ([UNK]). */
  unkToken: string;
}

/** How prepare.json and encode.json name these rules. */
export const TOKENIZER_RULES = "Python's slow BertTokenizer (transformers 4.25.1) by Unicode code point";

/** bert-base-cased's rules. */
export const BERT_BASE_CASED_RULES: BertTokenizerRules = {
  lowercase: false, stripAccents: null, tokenizeChineseChars: true, maxInputCharsPerWord: 100,
  specialTokens: [...BERT_SPECIAL_TOKENS], unkToken: '[UNK]',
};

/**
 * Python `BasicTokenizer._is_chinese_char`: the CJK Unified Ideographs block, Extensions A to E
 * (U+20000–U+2CEAF covers B, C, D and E), the Compatibility Ideographs and their Supplement.
 * Later extensions (F from U+2CEB0, G, H, I) are not in Python's list and get no spaces there either.
 */
export function isBertChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df)
    || (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf)
    || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

const CATEGORY_C = /^\p{C}$/u; // Cc Cf Cs Co Cn, as Python's category(ch).startswith("C")
const CATEGORY_ZS = /^\p{Zs}$/u;
const CATEGORY_P = /^\p{P}$/u;

/** Python `_is_control` for one code point: category C*, except tab, newline and carriage return. */
export function isBertControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CATEGORY_C.test(ch);
}

/** Python `_is_whitespace` for one code point: space, tab, newline, carriage return, or category Zs. */
export function isBertWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || CATEGORY_ZS.test(ch);
}

/** Python `_is_punctuation` for one code point: ASCII non-alphanumeric printables, or category P*. */
export function isBertPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return CATEGORY_P.test(ch);
}

/** Python's `str.split()` separators (`str.isspace`). */
// eslint-disable-next-line no-control-regex -- U+001C–U+001F are whitespace to Python's str.split, which this mirrors
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Python `whitespace_tokenize`: `text.strip().split()`. */
function pySplit(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((t) => t.length > 0);
}

/** Python `_run_strip_accents`: NFD, then drop every Mn code point. */
export function stripAccents(text: string): string {
  return text.normalize('NFD').replace(/\p{Mn}/gu, '');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The words Python's slow `BertTokenizer` hands to WordPiece, by code point:
 * split on the special tokens (kept whole); lower-case each code point when `rules.lowercase`
 * (PreTrainedTokenizer.tokenize does it one character at a time, so no final-sigma context);
 * `_clean_text` (drop NUL, U+FFFD and controls, whitespace → space); spaces around CJK ideographs;
 * split on Python whitespace; strip accents (when lower-casing, or when `stripAccents`);
 * each punctuation code point its own word.
 */
export function bertBasicTokenize(text: string, rules: BertTokenizerRules = BERT_BASE_CASED_RULES): string[] {
  const specials = rules.specialTokens.filter((s) => s.length > 0);
  const chunks = specials.length ? text.split(new RegExp(`(${specials.map(escapeRe).join('|')})`, 'u')) : [text];
  const out: string[] = [];
  chunks.forEach((chunk, i) => {
    if (!chunk) return;
    if (specials.length && i % 2 === 1) {
      out.push(chunk);
      return;
    }
    let clean = '';
    for (let ch of chunk) {
      if (rules.lowercase) ch = ch.toLowerCase();
      for (const c of ch) { // lower-casing may give more than one code point ('İ' → 'i̇')
        const cp = c.codePointAt(0)!;
        if (cp === 0 || cp === 0xfffd || isBertControl(c)) continue;
        if (isBertWhitespace(c)) clean += ' ';
        else if (rules.tokenizeChineseChars && isBertChineseChar(cp)) clean += ` ${c} `;
        else clean += c;
      }
    }
    const split: string[] = [];
    for (let token of pySplit(clean)) {
      if (specials.includes(token)) {
        split.push(token);
        continue;
      }
      if (rules.lowercase ? rules.stripAccents !== false : rules.stripAccents === true) token = stripAccents(token);
      let word = '';
      for (const c of token) {
        if (isBertPunctuation(c)) {
          if (word) split.push(word);
          split.push(c);
          word = '';
        } else word += c;
      }
      if (word) split.push(word);
    }
    for (const w of pySplit(split.join(' '))) out.push(w);
  });
  return out;
}

/**
 * Python `WordpieceTokenizer.tokenize` for one word: greedy longest match by code point, "##" on
 * continuations; the whole word becomes `unk` when it is longer than `maxChars` code points or
 * some part of it matches nothing.
 */
export function wordPieceWord(word: string, has: (piece: string) => boolean, maxChars: number, unk: string, maxPieceChars = Infinity): string[] {
  const chars = [...word];
  if (chars.length > maxChars) return [unk];
  const pieces: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = Math.min(chars.length, start + maxPieceChars);
    let found: string | null = null;
    while (start < end) {
      const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
      if (has(sub)) {
        found = sub;
        break;
      }
      end--;
    }
    if (found === null) return [unk];
    pieces.push(found);
    start = end;
  }
  return pieces;
}

/** Where a vocabulary came from, as prepare.json and encode.json record it. */
export interface VocabularyInfo {
  /** 'bert-base-cased', the folder name of another tokenizer, or 'stand-in'. */
  name: string;
  /** The folder or file it was read from (or the hub name). */
  source: string;
  /** sha256 of the tokens in id order, one per line ('\n' after each): the hash of a canonical vocab.txt. */
  sha256: string;
  /** Number of tokens. */
  size: number;
  /** Lower-cased tokenizer (do_lower_case). */
  lowercase: boolean;
  /** True for the stand-in vocabulary built from the data. */
  standIn: boolean;
}

/** sha256 of a vocabulary (tokens in id order), see {@link VocabularyInfo.sha256}. */
export function vocabSha256(tokens: string[]): string {
  const h = crypto.createHash('sha256');
  for (const t of tokens) h.update(t + '\n', 'utf8');
  return h.digest('hex');
}

/**
 * A WordPiece tokenizer over `vocab` (tokens in id order) with Python's slow `BertTokenizer` rules,
 * by code point. Ids of tokens outside the vocabulary are the [UNK] id; a token listed twice keeps
 * its last id, as Python's `load_vocab` does.
 */
export function makeWordPieceTokenizer(vocab: string[], rules: BertTokenizerRules, source: string): WordPieceTokenizer {
  const ids = new Map<string, number>();
  let maxPiece = 0;
  vocab.forEach((t, i) => {
    ids.set(t, i);
    maxPiece = Math.max(maxPiece, [...t].length);
  });
  const unkId = ids.get(rules.unkToken);
  if (unkId === undefined) throw new Error(`tokenizer ${source}: the vocabulary lacks the unknown token ${rules.unkToken}`);
  const has = (p: string) => ids.has(p);
  const tokens = (text: string) => bertBasicTokenize(text, rules)
    .flatMap((w) => wordPieceWord(w, has, rules.maxInputCharsPerWord, rules.unkToken, maxPiece));
  return {
    source, vocabSize: vocab.length, vocab, rules, sha256: vocabSha256(vocab),
    tokens,
    ids: (text: string) => tokens(text).map((t) => ids.get(t) ?? unkId),
    tokenId: (token: string) => ids.get(token) ?? unkId,
  };
}

/** The rules of a tokenizer folder: `tokenizer_config.json` first, then `tokenizer.json`'s normalizer, else bert-base-cased's. */
export function readTokenizerRules(config: Record<string, unknown> | null, tokenizerJson: Record<string, unknown> | null): BertTokenizerRules {
  const norm = (tokenizerJson?.normalizer ?? null) as Record<string, unknown> | null;
  const model = (tokenizerJson?.model ?? null) as Record<string, unknown> | null;
  const name = (v: unknown, dflt: string) => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : dflt);
  const bool = (v: unknown, dflt: boolean) => (typeof v === 'boolean' ? v : dflt);
  const lowercase = bool(config?.do_lower_case, bool(norm?.lowercase, false));
  const sa = config && 'strip_accents' in config ? config.strip_accents : norm?.strip_accents;
  const unk = name(config?.unk_token, typeof model?.unk_token === 'string' ? model.unk_token : '[UNK]');
  const specials = [name(config?.pad_token, '[PAD]'), unk, name(config?.cls_token, '[CLS]'), name(config?.sep_token, '[SEP]'), name(config?.mask_token, '[MASK]')];
  return {
    lowercase,
    stripAccents: typeof sa === 'boolean' ? sa : null,
    tokenizeChineseChars: bool(config?.tokenize_chinese_chars, bool(norm?.handle_chinese_chars, true)),
    maxInputCharsPerWord: 100, // the slow tokenizer's constant, whatever tokenizer.json says
    specialTokens: [...new Set(specials)],
    unkToken: unk,
  };
}

/** Tokens of a `tokenizer.json` WordPiece model in id order. */
function tokenizerJsonVocab(json: Record<string, unknown>, file: string): string[] {
  const map = (json.model as { vocab?: Record<string, number> } | undefined)?.vocab;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new Error(`tokenizer: ${file} has no WordPiece model.vocab (token -> id)`);
  const out: string[] = [];
  for (const [t, i] of Object.entries(map)) out[i] = t;
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = '';
  return out;
}

/**
 * Load a BERT WordPiece tokenizer offline from `source`: a directory with `vocab.txt` and/or
 * `tokenizer.json` (+ optionally `tokenizer_config.json`), or a vocab file. `vocab.txt` is preferred,
 * as Python's slow tokenizer reads it; a bare vocab gets bert-base-cased's rules (no lower-casing).
 */
export function loadWordPieceTokenizer(source: string): WordPieceTokenizer {
  if (!fs.existsSync(source)) throw new Error(`tokenizer: ${source} does not exist (expected a tokenizer directory or a vocab.txt)`);
  if (!fs.statSync(source).isDirectory()) return makeWordPieceTokenizer(readVocabTxt(source), BERT_BASE_CASED_RULES, source);
  const tj = path.join(source, 'tokenizer.json');
  const vt = path.join(source, 'vocab.txt');
  const tc = path.join(source, 'tokenizer_config.json');
  const readJson = (f: string) => {
    try {
      return JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`tokenizer: ${f} is not valid JSON (${(e as Error).message})`);
    }
  };
  const json = fs.existsSync(tj) ? readJson(tj) : null;
  const config = fs.existsSync(tc) ? readJson(tc) : null;
  let vocab: string[];
  if (fs.existsSync(vt)) vocab = readVocabTxt(vt);
  else if (json) vocab = tokenizerJsonVocab(json, tj);
  else throw new Error(`tokenizer: ${source} holds neither vocab.txt nor tokenizer.json`);
  return makeWordPieceTokenizer(vocab, readTokenizerRules(config, json), source);
}

/** Options of {@link mentionTokenSpan}. */
export interface TokenSpanOptions {
  /** Token window of the mention text features, CLS and SEP included (reference: 128). */
  maxTokens?: number;
  /** Longest sequence the tokenizer keeps, CLS and SEP included (reference: 512, `truncation=True`). */
  maxBertLen?: number;
}

/**
 * Mention token span as the reference computes it: `start` = number of WordPiece tokens of
 * `sentence.slice(0, startChar)`, `end` = start + tokens of `sentence.slice(startChar, endChar)`,
 * both without CLS/SEP (the model adds 1 for CLS). Counts are capped at `maxBertLen - 2` like the
 * tokenizer's truncation, then clamped into the feature window: `end <= maxTokens - 1`, and then
 * `start <= end - 1`. `clamped` tells whether the window clamp changed anything.
 */
export function mentionTokenSpan(
  tok: WordPieceTokenizer, sentence: string, startChar: number, endChar: number, opts: TokenSpanOptions = {},
): { start: number; end: number; clamped: boolean } {
  const maxTokens = opts.maxTokens ?? 128;
  const cap = (opts.maxBertLen ?? 512) - 2;
  const before = Math.min(tok.ids(sentence.slice(0, startChar)).length, cap);
  const inside = Math.min(tok.ids(sentence.slice(startChar, endChar)).length, cap);
  let start = before;
  let end = before + inside;
  let clamped = false;
  if (end > maxTokens - 1) {
    end = maxTokens - 1;
    start = Math.min(start, Math.max(0, end - 1));
    clamped = true;
  }
  return { start, end, clamped };
}

/**
 * Build a small WordPiece vocabulary covering `texts`: the BERT specials, every whitespace/
 * punctuation-split word that occurs at least `minCount` times, and every character both as a
 * word-initial piece and as a "##" continuation (so any text tokenizes without [UNK]).
 * Used for the synthetic sample and as a stand-in when no bert-base-cased vocab is available.
 */
export function buildWordPieceVocab(texts: Iterable<string>, opts: { minCount?: number; maxWords?: number } = {}): string[] {
  const minCount = opts.minCount ?? 1;
  const counts = new Map<string, number>();
  const chars = new Set<string>();
  for (const t of texts) {
    for (const w of t.normalize('NFC').split(/(\s+|[\p{P}\p{S}])/u)) {
      if (!w || /^\s+$/.test(w)) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const c of w) chars.add(c);
    }
  }
  const words = [...counts.entries()]
    .filter(([, n]) => n >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, opts.maxWords ?? Infinity)
    .map(([w]) => w);
  const charList = [...chars].sort();
  const seen = new Set<string>(BERT_SPECIAL_TOKENS);
  const vocab = [...BERT_SPECIAL_TOKENS];
  const add = (t: string) => {
    if (!seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  for (const c of charList) add(c);
  for (const c of charList) add('##' + c);
  for (const w of words) add(w);
  return vocab;
}
