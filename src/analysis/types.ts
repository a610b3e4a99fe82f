/**
 * Record types of the analysis (notebook 06). They mirror the files of CONTRACTS §2 and §5:
 * `predictions_{split}.jsonl` written by training/evaluation and the prepared `mentions_{split}.jsonl`
 * / `entities.jsonl`. Names carry an `Analysis` prefix so they stay unique across the library barrel.
 */

import type { PreparedEntity, PreparedMention } from '../data/prepare';
import type { MentionPrediction } from '../train/predictions';

/** One line of `predictions_{split}.jsonl` (CONTRACTS §5), as written by src/train/predictions.ts. */
export type AnalysisPrediction = MentionPrediction;
/** One line of the prepared `mentions_{split}.jsonl` (CONTRACTS §2), as written by src/data/prepare.ts. */
export type AnalysisMention = PreparedMention;
/** One line of the prepared `entities.jsonl` (CONTRACTS §2). */
export type AnalysisEntity = PreparedEntity;

/** The edge types of the DRIN graph, in the reference order (paper §3.3, `edge_graph`). */
export const EDGE_TYPES = ['tt', 'ti', 'it', 'ii'] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];

/**
 * One mention of one model's predictions, joined with its text side: what every table and
 * figure of notebook 06 is computed from.
 */
export interface AnalysisRow {
  row: number;
  id: string;
  mention: string;
  sentence: string;
  goldQid: string;
  goldName: string;
  /** 1-based rank of the gold among the C candidates; null = gold not among the candidates. */
  goldRank: number | null;
  /** goldRank === 1. */
  correct: boolean;
  /** QID and name of the top-1 candidate. */
  predQid: string;
  predName: string;
  /** Score of the gold candidate (NaN when absent) and of the best wrong candidate. */
  goldScore: number;
  bestWrongScore: number;
  /** goldScore - bestWrongScore (NaN when gold absent). */
  margin: number;
  /** Words in the mention string. */
  mentionWords: number;
  /** Mention has no image of its own (uses the default image). */
  defaultImage: boolean;
  /** Number of other candidates whose name equals the gold's name (case-insensitive). */
  sameNameCandidates: number;
  /** DRIN edges of the gold candidate: per layer `[tt, ti, it, ii]` (empty for baselines). */
  edges: number[][];
}
