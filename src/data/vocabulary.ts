/**
 * Where prepare's BERT vocabulary comes from. The reference tokenizes with bert-base-cased
 * (preprocess/prepare.py: `BertTokenizer.from_pretrained("bert-base-cased")`), so that is the default;
 * a stand-in built from the data is used only when no real vocabulary can be had, and says so.
 *
 * Search order ({@link findVocabulary}):
 *   1. `--vocab` (a tokenizer folder or a vocab.txt; an error when it does not exist);
 *   2. `--model-dir`/bert-base-cased (the folder layout `drin encode --model-dir` reads);
 *   3. `<input>/tokenizer` or `<input>/vocab.txt` (a raw dataset that ships its vocabulary, e.g. the
 *      synthetic sample, or a test case);
 *   4. transformers.js' cache (`env.cacheDir`/Xenova/bert-base-cased, what a hub download left there);
 *   5. the Hugging Face cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub):
 *      models--bert-base-cased or models--Xenova--bert-base-cased, newest snapshot;
 *   6. the hub (unless `hub: false`; the CLI passes DRIN_OFFLINE): tokenizer.json + tokenizer_config.json of
 *      Xenova/bert-base-cased with a short timeout, saved into transformers.js' cache (step 4's layout).
 * A folder counts when it holds vocab.txt or tokenizer.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The reference's BERT (the folder name under --model-dir and in the caches). */
export const BERT_VOCAB_NAME = 'bert-base-cased';
/** The hub repository with bert-base-cased's tokenizer.json (transformers.js' export). */
export const BERT_VOCAB_HUB_REPO = 'Xenova/bert-base-cased';

/** Options of {@link findVocabulary}. */
export interface FindVocabularyOptions {
  /** Explicit tokenizer folder or vocab.txt (`--vocab`). */
  vocab?: string;
  /** Raw dataset folder: `<input>/tokenizer` (or `<input>/vocab.txt`) is used when present. */
  input?: string;
  /** Folder of model folders (`--model-dir`): `<modelDir>/bert-base-cased`. */
  modelDir?: string;
  /** transformers.js cache folders to look in (default: transformers.js' `env.cacheDir`). */
  transformersCacheDirs?: string[];
  /** Hugging Face hub cache folders (default: from HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub). */
  hfCacheDirs?: string[];
  /** Try the hub (default true; the CLI passes `false` when DRIN_OFFLINE is set). */
  hub?: boolean;
  /** Hub base URL (default https://huggingface.co/). */
  hubUrl?: string;
  /** Give up on the hub after this many milliseconds (default 8000). */
  hubTimeoutMs?: number;
  log?: (line: string) => void;
}

/** A real vocabulary found by {@link findVocabulary}. */
export interface FoundVocabulary {
  /** Tokenizer folder or vocab file. */
  source: string;
  /** 'bert-base-cased', or the folder / file name of an explicit one. */
  name: string;
  /** Which step found it. */
  origin: 'vocab' | 'input' | 'model-dir' | 'transformers-cache' | 'hf-cache' | 'hub';
}

/** Result of {@link findVocabulary}: the vocabulary found (or null) and every place looked at. */
export interface VocabularySearch {
  found: FoundVocabulary | null;
  /** One line per place tried, with why it did not serve. */
  tried: string[];
}

const hasVocab = (dir: string) => fs.existsSync(path.join(dir, 'vocab.txt')) || fs.existsSync(path.join(dir, 'tokenizer.json'));

/** transformers.js' file cache folder (its `env.cacheDir`), or null when it has none. */
export function transformersCacheDir(): string | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: transformers.js is heavy and only needed to find its cache
  const { env } = require('@huggingface/transformers') as typeof import('@huggingface/transformers');
  return env.cacheDir ?? null;
}

/**
 * The Hugging Face hub cache folder as huggingface_hub resolves it. Its variables (HF_HUB_CACHE,
 * HUGGINGFACE_HUB_CACHE, HF_HOME, XDG_CACHE_HOME) are the one environment read of the library outside
 * src/cli besides LD_LIBRARY_PATH (src/device.ts): not DRIN settings, but where another tool put its
 * files, read the way that tool reads them.
 */
