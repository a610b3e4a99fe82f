/**
 * Which device each part of the project can use on this machine, and why (`npx drin device`).
 *
 * Two GPU routes exist, with different requirements (environment.md "GPU"):
 *   - onnxruntime-node 1.30's CUDA execution provider (the `ort` DRIN engine, and the encoders through
 *     transformers.js, GHMFC's `ort` engine): CUDA 12 runtime + cuDNN 9, NVIDIA driver ≥ 525, and the provider libraries
 *     (`libonnxruntime_providers_cuda.so`, `_shared.so`) that `npm run setup -- --gpu` installs;
 *   - `@tensorflow/tfjs-node-gpu` 4.22 (the tfjs engines, MEL-HI, the zero-shot floors): libtensorflow 2.9.1, CUDA 11.2
 *     (11.x) + cuDNN 8.1 (8.x).
 *
 * The CUDA check is not a guess: a one-op graph (MatMul, built with src/onnx/graph.ts) is loaded with
 * `executionProviders: ['cuda']` and run in a child process (a provider that fails to load can print
 * to stderr or abort; the child keeps that away from the caller), and its output is compared with the
 * exact product. `resolveOrtDevice` turns a request (`auto` | `cpu` | `cuda`, default `auto`; the CLI
 * passes `DRIN_DEVICE`, src/cli/env.ts) into the device used, with the reason.
 *
 * The one environment variable read here is `LD_LIBRARY_PATH` ({@link findLib}): not a DRIN setting but
 * the dynamic loader's own search path, read to predict what the loader will find (as `ldd` does).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cudaBuildOf, machineProbe, referencedCudaMajors, type CudaBuild } from './cuda-build';
import { OnnxGraph } from './onnx/graph';
import CUDA_FILES from './cuda-libraries.json';

/** What a caller asks for. */
export type DeviceRequest = 'auto' | 'cpu' | 'cuda';
/** Where onnxruntime runs. */
export type DeviceName = 'cpu' | 'cuda';

export const DEVICE_REQUESTS: readonly DeviceRequest[] = ['auto', 'cpu', 'cuda'];

// The file lists below have one home, src/cuda-libraries.json, which scripts/setup-gpu.mjs reads too.
/** Shared libraries onnxruntime-node 1.30's CUDA provider loads (CUDA 12, cuDNN 9). */
export const ORT_CUDA12_LIBS: readonly string[] = CUDA_FILES.ortCuda12Libs;
/** Shared libraries tfjs-node-gpu 4.22's libtensorflow 2.9.1 loads (CUDA 11.x ≥ 11.2, cuDNN 8.x ≥ 8.1). */
export const TFJS_CUDA11_LIBS: readonly string[] = CUDA_FILES.tfjsCuda11Libs;
/** The provider files onnxruntime-node's install script adds for CUDA (not bundled in the npm package). */
export const ORT_CUDA_PROVIDER_FILES: readonly string[] = CUDA_FILES.ortCudaProviderFiles;

/** One GPU as nvidia-smi lists it. */
export interface GpuInfo {
  index: number;
  name: string;
  /** Total memory, MiB. */
  memoryMiB: number;
}

/** The NVIDIA driver's view: GPUs, driver version, highest CUDA version the driver supports. */
export interface NvidiaInfo {
  gpus: GpuInfo[];
  driver?: string;
  /** "CUDA Version" of nvidia-smi: the newest CUDA runtime this driver can run. */
  cuda?: string;
  /** Why no GPU is listed (nvidia-smi absent or failing), when none is. */
  reason?: string;
}

/** A shared library looked up in LD_LIBRARY_PATH and the ldconfig cache. */
export interface LibCheck {
  name: string;
  /** Where it was found; undefined when missing. */
  path?: string;
  /** The CUDA major the found file was built for, when it can be read (src/cuda-build.ts). */
  build?: CudaBuild;
}

/** The CUDA major onnxruntime-node 1.30's CUDA provider is built for. */
export const ORT_CUDA_MAJOR = 12;

/** The result of the one-op session check for one execution provider. */
export interface ProviderCheck {
  provider: string;
  ok: boolean;
  /** Wall time of session creation + run in the child, ms. */
  ms?: number;
  /** The error onnxruntime threw (first line), or why the output was wrong. */
  error?: string;
  /** Details onnxruntime printed to stderr (e.g. which library failed to load and why). */
  detail: string[];
}

