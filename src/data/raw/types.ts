/**
 * What a raw-layout reader hands to `prepareDataset`: mentions per split, the knowledge base and
 * the reader-level skip counts. Images are described, not yet checked (prepare checks them).
 */
import * as fs from 'node:fs';

/** The three splits of the preprocessed layout. */
export type PrepareSplit = 'train' | 'valid' | 'test';
export const PREPARE_SPLITS: PrepareSplit[] = ['train', 'valid', 'test'];

/**
 * Where an image may be: `base` = a path without extension, resolved like the reference's
 * `load_image` (suffixes "", .jpg, .JPG, .jpeg, .JPEG, .png, .PNG, .tif, .TIF, .tiff, .TIFF; the first
 * existing file is checked, an invalid one gives the default image); `files` = explicit paths tried
 * in order, the first valid one wins (WikiDiverse entity images); null = none.
 */
export type ImageSpec = { base: string } | { files: string[] } | null;

/** One mention as read from a raw layout. */
export interface RawMention {
  /** Mention id, unique within the split (WikiMEL: "<sentence id>-<n>"). */
  id: string;
  sentence: string;
  mention: string;
  /** Start / end of the mention in `sentence`, in JS string (UTF-16) offsets. */
  start: number;
  end: number;
  /** Gold entity key (a QID; WikiDiverse: the entity name). */
  gold: string;
  /** Candidate keys when the layout has them (best first); absent → fuzzy candidates. */
  candidates?: string[];
  image: ImageSpec;
}

/** One knowledge-base entity row (in the order of qid2idx.json). */
export interface RawEntity {
  qid: string;
  name: string;
  /** The entity text the encoder reads (reference rule of the layout already applied). */
  text: string;
  image: ImageSpec;
}

/** A raw dataset read into memory. */
export interface RawDataset {
  format: 'wikidiverse' | 'wikimel' | 'melbench';
  input: string;
  splits: Record<PrepareSplit, RawMention[]>;
  /** Entity rows (WikiMEL: qid2abs order = qid2idx order; WikiDiverse: every name met). */
  entities: RawEntity[];
  /** Names to match mentions against for fuzzy candidates, in KB order (qid2ne order). */
  kbNames: Array<{ qid: string; name: string }>;
  /** Reader-level counts per split (e.g. mentionNotFound, missingIds, goldNotInKb). */
  counts: Record<PrepareSplit, Record<string, number>>;
  /** Notes for the report (e.g. "the release has no entity images"). */
  notes: string[];
  /**
   * WikiDiverse only: candidate lists are padded to this many entries with `__nil__`, and the
   * per-candidate entity text and image are written per split (entity-attr-raw, entity-image-path).
   */
  padTo?: number;
}

/** A malformed-input error: names the file, the record and what was expected. */
export class RawFormatError extends Error {
  constructor(file: string, record: string | null, expected: string) {
    super(`${file}${record !== null ? `, record ${record}` : ''}: ${expected}`);
    this.name = 'RawFormatError';
  }
}

/** Read and parse a JSON file, with errors that name the file. */
export function readJsonFile(file: string): unknown {
  if (!fs.existsSync(file)) throw new RawFormatError(file, null, 'file not found');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RawFormatError(file, null, `not valid JSON (${(e as Error).message})`);
  }
}

/** Expect a JSON object mapping strings to strings. */
export function expectStringMap(file: string, v: unknown, what: string): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RawFormatError(file, null, `expected a JSON object ${what}`);
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw new RawFormatError(file, k, `expected a string value (${what}), got ${JSON.stringify(x)?.slice(0, 60)}`);
  }
  return v as Record<string, string>;
}

/** A zero count record for every split. */
export function emptySplitCounts(): Record<PrepareSplit, Record<string, number>> {
  return { train: {}, valid: {}, test: {} };
}

/** Increment a named counter. */
export function bumpCount(c: Record<string, number>, key: string, by = 1): void {
  c[key] = (c[key] ?? 0) + by;
}
