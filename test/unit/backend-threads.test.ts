/**
 * src/backend-wasm-threads.ts: tfjs wasm's threaded SIMD build in Node. Each case runs in a fresh
 * Node process (tfjs keeps one engine per process), which must also exit by itself: the pool's
 * worker threads may not keep it alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { wasmThreadsFromEnv } from '../../src/backend-wasm-threads';

const ROOT = path.resolve(__dirname, '..', '..');

interface ChildReport {
  name: string;
  provider: string;
  wasmThreads: number;
  skipped: string[];
  hashes: string[];
  probe: number[];
}

/**
 * In a child: initBackend() with the given DRIN_WASM_THREADS, then two matmuls on fixed data
 * (64×2048 · 2048×768, and 96×256 · (80×256)ᵀ); report sha1 of the result bytes and a few values.
 */
function runChild(threads: string): { report: ChildReport; ms: number } {
  const env: NodeJS.ProcessEnv = { ...process.env, DRIN_WASM_THREADS: threads };
  delete env.DRIN_BACKEND;
  const code = `
    const crypto = require('crypto');
    const b = require('./src/backend.ts');
    const fill = (n, seed) => { const a = new Float32Array(n); let s = seed; for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; } return a; };
    b.initBackend(require('./src/cli/env.ts').readDrinEnv().backend).then((c) => {
      const tf = b.tf;
      const a = tf.tensor2d(fill(64 * 2048, 1), [64, 2048]), w = tf.tensor2d(fill(2048 * 768, 2), [2048, 768]);
      const x = tf.tensor2d(fill(96 * 256, 3), [96, 256]), y = tf.tensor2d(fill(80 * 256, 4), [80, 256]);
      const outs = [tf.matMul(a, w).dataSync(), tf.matMul(x, y, false, true).dataSync()];
      const hashes = outs.map((o) => crypto.createHash('sha1').update(Buffer.from(o.buffer, o.byteOffset, o.byteLength)).digest('hex'));
      console.log(JSON.stringify({ name: c.name, provider: c.provider, wasmThreads: c.wasmThreads, skipped: c.skipped, hashes,
        probe: [outs[0][0], outs[0][64 * 768 - 1], outs[1][5]] }));
    }, (e) => { console.log(JSON.stringify({ error: e.message })); process.exitCode = 1; });`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 });
  const ms = Date.now() - t0;
  assert.equal(r.signal, null, `child (DRIN_WASM_THREADS=${threads}) did not exit by itself within 90 s (killed by ${r.signal}): a worker keeps it alive?\n${r.stderr}`);
  assert.equal(r.status, 0, `child (DRIN_WASM_THREADS=${threads}) exit ${r.status}:\n${r.stdout}\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { report: JSON.parse(line) as ChildReport, ms };
}

/** Float64 reference for out[i][j] of a (m×k) · b (k×n), both row-major. */
function dot(a: Float32Array, b: Float32Array, k: number, n: number, i: number, j: number): number {
  let s = 0;
  for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
  return s;
}

test('DRIN_WASM_THREADS parsing: unset, 0, 2, and junk named in the error', () => {
  assert.equal(wasmThreadsFromEnv(undefined), undefined);
  assert.equal(wasmThreadsFromEnv(''), undefined);
  assert.equal(wasmThreadsFromEnv('0'), 0);
  assert.equal(wasmThreadsFromEnv(' 2 '), 2);
  assert.throws(() => wasmThreadsFromEnv('two'), /DRIN_WASM_THREADS=two: expected an integer 0\.\.8/);
  assert.throws(() => wasmThreadsFromEnv('9'), /DRIN_WASM_THREADS=9/);
});

test('threaded wasm (2 threads) gives the same matmul bits as single-threaded wasm, and the process exits', () => {
  const one = runChild('0');
  const two = runChild('2');
  assert.equal(one.report.name, 'wasm');
  assert.equal(one.report.wasmThreads, 1);
  assert.match(one.report.provider, /SIMD, 1 thread/);
  assert.equal(two.report.name, 'wasm');
  assert.equal(two.report.wasmThreads, 2, `threaded wasm did not start: ${two.report.skipped.join('; ')}`);
  assert.match(two.report.provider, /threaded SIMD, 2 threads/);
  assert.deepEqual(two.report.hashes, one.report.hashes, 'matmul results differ between 1 and 2 threads');
  assert.deepEqual(two.report.probe, one.report.probe);

  // And they are right (float64 reference, float32 tolerance).
  const fill = (n: number, seed: number) => {
    const a = new Float32Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      a[i] = s / 2 ** 32 - 0.5;
    }
    return a;
  };
  const a = fill(64 * 2048, 1);
  const w = fill(2048 * 768, 2);
  assert.ok(Math.abs(two.report.probe[0] - dot(a, w, 2048, 768, 0, 0)) < 1e-3);
  assert.ok(Math.abs(two.report.probe[1] - dot(a, w, 2048, 768, 63, 767)) < 1e-3);
});
