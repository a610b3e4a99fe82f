/**
 * Which CUDA major release a found shared library was built for (`drin device`, src/device.ts).
 *
 * Finding a library by its soname is not enough on a machine whose CUDA is not the one onnxruntime-node's
 * provider was built for: `libcurand.so.10` and `libcudnn.so.9` keep their sonames across CUDA 12 and 13,
 * so on the lent H200 (CUDA 13.0, cuDNN 9.14 for CUDA 13; environment.md "GPU") both were "found" although
 * neither is the CUDA 12 build the provider needs. Three readings, in this order, the first that gives
 * exactly one major wins:
 *   1. `package`: the Debian package owning the file (`dpkg-query -S`: NVIDIA's libcudnn9-cuda-13,
 *      libcurand-13-0, cuda-cudart-13-0);
 *   2. `references`: the CUDA sonames the file names, or else the first of its sub-libraries that names any
 *      (cuDNN loads cuBLAS / NVRTC with dlopen: on the H200 only libcudnn_adv.so.9, 102 MB, and
 *      libcudnn_engines_precompiled.so.9, 223 MB, hold "libcublasLt.so.13" / "libnvrtc.so.13"); files over
 *      128 MiB are not read, so there the package decided;
 *   3. `folder`: the CUDA runtime beside the file (`libcudart.so.N` alone in the same folder, as in a CUDA
 *      toolkit's lib folder). Last, since a distribution's folder can hold one CUDA's runtime and
 *      another's cuDNN.
 * The CUDA major of each soname it reads: libcudart / libcublas / libcublasLt / libnvrtc .so.N = CUDA N.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The CUDA major a library was built for and how that was read. */
export interface CudaBuild {
  major: number;
  how: 'folder' | 'references' | 'package';
}

/** The file-system and package look-ups {@link cudaBuildOf} uses (replaced in the tests). */
export interface CudaBuildProbe {
  /** Names in a folder ([] when it cannot be read). */
  list(dir: string): string[];
  /** A file's bytes, or undefined when it is missing or over `maxBytes`. */
  read(file: string, maxBytes: number): Buffer | undefined;
  /** The Debian package owning a file, or undefined (no dpkg, or not from a package). */
  owner(file: string): string | undefined;
  /** The file a link points to, finally. */
  realpath(file: string): string;
}

/** Files larger than this are not scanned for sonames (cuDNN 9.14's precompiled engines are 223 MB). */
export const MAX_SCAN_BYTES = 128 * 1024 * 1024;

/** The machine's files and dpkg. */
export const machineProbe: CudaBuildProbe = {
  list: (dir) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  },
  read: (file, maxBytes) => {
    try {
      return fs.statSync(file).size <= maxBytes ? fs.readFileSync(file) : undefined;
    } catch {
      return undefined;
    }
  },
  owner: (file) => {
    const r = spawnSync('dpkg-query', ['-S', file], { encoding: 'utf8', timeout: 10000 });
    return !r.error && r.status === 0 ? r.stdout.split(':')[0]?.trim() || undefined : undefined;
  },
  realpath: (file) => {
    try {
      return fs.realpathSync(file);
    } catch {
      return file;
    }
  },
};

const only = (s: Set<number>): number | undefined => (s.size === 1 ? [...s][0] : undefined);

/** CUDA majors of the runtime sonames in a text (libcudart / libcublas / libcublasLt / libnvrtc .so.N). */
export function referencedCudaMajors(text: string): Set<number> {
  const out = new Set<number>();
  for (const m of text.matchAll(/lib(?:cudart|cublasLt|cublas|nvrtc)\.so\.(\d+)/g)) out.add(Number(m[1]));
  return out;
}

/**
 * The CUDA major `file` (a found library, e.g. /lib/x86_64-linux-gnu/libcudnn.so.9) was built for, or
 * undefined when none of the three readings gives exactly one.
 */
export function cudaBuildOf(file: string, probe: CudaBuildProbe = machineProbe): CudaBuild | undefined {
  const real = probe.realpath(file);
  const fromPkg = packageCudaMajor(probe.owner(real));
  if (fromPkg !== undefined) return { major: fromPkg, how: 'package' };

  // the file itself, then (for cuDNN) its sub-libraries of the same soname version, which load cuBLAS / NVRTC
  const dir = path.dirname(real);
  const names = probe.list(dir);
  const base = /^(lib[A-Za-z0-9]+)[^/]*\.so\.(\d+)/.exec(path.basename(file));
  const siblings = base ? names.filter((n) => n !== path.basename(real) && n.startsWith(`${base[1]}_`) && n.endsWith(`.so.${base[2]}`)).sort() : [];
  let refs = new Set<number>();
  for (const f of [real, ...siblings.map((n) => path.join(dir, n))]) {
    const bytes = probe.read(f, MAX_SCAN_BYTES);
    refs = bytes ? referencedCudaMajors(bytes.toString('latin1')) : refs;
    if (refs.size) break;
  }
  if (only(refs) !== undefined) return { major: only(refs)!, how: 'references' };

  const folder = new Set(names.flatMap((n) => /^libcudart\.so\.(\d+)$/.exec(n)?.slice(1).map(Number) ?? []));
  return only(folder) !== undefined ? { major: only(folder)!, how: 'folder' } : undefined;
}

/** The CUDA major in a Debian package name: libcudnn9-cuda-13 → 13, libcurand-13-0 / cuda-cudart-13-0 → 13; else undefined. */
export function packageCudaMajor(pkg: string | undefined): number | undefined {
  if (!pkg) return undefined;
  const m = /-cuda-?(\d+)$/.exec(pkg) ?? /^(?:cuda-|lib)[a-z0-9-]+?-(\d+)-\d+$/.exec(pkg);
  return m ? Number(m[1]) : undefined;
}
