// The data/ part of the library: re-exports of each module in this folder.
export * from './npy';
export * from './tokenize';
export * from './candidates';
export * from './sample';
export * from './prepare';
export * from './raw/types';
export * from './raw/images';
export { openImage, decodeImage, type OpenedImage } from './images/open';
export { loadImageFile, loadImageBase, findImageFile, type FileLoad } from './images/load';
export { IMAGE_LOADER } from './images/rules';
export { PillowImageError, PILLOW_BOMB_ERROR_PIXELS, type ImageDefaultReason, type PillowHeader, type PillowRgb } from './images/types';
export * from './raw/wikimel';
export * from './raw/melbench';
export * from './raw/wikidiverse';
export * from './cache';
export * from './preprocessed';
export * from './release';
