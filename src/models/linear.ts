/**
 * Moved: the PyTorch layer library is src/nn (one home for Linear, LayerNorm, GELU, the activations,
 * CosineSimilarity, init). This re-export keeps imports of branches in flight working; import '../nn'.
 */
export * from '../nn';
