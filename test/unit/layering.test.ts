// The import rules of src/ (shared/notes/architecture.md): arrows point one way, each idea has one home.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', 'src');

/** Every .ts file under `dir` (relative to src/), with its text. */
function sources(dir = ''): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const e of fs.readdirSync(path.join(SRC, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith('.ts')) out.push({ file: rel, text: fs.readFileSync(path.join(SRC, rel), 'utf8') });
  }
  return out;
}

/** The src/ folders a file imports from (resolved module specifiers that start with '.'). */
function importedParts(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:from|require\(|import\()\s*'(\.[^']*)'/g)].map((m) => m[1]);
  return specs.map((s) => path.relative(SRC, path.resolve(SRC, path.dirname(file), s)).split(path.sep)[0]);
}

const ALL = sources();

/** Files in `part` that import from any of `forbidden`, as 'file → part'. */
function violations(part: string, forbidden: string[]): string[] {
  return ALL.filter((s) => s.file.startsWith(`${part}${path.sep}`)).flatMap((s) =>
    importedParts(s.file, s.text).filter((p) => forbidden.includes(p)).map((p) => `${s.file} → ${p}/`),
  );
}

test('src/models imports nothing from src/train or src/data; src/data and src/nn import no model', () => {
  assert.deepEqual(violations('models', ['train', 'data', 'cli']), []);
  assert.deepEqual(violations('data', ['models', 'train', 'cli']), []);
  assert.deepEqual(violations('nn', ['models', 'train', 'data', 'cli']), []);
  // the rule can fail: a models file importing train/ is caught
  assert.deepEqual(importedParts(path.join('models', 'x.ts'), "import type { RankingModel } from '../train/model';"), ['train']);
});

test('npyjs is imported only by src/data/npy.ts (the one .npy home)', () => {
  const users = ALL.filter((s) => /from 'npyjs'|require\('npyjs'\)/.test(s.text)).map((s) => s.file);
  assert.deepEqual(users, [path.join('data', 'npy.ts')]);
});

/**
 * The environment variables the library may touch outside src/cli: not DRIN settings but other tools'
 * conventions, read (or, for NVIDIA_TF32_OVERRIDE, set) the way those tools do.
 */
const SYSTEM_VARIABLES: Record<string, { names: string[]; why: string }> = {
  'device.ts': { names: ['LD_LIBRARY_PATH'], why: "the dynamic loader's search path, to predict what it will load" },
  [path.join('data', 'vocabulary.ts')]: { names: ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HOME', 'XDG_CACHE_HOME'], why: "where huggingface_hub keeps its downloads" },
  [path.join('onnx', 'session.ts')]: { names: ['NVIDIA_TF32_OVERRIDE'], why: 'set for the CUDA library: TF32 off unless asked (the binding cannot set use_tf32)' },
};

/** Every `process.env` access of a text, as the variable name, or '*' for the whole object / a computed key. */
function envAccesses(text: string): string[] {
  return [...text.matchAll(/process\.env\b(?:\.(\w+))?/g)].map((m) => m[1] ?? '*');
}

test('only src/cli reads environment variables (the library takes arguments)', () => {
  const readers = ALL.filter((s) => !s.file.startsWith(`cli${path.sep}`)).flatMap((s) =>
    envAccesses(s.text).filter((name) => !SYSTEM_VARIABLES[s.file]?.names.includes(name)).map((name) => `${s.file}: ${name}`),
  );
  assert.deepEqual(readers, []);
  // the rule can fail: a DRIN_* read, the whole environment, or a system variable in another file are caught
  assert.deepEqual(envAccesses("const d = process.env.DRIN_DEVICE; spawn(x, { env: { ...process.env } });"), ['DRIN_DEVICE', '*']);
  assert.equal(SYSTEM_VARIABLES[path.join('models', 'drin.ts')], undefined);
});