export interface OrtCudaInfo {
  /** onnxruntime-node's native folder (where the provider files go). */
  binDir: string;
  /** Each provider file and whether it is there. */
  providerFiles: Array<{ file: string; present: boolean }>;
  /** Libraries `ldd` cannot find for the installed CUDA provider (empty when it is absent or complete). */
  unresolved: string[];
  /** The CUDA 12 / cuDNN 9 libraries, where they are and (found ones) the CUDA major they were built for. */
  runtimeLibs: LibCheck[];
  /** Other versions of the missing ones that are here (e.g. libcudart.so.13 where libcudart.so.12 is missing). */
  otherVersions: LibCheck[];
  /** The one-op session with executionProviders ['cuda']. */
  check: ProviderCheck;
}

export interface TfjsGpuInfo {
  /** `@tensorflow/tfjs-node-gpu` resolvable from the project. */
  installed: boolean;
  /** It loaded (in a child process) and registered its backend. */
  loaded: boolean;
  /** Its backend reports a GPU device in use. */
  usingGpu: boolean;
  /** Why it is not usable. */
  reason?: string;
  /** The CUDA 11 / cuDNN 8 libraries it needs and where they are. */
  runtimeLibs: LibCheck[];
}

/** Which device a part of the project uses and why. */
export interface PartDevice {
  device: DeviceName;
  /** The library / backend doing the work. */
  via: string;
  /** Why this device (and why not a faster one). */
  why: string;
}

/** Everything `drin device` prints. */
export interface DeviceReport {
  nvidia: NvidiaInfo;
  /** `nvcc --version` release, when a CUDA toolkit is on PATH. */
  toolkit?: string;
  ortCuda: OrtCudaInfo;
  tfjsGpu: TfjsGpuInfo;
  /** The tfjs backend this process runs on (initBackend). */
  tfjsBackend: string;
  /** `baselines`: GHMFC on the engine `auto` picks here (ort by default: the ort part), MEL-HI and the zero-shot floors on tfjs (the tfjs part). */
  use: { ort: PartDevice; tfjs: PartDevice; encode: PartDevice; baselines: { ghmfc: PartDevice & { engine: 'ort' | 'tfjs' }; melhi: PartDevice; zeroShot: PartDevice } };
}

/** Whether the onnxruntime CUDA provider works here, and if not, what is missing. */
export interface CudaStatus {
  ok: boolean;
  /** One sentence: what works ("CUDA provider passed the one-op check (GPU 0: ...)") or what is missing. */
  reason: string;
}

// ---------------------------------------------------------------- the machine

function run(cmd: string, args: string[], timeoutMs = 20000): { ok: boolean; out: string; err: string; missing: boolean } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: !r.error && r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error && !missing ? r.error.message : ''), missing };
}

/** GPUs, driver and driver CUDA version from nvidia-smi. */
export function nvidiaInfo(): NvidiaInfo {
  const q = run('nvidia-smi', ['--query-gpu=index,name,memory.total,driver_version', '--format=csv,noheader,nounits']);
  if (q.missing) {
    const proc = fs.existsSync('/proc/driver/nvidia/version');
    return { gpus: [], reason: `nvidia-smi not found on PATH${proc ? '' : ' and /proc/driver/nvidia/version absent'}: no NVIDIA driver on this machine` };
  }
  if (!q.ok) return { gpus: [], reason: `nvidia-smi failed: ${firstLine(q.err || q.out) || 'no output'}` };
  const gpus: GpuInfo[] = [];
  let driver: string | undefined;
  for (const line of q.out.split('\n').filter((l) => l.trim())) {
    const [index, name, mem, drv] = line.split(',').map((s) => s.trim());
    gpus.push({ index: Number(index), name, memoryMiB: Number(mem) });
    driver ??= drv;
  }
  const cuda = /CUDA Version:\s*([\d.]+)/.exec(run('nvidia-smi', []).out)?.[1];
  return { gpus, driver, cuda, ...(gpus.length ? {} : { reason: 'nvidia-smi lists no GPU' }) };
}

