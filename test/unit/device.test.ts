/**
 * Device selection (src/device.ts): `auto` → CPU with the reason where CUDA does not work, `cuda` →
 * an error naming what is missing, the encoders' fallback, the one-op session check (its passing path
 * on the CPU provider, its failure path on 'cuda' here), the report's shape and the `drin device` /
 * `drin train --device` command lines. Runs on CPU-only machines (CI); the checks that assert "no
 * CUDA here" are skipped on a machine that has an NVIDIA driver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkOrtProvider, cudaStatusOf, deviceReport, formatDeviceReport, nvidiaInfo, oneOpModel, ortCudaInfo, ortCudaStatus,
  parseDeviceRequest, resolveEncodeDevice, resolveOrtDevice, resolveTfjsDevice, type CudaStatus,
} from '../../src/device';
import { createDrin } from '../../src/models/drin';
import { createGhmfc } from '../../src/models/ghmfc';
import { createMelhi } from '../../src/models/melhi';
import { ortExecutionProviders, OrtSession, ortThreads } from '../../src/onnx/session';
import { readDrinEnv } from '../../src/cli/env';
import { needsShared, SHARED_DIR } from '../helpers/needs';

const ROOT = path.resolve(__dirname, '..', '..');
const DRIN = path.join(ROOT, 'bin', 'drin.js');
const fine: () => CudaStatus = () => ({ ok: true, reason: 'the onnxruntime CUDA provider passed the one-op check on GPU 0: Test GPU' });
const broken: () => CudaStatus = () => ({ ok: false, reason: 'no NVIDIA driver; libcudnn.so.9 missing' });
/** A machine with an NVIDIA driver may have a working provider: the "no CUDA here" checks do not apply. */
const gpuHere = nvidiaInfo().gpus.length > 0 || fs.existsSync('/proc/driver/nvidia/version');
const onGpu = gpuHere ? 'this machine has an NVIDIA driver: the no-CUDA checks do not apply' : false;

test('requests: auto | cpu | cuda, anything else named with the expected values', () => {
  assert.equal(parseDeviceRequest('CUDA'), 'cuda');
  assert.equal(parseDeviceRequest(undefined), 'auto');
  assert.equal(parseDeviceRequest(''), 'auto');
  assert.throws(() => parseDeviceRequest('gpu', '--device'), /--device='gpu': expected one of auto, cpu, cuda/);
});

test('ort engine: cpu is the CPU; auto picks CUDA when the check passes, else the CPU with the reason; cuda without it is an error', () => {
  assert.deepEqual(resolveOrtDevice('cpu', () => assert.fail('cpu must not run the CUDA check')), { device: 'cpu', note: 'on the CPU (asked for)' });
  const auto = resolveOrtDevice('auto', fine);
  assert.equal(auto.device, 'cuda');
  assert.match(auto.note, /^on CUDA \(auto: the onnxruntime CUDA provider passed the one-op check on GPU 0: Test GPU\)$/);
  const cpu = resolveOrtDevice('auto', broken);
  assert.deepEqual(cpu, { device: 'cpu', note: 'on the CPU (auto; CUDA not used: no NVIDIA driver; libcudnn.so.9 missing)' });
  assert.equal(resolveOrtDevice('cuda', fine).device, 'cuda');
  assert.throws(() => resolveOrtDevice('cuda', broken), (e: Error) => {
    assert.match(e.message, /^--device cuda: the onnxruntime CUDA provider does not work here: no NVIDIA driver; libcudnn\.so\.9 missing\. `npx drin device` shows every check\.$/);
    return true;
  });
});

test('no request is auto; DRIN_DEVICE reaches the library only through readDrinEnv, checked', () => {
  assert.equal(resolveOrtDevice(undefined, fine).device, 'cuda');
  assert.equal(resolveOrtDevice(undefined, broken).device, 'cpu');
  assert.equal(readDrinEnv({}).device, 'auto');
  const cuda = readDrinEnv({ DRIN_DEVICE: 'cuda' }).device;
  assert.throws(() => resolveOrtDevice(cuda, broken), /--device cuda/);
  assert.equal(resolveOrtDevice(readDrinEnv({ DRIN_DEVICE: ' CPU ' }).device, () => assert.fail('not checked')).device, 'cpu');
  assert.throws(() => readDrinEnv({ DRIN_DEVICE: 'tpu' }), /DRIN_DEVICE='tpu': expected one of auto, cpu, cuda/);
});

