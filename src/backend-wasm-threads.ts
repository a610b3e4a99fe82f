/**
 * Multi-threaded tfjs wasm in Node: start `@tensorflow/tfjs-backend-wasm`'s threaded SIMD build
 * (XNNPACK + pthreadpool on Emscripten pthreads) instead of the single-threaded SIMD one.
 *
 * tfjs 4.22 never does this in Node on its own, for three reasons, each worked around here only
 * for the duration of the backend's initialisation (everything is put back afterwards):
 *
 * 1. The flag `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false under Node (tfjs issue 3830).
 *    → we set it to true.
 * 2. The pthread worker script and the main script are handed to Emscripten as `Blob`s /
 *    `blob:` URLs. Node's `worker_threads.Worker` and the worker's `importScripts` (a
 *    `fs.readFileSync`) cannot open `blob:` URLs. → while the backend starts, `Blob` records the
 *    text of the two scripts it is built from, `URL.createObjectURL` writes them to files in a
 *    cache folder under the OS temp dir and returns the file paths. The worker script is prefixed
 *    with a `URL.createObjectURL` that returns the main script's path (the main script reaches the
 *    worker as a Blob in a message); the main script is prefixed with the few bundler helpers
 *    (`require$$0`, `__values`, ...) it refers to outside its own function.
 *    The build itself already has Emscripten's Node pthread path (worker_threads, `self`/
 *    `postMessage` shims), so nothing else is needed.
 * 3. The C++ side caps the pool at `emscripten_num_logical_cores() / 2` (it assumes
 *    hyper-threading), i.e. 1 thread on a 2-core machine, whatever `setThreadsCount` asks.
 *    Emscripten answers that from `os.cpus().length`. → `os.cpus()` reports 2·n cores while the
 *    module starts.
 *
 * Afterwards the pool's worker threads are `unref()`'d so that they never keep the process alive.
 *
 * `DRIN_WASM_THREADS=<n>` picks the thread count (`0` or `1`: single-threaded build).
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import * as crypto from 'crypto';
import { writeFileAtomic } from './atomic-write';

// The os module object Emscripten calls `cpus()` on (a CommonJS require, so the same mutable object).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- Emscripten's own mutable os object, not an import's namespace copy
const nodeOs: { cpus: () => unknown[]; tmpdir: () => string; availableParallelism?: () => number } = require('os');

/** What `enableWasmThreads` did: the XNNPACK pool size, or why the threaded build was not used. */
export type WasmThreadsResult = { threads: number } | { reason: string };

/** Helpers the threaded main script refers to outside its own function (rollup/TS bundle names). */
const MAIN_PRELUDE =
  'var require$$0=require("fs"),require$$1=require("path"),require$$3=require("perf_hooks"),require$$4=require("os"),commonjsGlobal=globalThis;' +
  'var __values=function(o){var s=typeof Symbol=="function"&&Symbol.iterator,m=s&&o[s],i=0;if(m)return m.call(o);' +
  'if(o&&typeof o.length=="number")return{next:function(){if(o&&i>=o.length)o=void 0;return{value:o&&o[i++],done:!o}}};throw new TypeError("not iterable")};' +
  'var __read=function(o,n){var a=Array.from(o);return n===undefined?a:a.slice(0,n)};' +
  'var __spreadArray=function(to,from){return to.concat(Array.prototype.slice.call(from))};\n';
/** tfjs-backend-wasm registers itself with this priority. */
const WASM_PRIORITY = 2;
const INIT_TIMEOUT_MS = 60_000;
const MAIN_HEAD = 'var WasmBackendModuleThreadedSimd';
const WORKER_HEAD = '"use strict";var Module={}';

/** Write `text` to `dir/name` unless it already holds exactly that (atomic rename); return the path. */
function writeOnce(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
    writeFileAtomic(file, text);
  }
  return file;
}

/** Parse a `DRIN_WASM_THREADS` value (undefined when unset or blank; src/cli/env.ts reads the variable). Throws on junk. */
export function wasmThreadsFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 0 || n > 8) {
    throw new Error(`DRIN_WASM_THREADS=${value}: expected an integer 0..8 (0 or 1 = single-threaded wasm)`);
  }
  return n;
}