/** The CUDA toolkit release `nvcc --version` reports, if any. */
export function nvccRelease(): string | undefined {
  const r = run('nvcc', ['--version']);
  return r.ok ? /release ([\d.]+)/.exec(r.out)?.[1] : undefined;
}

let ldCache: Map<string, string> | undefined;

/** Find a shared library: LD_LIBRARY_PATH first, then the ldconfig cache (the dynamic loader's order). */
export function findLib(name: string): LibCheck {
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return { name, path: p };
  }
  if (!ldCache) {
    ldCache = new Map();
    for (const cmd of CUDA_FILES.ldconfigCommands) {
      const r = run(cmd, ['-p']);
      if (!r.ok) continue;
      for (const m of r.out.matchAll(/^\s*(\S+) \([^)]*\) => (\S+)$/gm)) if (!ldCache.has(m[1])) ldCache.set(m[1], m[2]);
      break;
    }
  }
  return { name, path: ldCache.get(name) };
}

/** Every `<base>.so.<N>` in LD_LIBRARY_PATH and the ldconfig cache (e.g. base libcudart: libcudart.so.13), first place of each. */
export function findLibVersions(base: string): LibCheck[] {
  findLib(`${base}.so`); // fills the ldconfig cache
  const re = new RegExp(`^${base.replace(/[.+]/g, '\\$&')}\\.so\\.\\d+$`);
  const out = new Map<string, string>();
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    for (const n of machineProbe.list(dir)) if (re.test(n) && !out.has(n)) out.set(n, path.join(dir, n));
  }
  for (const [n, p] of ldCache ?? []) if (re.test(n) && !out.has(n)) out.set(n, p);
  return [...out].map(([name, p]) => ({ name, path: p })).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** The CUDA 12 / cuDNN 9 libraries: each found one with the CUDA major it was built for, and other versions of the missing ones. */
export function ortRuntimeLibs(find: (name: string) => LibCheck = findLib, versions: (base: string) => LibCheck[] = findLibVersions, build: (file: string) => CudaBuild | undefined = cudaBuildOf): { runtimeLibs: LibCheck[]; otherVersions: LibCheck[] } {
  const runtimeLibs = ORT_CUDA12_LIBS.map(find).map((l) => {
    const b = l.path ? build(l.path) : undefined;
    return b ? { ...l, build: b } : l;
  });
  const otherVersions = runtimeLibs
    .filter((l) => !l.path)
    .flatMap((l) => versions(l.name.replace(/\.so\.\d+$/, '')).filter((v) => v.name !== l.name && v.path));
  return { runtimeLibs, otherVersions };
}

// ---------------------------------------------------------------- onnxruntime

/** onnxruntime-node's package folder. */
function ortPackageDir(): string {
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

/** onnxruntime-node's native folder for this platform (bin/napi-v6/<platform>/<arch>). */
export function ortBinDir(): string {
  return path.join(ortPackageDir(), 'bin', 'napi-v6', process.platform, process.arch);
}

/** The one-op model of the check: y = x · x for x [2,2]. */
export function oneOpModel(): Uint8Array {
  const g = new OnnxGraph('drin-device-check');
  const x = g.input('x', [2, 2]);
  g.output('y', g.op('MatMul', [x, x]), [2, 2]);
  return g.toBytes();
}

/** x = [[1,2],[3,4]] → x·x. */
const CHECK_INPUT = [1, 2, 3, 4];
const CHECK_OUTPUT = [7, 10, 15, 22];

// Runs in a child process (`node -e CHILD <onnxruntime-node entry> <provider> <model, base64>`): plain
// CommonJS, public onnxruntime-node API.
const CHILD = `
const [, ortEntry, provider, modelBase64] = process.argv;
const ort = require(ortEntry);
const model = new Uint8Array(Buffer.from(modelBase64, 'base64'));
const t0 = Date.now();
(async () => {
  try {
    const s = await ort.InferenceSession.create(model, { executionProviders: [provider], logSeverityLevel: 3 });
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from(${JSON.stringify(CHECK_INPUT)}), [2, 2]) });
    console.log(JSON.stringify({ ok: true, y: Array.from(out.y.data), ms: Date.now() - t0 }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String((e && e.message) || e), ms: Date.now() - t0 }));
  }
})();
`;

// eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour codes being removed
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
const firstLine = (s: string) => stripAnsi(s).split('\n').map((l) => l.trim()).find(Boolean) ?? '';

/** The useful part of onnxruntime's stderr: failed library loads, CUDA / cuDNN errors. */
function stderrDetail(err: string): string[] {
  const out = new Set<string>();
  for (const raw of stripAnsi(err).split('\n')) {
    const line = raw.trim();
    const lib = /Failed to load library (\S+) with error: (.*)$/.exec(line);
    if (lib) out.add(`${path.basename(lib[1])}: ${lib[2].replace(/^\S+: /, '')}`);
    else if (/CUDA failure|CUDNN|cudaError|no CUDA-capable device|driver version is insufficient/i.test(line)) out.add(line.replace(/^.*\] /, ''));
  }
  return [...out].slice(0, 4);
}

