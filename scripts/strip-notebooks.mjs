#!/usr/bin/env node
// `npm run strip [-- files...]`: remove outputs and execution counts from notebooks (default: all of
// notebooks/*.ipynb) so that they are committed clean. Keeps everything else (ids, metadata, sources).
// `--check` only reports dirty notebooks and exits 1 if any.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './ensure-setup.mjs';

const args = process.argv.slice(2);
const check = args.includes('--check');
const named = args.filter((a) => !a.startsWith('--'));
const dir = path.join(ROOT, 'notebooks');
const files = named.length ? named.map((f) => path.resolve(f)) : fs.readdirSync(dir).filter((f) => /^\d\d-[\w.-]+\.ipynb$/.test(f)).sort().map((f) => path.join(dir, f));
let dirty = 0;
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  const nb = JSON.parse(text);
  let changed = 0;
  for (const c of nb.cells ?? []) {
    if (c.cell_type !== 'code') continue;
    if ((c.outputs?.length ?? 0) > 0 || c.execution_count != null) changed++;
    c.outputs = [];
    c.execution_count = null;
  }
  // Execution-time metadata that changes on every run.
  if (nb.metadata?.widgets) {
    delete nb.metadata.widgets;
    changed++;
  }
  if (!changed) continue;
  dirty++;
  if (check) console.log(`dirty: ${path.relative(ROOT, f)} (${changed} cells)`);
  else {
    const indent = /^\{\n( +)"/.exec(text)?.[1]?.length ?? 1;
    fs.writeFileSync(f, JSON.stringify(nb, null, indent) + '\n');
    console.log(`stripped ${path.relative(ROOT, f)} (${changed} cells)`);
  }
}
if (!dirty) console.log(`${files.length} notebook(s) clean`);
process.exit(check && dirty ? 1 : 0);
