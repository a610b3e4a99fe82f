/**
 * Plotly figure specs of notebook 06 (plain `{data, layout}` objects: show them with `showPlot`,
 * save them with `savePlot`). Nothing here touches the DOM.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIGURES } from '../paths';
import type { ErrorRateGroup, SuccessOverlap } from './stats';
import { EDGE_TYPES } from './types';

/** A Plotly figure: traces and layout. */
export interface AnalysisFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

// no fixed width: the figure fills the notebook's width; the title sits at the left, clear of the
// plotly toolbar (top right)
const base = (title: string, extra: Record<string, unknown> = {}) => ({
  title: { text: title, x: 0.01, xanchor: 'left' },
  autosize: true,
  height: 420,
  margin: { l: 60, r: 20, t: 60, b: 50 },
  ...extra,
});

/** hits@k curves, one line per model. */
export function hitsAtKFigure(curves: { model: string; k: number[]; hits: number[] }[]): AnalysisFigure {
  return {
    data: curves.map((c) => ({ type: 'scatter', mode: 'lines+markers', name: c.model, x: c.k, y: c.hits })),
    layout: base('hits@k on the test split', { xaxis: { title: { text: 'k (candidates looked at)' }, dtick: 1 }, yaxis: { title: { text: 'hits@k (share of mentions, 0–1)' }, range: [0, 1.02] } }),
  };
}

/** Overlaid histograms of the gold score and of the best wrong candidate's score, per model. */
export function scoreDistributionFigure(models: { model: string; gold: number[]; bestWrong: number[] }[]): AnalysisFigure {
  const data = models.flatMap((m, i) => [
    { type: 'histogram', name: `${m.model}: gold`, x: m.gold, opacity: 0.6, nbinsx: 30, bingroup: m.model, legendgroup: m.model, xaxis: `x${i + 1}`, yaxis: `y${i + 1}` },
    { type: 'histogram', name: `${m.model}: best wrong`, x: m.bestWrong, opacity: 0.6, nbinsx: 30, bingroup: m.model, legendgroup: m.model, xaxis: `x${i + 1}`, yaxis: `y${i + 1}` },
  ]);
  const layout: Record<string, unknown> = base('Score of the gold vs the best wrong candidate', {
    barmode: 'overlay',
    height: 300 * Math.max(1, models.length),
    grid: { rows: Math.max(1, models.length), columns: 1, pattern: 'independent' },
  });
  models.forEach((m, i) => {
    layout[`xaxis${i ? i + 1 : ''}`] = { title: { text: `${m.model}: score (cosine)` } };
    layout[`yaxis${i ? i + 1 : ''}`] = { title: { text: 'mentions (count)' } };
  });
  return { data, layout };
}

/** Grouped bars of error rate per group, one bar series per model; hover shows n and errors. */
export function errorRateFigure(title: string, xTitle: string, series: { model: string; groups: ErrorRateGroup[] }[]): AnalysisFigure {
  return {
    data: series.map((s) => ({
      type: 'bar',
      name: s.model,
      x: s.groups.map((g) => g.group),
      y: s.groups.map((g) => (Number.isFinite(g.rate) ? g.rate : null)),
      text: s.groups.map((g) => `n=${g.n}`),
      textposition: 'outside',
      customdata: s.groups.map((g) => [g.n, g.errors]),
      hovertemplate: '%{x}: error rate %{y:.3f} (%{customdata[1]} of %{customdata[0]})<extra>' + s.model + '</extra>',
    })),
    layout: base(title, { barmode: 'group', xaxis: { title: { text: xTitle }, type: 'category' }, yaxis: { title: { text: 'error rate, 1 − hits@1 (share, 0–1)' }, range: [0, 1.1] } }),
  };
}

/** 2×2 heatmap: model A right/wrong × model B right/wrong, with counts. */
export function successOverlapFigure(a: string, b: string, o: SuccessOverlap): AnalysisFigure {
  const z = [
    [o.both, o.onlyA],
    [o.onlyB, o.neither],
  ];
  return {
    data: [{
      type: 'heatmap',
      x: [`${b} right`, `${b} wrong`],
      y: [`${a} right`, `${a} wrong`],
      z,
      text: z.map((r) => r.map(String)),
      texttemplate: '%{text}',
      colorscale: 'Blues',
      showscale: false,
    }],
    layout: base(`Which mentions ${a} and ${b} get right (hits@1; cells: mentions)`, {
      height: 400,
      xaxis: { title: { text: `${b} at hits@1` } },
      yaxis: { title: { text: `${a} at hits@1` }, autorange: 'reversed' },
    }),
  };
}

/**
 * Mean gold-candidate edge values per GCN layer input, one line per edge type and group
 * (e.g. mentions DRIN gets right vs wrong; the second group is dashed).
 */
export function edgesByLayerFigure(title: string, groups: { label: string; means: number[][] }[]): AnalysisFigure {
  const colors = ['#4c78a8', '#f58518', '#54a24b', '#e45756'];
  return {
    data: groups.flatMap((g, gi) =>
      EDGE_TYPES.map((e, j) => ({
        type: 'scatter', mode: 'lines+markers', name: `${e} (${g.label})`, legendgroup: g.label,
        line: { color: colors[j], dash: gi === 0 ? 'solid' : gi === 1 ? 'dash' : 'dot' },
        x: g.means.map((_, l) => l), y: g.means.map((m) => m[j]),
      })),
    ),
    layout: base(title, { xaxis: { title: { text: 'GCN layer input (0 = initial edges)' }, dtick: 1 }, yaxis: { title: { text: 'mean edge value, gold candidate (0–1)' } } }),
  };
}

/** Grouped bars of the drop in hits@1 and in MRR when one edge type is disabled (ablation without retraining). */
export function ablationFigure(rows: { variant: string; top1: number; drop: number; mrr: number; mrrDrop: number }[]): AnalysisFigure {
  const bar = (name: string, y: number[], text: string[]) => ({ type: 'bar', name, x: rows.map((r) => r.variant), y, text, textposition: 'outside' });
  return {
    data: [
      bar('hits@1 drop', rows.map((r) => r.drop), rows.map((r) => `hits@1 ${r.top1.toFixed(3)}`)),
      bar('MRR drop', rows.map((r) => r.mrrDrop), rows.map((r) => `MRR ${r.mrr.toFixed(3)}`)),
    ],
    layout: base('Drop when one edge type is disabled (trained weights, no retraining)', {
      barmode: 'group',
      xaxis: { title: { text: 'disabled edge' }, type: 'category' },
      yaxis: { title: { text: 'all edges − variant, share 0–1 (positive = the edge helps)' } },
    }),
  };
}

/**
 * Write an HTML fragment (an SVG, a drill-down) as a standalone page under results/figures/ and
 * return its path. `name` is the file name without extension.
 */
export function saveAnalysisHtml(name: string, bodyHtml: string, opts: { title?: string; dir?: string } = {}): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`saveAnalysisHtml: file name "${name}" must be letters, digits, '.', '-' or '_'`);
  const dir = opts.dir ?? FIGURES;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.html`);
  const title = (opts.title ?? name).replace(/</g, '&lt;');
  fs.writeFileSync(file, `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif">${bodyHtml}</body></html>\n`);
  return file;
}
