#!/usr/bin/env node
// `npm run setup -- --gpu` (or `node scripts/setup-gpu.mjs`): install the GPU pieces this machine can use,
// and say plainly what was installed, what was skipped and why. The default install never runs this:
// it stays offline-safe (.npmrc skips onnxruntime's CUDA download; tfjs-node-gpu's failed download drops it).
//
//   1. onnxruntime-node's CUDA 12 execution provider (libonnxruntime_providers_cuda.so, _shared.so, and
//      _tensorrt.so): onnxruntime-node's own install script with ONNXRUNTIME_NODE_INSTALL=cuda12 (it
//      downloads Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0 from NuGet), or, offline, from a copy of that
//      package: --ort-cuda-from=FILE.nupkg|DIR (or DRIN_ORT_CUDA_FROM). Needs at run time: NVIDIA driver
//      ≥ 525, CUDA 12 runtime (cudart, cublas, cublasLt, curand, cufft) and cuDNN 9 — checked and reported.
//   2. @tensorflow/tfjs-node-gpu 4.22.0 (libtensorflow 2.9.1): only where the machine has the CUDA 11
//      runtime it was built for (libcudart.so.11.0, libcublas.so.11, libcudnn.so.8: src/cuda-libraries.json; i.e. CUDA 11.2+ / cuDNN 8.1+);
//      `npm install --no-save` (its install script downloads libtensorflow).
// Nothing is attempted without an NVIDIA driver (nvidia-smi or /proc/driver/nvidia/version) unless --force.
// Exit status: 0 unless something asked for explicitly (--ort-cuda-from) failed.
// Uses only Node built-ins (and onnxruntime-node's own adm-zip for a .nupkg).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));

/** The CUDA file lists, shared with src/device.ts (one home: src/cuda-libraries.json). */
export const CUDA_FILES = JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'cuda-libraries.json'), 'utf8'));
const ORT_NEEDED = CUDA_FILES.ortCudaProviderFiles;
const ORT_FILES = [...ORT_NEEDED, ...CUDA_FILES.ortOptionalProviderFiles]; // tensorrt is optional (TensorRT EP)
const { ortCuda12Libs: ORT_CUDA12_LIBS, tfjsCuda11Libs: TFJS_CUDA11_LIBS } = CUDA_FILES;
const TFJS_GPU = '@tensorflow/tfjs-node-gpu@4.22.0';
/** Each download step's limit (a network that drops packets would otherwise hang it): DRIN_GPU_DOWNLOAD_S, default 150 s. */
const DOWNLOAD_MS = Number(process.env.DRIN_GPU_DOWNLOAD_S ?? 150) * 1000;

