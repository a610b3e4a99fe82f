// The train/ part of the library: re-exports of each module in this folder.
export * from './model';
export * from './loss';
export * from './metrics';
export * from './adam';
export * from './npz';
export * from './weights';
export * from './parity';
export * from './checkpoint';
export * from './predictions';
export * from './loop';
export * from './synthetic';
export * from './dataset-splits';
export * from './runs';
export * from './parity-models';
