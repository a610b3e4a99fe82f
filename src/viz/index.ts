// The viz/ part of the library: re-exports of each module in this folder.
export * from './display';
export * from './plotly';
export * from './table';
export * from './browser';
export * from './graph';
export * from './thumbs';
export * from './drilldown';
