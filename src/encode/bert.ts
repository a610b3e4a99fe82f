/**
 * BERT text features (the reference: preprocess/bert.py with `bert-base-cased`).
 *
 * The reference tokenizes each text alone (truncation at 512), pads it to 512, runs BERT with the
 * attention mask and keeps the first L positions of the last hidden state (L = 128 for mention
 * sentences, 64 for WikiMEL entity texts) together with the first L mask values; WikiDiverse entity
 * texts keep the pooler output. Because attention is masked, running a batch padded to
 * max(L, longest text) gives the same numbers for those L positions as padding to 512 — but a text
 * longer than L must be run whole (its first L tokens attend to all of it), so nothing is cut
 * before the model.
 *
 * Token ids come from our code-point re-implementation of Python's slow BertTokenizer over the
 * model's own vocabulary (src/data/tokenize.ts), the same rules prepare's token positions use, so the
 * positions index the right features; `vocabulary` (sha256 of that vocabulary) lets encode refuse a
 * prepared directory tokenized with another one.
 *
 * Dimension key: N texts, B batch, T padded length, L kept tokens, D hidden.
 */
import { hfLib, hfSource, hfTensor, int64, type HfLoadOptions } from './hf';
import { loadWordPieceTokenizer, makeWordPieceTokenizer, readTokenizerRules, type VocabularyInfo, type WordPieceTokenizer } from '../data/tokenize';
import type { TextFeatureEncoder } from './types';

/** The reference's BERT input limit. */
export const MAX_BERT_TOKENS = 512;

/** Options of {@link BertTextEncoder.load}. */
export interface BertOptions extends HfLoadOptions {
  /** Texts per forward pass (default 8). */
  batchSize?: number;
}

/** BERT through transformers.js / onnxruntime-node. */
export class BertTextEncoder implements TextFeatureEncoder {
  readonly standin = false;
  private constructor(
    readonly name: string,
    readonly dim: number,
    private readonly model: import('@huggingface/transformers').PreTrainedModel,
    private readonly tokenizer: import('@huggingface/transformers').PreTrainedTokenizer,
    private readonly batchSize: number,
    private readonly wordPiece: WordPieceTokenizer,
  ) {}

  /** The vocabulary its token ids come from. */
  get vocabulary(): VocabularyInfo {
    const w = this.wordPiece;
    return { name: this.name.split(/[\\/]/).filter(Boolean).pop() ?? this.name, source: w.source, sha256: w.sha256, size: w.vocabSize, lowercase: w.rules.lowercase, standIn: false };
  }

  /** Load from a local model folder (offline) or a hub name (e.g. 'Xenova/bert-base-cased'). */
  static async load(src: string, opts: BertOptions = {}): Promise<BertTextEncoder> {
    const { AutoModel, AutoTokenizer } = hfLib();
    const { name, options, dir } = hfSource(src, opts);
    const tokenizer = await AutoTokenizer.from_pretrained(name, options);
    const model = await AutoModel.from_pretrained(name, options);
    const dim = Number((model.config as unknown as { hidden_size: number }).hidden_size);
    let wordPiece: WordPieceTokenizer;
    if (dir) wordPiece = loadWordPieceTokenizer(dir);
    else { // hub model: its vocabulary and config as transformers.js fetched them
      const vocab: string[] = [];
      for (const [t, i] of tokenizer.get_vocab() as Map<string, number>) vocab[i] = t;
      const t = tokenizer as unknown as { config: Record<string, unknown>; _tokenizerJSON: Record<string, unknown> };
      wordPiece = makeWordPieceTokenizer(vocab, readTokenizerRules(t.config, t._tokenizerJSON), src);
    }
    return new BertTextEncoder(src, dim, model, tokenizer, opts.batchSize ?? 8, wordPiece);
  }

  /** Token ids of one text as the reference feeds them: [CLS] first 510 tokens [SEP]. */
  tokenIds(text: string): number[] {
    const w = this.wordPiece;
    const ids = w.ids(text).slice(0, MAX_BERT_TOKENS - 2); // truncation=True keeps the first 510
    return [w.tokenId('[CLS]'), ...ids, w.tokenId('[SEP]')];
  }

  /** Run BERT on `ids` padded to `T` (≥ every length): last hidden state [B, T, D] and pooler [B, D]. */
  private async run(ids: number[][], T: number): Promise<{ hidden: Float32Array; pooled: Float32Array }> {
    const B = ids.length;
    const flat = new Array<number>(B * T).fill(this.tokenizer.pad_token_id ?? 0);
    const mask = new Array<number>(B * T).fill(0);
    ids.forEach((row, b) => row.forEach((id, t) => { flat[b * T + t] = id; mask[b * T + t] = 1; }));
    const out = await this.model({
      input_ids: hfTensor('int64', int64(flat), [B, T]),
      attention_mask: hfTensor('int64', int64(mask), [B, T]),
      token_type_ids: hfTensor('int64', new BigInt64Array(B * T), [B, T]),
    });
    return { hidden: out.last_hidden_state.data as Float32Array, pooled: out.pooler_output.data as Float32Array };
  }

  async hidden(texts: string[], maxLen: number): Promise<{ hidden: Float32Array; mask: Int32Array }> {
    const N = texts.length, D = this.dim;
    const hidden = new Float32Array(N * maxLen * D); // [N, L, D]
    const mask = new Int32Array(N * maxLen); // [N, L]
    for (let s = 0; s < N; s += this.batchSize) {
      const ids = texts.slice(s, s + this.batchSize).map((t) => this.tokenIds(t));
      const T = Math.max(maxLen, ...ids.map((r) => r.length));
      const out = await this.run(ids, T); // [B, T, D]
      ids.forEach((row, b) => {
        hidden.set(out.hidden.subarray(b * T * D, (b * T + maxLen) * D), (s + b) * maxLen * D); // first L positions
        mask.fill(1, (s + b) * maxLen, (s + b) * maxLen + Math.min(row.length, maxLen));
      });
    }
    return { hidden, mask };
  }

  async pooled(texts: string[]): Promise<Float32Array> {
    const N = texts.length, D = this.dim;
    const pooled = new Float32Array(N * D); // [N, D]
    for (let s = 0; s < N; s += this.batchSize) {
      const ids = texts.slice(s, s + this.batchSize).map((t) => this.tokenIds(t));
      const out = await this.run(ids, Math.max(...ids.map((r) => r.length)));
      pooled.set(out.pooled, s * D);
    }
    return pooled;
  }
}
