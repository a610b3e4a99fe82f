/**
 * DRIN hyper-parameters, named as in the reference's `common/args.py` (with TypeScript casing).
 * `drinConfigFromManifest` reads the parity-fixture manifest (snake_case) into this shape.
 */

/** The four edge types, in the reference's order. */
export const DRIN_EDGE_NAMES = ['tt', 'ti', 'it', 'ii'] as const;

export interface DrinConfig {
  /** BERT feature size Dt (768 in the paper). */
  bertDim: number;
  /** ResNet feature size Di (2048). */
  resnetDim: number;
  /** GCN hidden size D (768). */
  gcnDim: number;
  /** Number of GCN layers (2). */
  numLayers: number;
  /** `dynamic` edges are recomputed by every layer; `static` edges keep their initial values. */
  edgeType: 'dynamic' | 'static';
  /** One scalar per edge, or a D-vector per edge (adds `w_m` to every layer). The reference spells it `scaler`. */
  edgeFeature: 'scalar' | 'vector';
  /** Multiplier per edge type [tt, ti, it, ii]; 0 deletes that edge (applied at the input of every layer). */
  edgeEnabled: [number, number, number, number];
  /** Vertex activation (PyTorch functional name): `gelu` = exact erf GELU. */
  vertexActivation: string;
  /** Edge activation (`sigmoid`). */
  edgeActivation: string;
  /** LayerNorm eps (1e-5). */
  layerNormEps: number;
  /** Cosine-similarity eps (1e-8). */
  cosineEps: number;
  /**
   * Our option, off by default (= faithful): leave the gold slot (the last one) out of the
   * mention vertices' aggregation, so the gold entity's features cannot reach the mention side.
   */
  maskGoldSlot: boolean;
}

/** The paper's configuration. */
export const DRIN_DEFAULTS: DrinConfig = {
  bertDim: 768,
  resnetDim: 2048,
  gcnDim: 768,
  numLayers: 2,
  edgeType: 'dynamic',
  edgeFeature: 'scalar',
  edgeEnabled: [1, 1, 1, 1],
  vertexActivation: 'gelu',
  edgeActivation: 'sigmoid',
  layerNormEps: 1e-5,
  cosineEps: 1e-8,
  maskGoldSlot: false,
};

/** Normalise an edge-feature name: the reference writes `scaler`. */
export function drinEdgeFeature(name: string): 'scalar' | 'vector' {
  const n = name.trim().toLowerCase();
  if (n === 'scaler' || n === 'scalar') return 'scalar';
  if (n === 'vector') return 'vector';
  throw new Error(`gcn_edge_feature '${name}': expected 'scaler' (scalar) or 'vector'`);
}

/** Complete a partial config with the defaults and check it. */
export function drinConfig(partial: Partial<DrinConfig> = {}): DrinConfig {
  const c: DrinConfig = { ...DRIN_DEFAULTS, ...partial };
  c.edgeFeature = drinEdgeFeature(c.edgeFeature);
  if (c.edgeType !== 'dynamic' && c.edgeType !== 'static') throw new Error(`edgeType '${c.edgeType}': expected dynamic or static`);
  if (!Array.isArray(c.edgeEnabled) || c.edgeEnabled.length !== 4) throw new Error(`edgeEnabled must have 4 entries [tt, ti, it, ii], got ${JSON.stringify(c.edgeEnabled)}`);
  if (!(c.numLayers >= 1)) throw new Error(`numLayers must be ≥ 1, got ${c.numLayers}`);
  if (c.edgeFeature === 'vector' && c.gcnDim % 2 !== 0) throw new Error(`vector edges need an even gcnDim (the reference concatenates two halves), got ${c.gcnDim}`);
  return c;
}

/** Read a DRIN config from a parity fixture manifest (`bert_embed_dim`, `gcn_edge_type`, ...). */
export function drinConfigFromManifest(m: Record<string, unknown>): DrinConfig {
  const num = (k: string, d: number): number => (typeof m[k] === 'number' ? (m[k] as number) : d);
  const str = (k: string, d: string): string => (typeof m[k] === 'string' ? (m[k] as string) : d);
  return drinConfig({
    bertDim: num('bert_embed_dim', DRIN_DEFAULTS.bertDim),
    resnetDim: num('resnet_embed_dim', DRIN_DEFAULTS.resnetDim),
    gcnDim: num('gcn_embed_dim', DRIN_DEFAULTS.gcnDim),
    numLayers: num('num_gcn_layers', DRIN_DEFAULTS.numLayers),
    edgeType: str('gcn_edge_type', 'dynamic') as DrinConfig['edgeType'],
    edgeFeature: drinEdgeFeature(str('gcn_edge_feature', 'scaler')),
    edgeEnabled: (Array.isArray(m.gcn_edge_enabled) ? m.gcn_edge_enabled : [1, 1, 1, 1]) as DrinConfig['edgeEnabled'],
    vertexActivation: str('gcn_vertex_activation', 'gelu'),
    edgeActivation: str('gcn_edge_activation', 'sigmoid'),
    layerNormEps: num('layer_norm_eps', 1e-5),
    cosineEps: num('cosine_eps', 1e-8),
    maskGoldSlot: m.mask_gold_slot === true,
  });
}