/**
 * Create and run the one-op session with `executionProviders: [provider]` in a child process.
 * `ok` only when the session ran and returned the exact product.
 */
export function checkOrtProvider(provider: string, timeoutMs = 120000): ProviderCheck {
  const args = [require.resolve('onnxruntime-node'), provider, Buffer.from(oneOpModel()).toString('base64')];
  const r = spawnSync(process.execPath, ['-e', CHILD, ...args], { encoding: 'utf8', timeout: timeoutMs });
  const detail = stderrDetail(r.stderr ?? '');
  if (r.error) return { provider, ok: false, error: `the check process failed: ${r.error.message}`, detail };
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let res: { ok: boolean; y?: number[]; error?: string; ms?: number };
  try {
    res = JSON.parse(line);
  } catch {
    return { provider, ok: false, error: `the check process exited with ${r.status ?? r.signal} and no result${r.stderr ? `: ${firstLine(r.stderr)}` : ''}`, detail };
  }
  if (!res.ok) return { provider, ok: false, ms: res.ms, error: firstLine(res.error ?? ''), detail };
  const right = res.y?.length === 4 && res.y.every((v, i) => v === CHECK_OUTPUT[i]);
  return right ? { provider, ok: true, ms: res.ms, detail } : { provider, ok: false, ms: res.ms, error: `wrong output ${JSON.stringify(res.y)} (expected ${JSON.stringify(CHECK_OUTPUT)})`, detail };
}

/** Unresolved dependencies of a shared library (`ldd`), e.g. ['libcudnn.so.9']. */
function lddUnresolved(file: string): string[] {
  const r = run('ldd', [file]);
  return [...r.out.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]);
}

/** The CUDA provider's files, their unresolved libraries, the CUDA 12 libraries, and the one-op check. */
export function ortCudaInfo(opts: { check?: boolean } = {}): OrtCudaInfo {
  const binDir = ortBinDir();
  const providerFiles = ORT_CUDA_PROVIDER_FILES.map((file) => ({ file, present: fs.existsSync(path.join(binDir, file)) }));
  const cudaSo = path.join(binDir, ORT_CUDA_PROVIDER_FILES[0]);
  const unresolved = fs.existsSync(cudaSo) ? lddUnresolved(cudaSo) : [];
  const { runtimeLibs, otherVersions } = ortRuntimeLibs();
  const check = opts.check === false ? { provider: 'cuda', ok: false, error: 'not checked', detail: [] } : checkOrtProvider('cuda');
  return { binDir, providerFiles, unresolved, runtimeLibs, otherVersions, check };
}

