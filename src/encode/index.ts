// The encode/ part of the library: re-exports of each module in this folder.
export * from './types';
export * from './images';
export * from './hf';
export * from './bert';
export * from './resnet';
export * from './detector';
export * from './clip';
export * from './standins';
export * from './models';
export * from './encode';
export * from './inspect';
