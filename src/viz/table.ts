/**
 * Tables in notebooks: a danfojs DataFrame (or Series) or an array of plain objects as an HTML table.
 */
import { displayHtml, escapeHtml, HtmlSink } from './display';

/** Anything {@link showTable} accepts. */
export type TableInput =
  | Array<Record<string, unknown>>
  | { columns: string[]; values: unknown[][]; index?: Array<string | number> } // danfojs DataFrame
  | { values: unknown[]; index?: Array<string | number>; name?: string }; // danfojs Series

/** Options of {@link showTable} / {@link tableHtml}. */
export interface ShowTableOptions {
  /** Rows shown (default 50); the rest are counted under the table. */
  maxRows?: number;
  /** Caption above the table. */
  caption?: string;
  /** Show the DataFrame index as the first column (default: only when it is not 0..n-1). */
  index?: boolean;
  /** Columns whose values are trusted HTML (e.g. `<img>` thumbnails); others are escaped. */
  htmlColumns?: string[];
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
  /** Where the HTML goes (tests). */
  sink?: HtmlSink;
}

interface Normalised {
  columns: string[];
  rows: unknown[][];
  index?: Array<string | number>;
}

function normalise(input: TableInput): Normalised {
  if (Array.isArray(input)) {
    const columns: string[] = [];
    const seen = new Set<string>();
    input.forEach((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) {
        throw new Error(`showTable: row ${i} is ${Array.isArray(r) ? 'an array' : String(r)}; expected an object {column: value}`);
      }
      for (const k of Object.keys(r)) {
        if (seen.has(k)) continue;
        seen.add(k);
        columns.push(k);
      }
    });
    return { columns, rows: input.map((r) => columns.map((c) => r[c])) };
  }
  if (input && typeof input === 'object' && 'columns' in input && Array.isArray(input.columns) && Array.isArray(input.values)) {
    return { columns: input.columns.map(String), rows: input.values as unknown[][], index: input.index };
  }
  if (input && typeof input === 'object' && 'values' in input && Array.isArray(input.values)) {
    const name = 'name' in input && input.name ? String(input.name) : 'value';
    return { columns: [name], rows: input.values.map((v) => [v]), index: input.index };
  }
  throw new Error('showTable: expected a danfojs DataFrame/Series or an array of objects');
}

/** Format one cell value as text (numbers to `digits` significant digits, arrays joined). */
export function formatTableCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(digits - 1);
    return String(Number(v.toPrecision(digits)));
  }
  if (Array.isArray(v)) return v.map((x) => formatTableCell(x, digits)).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const TABLE_STYLE =
  '<style>.drin-table{border-collapse:collapse;font-size:12px;font-family:sans-serif;margin:4px 0}' +
  '.drin-table th,.drin-table td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}' +
  '.drin-table th{background:#f3f3f3;position:sticky;top:0}.drin-table td.s{text-align:left}' +
  '.drin-table tr:nth-child(even) td{background:#fafafa}.drin-table caption{text-align:left;font-weight:bold;padding:2px 0}' +
  '.drin-table-note{font-size:11px;color:#666;font-family:sans-serif}</style>';

/** The HTML of a table (see {@link showTable}). */
export function tableHtml(input: TableInput, opts: ShowTableOptions = {}): string {
  const { columns, rows, index } = normalise(input);
  const maxRows = opts.maxRows ?? 50;
  const digits = opts.digits ?? 4;
  const html = new Set(opts.htmlColumns ?? []);
  const trivialIndex = !index || index.every((v, i) => v === i);
  const showIndex = opts.index ?? !trivialIndex;
  const head = (showIndex ? ['<th></th>'] : []).concat(columns.map((c) => `<th>${escapeHtml(c)}</th>`)).join('');
  const body = rows
    .slice(0, maxRows)
    .map((r, i) => {
      const cells = columns.map((c, j) => {
        const v = r[j];
        const text = html.has(c) ? String(v ?? '') : escapeHtml(formatTableCell(v, digits));
        return `<td${typeof v === 'number' ? '' : ' class="s"'}>${text}</td>`;
      });
      if (showIndex) cells.unshift(`<th>${escapeHtml(String(index?.[i] ?? i))}</th>`);
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : '';
  const more = rows.length > maxRows ? `<div class="drin-table-note">… ${rows.length - maxRows} more rows (${rows.length} in all)</div>` : '';
  return `${TABLE_STYLE}<table class="drin-table">${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${more}`;
}

/** Plain-text rendering used outside notebooks. */
function tableText(input: TableInput, opts: ShowTableOptions): string {
  const { columns, rows } = normalise(input);
  const maxRows = opts.maxRows ?? 50;
  const lines = [columns.join('\t'), ...rows.slice(0, maxRows).map((r) => r.map((v) => formatTableCell(v, opts.digits ?? 4)).join('\t'))];
  if (rows.length > maxRows) lines.push(`… ${rows.length - maxRows} more rows`);
  return (opts.caption ? `${opts.caption}\n` : '') + lines.join('\n');
}

/**
 * Show a danfojs DataFrame/Series or an array of objects as an HTML table in the notebook
 * (tab-separated text elsewhere).
 *
 * ```ts
 * drin.showTable(df, { maxRows: 20, caption: 'errors, worst first' });
 * drin.showTable([{ model: 'drin', top1: 0.61 }, { model: 'ghmfc', top1: 0.43 }]);
 * ```
 */
export function showTable(input: TableInput, opts: ShowTableOptions = {}): void {
  displayHtml(tableHtml(input, opts), tableText(input, opts), opts.sink);
}
