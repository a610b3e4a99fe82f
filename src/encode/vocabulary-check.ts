/**
 * Prepare's token positions and encode's BERT tokens must come from one vocabulary (issue #13 §3):
 * `start-pos`/`end-pos` index the BERT token features, so a prepared directory tokenized with
 * another vocabulary (e.g. the stand-in built from the data) would average the wrong tokens.
 * {@link checkTextVocabulary} compares the sha256 recorded in prepare.json with the text encoder's
 * and throws on a mismatch; its result is recorded in encode.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWordPieceTokenizer, TOKENIZER_RULES, type VocabularyInfo } from '../data/tokenize';
import type { PreparedData } from './prepared';
import type { TextFeatureEncoder } from './types';

/** What encode.json records about the vocabularies. */
export interface TextVocabularyRecord {
  /** The vocabulary of the prepared token positions (prepare.json), or null when it names none. */
  prepared: VocabularyInfo | null;
  /** The vocabulary of the text encoder's tokens (the stand-in tokenizes with the prepared one). */
  bert: VocabularyInfo | null;
  /** 'same sha256', or why nothing was compared. */
  check: string;
  /** The tokenizer rules both follow (src/data/tokenize.ts). */
  rules: string;
}

/** The prepared directory's vocabulary: prepare.json's `vocabulary`, else its tokenizer hashed here. */
export function preparedVocabulary(data: PreparedData): VocabularyInfo | null {
  const v = data.report.vocabulary as VocabularyInfo | undefined;
  if (v && typeof v.sha256 === 'string') return v;
  if (!data.tokenizer || !fs.existsSync(data.tokenizer)) return null;
  const tok = loadWordPieceTokenizer(data.tokenizer);
  return {
    name: path.basename(data.tokenizer), source: path.resolve(data.tokenizer), sha256: tok.sha256, size: tok.vocabSize,
    lowercase: tok.rules.lowercase, standIn: Boolean(data.report.tokenizerStandIn),
  };
}

const describe = (v: VocabularyInfo) => `${v.name}${v.standIn ? ' (STAND-IN)' : ''} at ${v.source}, ${v.size} tokens, sha256 ${v.sha256}`;

/**
 * Compare the vocabulary of `data`'s token positions with `text`'s (a `vocabulary` property, as
 * BertTextEncoder has). Throws naming both when their sha256 differ.
 */
export function checkTextVocabulary(data: PreparedData, text: TextFeatureEncoder): TextVocabularyRecord {
  const prepared = preparedVocabulary(data);
  const own = (text as TextFeatureEncoder & { vocabulary?: VocabularyInfo }).vocabulary ?? null;
  if (!own) {
    return { prepared, bert: text.standin ? prepared : null, check: text.standin ? 'stand-in text encoder: tokenizes with the prepared vocabulary' : 'text encoder names no vocabulary: not checked', rules: TOKENIZER_RULES };
  }
  if (!prepared) return { prepared, bert: own, check: `${path.join(data.dir, 'prepare.json')} names no vocabulary: not checked`, rules: TOKENIZER_RULES };
  if (prepared.sha256 !== own.sha256) {
    throw new Error(`${path.join(data.dir, 'prepare.json')}: the token positions were made with vocabulary ${describe(prepared)}, ` +
      `but the BERT tokenizer uses ${describe(own)}; prepare again with that BERT's vocabulary (--model-dir or --vocab), or encode with the matching BERT`);
  }
  return { prepared, bert: own, check: 'same sha256', rules: TOKENIZER_RULES };
}
