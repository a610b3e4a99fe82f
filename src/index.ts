/**
 * The `drin` library: what the notebooks import (`import * as drin from '../src'`).
 * Each folder has its own index; this file only gathers them.
 */
export * from './paths';
export * from './backend';
export * from './data';
export * from './models';
export * from './train';
export * from './encode';
export * from './viz';
export * from './analysis';
// openPreprocessed with DRIN's entity-text reducer as its default (src/data itself knows no model)
export { openPreprocessedForDrin as openPreprocessed } from './train/runs/open';
// the environment variables, read for the notebooks (the library itself takes arguments)
export { readDrinEnv, type DrinEnv } from './cli/env';