/**
 * How many wasm threads `initBackend` asks for: `requested` when given (`DRIN_WASM_THREADS` via the CLI),
 * else the machine's available parallelism capped at 4 (XNNPACK's pool gains little beyond that for our sizes).
 */
export function defaultWasmThreads(requested?: number): number {
  if (requested !== undefined) return requested;
  const cores = typeof nodeOs.availableParallelism === 'function' ? nodeOs.availableParallelism() : nodeOs.cpus().length;
  return Math.max(1, Math.min(cores, 4));
}

interface EmscriptenWorker {
  unref(): void;
  terminate(): Promise<number>;
}
interface PThreadLike {
  runningWorkers: EmscriptenWorker[];
  unusedWorkers: EmscriptenWorker[];
}

/** The initialised wasm backend, if any (`tf.findBackend` would start initialising it). */
function wasmInstance(): { wasm?: { PThread?: PThreadLike } } | undefined {
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  return registry.wasm as { wasm?: { PThread?: PThreadLike } } | undefined;
}

/** The Emscripten pthread pool behind the wasm backend, if it is the threaded build. */
function pthreadOf(): PThreadLike | undefined {
  return wasmInstance()?.wasm?.PThread;
}

/** Unref every worker of the threaded build so that none keeps the Node process alive. */
export function unrefWasmThreadWorkers(): number {
  const pt = pthreadOf();
  if (!pt) return 0;
  const all = [...pt.runningWorkers, ...pt.unusedWorkers];
  for (const w of all) w.unref();
  return all.length;
}

/**
 * Start tfjs's wasm backend with its threaded SIMD build and `threads` XNNPACK threads (the
 * calling thread counts as one). It calls `tf.setBackend('wasm')` itself, so call it instead of
 * that, before anything else initialised the wasm backend. On failure it returns the reason and
 * ends the workers it started; a plain `tf.setBackend('wasm')` then gives the single-threaded
 * SIMD build (the flags it changed are restored). Numbers are the same bits as single-threaded
 * (XNNPACK splits the output, not the reductions; checked in test/unit/backend-threads.test.ts).
 *
 * ```ts
 * const r = await enableWasmThreads(2); // { threads: 2 } or { reason: '...' }
 * ```
 */
