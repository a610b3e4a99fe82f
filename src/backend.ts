/**
 * Pick the fastest tfjs backend this machine has.
 *
 * Order: tfjs-node-gpu (CUDA) → tfjs-node (native CPU) → wasm (SIMD) → cpu (pure JS).
 * `initBackend({ force: 'tensorflow' | 'wasm' | 'cpu' })` forces one (the CLI and notebooks pass `DRIN_BACKEND`, src/cli/env.ts). The choice and the reasons the faster
 * ones were passed over are returned (and printed by `initBackend({verbose: true})`).
 */
import * as tf from '@tensorflow/tfjs';
import { enableWasmThreads, defaultWasmThreads } from './backend-wasm-threads';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  /** The tfjs backend now active. */
  name: BackendName;
  /** Which package provides it (e.g. `@tensorflow/tfjs-node-gpu`). */
  provider: string;
  /** Why each faster candidate was not taken. */
  skipped: string[];
  /** wasm only: XNNPACK threads (1 = the single-threaded SIMD build); `DRIN_WASM_THREADS` sets it. */
  wasmThreads?: number;
}

/** Threads of the wasm backend once started (see src/backend-wasm-threads.ts). */
let wasmThreads = 1;

let chosen: BackendChoice | undefined;

function tryRequire(pkg: string): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- probing optional packages by name needs a runtime require
    require(pkg);
    return undefined;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    return `${pkg}: ${msg}`;
  }
}

async function tryNative(pkg: string, skipped: string[]): Promise<boolean> {
  const err = tryRequire(pkg);
  if (err) {
    skipped.push(err);
    return false;
  }
  // tfjs-node registers 'tensorflow' on the tfjs instance it resolves; it must be ours.
  if (!tf.findBackend('tensorflow')) {
    skipped.push(`${pkg}: loaded but registered no 'tensorflow' backend on this @tensorflow/tfjs instance`);
    return false;
  }
  return tf.setBackend('tensorflow');
}

async function tryWasm(skipped: string[], threads?: number): Promise<boolean> {
  const err = tryRequire('@tensorflow/tfjs-backend-wasm');
  if (err) {
    skipped.push(err);
    return false;
  }
  const want = defaultWasmThreads(threads);
  if (want > 1) {
    const r = await enableWasmThreads(want);
    if ('threads' in r) {
      wasmThreads = r.threads;
      return true;
    }
    skipped.push(`threaded wasm (${want} threads; DRIN_WASM_THREADS=0 turns it off): ${r.reason}`);
  }
  try {
    return await tf.setBackend('wasm');
  } catch (e) {
    skipped.push(`@tensorflow/tfjs-backend-wasm: ${(e as Error).message}`);
    return false;
  }
}

/**
 * Initialise tfjs once and return the backend in use. Safe to call many times.
 *
 * ```ts
 * const b = await initBackend({ verbose: true }); // "tfjs backend: wasm (...)"
 * ```
 */
export async function initBackend(opts: { verbose?: boolean; force?: string; wasmThreads?: number } = {}): Promise<BackendChoice> {
  const force = (opts.force ?? '').trim().toLowerCase();
  if (chosen && (!force || force === chosen.name || (force === 'node' && chosen.name === 'tensorflow'))) return chosen;
  const skipped: string[] = [];
  let choice: BackendChoice | undefined;

  if (force) {
    const ok =
      force === 'cpu'
        ? await tf.setBackend('cpu')
        : force === 'wasm'
          ? await tryWasm(skipped, opts.wasmThreads)
          : force === 'tensorflow' || force === 'node' || force === 'gpu'
            ? (await tryNative('@tensorflow/tfjs-node-gpu', skipped)) || (await tryNative('@tensorflow/tfjs-node', skipped))
            : (() => {
                throw new Error(`DRIN_BACKEND=${force}: expected one of tensorflow, wasm, cpu`);
              })();
    if (!ok) throw new Error(`DRIN_BACKEND=${force} is not available here:\n  ${skipped.join('\n  ')}`);
    const name = tf.getBackend() as BackendName;
    choice = { name, provider: providerOf(name), skipped: [`forced by DRIN_BACKEND=${force}`, ...skipped] };
  } else if (await tryNative('@tensorflow/tfjs-node-gpu', skipped)) {
    choice = { name: 'tensorflow', provider: '@tensorflow/tfjs-node-gpu', skipped };
  } else if (await tryNative('@tensorflow/tfjs-node', skipped)) {
    choice = { name: 'tensorflow', provider: '@tensorflow/tfjs-node', skipped };
  } else if (await tryWasm(skipped, opts.wasmThreads)) {
    choice = { name: 'wasm', provider: providerOf('wasm'), skipped };
  } else {
    await tf.setBackend('cpu');
    choice = { name: 'cpu', provider: '@tensorflow/tfjs (pure JS)', skipped };
  }
  await tf.ready();
  if (choice.name === 'wasm') choice.wasmThreads = wasmThreads;
  chosen = choice;
  if (opts.verbose) console.log(describeBackend(choice));
  return choice;
}

function providerOf(name: BackendName): string {
  if (name === 'wasm') return `@tensorflow/tfjs-backend-wasm (${wasmThreads > 1 ? `threaded SIMD, ${wasmThreads} threads` : 'SIMD, 1 thread'})`;
  if (name === 'cpu') return '@tensorflow/tfjs (pure JS)';
  return '@tensorflow/tfjs-node(-gpu)';
}

/** One human-readable line (plus reasons) about a backend choice. */
export function describeBackend(c: BackendChoice): string {
  const why = c.skipped.length ? `\n  not taken:\n    ${c.skipped.join('\n    ')}` : '';
  return `tfjs backend: ${c.name} (${c.provider})${why}`;
}

export { tf };