test('DRIN_ORT_THREADS, DRIN_CUDA_DEVICE, DRIN_TF32 become the ort engine\'s session options, checked', () => {
  assert.deepEqual(readDrinEnv({}).ort, { threads: undefined, cudaDevice: undefined, tf32: false });
  const env = readDrinEnv({ DRIN_ORT_THREADS: '3', DRIN_CUDA_DEVICE: '1', DRIN_TF32: '1', DRIN_ENGINE: 'ort' });
  assert.deepEqual(env.drin, { engine: 'ort', device: 'auto', ort: { threads: 3, cudaDevice: 1, tf32: true } });
  assert.throws(() => readDrinEnv({ DRIN_ORT_THREADS: '0' }), /DRIN_ORT_THREADS='0': expected an integer >= 1/);
  assert.throws(() => readDrinEnv({ DRIN_CUDA_DEVICE: 'gpu1' }), /DRIN_CUDA_DEVICE='gpu1': expected an integer >= 0/);
  assert.equal(ortThreads(3), 3);
  assert.equal(ortThreads(undefined), ortThreads(0), 'none or < 1: every core');
});

test('encoders: cuda without a working provider falls back to the CPU with the reason', () => {
  assert.deepEqual(resolveEncodeDevice('cuda', broken), {
    device: 'cpu', fellBack: true,
    note: '--device cuda asked, but the onnxruntime CUDA provider does not work here (no NVIDIA driver; libcudnn.so.9 missing): falling back to the CPU',
  });
  assert.deepEqual(resolveEncodeDevice('cuda', fine), { device: 'cuda', fellBack: false, note: 'on CUDA (the onnxruntime CUDA provider passed the one-op check on GPU 0: Test GPU)' });
  assert.equal(resolveEncodeDevice('auto', broken).device, 'cpu');
  assert.equal(resolveEncodeDevice('auto', broken).fellBack, false);
});

test('tfjs engine: CUDA applies only through tfjs-node-gpu; without it cuda is an error', () => {
  // the test process runs tfjs on its default backend, not tfjs-node-gpu
  assert.throws(() => resolveTfjsDevice('cuda'), /--device cuda: the tfjs backend \w+ runs on the CPU; CUDA reaches tfjs only through @tensorflow\/tfjs-node-gpu/);
  const auto = resolveTfjsDevice('auto');
  assert.equal(auto.device, 'cpu');
  assert.match(auto.note, /CUDA does not apply: the tfjs backend \w+ runs on the CPU/);
});

test('the CUDA session asks onnxruntime for the cuda provider with full float32 (TF32 off unless tf32: DRIN_TF32=1)', () => {
  const before = process.env.NVIDIA_TF32_OVERRIDE;
  try {
    delete process.env.NVIDIA_TF32_OVERRIDE;
    assert.deepEqual(ortExecutionProviders('cpu'), ['cpu']);
    assert.equal(process.env.NVIDIA_TF32_OVERRIDE, undefined, 'the CPU path sets nothing');
    assert.deepEqual(ortExecutionProviders('cuda', { tf32: true, cudaDevice: 2 }), [{ name: 'cuda', deviceId: 2 }]);
    assert.equal(process.env.NVIDIA_TF32_OVERRIDE, undefined, 'tf32: true leaves TF32 on');
    assert.deepEqual(ortExecutionProviders('cuda'), [{ name: 'cuda', deviceId: 0 }]);
    assert.equal(process.env.NVIDIA_TF32_OVERRIDE, '0');
  } finally {
    if (before === undefined) delete process.env.NVIDIA_TF32_OVERRIDE;
    else process.env.NVIDIA_TF32_OVERRIDE = before;
  }
});

test('an in-process session on cuda asks onnxruntime for the CUDA provider (fails here with its error); on cpu it runs', { skip: onGpu }, () => {
  assert.throws(() => new OrtSession(oneOpModel(), 1, { device: 'cuda' }), /OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library/);
  const s = new OrtSession(oneOpModel(), 1, { device: 'cpu' });
  try {
    assert.equal(s.device, 'cpu');
    assert.deepEqual(Array.from(s.run({ x: { data: Float32Array.from([1, 2, 3, 4]), dims: [2, 2] } }, ['y']).y), [7, 10, 15, 22]);
  } finally {
    s.dispose();
  }
});

