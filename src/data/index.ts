// The data/ part of the library: re-exports of each module in this folder.
export * from './npy';
export * from './npy-tensor';
export * from './tokenize';
export * from './candidates';
export * from './sample';
export * from './prepare';
export * from './raw/types';
export * from './raw/images';
export * from './raw/wikimel';
export * from './raw/melbench';
export * from './raw/wikidiverse';
export * from './cache';
export * from './vocabulary';
export * from './preprocessed';
export * from './release';
