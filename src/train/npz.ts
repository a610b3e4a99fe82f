/**
 * .npz (zip) container I/O through fflate: read stored or deflated entries (numpy's `savez` /
 * `savez_compressed`), write stored entries (as `np.savez`; `.npy` data barely compresses).
 */
import { unzipSync, zipSync, Zippable } from 'fflate';

/** Read every entry of a zip archive (`file` names the archive in errors). */
export function readZipEntries(buf: Uint8Array, file = '<buffer>'): Map<string, Buffer> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(buf);
  } catch (e) {
    throw new Error(`${file}: not a readable zip/npz archive (${(e as Error).message})`);
  }
  const out = new Map<string, Buffer>();
  for (const [name, data] of Object.entries(entries)) out.set(name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return out;
}

/** Write entries as a zip archive of stored (uncompressed) members, in the map's order. */
export function writeZipEntries(entries: Map<string, Uint8Array>): Buffer {
  const files: Zippable = {};
  for (const [name, data] of entries) files[name] = [data, { level: 0 }];
  const zip = zipSync(files);
  return Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
}