/** What stands between this machine and the onnxruntime CUDA provider, most basic first. */
export function cudaMissing(nv: NvidiaInfo, ort: OrtCudaInfo): string[] {
  const miss: string[] = [];
  if (!nv.gpus.length) miss.push(nv.reason ?? 'no NVIDIA GPU');
  const absent = ort.providerFiles.filter((f) => !f.present).map((f) => f.file);
  if (absent.length) miss.push(`onnxruntime-node's CUDA provider is not installed (${absent.join(', ')} absent in ${ort.binDir}; \`npm run setup -- --gpu\` installs it)`);
  const libs = ort.unresolved.length ? ort.unresolved : ort.runtimeLibs.filter((l) => !l.path).map((l) => l.name);
  // found by name, but another CUDA's build (libcurand.so.10 and libcudnn.so.9 keep their sonames across CUDA 12 and 13)
  const wrong = ort.runtimeLibs.filter((l) => l.path && l.build && l.build.major !== ORT_CUDA_MAJOR && !libs.includes(l.name));
  const names = [...libs, ...wrong.map((l) => `${l.name} (only a CUDA ${l.build!.major} build: ${l.path})`)];
  if (names.length) {
    const other = otherCudaMajors(ort);
    const hint = other.length
      ? `; this machine has CUDA ${other.join(' / ')} (${ort.otherVersions.map((l) => l.name).join(', ') || wrong.map((l) => l.name).join(', ')}), which onnxruntime-node 1.30's CUDA provider, built for CUDA ${ORT_CUDA_MAJOR}, cannot load: it needs the CUDA ${ORT_CUDA_MAJOR} runtime and cuDNN 9 for CUDA ${ORT_CUDA_MAJOR} installed beside it`
      : '';
    miss.push(`CUDA ${ORT_CUDA_MAJOR} / cuDNN 9 libraries not found: ${names.join(', ')}${hint}`);
  }
  return miss;
}

/** The other CUDA majors the machine has, read from the other versions of the missing runtime libraries and the builds of the found ones. */
export function otherCudaMajors(ort: Pick<OrtCudaInfo, 'runtimeLibs' | 'otherVersions'>): number[] {
  const majors = new Set<number>();
  for (const l of ort.otherVersions) for (const m of referencedCudaMajors(l.name)) majors.add(m); // the runtime sonames name their CUDA
  for (const l of ort.runtimeLibs) if (l.path && l.build) majors.add(l.build.major);
  majors.delete(ORT_CUDA_MAJOR);
  return [...majors].sort((a, b) => a - b);
}

let statusCache: CudaStatus | undefined;

/**
 * Whether onnxruntime's CUDA provider works here (cached per process). When its provider files are
 * absent the answer is known without the child process; otherwise the one-op check decides.
 */
export function ortCudaStatus(): CudaStatus {
  if (statusCache) return statusCache;
  const nv = nvidiaInfo();
  const pre = ortCudaInfo({ check: false });
  const quick = pre.providerFiles.some((f) => !f.present);
  const ort = quick ? pre : { ...pre, check: checkOrtProvider('cuda') };
  statusCache = cudaStatusOf(nv, ort);
  return statusCache;
}

/** The status sentence from the parts (exported for the report and the tests). */
export function cudaStatusOf(nv: NvidiaInfo, ort: OrtCudaInfo): CudaStatus {
  if (ort.check.ok) {
    const gpu = nv.gpus[0] ? ` on GPU ${nv.gpus[0].index}: ${nv.gpus[0].name}` : '';
    return { ok: true, reason: `the onnxruntime CUDA provider passed the one-op check${gpu}` };
  }
  const miss = cudaMissing(nv, ort);
  const err = ort.check.error && ort.check.error !== 'not checked' ? `the one-op CUDA session failed: ${ort.check.error}${ort.check.detail.length ? ` (${ort.check.detail.join('; ')})` : ''}` : undefined;
  return { ok: false, reason: [...miss, ...(err ? [err] : [])].join('; ') || 'the onnxruntime CUDA provider is not available' };
}

/** Check a request string (CLI flag, DRIN_DEVICE, library option); undefined or empty is `auto`. */
export function parseDeviceRequest(v: string | undefined, where = 'device'): DeviceRequest {
  const s = (v ?? '').trim().toLowerCase() || 'auto';
  if (!(DEVICE_REQUESTS as readonly string[]).includes(s)) throw new Error(`${where}='${v}': expected one of ${DEVICE_REQUESTS.join(', ')}`);
  return s as DeviceRequest;
}

/**
 * Where the onnxruntime DRIN engine runs. `requested` defaults to `auto` (the CLI passes `DRIN_DEVICE`).
 *   - `cpu`: the CPU provider;
 *   - `auto`: CUDA when the provider passes the one-op check, else the CPU, with the reason;
 *   - `cuda`: CUDA, or an Error naming what is missing (driver, provider files, CUDA 12 / cuDNN 9 libraries, the check's error).
 * `status` replaces the machine check (tests).
 */
