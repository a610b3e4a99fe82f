/**
 * The one PyTorch-exact layer library, shared by DRIN (src/models/drin.ts …) and the baselines
 * (ghmfc, melhi): parameters by `state_dict` key, default initialisers, Linear, LayerNorm, the
 * activations (exact GELU), CosineSimilarity and dropout. Each formula is tested against torch 1.13
 * values in test/unit/nn-torch.test.ts.
 */
export * from './params';
export * from './init';
export * from './linear';
export * from './layer-norm';
export * from './activations';
export * from './cosine';
export * from './dropout';
