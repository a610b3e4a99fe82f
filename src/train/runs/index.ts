// Runs: DRIN's and the baselines' training / evaluation on a preprocessed dataset, side by side.
export * from './drin';
export * from './baselines';
export * from './open';
