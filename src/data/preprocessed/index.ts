/**
 * The DRIN preprocessed release: open, validate, and stream batches in bounded memory.
 *
 * Two layouts (see ../shared/README.md, fixtures/preprocessed/):
 * - WikiDiverse (54 files): per split, entity features are stored per (mention, candidate slot):
 *   `entity-attr-feature_{split}.npy` [M·R, Dt] (already pooled), `entity-image-feature_{split}` [M·R, 1, Di], ...
 * - WikiMEL (42 files): entity features once (`entity-attr-feature.npy` [N, L, Dt] + mask [N, L],
 *   `entity-*_all.npy`), candidates per split as QIDs (`entity-name-raw_{split}` [M·R]) mapped to rows
 *   through `qid2idx.json`.
 * Both: mention files per split with M rows; R = C + 1 candidate slots, the last slot holds the gold;
 * `answer == C` means the gold is not among the C candidates.
 *
 * Shapes: M mentions, R slots, C = R − 1 candidates, T mention tokens, Dt BERT size, Rg image regions,
 * Di ResNet size, K mention objects, N entities (WikiMEL), L entity tokens (WikiMEL).
 *
 * Batches follow the reference loader (drin/data.py, baselines/data.py): positions + 1 for CLS,
 * one-hot label rows of zeros when the gold is absent, int64 → int32. Rows are read on demand
 * (positioned reads), entity rows through an LRU, the next batch is read while the current one is used,
 * and WikiMEL's entity token features can be replaced by a derived cache of their reductions.
 */
export * from './layout';
export * from './validate';
export * from './entity-text-cache';
export * from './dataset';