const log = (...a) => console.log('[setup-gpu]', ...a);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600000, ...opts });
  const missing = r.error?.code === 'ENOENT';
  return { ok: !r.error && r.status === 0, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error && !missing ? r.error.message : ''}`, missing, status: r.status };
}

let ld;
/** Path of a shared library: LD_LIBRARY_PATH first, then the ldconfig cache; undefined when missing (as src/device.ts findLib). */
export function findLib(name) {
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  if (!ld) {
    ld = new Map();
    for (const c of CUDA_FILES.ldconfigCommands) {
      const r = sh(c, ['-p']);
      if (!r.ok) continue;
      for (const m of r.out.matchAll(/^\s*(\S+) \([^)]*\) => (\S+)$/gm)) if (!ld.has(m[1])) ld.set(m[1], m[2]);
      break;
    }
  }
  return ld.get(name);
}

/** { driver, cuda, gpus } from nvidia-smi, or { reason }. */
export function nvidia() {
  const q = sh('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader']);
  if (q.missing) {
    return fs.existsSync('/proc/driver/nvidia/version')
      ? { driver: fs.readFileSync('/proc/driver/nvidia/version', 'utf8').match(/Kernel Module\s+([\d.]+)/)?.[1] ?? 'present', gpus: [], note: 'nvidia-smi not on PATH' }
      : { reason: 'no NVIDIA driver (nvidia-smi not found, /proc/driver/nvidia/version absent)' };
  }
  if (!q.ok) return { reason: `nvidia-smi failed: ${(q.err || q.out).trim().split('\n')[0]}` };
  const rows = q.out.trim().split('\n').filter(Boolean).map((l) => l.split(',').map((s) => s.trim()));
  const cuda = sh('nvidia-smi', []).out.match(/CUDA Version:\s*([\d.]+)/)?.[1];
  return { driver: rows[0]?.[1], cuda, gpus: rows.map((r) => r[0]) };
}

/** onnxruntime-node's native folder for this platform (as src/device.ts ortBinDir). */
export function ortBinDir() {
  return path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
}

const ortPresent = () => ORT_NEEDED.every((f) => fs.existsSync(path.join(ortBinDir(), f)));

/** Copy the provider files from a Microsoft.ML.OnnxRuntime.Gpu.Linux .nupkg or a folder holding them. */
function ortFromLocal(src) {
  const bin = ortBinDir();
  if (!fs.existsSync(src)) throw new Error(`--ort-cuda-from ${src}: no such file or folder`);
  if (fs.statSync(src).isDirectory()) {
    const dirs = [src, path.join(src, 'runtimes', 'linux-x64', 'native')];
    for (const f of ORT_FILES) {
      const from = dirs.map((d) => path.join(d, f)).find((p) => fs.existsSync(p));
      if (from) fs.copyFileSync(from, path.join(bin, f));
      else if (ORT_NEEDED.includes(f)) throw new Error(`--ort-cuda-from ${src}: ${f} not found there (nor under runtimes/linux-x64/native/)`);
    }
  } else {
    const AdmZip = createRequire(require.resolve('onnxruntime-node/package.json'))('adm-zip');
    const zip = new AdmZip(src);
    for (const f of ORT_FILES) {
      const e = zip.getEntry(`runtimes/linux-x64/native/${f}`);
      if (!e) {
        if (ORT_NEEDED.includes(f)) throw new Error(`--ort-cuda-from ${src}: runtimes/linux-x64/native/${f} not in the package (expected Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0)`);
        continue;
      }
      fs.writeFileSync(path.join(bin, f), e.getData());
    }
  }
}

/** Install onnxruntime-node's CUDA provider; returns { installed | skipped | failed: why }. */
function setupOrt(nv, opts) {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { skipped: `onnxruntime-node ships a CUDA provider for linux/x64 only (this is ${process.platform}/${process.arch})` };
  if (ortPresent() && !opts.from) return { present: `already installed in ${ortBinDir()}` };
  if (nv.reason && !opts.force && !opts.from) return { skipped: `${nv.reason}; --force installs it anyway` };
  if (opts.from) {
    try {
      ortFromLocal(opts.from);
      return { installed: `from ${opts.from} into ${ortBinDir()}` };
    } catch (e) {
      return { failed: e.message, explicit: true };
    }
  }
  const script = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'script', 'install.js');
  log('onnxruntime-node: running its install script with ONNXRUNTIME_NODE_INSTALL=cuda12 (downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from NuGet)');
  const r = sh(process.execPath, [script], { cwd: path.dirname(script), env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12', npm_config_onnxruntime_node_install: 'cuda12' }, timeout: DOWNLOAD_MS });
  if (r.ok && ortPresent()) return { installed: `downloaded into ${ortBinDir()}` };
  const why = /ETIMEDOUT/.test(r.err) ? `no answer within ${DOWNLOAD_MS / 1000} s` : (r.err || r.out).trim().split('\n').filter((l) => /Error|error|ENOTFOUND|EAI_AGAIN|ECONN|Failed/.test(l))[0] ?? `exit ${r.status}`;
  return {
    failed: `onnxruntime-node's install script could not fetch the CUDA provider (${why.trim()}). Offline: copy Microsoft.ML.OnnxRuntime.Gpu.Linux.1.30.0.nupkg here and run \`npm run setup -- --gpu --ort-cuda-from=FILE.nupkg\``,
  };
}