export function resolveOrtDevice(requested?: DeviceRequest | string, status: () => CudaStatus = ortCudaStatus): { device: DeviceName; note: string } {
  const want = parseDeviceRequest(requested);
  if (want === 'cpu') return { device: 'cpu', note: 'on the CPU (asked for)' };
  const s = status();
  if (s.ok) return { device: 'cuda', note: `on CUDA (${want === 'auto' ? 'auto: ' : ''}${s.reason})` };
  if (want === 'cuda') throw new Error(`--device cuda: the onnxruntime CUDA provider does not work here: ${s.reason}. \`npx drin device\` shows every check.`);
  return { device: 'cpu', note: `on the CPU (auto; CUDA not used: ${s.reason})` };
}

/**
 * Where the encoders (transformers.js → onnxruntime-node) run: like {@link resolveOrtDevice}, except
 * that `cuda` without a working provider falls back to the CPU with the reason (`fellBack`).
 */
export function resolveEncodeDevice(requested?: DeviceRequest | string, status: () => CudaStatus = ortCudaStatus): { device: DeviceName; note: string; fellBack: boolean } {
  const want = parseDeviceRequest(requested);
  if (want !== 'cuda') return { ...resolveOrtDevice(want, status), fellBack: false };
  const s = status();
  if (s.ok) return { device: 'cuda', note: `on CUDA (${s.reason})`, fellBack: false };
  return { device: 'cpu', note: `--device cuda asked, but the onnxruntime CUDA provider does not work here (${s.reason}): falling back to the CPU`, fellBack: true };
}

// ---------------------------------------------------------------- tfjs-node-gpu

/** True when this process runs tfjs on the native backend of @tensorflow/tfjs-node-gpu. */
function tfjsOnNodeGpu(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  return tf.getBackend() === 'tensorflow' && Object.keys(require.cache).some((k) => k.includes(`${path.sep}tfjs-node-gpu${path.sep}`));
}

/**
 * Where a tfjs-run model (DRIN's and GHMFC's tfjs engines, MEL-HI, the zero-shot floors) runs: on the active tfjs backend. CUDA
 * reaches tfjs only through @tensorflow/tfjs-node-gpu; `cuda` without it is an Error saying so.
 */
export function resolveTfjsDevice(requested?: DeviceRequest | string): { device: DeviceName; note: string } {
  const want = parseDeviceRequest(requested);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  const backend = tf.getBackend();
  const nodeGpu = tfjsOnNodeGpu();
  // tfjs-node's backend says whether libtensorflow found a GPU (isUsingGpuDevice)
  const usingGpu = nodeGpu && (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (usingGpu) return { device: 'cuda', note: want === 'cpu' ? 'on tfjs-node-gpu, which uses the GPU (libtensorflow\'s choice: `cpu` cannot switch it off)' : 'on tfjs-node-gpu (CUDA through libtensorflow 2.9.1)' };
  const why = nodeGpu
    ? 'tfjs-node-gpu is loaded but libtensorflow 2.9.1 found no usable GPU (it needs CUDA 11.2 + cuDNN 8.1)'
    : `the tfjs backend ${backend} runs on the CPU; CUDA reaches tfjs only through @tensorflow/tfjs-node-gpu (CUDA 11.2 + cuDNN 8.1), which is not loaded`;
  if (want === 'cuda') throw new Error(`--device cuda: ${why}. The ort engine (--engine ort) runs on the onnxruntime CUDA provider; \`npx drin device\` shows what works.`);
  return { device: 'cpu', note: `on the tfjs backend ${backend} (${want === 'cpu' ? 'asked for the CPU' : `CUDA does not apply: ${why}`})` };
}


// Runs in a child process: `node -e TFJS_CHILD <tfjs-node-gpu entry>`.
const TFJS_CHILD = `
try {
  const tf = require(process.argv[1]);
  const b = tf.backend();
  console.log(JSON.stringify({ ok: true, backend: tf.getBackend(), gpu: !!(b && b.isUsingGpuDevice) }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String((e && e.message) || e) }));
}
`;

/** Whether @tensorflow/tfjs-node-gpu is installed, loads, and uses a GPU (checked in a child process). */
export function tfjsGpuInfo(): TfjsGpuInfo {
  const runtimeLibs = TFJS_CUDA11_LIBS.map(findLib);
  let entry: string;
  try {
    entry = require.resolve('@tensorflow/tfjs-node-gpu');
  } catch {
    return {
      installed: false, loaded: false, usingGpu: false, runtimeLibs,
      reason: '@tensorflow/tfjs-node-gpu is not installed (optional dependency: its install downloads libtensorflow 2.9.1 for CUDA 11.2 + cuDNN 8.1; `npm run setup -- --gpu` installs it where those are present)',
    };
  }
  const r = spawnSync(process.execPath, ['-e', TFJS_CHILD, entry], { encoding: 'utf8', timeout: 120000 });
  let res: { ok: boolean; backend?: string; gpu?: boolean; error?: string };
  try {
    res = JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '');
  } catch {
    res = { ok: false, error: `the check process exited with ${r.status ?? r.signal}: ${firstLine(r.stderr ?? '')}` };
  }
  if (!res.ok) return { installed: true, loaded: false, usingGpu: false, runtimeLibs, reason: `@tensorflow/tfjs-node-gpu does not load: ${firstLine(res.error ?? '')}` };
  const missing = runtimeLibs.filter((l) => !l.path).map((l) => l.name);
  return {
    installed: true, loaded: true, usingGpu: !!res.gpu, runtimeLibs,
    ...(res.gpu ? {} : { reason: `@tensorflow/tfjs-node-gpu loaded but its backend uses no GPU${missing.length ? ` (missing: ${missing.join(', ')})` : ''}` }),
  };
}

