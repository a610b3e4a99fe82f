/**
 * HTML of a per-mention drill-down (notebook 06): the sentence with the mention highlighted, the
 * mention image and the top candidates' images as thumbnails (base64 `<img>`, decoded by the project's
 * image loader, src/viz/thumbs.ts), their names, texts and scores, the gold marked, and the four DRIN edge values across GCN layers.
 */
import type { DrilldownData } from '../analysis/drilldown';
import { EDGE_TYPES } from '../analysis/types';
import { drinGraphSvg } from './graph';
import { imageThumbnailDataUri } from './thumbs';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/**
 * What {@link drilldownHtml} returns: the HTML and the images shown as placeholders (missing, or the
 * loader's default image: corrupt, small, too large, unsupported), one `<file>: <why> [<reason>]` each
 * (counted, not hidden).
 */
export interface DrilldownHtmlResult {
  html: string;
  unreadableImages: string[];
}

/**
 * Render one drill-down as a self-contained HTML fragment (images inlined as PNG data URIs).
 *
 * ```ts
 * const { html } = await drilldownHtml(buildDrilldownData('drin', preds[0], text));
 * display.html(html);
 * ```
 */
export async function drilldownHtml(d: DrilldownData, opts: { thumb?: number; textChars?: number } = {}): Promise<DrilldownHtmlResult> {
  const size = opts.thumb ?? 112;
  const unreadable: string[] = [];
  const thumb = async (file: string | null) => {
    const t = await imageThumbnailDataUri(file, size);
    if (t.reason) unreadable.push(t.reason);
    return t;
  };
  const [a, b] = d.span;
  const sentence = a >= 0
    ? `${esc(d.sentence.slice(0, a))}<mark style="background:#ffe08a;padding:0 2px">${esc(d.sentence.slice(a, b))}</mark>${esc(d.sentence.slice(b))}`
    : `${esc(d.sentence)} <i>(mention "${esc(d.mention)}" not found in the sentence)</i>`;
  const mImg = await thumb(d.mentionImage);
  const cards: string[] = [];
  for (const c of d.candidates) {
    const t = await thumb(c.image);
    const border = c.gold ? '3px solid #2ca02c' : '1px solid #ccc';
    cards.push(
      `<div class="drin-card" style="width:${size + 40}px;border:${border};border-radius:6px;padding:6px;margin:4px;font-size:12px;vertical-align:top;display:inline-block">` +
        `<div><b>#${c.rank}</b> score ${c.score.toFixed(4)}${c.gold ? ' <span style="color:#2ca02c;font-weight:bold">GOLD</span>' : ''}</div>` +
        `<img src="${t.uri}" width="${size}" height="${size}" alt="${esc(c.name)} (${t.kind})" style="display:block;margin:4px auto"/>` +
        `<div><b>${esc(c.name)}</b> <span style="color:#777">${esc(c.qid)}</span></div>` +
        `<div style="color:#444">${esc(clip(c.text, opts.textChars ?? 160))}</div></div>`,
    );
  }
  let edgesHtml = '<p><i>No edge values (this model has no DRIN graph).</i></p>';
  if (d.edges.length) {
    const w = d.winner;
    const head = `<tr><th>layer input</th>${w ? '<th>candidate</th>' : ''}${EDGE_TYPES.map((e) => `<th>${e}</th>`).join('')}</tr>`;
    const cells = (l: number[]) => l.map((v) => `<td>${v.toFixed(4)}</td>`).join('');
    const body = d.edges
      .map((l, i) =>
        w
          ? `<tr><td rowspan="2">${i}</td><td>gold: ${esc(d.goldName)}</td>${cells(l)}</tr>` +
            `<tr style="color:#b22"><td>ranked first: ${esc(w.name)} (${esc(w.qid)})</td>${cells(w.edges[i])}</tr>`
          : `<tr><td>${i}</td>${cells(l)}</tr>`,
      )
      .join('');
    const last = d.edges.length - 1;
    edgesHtml =
      `<table style="border-collapse:collapse;font-size:12px" border="1" cellpadding="3">${head}${body}</table>` +
      `<div style="display:flex;gap:8px;flex-wrap:wrap">${drinGraphSvg({ edges: d.edges[0], width: 340, caption: 'gold candidate: initial edges' })}` +
      (last > 0 ? drinGraphSvg({ edges: d.edges[last], width: 340, caption: `gold candidate: edges entering layer ${last}` }) : '') +
      '</div>';
  }
  const rank = d.goldRank === null ? 'gold not among the candidates' : `gold rank ${d.goldRank}`;
  const html =
    `<div class="drin-drilldown" style="font-family:sans-serif;border:1px solid #ddd;padding:8px;margin:6px 0">` +
    `<div style="font-size:13px;color:#555">${esc(d.model)} · row ${d.row} · ${rank} · gold: <b>${esc(d.goldName)}</b> (${esc(d.goldQid)})</div>` +
    `<p style="font-size:15px">${sentence}</p>` +
    `<div style="display:flex;gap:12px;align-items:flex-start"><div style="font-size:12px;text-align:center">mention image<br/>` +
    `<img src="${mImg.uri}" width="${size}" height="${size}" alt="mention image (${mImg.kind})"/></div>` +
    `<div>${cards.join('')}</div></div>` +
    `<div style="margin-top:6px"><b>Edges of the gold candidate${d.winner ? ' and of the candidate ranked first' : ''} across layers</b>${edgesHtml}</div></div>`;
  return { html, unreadableImages: unreadable };
}
