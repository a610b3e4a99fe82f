#!/usr/bin/env node
// `npx drin <command>`: runs the TypeScript sources directly (no build step) through tsx.
process.env.ONNXRUNTIME_NODE_INSTALL ??= 'skip';
require('tsx/cjs');
require('../src/cli/main.ts')
  .main(process.argv)
  .catch((e) => {
    console.error(`drin: ${e && e.message ? e.message : e}`);
    if (process.env.DRIN_DEBUG) console.error(e);
    process.exit(1);
  });
