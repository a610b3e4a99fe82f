/**
 * src/backend.ts: the backend picker. Each case runs in a fresh Node process, because tfjs keeps one
 * global engine per process and initBackend() remembers its choice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Run initBackend() in a child with the given DRIN_BACKEND; return its JSON report or its error. */
function pick(drinBackend: string | undefined): { ok: boolean; name?: string; tfBackend?: string; text?: string; error?: string } {
  const env = { ...process.env };
  delete env.DRIN_BACKEND;
  if (drinBackend !== undefined) env.DRIN_BACKEND = drinBackend;
  const code = `
    const b = require('./src/backend.ts');
    b.initBackend(require('./src/cli/env.ts').readDrinEnv().backend).then(
      (c) => console.log(JSON.stringify({ ok: true, name: c.name, tfBackend: b.tf.getBackend(), text: b.describeBackend(c) })),
      (e) => console.log(JSON.stringify({ ok: false, error: e.message })));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, env, encoding: 'utf8', timeout: 60000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`child printed no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

const resolvable = (pkg: string) => {
  try {
    require.resolve(pkg, { paths: [ROOT] });
    return true;
  } catch {
    return false;
  }
};

test('DRIN_BACKEND=cpu forces the pure-JS cpu backend', () => {
  const r = pick('cpu');
  assert.equal(r.ok, true, r.error);
  assert.equal(r.name, 'cpu');
  assert.equal(r.tfBackend, 'cpu');
  assert.match(r.text!, /forced by DRIN_BACKEND=cpu/);
});

test('DRIN_BACKEND=wasm forces wasm', () => {
  const r = pick('wasm');
  assert.equal(r.ok, true, r.error);
  assert.equal(r.tfBackend, 'wasm');
});

test('default: the fastest available, wasm when no native tfjs-node is installed (as here), with reasons', () => {
  const r = pick(undefined);
  assert.equal(r.ok, true, r.error);
  const native = resolvable('@tensorflow/tfjs-node-gpu') || resolvable('@tensorflow/tfjs-node');
  assert.equal(r.tfBackend, native ? 'tensorflow' : 'wasm');
  if (!native) {
    // It says why the faster ones were passed over.
    assert.match(r.text!, /tfjs-node-gpu: Cannot find module/);
    assert.match(r.text!, /tfjs-node: Cannot find module/);
  }
});

test('an unknown DRIN_BACKEND is rejected with the allowed values', () => {
  const r = pick('tpu');
  assert.equal(r.ok, false);
  assert.match(r.error!, /DRIN_BACKEND=tpu/);
  assert.match(r.error!, /tensorflow, wasm, cpu/);
});

test('DRIN_BACKEND=tensorflow without tfjs-node says what is missing', { skip: resolvable('@tensorflow/tfjs-node') || resolvable('@tensorflow/tfjs-node-gpu') ? 'a native tfjs-node is installed here' : false }, () => {
  const r = pick('tensorflow');
  assert.equal(r.ok, false);
  assert.match(r.error!, /not available here/);
  assert.match(r.error!, /@tensorflow\/tfjs-node/);
});