// ---------------------------------------------------------------- the report

/**
 * Everything `drin device` prints: GPUs, driver / CUDA versions, the onnxruntime CUDA provider (its
 * files, libraries and the one-op check), tfjs-node-gpu, and the device each part uses with the reason.
 */
export async function deviceReport(): Promise<DeviceReport> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { initBackend } = require('./backend') as typeof import('./backend');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the models import this file: loaded when the report is made
  const { resolveGhmfcEngine } = require('./models/ghmfc') as typeof import('./models/ghmfc');
  const nvidia = nvidiaInfo();
  const toolkit = nvccRelease();
  const ortCuda = ortCudaInfo();
  const tfjsGpu = tfjsGpuInfo();
  const backend = await initBackend();
  const status = cudaStatusOf(nvidia, ortCuda);
  statusCache ??= status;
  // the first missing piece is the reason; every check is listed above it
  const first = cudaMissing(nvidia, ortCuda)[0] ?? `the one-op CUDA session failed: ${ortCuda.check.error}`;
  const ortPart: PartDevice = status.ok
    ? { device: 'cuda', via: 'onnxruntime-node CUDA provider', why: status.reason }
    : { device: 'cpu', via: 'onnxruntime-node CPU provider', why: `CUDA not used: ${first}` };
  const tfjsOnGpu = backend.provider === '@tensorflow/tfjs-node-gpu' && tfjsGpu.usingGpu;
  const tfjsPart: PartDevice = tfjsOnGpu
    ? { device: 'cuda', via: 'tfjs backend tensorflow (@tensorflow/tfjs-node-gpu)', why: 'tfjs-node-gpu loaded and uses the GPU' }
    : { device: 'cpu', via: `tfjs backend ${backend.name}`, why: `CUDA does not apply: ${tfjsGpu.loaded ? 'tfjs-node-gpu loaded but is not the active backend or uses no GPU' : tfjsGpu.installed ? 'tfjs-node-gpu does not load' : 'tfjs-node-gpu is not installed'}` };
  return {
    nvidia, toolkit, ortCuda, tfjsGpu, tfjsBackend: `${backend.name} (${backend.provider})`,
    use: {
      ort: ortPart,
      tfjs: tfjsPart,
      encode: { ...ortPart, via: `transformers.js → ${ortPart.via}`, why: `${ortPart.why}${status.ok ? '' : ' (`--device cuda` falls back to the CPU, saying so)'}` },
      baselines: {
        // GHMFC's engine under `auto` on this backend (ort unless tfjs is native or onnxruntime does not load)
        ghmfc: resolveGhmfcEngine('auto') === 'ort'
          ? { ...ortPart, engine: 'ort', why: `same as the DRIN ort engine: ${ortPart.why}` }
          : { ...tfjsPart, engine: 'tfjs', why: `auto picks tfjs on this backend (\`--device cuda\` picks the ort engine); same as the DRIN tfjs engine: ${tfjsPart.why}` },
        melhi: { ...tfjsPart, why: `tfjs only; same as the DRIN tfjs engine: ${tfjsPart.why}` },
        zeroShot: { ...tfjsPart, why: `tfjs only; same as the DRIN tfjs engine: ${tfjsPart.why}` },
      },
    },
  };
}