test('one-op session check: passes on the CPU provider with the exact product', () => {
  assert.ok(oneOpModel().length > 20);
  const r = checkOrtProvider('cpu');
  assert.equal(r.error, undefined);
  assert.equal(r.ok, true);
  assert.equal(r.provider, 'cpu');
  assert.ok(typeof r.ms === 'number' && r.ms >= 0);
});

test('one-op session check: fails on cuda here, with onnxruntime\'s error and the library that did not load', { skip: onGpu }, () => {
  const r = checkOrtProvider('cuda');
  assert.equal(r.ok, false);
  assert.match(r.error!, /Cuda|CUDA|cuda/);
  assert.match(r.error!, /Failed to load shared library|providers_cuda|libcu/);
  const info = ortCudaInfo({ check: false });
  if (info.providerFiles.some((f) => !f.present)) assert.ok(r.detail.some((d) => /libonnxruntime_providers_(shared|cuda)\.so/.test(d)), r.detail.join('\n'));
  assert.equal(checkOrtProvider('no-such-provider').ok, false);
});

test('this machine: no CUDA, and the status names what is missing', { skip: onGpu }, () => {
  const s = ortCudaStatus();
  assert.equal(s.ok, false);
  assert.match(s.reason, /no NVIDIA driver/);
  const info = ortCudaInfo({ check: false });
  if (info.providerFiles.some((f) => !f.present)) assert.match(s.reason, /onnxruntime-node's CUDA provider is not installed \(libonnxruntime_providers_cuda\.so/);
  // the status sentence from given parts
  const ok = cudaStatusOf({ gpus: [{ index: 0, name: 'H200', memoryMiB: 143771 }], driver: '570.1', cuda: '12.8' }, { ...info, check: { provider: 'cuda', ok: true, ms: 5, detail: [] } });
  assert.deepEqual(ok, { ok: true, reason: 'the onnxruntime CUDA provider passed the one-op check on GPU 0: H200' });
});

test('createDrin: device auto trains on the CPU here and says why; cuda is an error naming what is missing', { skip: onGpu }, () => {
  const cfg = { bertDim: 8, resnetDim: 8, gcnDim: 8 };
  const m = createDrin(cfg, 0, { engine: 'ort', device: 'auto' });
  try {
    assert.equal(m.device, 'cpu');
    assert.match(m.engineNote, /^onnxruntime engine \(asked for\) on the CPU \(auto; CUDA not used: .*no NVIDIA driver/);
  } finally {
    m.params.forEach((p) => p.dispose());
  }
  assert.throws(() => createDrin(cfg, 0, { engine: 'ort', device: 'cuda' }), /--device cuda: the onnxruntime CUDA provider does not work here: .*no NVIDIA driver/);
  assert.throws(() => createDrin(cfg, 0, { engine: 'tfjs', device: 'cuda' }), /--device cuda: the tfjs backend/);
});

test('createGhmfc / createMelhi: the same resolution as DRIN (GHMFC ort: resolveOrtDevice; GHMFC tfjs, MEL-HI: resolveTfjsDevice)', { skip: onGpu }, () => {
  const cfg = { dataset: 'wikidiverse' as const, bertDim: 8, resnetDim: 8, numHeads: 2 };
  const free = (m: { params: Map<string, { dispose(): void }> }) => m.params.forEach((p) => p.dispose());
  const cpu = createGhmfc(cfg, 0, { engine: 'ort', device: 'cpu' });
  assert.equal(cpu.device, 'cpu');
  assert.equal(cpu.engineNote, 'onnxruntime engine on the CPU (asked for)');
  assert.equal(cpu.ort!.sessionOptions().device, 'cpu');
  free(cpu);
  const auto = createGhmfc(cfg, 0, { engine: 'ort' });
  assert.equal(auto.device, 'cpu');
  assert.equal(auto.engineNote, `onnxruntime engine ${resolveOrtDevice('auto').note}`);
  assert.match(auto.engineNote, /^onnxruntime engine on the CPU \(auto; CUDA not used: .*no NVIDIA driver/);
  free(auto);
  // cuda: the very Error resolveOrtDevice gives, naming what is missing; under engine auto too (CUDA is onnxruntime's)
  const ortWhy = (() => {
    try {
      resolveOrtDevice('cuda');
    } catch (e) {
      return (e as Error).message;
    }
    return assert.fail('resolveOrtDevice(cuda) must throw here');
  })();
  assert.match(ortWhy, /^--device cuda: the onnxruntime CUDA provider does not work here: .*no NVIDIA driver/);
  assert.throws(() => createGhmfc(cfg, 0, { engine: 'ort', device: 'cuda' }), (e: Error) => e.message === ortWhy);
  assert.throws(() => createGhmfc(cfg, 0, { device: 'cuda' }), (e: Error) => e.message === ortWhy);
  assert.throws(() => createGhmfc(cfg, 0, { engine: 'tfjs', device: 'cuda' }), /^Error: --device cuda: the tfjs backend \w+ runs on the CPU; CUDA reaches tfjs only through @tensorflow\/tfjs-node-gpu/);
  const tfjs = createGhmfc(cfg, 0, { engine: 'tfjs', device: 'auto' });
  assert.equal(tfjs.device, 'cpu');
  assert.match(tfjs.engineNote, /^tfjs engine on the tfjs backend \w+ \(CUDA does not apply: /);
  free(tfjs);
  const melhi = createMelhi({ bertDim: 8, resnetDim: 8 }, 0, { device: 'cpu' });
  assert.equal(melhi.device, 'cpu');
  assert.match(melhi.engineNote, /^tfjs engine \(MEL-HI's only one\) on the tfjs backend \w+ \(asked for the CPU\)$/);
  free(melhi);
  assert.throws(() => createMelhi({ bertDim: 8, resnetDim: 8 }, 0, { device: 'cuda' }), /--device cuda: the tfjs backend \w+ runs on the CPU; CUDA reaches tfjs only through @tensorflow\/tfjs-node-gpu .*The ort engine \(--engine ort\) runs on the onnxruntime CUDA provider/);
  assert.throws(() => createMelhi({}, 0, { device: 'gpu' as 'cuda' }), /device='gpu': expected one of auto, cpu, cuda/);
});

test('the report: its shape, and the text says no GPU with the reason for each path', { skip: onGpu }, async () => {
  const r = await deviceReport();
  assert.deepEqual(Object.keys(r).sort(), ['nvidia', 'ortCuda', 'tfjsBackend', 'tfjsGpu', 'toolkit', 'use']);
  assert.deepEqual(r.nvidia.gpus, []);
  assert.match(r.nvidia.reason!, /nvidia-smi/);
  assert.equal(r.ortCuda.check.provider, 'cuda');
  assert.equal(r.ortCuda.check.ok, false);
  assert.deepEqual(r.ortCuda.providerFiles.map((f) => f.file), ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']);
  assert.deepEqual(r.ortCuda.runtimeLibs.map((l) => l.name), ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcurand.so.10', 'libcufft.so.11', 'libcudnn.so.9']);
  assert.equal(r.tfjsGpu.usingGpu, false);
  assert.ok(r.tfjsGpu.reason);
  for (const part of ['ort', 'tfjs', 'encode'] as const) {
    assert.equal(r.use[part].device, 'cpu', part);
    assert.match(r.use[part].why, /^(CUDA not used|CUDA does not apply): /, part);
  }
  // the baselines, per model: GHMFC on its default engine (ort unless tfjs is native) follows that engine's part;
  // MEL-HI and the zero-shot floors are tfjs only
  const { ghmfc, melhi, zeroShot } = r.use.baselines;
  const ghmfcEngine = tf.getBackend() === 'tensorflow' ? 'tfjs' : 'ort';
  assert.equal(ghmfc.engine, ghmfcEngine);
  if (ghmfcEngine === 'ort') assert.deepEqual(ghmfc, { ...r.use.ort, engine: 'ort', why: `same as the DRIN ort engine: ${r.use.ort.why}` });
  else assert.equal(ghmfc.via, r.use.tfjs.via);
  for (const p of [melhi, zeroShot]) assert.deepEqual(p, { ...r.use.tfjs, why: `tfjs only; same as the DRIN tfjs engine: ${r.use.tfjs.why}` });
  const text = formatDeviceReport(r);
  assert.match(text, /^GPUs: none \(nvidia-smi not found/m);
  assert.match(text, /^onnxruntime CUDA provider \(onnxruntime-node 1\.30, needs CUDA 12 \+ cuDNN 9\): FAILED$/m);
  assert.match(text, /^ {2}one-op session with executionProviders \['cuda'\]: /m);
  assert.match(text, /^tfjs-node-gpu \(4\.22, libtensorflow 2\.9\.1, needs CUDA 11\.2 \+ cuDNN 8\.1\): (not installed|FAILED|loaded, no GPU)$/m);
  assert.match(text, /^ {2}DRIN ort engine +cpu +onnxruntime-node CPU provider — CUDA not used: /m);
  assert.match(text, /^ {2}encode \(drin encode\) +cpu /m);
  if (ghmfcEngine === 'ort') assert.match(text, /^ {2}GHMFC \(ort engine\) +cpu +onnxruntime-node CPU provider — same as the DRIN ort engine: CUDA not used: /m);
  assert.match(text, /^ {2}MEL-HI \(tfjs\) +cpu +tfjs backend \w+ — tfjs only; same as the DRIN tfjs engine: CUDA does not apply: /m);
  assert.match(text, /^ {2}zero-shot \(tfjs\) +cpu +tfjs backend \w+ — tfjs only; same as the DRIN tfjs engine: /m);
  assert.doesNotMatch(text, /GHMFC and MEL-HI run on tfjs/);
  assert.match(text, /^summary: no GPU in use \(no NVIDIA GPU on this machine\)$/m);
});

test('`drin device --json` prints the report; `drin backend` still prints the tfjs backend', { skip: onGpu }, () => {
  const r = spawnSync(process.execPath, [DRIN, 'device', '--json'], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.use.ort.device, 'cpu');
  assert.equal(rep.ortCuda.check.ok, false);
  const b = spawnSync(process.execPath, [DRIN, 'backend'], { encoding: 'utf8', timeout: 120000 });
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /^tfjs backend: \w+/);
});

const FIX = path.join(SHARED_DIR, 'fixtures', 'preprocessed', 'wikidiverse');

test('`drin train --device auto` trains on the CPU and says why; `--device cuda` exits with what is missing', { skip: onGpu || needsShared('fixtures/preprocessed/wikidiverse') }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-device-'));
  try {
    const args = [DRIN, 'train', '--data', FIX, '--out', out, '--epochs', '1', '--test-every', '1', '--limit', '4', '--gcn-dim', '8'];
    const cuda = spawnSync(process.execPath, [...args, '--device', 'cuda'], { encoding: 'utf8', timeout: 180000 });
    assert.equal(cuda.status, 1, cuda.stdout);
    assert.match(cuda.stderr, /^drin: --device cuda: the onnxruntime CUDA provider does not work here: .*no NVIDIA driver/m);
    const auto = spawnSync(process.execPath, [...args, '--device', 'auto'], { encoding: 'utf8', timeout: 180000 });
    assert.equal(auto.status, 0, auto.stderr);
    assert.match(auto.stdout, /^DRIN: onnxruntime engine on the CPU \(auto; CUDA not used: .*no NVIDIA driver/m);
    assert.match(auto.stdout, /^epoch 1\/1 loss \d/m);
    assert.ok(fs.existsSync(path.join(out, 'weights.npz')));
    const bad = spawnSync(process.execPath, [...args, '--device', 'gpu'], { encoding: 'utf8', timeout: 180000 });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--device='gpu': expected one of auto, cpu, cuda/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('`npm run gpu-check` finishes on a CPU-only machine with a "no GPU" summary', { skip: onGpu }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-gpu-check-'));
  try {
    const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'gpu-check.sh')], { encoding: 'utf8', timeout: 300000, env: { ...process.env, DRIN_GPU_CHECK_OUT: out } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^GPU check summary \(\d+ s; logs in /m);
    assert.match(r.stdout, /^ {2}GPU {22}NONE {5}none: nvidia-smi not found/m);
    assert.match(r.stdout, /^ {2}onnxruntime CUDA {9}NO {7}CUDA not used: /m);
    assert.match(r.stdout, /^ {2}drin parity \(cuda\) {7}SKIPPED {2}no working onnxruntime CUDA provider$/m);
    assert.match(r.stdout, /^RESULT: no GPU in use — CUDA not used: .*Everything runs on the CPU\.$/m);
    assert.ok(fs.existsSync(path.join(out, 'device.json')));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
