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
 * The tokenizer is `@huggingface/transformers`' BertTokenizer, loaded offline from a directory
 * holding `tokenizer.json` (+ `tokenizer_config.json`), or built from a bare `vocab.txt` with the
 * bert-base-cased pipeline (BertNormalizer without lowercasing, BertPreTokenizer, WordPiece "##").
 */
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
  /** Token strings of `text`, without [CLS]/[SEP]. */
  tokens(text: string): string[];
  /** Token ids of `text`, without [CLS]/[SEP]. */
  ids(text: string): number[];
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

/** Read a `vocab.txt` (one token per line, id = line number). */
export function readVocabTxt(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.replace(/\r$/, ''));
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
 * Load a BERT WordPiece tokenizer offline from `source`: a directory with `tokenizer.json`
 * (and optionally `tokenizer_config.json`), a directory with only `vocab.txt`, or a vocab file.
 */
export function loadWordPieceTokenizer(source: string): WordPieceTokenizer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: transformers.js is heavy and only the reference tokenizer path needs it
  const { BertTokenizer } = require('@huggingface/transformers') as typeof import('@huggingface/transformers');
  let json: Record<string, unknown>;
  let config: Record<string, unknown> = bertTokenizerConfig();
  if (!fs.existsSync(source)) throw new Error(`tokenizer: ${source} does not exist (expected a tokenizer directory or a vocab.txt)`);
  if (fs.statSync(source).isDirectory()) {
    const tj = path.join(source, 'tokenizer.json');
    const vt = path.join(source, 'vocab.txt');
    if (fs.existsSync(tj)) json = JSON.parse(fs.readFileSync(tj, 'utf8'));
    else if (fs.existsSync(vt)) json = bertTokenizerJson(readVocabTxt(vt));
    else throw new Error(`tokenizer: ${source} holds neither tokenizer.json nor vocab.txt`);
    const tc = path.join(source, 'tokenizer_config.json');
    if (fs.existsSync(tc)) config = { ...config, ...JSON.parse(fs.readFileSync(tc, 'utf8')) };
  } else {
    json = bertTokenizerJson(readVocabTxt(source));
  }
  const tok = new BertTokenizer(json, config);
  const vocabSize = Object.keys((json.model as { vocab: Record<string, number> }).vocab).length;
  return {
    source,
    vocabSize,
    tokens: (text: string) => tok.tokenize(text),
    ids: (text: string) => tok.encode(text, { add_special_tokens: false }),
  };
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
