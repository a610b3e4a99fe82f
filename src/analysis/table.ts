/**
 * The error table of notebook 06 as a danfojs DataFrame: one line per mention, sortable by gold rank
 * and filterable by any column.
 */
import * as dfd from 'danfojs-node';
import type { AnalysisRow } from './types';

/** Columns of {@link analysisDataFrame}, in order. */
export const ANALYSIS_TABLE_COLUMNS = [
  'row', 'mention', 'sentence', 'gold', 'predicted', 'goldRank', 'goldScore', 'bestWrongScore', 'margin',
  'mentionWords', 'defaultImage', 'sameNameCandidates', 'correct',
] as const;

/**
 * A DataFrame of the rows (all mentions, or only the errors with `errorsOnly`; `goldPresentOnly`
 * drops the mentions whose gold is not among the candidates). One rule for an absent gold, as in the
 * prediction files: it has no rank, `goldRank` is null (a descending sort puts those rows last, and
 * no numeric filter keeps them). Scores are rounded to 4 decimals; NaN margins (gold absent) become null.
 * `candidates` is accepted for compatibility and unused.
 */
export function analysisDataFrame(
  rows: AnalysisRow[],
  opts: { errorsOnly?: boolean; goldPresentOnly?: boolean; candidates?: number } = {},
): dfd.DataFrame {
  const sel = rows.filter((r) => (!opts.errorsOnly || !r.correct) && (!opts.goldPresentOnly || r.goldRank !== null));
  const r4 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);
  const data = sel.map((r) => ({
    row: r.row,
    mention: r.mention,
    sentence: r.sentence,
    gold: `${r.goldName} (${r.goldQid})`,
    predicted: `${r.predName} (${r.predQid})`,
    goldRank: r.goldRank,
    goldScore: r4(r.goldScore),
    bestWrongScore: r4(r.bestWrongScore),
    margin: r4(r.margin),
    mentionWords: r.mentionWords,
    defaultImage: r.defaultImage,
    sameNameCandidates: r.sameNameCandidates,
    correct: r.correct,
  }));
  if (!data.length) return new dfd.DataFrame([], { columns: [...ANALYSIS_TABLE_COLUMNS] });
  return new dfd.DataFrame(data, { columns: [...ANALYSIS_TABLE_COLUMNS] });
}

/** Sort a table by one column (default: gold rank, worst first). */
export function sortAnalysisFrame(df: dfd.DataFrame, column: string = 'goldRank', ascending = false): dfd.DataFrame {
  if (!df.columns.includes(column)) throw new Error(`sortAnalysisFrame: no column "${column}" (columns: ${df.columns.join(', ')})`);
  if (df.shape[0] === 0) return df;
  return df.sortValues(column, { ascending }) as dfd.DataFrame;
}

/** A filter on one column: `{ column: 'defaultImage', op: 'eq', value: true }`. */
export interface AnalysisFilter {
  column: string;
  op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'contains';
  value: number | string | boolean;
}

/** Keep the lines matching every filter; index labels are kept. */
export function filterAnalysisFrame(df: dfd.DataFrame, ...filters: AnalysisFilter[]): dfd.DataFrame {
  let out = df;
  for (const f of filters) {
    if (!out.columns.includes(f.column)) throw new Error(`filterAnalysisFrame: no column "${f.column}" (columns: ${out.columns.join(', ')})`);
    if (out.shape[0] === 0) return out;
    const col = out[f.column] as dfd.Series;
    const vals = col.values as unknown[];
    const mask = vals.map((v) => {
      switch (f.op) {
        case 'eq': return v === f.value;
        case 'ne': return v !== f.value;
        // a null (absent gold rank, absent margin) matches no numeric comparison
        case 'gt': return v !== null && (v as number) > (f.value as number);
        case 'ge': return v !== null && (v as number) >= (f.value as number);
        case 'lt': return v !== null && (v as number) < (f.value as number);
        case 'le': return v !== null && (v as number) <= (f.value as number);
        case 'contains': return String(v).toLowerCase().includes(String(f.value).toLowerCase());
        default: throw new Error(`filterAnalysisFrame: unknown op ${String((f as AnalysisFilter).op)}`);
      }
    });
    // Rebuilt from the kept lines (danfojs `query` fails on a frame whose index is not 0..n-1, e.g. after a sort);
    // the original index labels are kept so a line can be traced back.
    const rows = (out.values as unknown[][]).filter((_, i) => mask[i]);
    const index = (out.index as (string | number)[]).filter((_, i) => mask[i]);
    out = rows.length ? new dfd.DataFrame(rows, { columns: out.columns, index }) : new dfd.DataFrame([], { columns: out.columns });
  }
  return out;
}

/** The lines of a DataFrame as plain objects (for HTML tables and tests). */
export function frameRecords(df: dfd.DataFrame): Record<string, unknown>[] {
  const cols = df.columns;
  return (df.values as unknown[][]).map((v) => Object.fromEntries(cols.map((c, i) => [c, v[i]])));
}

/** The first `n` lines of a table (an empty table stays empty instead of failing as danfojs `head` does). */
export function frameHead(df: dfd.DataFrame, n = 10): dfd.DataFrame {
  return df.shape[0] === 0 ? df : (df.head(Math.min(n, df.shape[0])) as dfd.DataFrame);
}
