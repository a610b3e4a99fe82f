/**
 * A CUDA 13 machine (src/cuda-build.ts, src/device.ts): libcurand.so.10 and libcudnn.so.9 found by name are
 * read as the CUDA 13 builds they are, and the status names CUDA 13 as what the onnxruntime CUDA provider
 * (built for CUDA 12) cannot use. The layout is the one `drin device` met on a lent H200 (2026-11-30:
 * CUDA 13.0 under /usr/local/cuda/targets/x86_64-linux/lib, NVIDIA's libcudnn9-cuda-13 9.14 in
 * /usr/lib/x86_64-linux-gnu; environment.md "GPU").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cudaBuildOf, machineProbe, packageCudaMajor, referencedCudaMajors, type CudaBuildProbe } from '../../src/cuda-build';
import { cudaStatusOf, ortRuntimeLibs, otherCudaMajors, type LibCheck, type OrtCudaInfo } from '../../src/device';

const TK = '/usr/local/cuda/targets/x86_64-linux/lib';
const SYS = '/usr/lib/x86_64-linux-gnu';

/** A probe over given folders ({ dir: { name: content } }), package owners and links. */
function fakeProbe(files: Record<string, Record<string, string>>, owners: Record<string, string> = {}, links: Record<string, string> = {}): CudaBuildProbe {
  return {
    list: (dir) => Object.keys(files[dir] ?? {}),
    read: (file, max) => {
      const c = files[path.dirname(file)]?.[path.basename(file)];
      return c === undefined || c.length > max ? undefined : Buffer.from(c, 'latin1');
    },
    owner: (file) => owners[file],
    realpath: (file) => links[file] ?? file,
  };
}

test('package names: the CUDA major of NVIDIA\'s Debian packages, none for others', () => {
  assert.equal(packageCudaMajor('libcudnn9-cuda-13'), 13);
  assert.equal(packageCudaMajor('libcudnn9-cuda-12'), 12);
  assert.equal(packageCudaMajor('libcurand-13-0'), 13);
  assert.equal(packageCudaMajor('cuda-cudart-12-8'), 12);
  assert.equal(packageCudaMajor('libc6'), undefined);
  assert.equal(packageCudaMajor('libstdc++6'), undefined);
  assert.equal(packageCudaMajor(undefined), undefined);
});

test('referenced sonames: cudart / cublas / cublasLt / nvrtc give the CUDA major', () => {
  assert.deepEqual([...referencedCudaMajors('\0libcublasLt.so.13\0libnvrtc.so.13\0libc.so.6\0libcudnn.so.9\0')], [13]);
  assert.deepEqual([...referencedCudaMajors('libcudart.so.12 libcublas.so.12')], [12]);
  assert.deepEqual([...referencedCudaMajors('libcurand.so.10 libcufft.so.11')], []);
});

test('the H200 layout: curand by its toolkit folder, cuDNN by its package, each a CUDA 13 build', () => {
  const files = {
    [TK]: { 'libcudart.so.13': 'x', 'libcurand.so.10': 'x'.repeat(100), 'libcublas.so.13': 'x' },
    [SYS]: { 'libcudnn.so.9': 'shim', 'libcudnn_graph.so.9': 'libcublasLt.so.13' },
  };
  const probe = fakeProbe(files, { [`${SYS}/libcudnn.so.9`]: 'libcudnn9-cuda-13' }, { '/lib/x86_64-linux-gnu/libcudnn.so.9': `${SYS}/libcudnn.so.9` });
  assert.deepEqual(cudaBuildOf(`${TK}/libcurand.so.10`, probe), { major: 13, how: 'folder' });
  assert.deepEqual(cudaBuildOf('/lib/x86_64-linux-gnu/libcudnn.so.9', probe), { major: 13, how: 'package' });
  // without dpkg: the sonames cuDNN's sub-library loads (the first sub-library naming any decides)
  assert.deepEqual(cudaBuildOf(`${SYS}/libcudnn.so.9`, fakeProbe(files)), { major: 13, how: 'references' });
  const read: string[] = [];
  const h200 = { [SYS]: { 'libcudnn.so.9': 'shim', 'libcudnn_adv.so.9': 'libcublasLt.so.13', 'libcudnn_cnn.so.9': '', 'libcudnn_engines_precompiled.so.9': 'libnvrtc.so.12' } };
  const p = fakeProbe(h200);
  assert.deepEqual(cudaBuildOf(`${SYS}/libcudnn.so.9`, { ...p, read: (f, max) => (read.push(path.basename(f)), p.read(f, max)) }), { major: 13, how: 'references' });
  assert.deepEqual(read, ['libcudnn.so.9', 'libcudnn_adv.so.9']);
});

