// The analysis/ part of the library: re-exports of each module in this folder.
export * from './types';
export * from './load';
export * from './rows';
export * from './stats';
export * from './table';
export * from './figures';
export * from './drilldown';
export * from './ablation';