export async function enableWasmThreads(threads = 2): Promise<WasmThreadsResult> {
  if (!Number.isInteger(threads) || threads < 2 || threads > 8) return { reason: `threads=${threads}: expected 2..8` };
  if (typeof SharedArrayBuffer === 'undefined') return { reason: 'no SharedArrayBuffer in this runtime' };
  if (wasmInstance()) {
    const pt = pthreadOf();
    return pt ? { threads: pt.runningWorkers.length + 1 } : { reason: 'the wasm backend was already initialised single-threaded' };
  }
  let wasmPkg: { setThreadsCount(n: number): void; getThreadsCount(): number; version_wasm: string };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional package, loaded when the threaded build is tried
    wasmPkg = require('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return { reason: `@tensorflow/tfjs-backend-wasm: ${(e as Error).message.split('\n')[0]}` };
  }

  const cacheDir = path.join(nodeOs.tmpdir(), `drin-tfjs-wasm-threads-${wasmPkg.version_wasm}`);
  const OrigBlob = globalThis.Blob;
  const origCreate = URL.createObjectURL;
  const origCpus = nodeOs.cpus;
  let mainPath: string | undefined;
  let workerPath: string | undefined;

  class TextBlob extends OrigBlob {
    constructor(parts: BlobPart[] = [], options?: BlobPropertyBag) {
      super(parts, options);
      const text = parts.every((p) => typeof p === 'string') ? (parts as string[]).join('') : '';
      if (text.startsWith(MAIN_HEAD)) {
        const body = MAIN_PRELUDE + text;
        const hash = crypto.createHash('sha1').update(body).digest('hex').slice(0, 12);
        mainPath = writeOnce(path.join(cacheDir, hash), 'tfjs-backend-wasm-threaded-simd.main.js', body);
      } else if (text.startsWith(WORKER_HEAD)) {
        if (!mainPath) throw new Error('threaded wasm: the worker script came before the main script');
        const body =
          '"use strict";URL.createObjectURL=function(){return ' + JSON.stringify(mainPath) + '};URL.revokeObjectURL=function(){};' +
          text.slice('"use strict";'.length);
        const hash = crypto.createHash('sha1').update(body).digest('hex').slice(0, 12);
        workerPath = writeOnce(path.join(cacheDir, hash), 'tfjs-backend-wasm-threaded-simd.worker.js', body);
        (this as unknown as { drinPath: string }).drinPath = workerPath;
      }
    }
  }

  // Emscripten takes `require('worker_threads').Worker` when the module starts. During the start a
  // worker error would be thrown from Emscripten's 'error' listener (an uncaught exception): route
  // it to a rejection here instead, and keep every worker so that a failed start can end them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object Emscripten reads Worker from (patched here), not a namespace copy
  const wt: { Worker: typeof import('worker_threads').Worker } = require('worker_threads');
  const OrigWorker = wt.Worker;
  const spawned: InstanceType<typeof OrigWorker>[] = [];
  let starting = true;
  let workerFailed: (e: Error) => void = () => undefined;
  const workerError = new Promise<Error>((resolve) => (workerFailed = resolve));
  class GuardedWorker extends OrigWorker {
    constructor(...args: ConstructorParameters<typeof OrigWorker>) {
      super(...args);
      spawned.push(this);
    }
    on(event: string | symbol, listener: (...a: any[]) => void): this {
      if (event !== 'error') return super.on(event, listener);
      return super.on(event, (e: Error) => (starting ? workerFailed(e) : listener(e)));
    }
  }

  const env = tf.env();
  const hadFlag = env.getFlags().WASM_HAS_MULTITHREAD_SUPPORT;
  try {
    (globalThis as { Blob: typeof Blob }).Blob = TextBlob;
    wt.Worker = GuardedWorker;
    URL.createObjectURL = (obj: Blob | MediaSource) => {
      const p = (obj as unknown as { drinPath?: string }).drinPath;
      return p ?? origCreate(obj as Blob);
    };
    nodeOs.cpus = () => {
      const c = origCpus.call(nodeOs);
      while (c.length < 2 * threads) c.push(c[0]);
      return c;
    };
    env.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasmPkg.setThreadsCount(threads);
    const factory = tf.findBackendFactory('wasm');
    if (!factory) throw new Error('no wasm backend registered');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), INIT_TIMEOUT_MS);
      timer.unref();
    });
    const ok = await Promise.race([tf.setBackend('wasm'), timeout, workerError]);
    clearTimeout(timer);
    if (ok === 'timeout' || ok instanceof Error) {
      // Make the pending start obsolete and put a fresh registration back (workers end below).
      tf.removeBackend('wasm');
      tf.registerBackend('wasm', factory, WASM_PRIORITY);
      throw new Error(ok === 'timeout' ? `no answer after ${INIT_TIMEOUT_MS / 1000} s` : `a pthread worker failed: ${ok.message}`);
    }
    if (!ok) throw new Error('tf.setBackend("wasm") returned false (see the warning above)');
    if (!pthreadOf()) throw new Error('the single-threaded build started instead');
  } catch (e) {
    for (const w of spawned) void w.terminate(); // the failed module's workers: none may keep the process alive
    return { reason: `threaded wasm failed to start: ${(e as Error)?.message ?? String(e)}` };
  } finally {
    starting = false;
    wt.Worker = OrigWorker;
    (globalThis as { Blob: typeof Blob }).Blob = OrigBlob;
    URL.createObjectURL = origCreate;
    nodeOs.cpus = origCpus;
    env.set('WASM_HAS_MULTITHREAD_SUPPORT', hadFlag === undefined ? false : hadFlag);
    wasmPkg.setThreadsCount(-1);
  }
  unrefWasmThreadWorkers();
  return { threads: wasmPkg.getThreadsCount() };
}