test('ambiguous or silent files: the folder decides where one CUDA runtime sits beside them, else unknown', () => {
  const mixed = { [SYS]: { 'libcudart.so.12': 'x', 'libcudnn.so.9': 'libcublasLt.so.12 libcublasLt.so.13' } };
  assert.deepEqual(cudaBuildOf(`${SYS}/libcudnn.so.9`, fakeProbe(mixed)), { major: 12, how: 'folder' });
  const silent = { [SYS]: { 'libcudart.so.12': 'x', 'libcudart.so.13': 'x', 'libcudnn.so.9': 'shim' } };
  assert.equal(cudaBuildOf(`${SYS}/libcudnn.so.9`, fakeProbe(silent)), undefined);
  // files over the scan limit are not read
  const big = { [SYS]: { 'libcudnn.so.9': 'shim', 'libcudnn_ops.so.9': 'libcublasLt.so.13' } };
  const capped: CudaBuildProbe = { ...fakeProbe(big), read: (f) => (f.endsWith('_ops.so.9') ? undefined : Buffer.from('shim')) };
  assert.equal(cudaBuildOf(`${SYS}/libcudnn.so.9`, capped), undefined);
});

test('the machine probe reads real files: a cuDNN sub-library naming libcublasLt.so.13', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-cuda-build-'));
  try {
    fs.writeFileSync(path.join(dir, 'libcudnn.so.9.14.0'), 'shim');
    fs.symlinkSync('libcudnn.so.9.14.0', path.join(dir, 'libcudnn.so.9'));
    fs.writeFileSync(path.join(dir, 'libcudnn_graph.so.9'), Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), Buffer.from('libcublasLt.so.13\0libnvrtc.so.13\0')]));
    assert.deepEqual(cudaBuildOf(path.join(dir, 'libcudnn.so.9'), { ...machineProbe, owner: () => undefined }), { major: 13, how: 'references' });
    assert.equal(machineProbe.read(path.join(dir, 'libcudnn_graph.so.9'), 4), undefined, 'over the limit');
    assert.equal(machineProbe.read(path.join(dir, 'absent.so'), 100), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('drin device on the H200 layout: the status names the CUDA 13 builds and CUDA 13 as what the provider cannot use', () => {
  const found: Record<string, string> = { 'libcurand.so.10': `${TK}/libcurand.so.10`, 'libcudnn.so.9': '/lib/x86_64-linux-gnu/libcudnn.so.9' };
  const versions: Record<string, LibCheck[]> = {
    libcudart: [{ name: 'libcudart.so.13', path: `${TK}/libcudart.so.13` }],
    libcublas: [{ name: 'libcublas.so.13', path: `${TK}/libcublas.so.13` }],
    libcublasLt: [{ name: 'libcublasLt.so.13', path: `${TK}/libcublasLt.so.13` }],
    libcufft: [{ name: 'libcufft.so.12', path: `${TK}/libcufft.so.12` }],
  };
  const libs = ortRuntimeLibs(
    (name) => ({ name, path: found[name] }),
    (base) => versions[base] ?? [],
    (file) => (file.includes('cudnn') ? { major: 13, how: 'package' } : { major: 13, how: 'folder' }),
  );
  assert.deepEqual(libs.runtimeLibs.map((l) => [l.name, l.build?.major]), [
    ['libcudart.so.12', undefined], ['libcublas.so.12', undefined], ['libcublasLt.so.12', undefined],
    ['libcurand.so.10', 13], ['libcufft.so.11', undefined], ['libcudnn.so.9', 13],
  ]);
  assert.deepEqual(libs.otherVersions.map((l) => l.name), ['libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcufft.so.12']);
  assert.deepEqual(otherCudaMajors(libs), [13]);
  const ort: OrtCudaInfo = {
    binDir: '/x/bin', providerFiles: [{ file: 'libonnxruntime_providers_cuda.so', present: true }, { file: 'libonnxruntime_providers_shared.so', present: true }],
    unresolved: [], ...libs, check: { provider: 'cuda', ok: false, error: 'not checked', detail: [] },
  };
  const s = cudaStatusOf({ gpus: [{ index: 0, name: 'NVIDIA H200', memoryMiB: 143771 }], driver: '580.159.04', cuda: '13.0' }, ort);
  assert.equal(s.ok, false);
  assert.equal(
    s.reason,
    'CUDA 12 / cuDNN 9 libraries not found: libcudart.so.12, libcublas.so.12, libcublasLt.so.12, libcufft.so.11, '
      + `libcurand.so.10 (only a CUDA 13 build: ${TK}/libcurand.so.10), libcudnn.so.9 (only a CUDA 13 build: /lib/x86_64-linux-gnu/libcudnn.so.9); `
      + 'this machine has CUDA 13 (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcufft.so.12), which onnxruntime-node 1.30\'s CUDA provider, '
      + 'built for CUDA 12, cannot load: it needs the CUDA 12 runtime and cuDNN 9 for CUDA 12 installed beside it',
  );
  // a CUDA 12 machine: found CUDA 12 builds are not named, and nothing about other versions
  const ok12 = ortRuntimeLibs((name) => ({ name, path: `/cuda12/${name}` }), () => [], () => ({ major: 12, how: 'package' }));
  assert.deepEqual(ok12.otherVersions, []);
  assert.equal(cudaStatusOf({ gpus: [{ index: 0, name: 'H100', memoryMiB: 81559 }] }, { ...ort, ...ok12 }).reason, 'the onnxruntime CUDA provider is not available');
});