export function hfHubCacheDir(): string {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  if (process.env.HUGGINGFACE_HUB_CACHE) return process.env.HUGGINGFACE_HUB_CACHE;
  const home = process.env.HF_HOME ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

/** Newest snapshot folder of `models--<org>--<name>` in an HF hub cache that holds a vocabulary. */
function hfSnapshot(cache: string, repo: string): string | null {
  const snaps = path.join(cache, `models--${repo.replace('/', '--')}`, 'snapshots');
  if (!fs.existsSync(snaps)) return null;
  const dirs = fs.readdirSync(snaps).map((d) => path.join(snaps, d)).filter((d) => hasVocab(d));
  dirs.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return dirs[0] ?? null;
}

/** Download `files` of `repo` from the hub into `dir` (all or nothing); throws on any failure or timeout. */
async function fetchFromHub(base: string, repo: string, files: string[], dir: string, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const bodies: Array<[string, string]> = [];
  for (const f of files) {
    const url = `${base.replace(/\/?$/, '/')}${repo}/resolve/main/${f}`;
    const res = await fetch(url, { signal });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    bodies.push([f, await res.text()]);
  }
  JSON.parse(bodies[0][1]); // tokenizer.json must be JSON
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, body] of bodies) {
    fs.writeFileSync(path.join(dir, `${f}.partial`), body);
    fs.renameSync(path.join(dir, `${f}.partial`), path.join(dir, f));
  }
}

/** Find a real BERT vocabulary (see the module comment for the order); null when there is none. */
export async function findVocabulary(opts: FindVocabularyOptions = {}): Promise<VocabularySearch> {
  const tried: string[] = [];
  const name = (p: string) => path.basename(fs.statSync(p).isDirectory() ? p : path.dirname(p));
  if (opts.vocab) {
    if (!fs.existsSync(opts.vocab)) throw new Error(`--vocab ${opts.vocab} does not exist (expected a tokenizer folder or a vocab.txt)`);
    return { found: { source: opts.vocab, name: name(opts.vocab), origin: 'vocab' }, tried };
  }
  if (opts.modelDir) {
    const d = path.join(opts.modelDir, BERT_VOCAB_NAME);
    if (hasVocab(d)) return { found: { source: d, name: BERT_VOCAB_NAME, origin: 'model-dir' }, tried };
    tried.push(`${d}: no vocab.txt or tokenizer.json`);
  }
  if (opts.input) {
    const d = path.join(opts.input, 'tokenizer');
    const f = path.join(opts.input, 'vocab.txt');
    if (hasVocab(d)) return { found: { source: d, name: name(d), origin: 'input' }, tried };
    if (fs.existsSync(f)) return { found: { source: f, name: name(f), origin: 'input' }, tried };
    tried.push(`${d}, ${f}: absent`);
  }
  let tjsCaches = opts.transformersCacheDirs;
  if (!tjsCaches) {
    const c = transformersCacheDir();
    tjsCaches = c ? [c] : [];
  }
  for (const c of tjsCaches) {
    const d = path.join(c, BERT_VOCAB_HUB_REPO);
    if (hasVocab(d)) return { found: { source: d, name: BERT_VOCAB_NAME, origin: 'transformers-cache' }, tried };
    tried.push(`${d}: not in transformers.js' cache`);
  }
  for (const c of opts.hfCacheDirs ?? [hfHubCacheDir()]) {
    for (const repo of [BERT_VOCAB_NAME, BERT_VOCAB_HUB_REPO]) {
      const d = hfSnapshot(c, repo);
      if (d) return { found: { source: d, name: BERT_VOCAB_NAME, origin: 'hf-cache' }, tried };
    }
    tried.push(`${c}: no models--bert-base-cased snapshot in the Hugging Face cache`);
  }
  const hub = opts.hub ?? true;
  if (!hub) {
    tried.push('hub: not tried (hub: false, e.g. DRIN_OFFLINE set)');
  } else if (!tjsCaches.length) {
    tried.push('hub: not tried (no transformers.js cache folder to save into)');
  } else {
    const dir = path.join(tjsCaches[0], BERT_VOCAB_HUB_REPO);
    const t0 = Date.now();
    try {
      await fetchFromHub(opts.hubUrl ?? 'https://huggingface.co/', BERT_VOCAB_HUB_REPO, ['tokenizer.json', 'tokenizer_config.json'], dir, opts.hubTimeoutMs ?? 8000);
      opts.log?.(`tokenizer: downloaded ${BERT_VOCAB_HUB_REPO} tokenizer.json into ${dir}`);
      return { found: { source: dir, name: BERT_VOCAB_NAME, origin: 'hub' }, tried };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      tried.push(`hub ${BERT_VOCAB_HUB_REPO}: unreachable after ${Date.now() - t0} ms (${err.cause?.code ?? err.name}: ${err.message})`);
    }
  }
  return { found: null, tried };
}
