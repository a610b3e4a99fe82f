/**
 * Which DrinConfig options each DRIN engine supports, declared key by key.
 *
 * The tfjs engine (drin.ts, vertices.ts, edges.ts, gcn-layer.ts) implements every option. The ort
 * engine (drin-graph.ts, one onnxruntime graph with a hand-derived backward pass) implements the
 * paper's family only; `DRIN_ORT_SUPPORT` says, for EVERY key of DrinConfig, whether the graph reads
 * it and which values it handles. The type `Record<keyof DrinConfig, DrinOptionSupport>` makes a key
 * missing here a compile error, and test/unit/drin-support.test.ts walks the keys of a live config,
 * so a new option cannot be silently ignored by the default engine (checklist: src/CONTRACTS.md §4a).
 */
import { DrinConfig } from './drin-config';

/** How an engine handles one configuration option. */
export type DrinOptionSupport =
  /** Every value the config accepts. `note` says where the engine reads it. */
  | { kind: 'all'; note: string }
  /** Only some values: `supports(value)` is false for the others, `expected` names what is supported. */
  | { kind: 'some'; expected: string; supports: (value: unknown) => boolean };

/** An activation name as the config writes it: 'gelu (exact, erf)' → 'gelu'. */
function activationName(a: unknown): string {
  return String(a).trim().toLowerCase().replace(/\s*\(.*\)\s*$/, '');
}

/** The ort graph's support, one entry per DrinConfig key (source: drin-graph.ts header). */
export const DRIN_ORT_SUPPORT: Record<keyof DrinConfig, DrinOptionSupport> = {
  bertDim: { kind: 'all', note: 'input and W_{mt,et} shapes' },
  resnetDim: { kind: 'all', note: 'input and W_{mi,ei} shapes' },
  gcnDim: { kind: 'all', note: 'hidden size D' },
  numLayers: { kind: 'all', note: 'one block per GCN layer' },
  edgeType: { kind: 'all', note: 'static: W_u/W_v unused, no gradient' },
  edgeFeature: { kind: 'some', expected: "'scalar' (vector edge features are tfjs only)", supports: (v) => v === 'scalar' },
  edgeEnabled: { kind: 'all', note: 'edge multipliers at every layer input' },
  vertexActivation: { kind: 'some', expected: "'gelu' (exact erf GELU)", supports: (v) => activationName(v) === 'gelu' },
  edgeActivation: { kind: 'some', expected: "'sigmoid'", supports: (v) => activationName(v) === 'sigmoid' },
  layerNormEps: { kind: 'all', note: 'LayerNorm forward and backward' },
  cosineEps: { kind: 'all', note: 'initial edges and scores' },
  maskGoldSlot: { kind: 'all', note: 'slot weights w_r' },
};

/**
 * Why `cfg` cannot run on an engine with `support`, or undefined when it can: the first option
 * whose value the engine does not handle, e.g. `edgeFeature 'vector' (expected 'scalar' ...)`.
 * Throws when `cfg` carries a key the declaration does not classify (a new option nobody declared).
 */
export function drinUnsupportedBy(support: Record<string, DrinOptionSupport>, cfg: DrinConfig): string | undefined {
  for (const [key, value] of Object.entries(cfg)) {
    const s = support[key];
    if (!s) throw new Error(`DrinConfig key '${key}' is not classified in the engine's support table (src/models/drin-support.ts)`);
    if (s.kind === 'some' && !s.supports(value)) return `${key} ${JSON.stringify(value)} (expected ${s.expected})`;
  }
  return undefined;
}

/** Why this configuration cannot run as the ort graph, or undefined when it can. */
export function drinOrtUnsupported(cfg: DrinConfig): string | undefined {
  return drinUnsupportedBy(DRIN_ORT_SUPPORT, cfg);
}