/** Install tfjs-node-gpu where the machine matches CUDA 11 / cuDNN 8. */
function setupTfjs(nv, opts) {
  try {
    require.resolve('@tensorflow/tfjs-node-gpu');
    return { present: '@tensorflow/tfjs-node-gpu is installed (`npx drin device` says whether it loads)' };
  } catch {
    /* not installed */
  }
  if (nv.reason && !opts.force) return { skipped: `${nv.reason}; --force tries anyway` };
  const missing = TFJS_CUDA11_LIBS.filter((l) => !findLib(l));
  if (missing.length && !opts.force) {
    return { skipped: `this machine has no CUDA 11 runtime for libtensorflow 2.9.1 (${missing.join(', ')} not found${nv.cuda ? `; the driver runs CUDA ≤ ${nv.cuda}` : ''}); tfjs-node-gpu 4.22 needs CUDA 11.2+ (11.x) and cuDNN 8.1+ (8.x)` };
  }
  log(`npm install --no-save ${TFJS_GPU} (its install script downloads libtensorflow 2.9.1 GPU)`);
  const r = sh('npm', ['install', '--no-save', '--no-audit', '--no-fund', TFJS_GPU], { cwd: ROOT, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, timeout: DOWNLOAD_MS });
  if (r.ok) {
    try {
      require.resolve('@tensorflow/tfjs-node-gpu');
      return { installed: TFJS_GPU };
    } catch {
      /* dropped */
    }
  }
  const lines = `${r.err}\n${r.out}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const why = lines.find((l) => /ENOTFOUND|EAI_AGAIN|ECONN|ETIMEDOUT|ERR!|Error/.test(l)) ?? (r.ok ? 'npm dropped the optional package after its install script failed' : `exit ${r.status}`);
  return { failed: `npm install ${TFJS_GPU} did not install it (its install script downloads libtensorflow from Google's storage): ${why}` };
}

/** Run both steps and print the summary; returns the exit status. */
export function setupGpu(argv = process.argv.slice(2)) {
  const fromArg = argv.find((a) => a.startsWith('--ort-cuda-from='))?.slice('--ort-cuda-from='.length) ?? process.env.DRIN_ORT_CUDA_FROM;
  const opts = { force: argv.includes('--force'), from: fromArg ? path.resolve(fromArg) : undefined };
  const nv = nvidia();
  log(nv.reason ? `GPU: none — ${nv.reason}` : `GPU: ${nv.gpus.join('; ') || '?'}; driver ${nv.driver}; driver CUDA ${nv.cuda ?? '?'}`);
  const steps = [
    ['onnxruntime-node CUDA 12 provider', setupOrt(nv, opts)],
    [TFJS_GPU, setupTfjs(nv, opts)],
  ];
  console.log('[setup-gpu] summary:');
  let status = 0;
  for (const [name, r] of steps) {
    const [kind, text] = r.installed ? ['INSTALLED', r.installed] : r.present ? ['PRESENT', r.present] : r.skipped ? ['SKIPPED', r.skipped] : ['FAILED', r.failed];
    console.log(`  ${kind.padEnd(9)} ${name}: ${text}`);
    if (r.explicit) status = 1;
  }
  if (ortPresent()) {
    const miss = ORT_CUDA12_LIBS.filter((l) => !findLib(l));
    console.log(miss.length
      ? `  NOTE      the CUDA provider also needs ${miss.join(', ')} (CUDA 12 runtime + cuDNN 9, e.g. NVIDIA's CUDA 12 and cuDNN 9 packages, on LD_LIBRARY_PATH or in the ldconfig cache)`
      : '  OK        CUDA 12 runtime and cuDNN 9 libraries found');
  }
  console.log('  `npx drin device` runs the one-op CUDA check and says which device each part uses.');
  return status;
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) process.exit(setupGpu());
