/**
 * The DRIN graph as an inline SVG figure (paper §3.3, Fig. 2): four vertices — mention text, mention
 * image, entity text, entity image — and four edges between a mention vertex and an entity vertex:
 * tt (text–text), ti (mention text–entity image), it (mention image–entity text), ii (image–image).
 * Every notebook's opening cell shows it; notebook 06 draws it with measured edge values.
 */
import { displayHtml, type HtmlSink } from './display';

/** Options of {@link drinGraphSvg}. */
export interface DrinGraphOptions {
  /** Edge values `[tt, ti, it, ii]`: printed on the edges and mapped to line width. */
  edges?: number[];
  /** Edge types drawn dashed and grey (e.g. disabled in an ablation). */
  disabled?: string[];
  /** Edge types drawn in the accent colour (e.g. the subject of a notebook). */
  highlight?: string[];
  /** Caption under the figure. */
  caption?: string;
  /** Width in px (height follows, 0.55 × width). */
  width?: number;
  /** Vertex shapes `[B, D]` etc. to print under the vertex names, in the order mt, mi, et, ei. */
  shapes?: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Return an `<svg>` string of the DRIN graph. Display it with `display.html(drinGraphSvg())`.
 *
 * ```ts
 * drinGraphSvg({ edges: [0.41, 0.22, 0.25, 0.63], caption: 'initial edges of one mention' });
 * ```
 */
export function drinGraphSvg(opts: DrinGraphOptions = {}): string {
  const W = opts.width ?? 560;
  const H = Math.round(W * 0.55);
  const s = W / 560; // everything below is laid out for 560 × 308
  const f = Math.max(s, 0.85); // text scale: stays legible in small figures
  const vx = [110, 110, 450, 450].map((x) => x * s);
  const vy = [80, 230, 80, 230].map((y) => y * s);
  const names = ['mention text', 'mention image', 'entity text', 'entity image'];
  const colors = ['#4c78a8', '#f58518', '#4c78a8', '#f58518'];
  const fills = ['#dde7f2', '#fde8d4', '#dde7f2', '#fde8d4']; // opaque, so edges end at the vertex border
  // [edge, from vertex, to vertex, label position along the line]
  const edges: [string, number, number, number][] = [['tt', 0, 2, 0.5], ['ti', 0, 3, 0.3], ['it', 1, 2, 0.3], ['ii', 1, 3, 0.5]];
  const vals = opts.edges;
  if (vals && vals.length !== 4) throw new Error(`drinGraphSvg: expected 4 edge values [tt, ti, it, ii], got ${vals.length}`);
  const maxAbs = vals ? Math.max(1e-9, ...vals.map((v) => Math.abs(v))) : 1;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="DRIN graph: mention text, mention image, entity text, entity image and edges tt, ti, it, ii" style="font-family:sans-serif">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${vx[0]}" y="${22 * s}" text-anchor="middle" font-size="${13 * f}" fill="#555">mention</text>`);
  parts.push(`<text x="${vx[2]}" y="${22 * s}" text-anchor="middle" font-size="${13 * f}" fill="#555">candidate entity (× R)</text>`);
  edges.forEach(([name, a, b, t], i) => {
    const disabled = opts.disabled?.includes(name);
    const hi = opts.highlight?.includes(name);
    const w = vals ? 1.5 + 6 * (Math.abs(vals[i]) / maxAbs) : 3;
    const color = disabled ? '#bbbbbb' : hi ? '#d62728' : '#54a24b';
    parts.push(`<line x1="${vx[a]}" y1="${vy[a]}" x2="${vx[b]}" y2="${vy[b]}" stroke="${color}" stroke-width="${(w * s).toFixed(2)}"${disabled ? ` stroke-dasharray="${6 * s},${4 * s}"` : ''}/>`);
    const lx = vx[a] + (vx[b] - vx[a]) * t;
    const ly = vy[a] + (vy[b] - vy[a]) * t - 8 * s;
    const label = vals ? `${name} ${vals[i].toFixed(3)}` : name;
    parts.push(`<text x="${lx}" y="${ly}" text-anchor="middle" font-size="${13 * f}" font-weight="bold" fill="${color}" stroke="#fff" stroke-width="${3 * s}" paint-order="stroke">${esc(label)}${disabled ? ' (off)' : ''}</text>`);
  });
  names.forEach((n, i) => {
    parts.push(`<ellipse cx="${vx[i]}" cy="${vy[i]}" rx="${78 * s}" ry="${28 * s}" fill="${fills[i]}" stroke="${colors[i]}" stroke-width="${2 * s}"/>`);
    parts.push(`<text x="${vx[i]}" y="${vy[i] + (opts.shapes ? -2 : 5) * s}" text-anchor="middle" font-size="${14 * f}">${esc(n)}</text>`);
    if (opts.shapes?.[i]) parts.push(`<text x="${vx[i]}" y="${vy[i] + 14 * s}" text-anchor="middle" font-size="${11 * f}" fill="#555">${esc(opts.shapes[i])}</text>`);
  });
  if (opts.caption) parts.push(`<text x="${W / 2}" y="${H - 10 * s}" text-anchor="middle" font-size="${12 * f}" fill="#333">${esc(opts.caption)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Show the DRIN graph in a notebook cell (text summary outside a notebook): the one-line opening figure
 * of every notebook.
 *
 * ```ts
 * drin.showDrinGraph({ highlight: ['tt'], caption: 'notebook 03 computes the tt edge inputs' });
 * ```
 */
export function showDrinGraph(opts: DrinGraphOptions = {}, sink?: HtmlSink): void {
  displayHtml(drinGraphSvg(opts), 'DRIN graph: mention text, mention image — entity text, entity image; edges tt, ti, it, ii', sink);
}
