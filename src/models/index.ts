// The models/ part of the library: re-exports of each module in this folder.
export * from './drin-config';
export * from './vertices';
export * from './edges';
export * from './gcn-layer';
export * from './drin';
export * from './ranking-model';
// the PyTorch layer library (src/nn), re-exported for the notebooks
export * from '../nn';
export * from './multihead-attention';
export * from './lstm';
export * from './transformer-encoder';
export * from './ghmfc';
export * from './melhi';
export * from './zeroshot';