/** The report as the lines `drin device` prints. */
export function formatDeviceReport(r: DeviceReport): string {
  const L: string[] = [];
  const nv = r.nvidia;
  L.push(nv.gpus.length ? `GPUs: ${nv.gpus.map((g) => `${g.index}: ${g.name} (${(g.memoryMiB / 1024).toFixed(0)} GiB)`).join('; ')}` : `GPUs: none (${nv.reason})`);
  L.push(`NVIDIA driver: ${nv.driver ?? 'none'}; driver CUDA version: ${nv.cuda ?? '-'}; CUDA toolkit (nvcc): ${r.toolkit ?? 'not on PATH'}`);
  const o = r.ortCuda;
  L.push(`onnxruntime CUDA provider (onnxruntime-node 1.30, needs CUDA 12 + cuDNN 9): ${o.check.ok ? `OK (one-op session ran on 'cuda' in ${o.check.ms} ms)` : 'FAILED'}`);
  L.push(`  provider files: ${o.providerFiles.map((f) => `${f.file} ${f.present ? 'present' : 'absent'}`).join(', ')}`);
  const libState = (l: LibCheck) => (!l.path ? 'missing' : l.build && l.build.major !== ORT_CUDA_MAJOR ? `found, but the CUDA ${l.build.major} build (${l.build.how})` : 'found');
  L.push(`  CUDA 12 / cuDNN 9 libraries: ${o.runtimeLibs.map((l) => `${l.name} ${libState(l)}`).join(', ')}`);
  if (o.otherVersions.length) L.push(`  other CUDA versions here: ${o.otherVersions.map((l) => l.name).join(', ')} (CUDA ${otherCudaMajors(o).join(' / ') || '?'}: not loadable by this provider)`);
  if (o.unresolved.length) L.push(`  ldd: the provider cannot resolve ${o.unresolved.join(', ')}`);
  if (!o.check.ok) L.push(`  one-op session with executionProviders ['cuda']: ${o.check.error}`, ...o.check.detail.map((d) => `    ${d}`));
  const t = r.tfjsGpu;
  L.push(`tfjs-node-gpu (4.22, libtensorflow 2.9.1, needs CUDA 11.2 + cuDNN 8.1): ${t.usingGpu ? 'OK (uses the GPU)' : t.loaded ? 'loaded, no GPU' : t.installed ? 'FAILED' : 'not installed'}`);
  L.push(`  CUDA 11 / cuDNN 8 libraries: ${t.runtimeLibs.map((l) => `${l.name} ${l.path ? 'found' : 'missing'}`).join(', ')}`);
  if (t.reason) L.push(`  ${t.reason}`);
  L.push(`tfjs backend of this process: ${r.tfjsBackend}`);
  L.push('devices used:');
  const part = (name: string, p: PartDevice) => L.push(`  ${name.padEnd(22)} ${p.device.padEnd(5)} ${p.via} — ${p.why}`);
  part('DRIN ort engine', r.use.ort);
  part('DRIN tfjs engine', r.use.tfjs);
  part('encode (drin encode)', r.use.encode);
  part(`GHMFC (${r.use.baselines.ghmfc.engine} engine)`, r.use.baselines.ghmfc);
  part('MEL-HI (tfjs)', r.use.baselines.melhi);
  part('zero-shot (tfjs)', r.use.baselines.zeroShot);
  const any = r.use.ort.device === 'cuda' || r.use.tfjs.device === 'cuda';
  L.push(any ? 'summary: a GPU is in use (see above for each part)' : `summary: no GPU in use${nv.gpus.length ? '' : ' (no NVIDIA GPU on this machine)'}`);
  return L.join('\n');
}
