/**
 * The DRIN data release as published: "fake MP4" files.
 *
 * The authors share archives through a web drive that only accepts videos, so each archive was
 * disguised: its first 32 bytes were moved to the end of the file and replaced by a 32-byte MP4
 * `ftyp` box.
 *
 *   raw:      | first 32 B | rest of the archive ...          |
 *   encoded:  | MP4 header | rest of the archive ... | first 32 B |
 *
 * Decoding puts the last 32 bytes back at offset 0 and drops the header. Unlike the reference tool
 * (which renames and rewrites in place and only prints FAILED on a checksum mismatch), we write the
 * output next to the input under a `.partial` name, verify its md5 while streaming, and only then
 * move it into place; inputs are never modified, and a mismatch is an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';

/** The 32-byte MP4 `ftyp` box that starts every encoded file. */
export const RELEASE_MP4_HEADER = Buffer.from('000000206674797069736f6d0000020069736f6d69736f32617663316d703431', 'hex');
const HLEN = RELEASE_MP4_HEADER.length; // 32

/** Published md5 of each decoded release file. */
export const RELEASE_MD5: Readonly<Record<string, string>> = {
  'preprocessed.tar.gz': 'af7f41dac88e5ce1a66085af5f52fc44',
  'raw-data.z01': '3240b50cd92abf7cb8db6f057d9ae082',
  'raw-data.z02': 'd7f33381bad8725d6c9c00ad8f54c4c1',
  'raw-data.z03': '5ba7495c7612978063d1f7ed000018d7',
  'raw-data.z04': 'a03cf88dd594ea731ee146cfa815d53c',
  'raw-data.z05': 'dc953e503a011d1fbe8f46d02c98061b',
  'raw-data.zip': '3f679dee86dff458b6221978a996caeb',
};

/** Default encoded name of a release file (the name it is downloaded under). */
export function releaseEncodedName(rawName: string): string {
  return `${rawName}.mp4`;
}

/** Progress callback: bytes done of total. */
export type ReleaseProgress = (done: number, total: number) => void;

const CHUNK = 8 << 20;

/** Error for release problems; inputs are left as they were. */
export class ReleaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseError';
  }
}

/** md5 of a file, streamed. */
export async function md5File(file: string, onProgress?: ReleaseProgress): Promise<string> {
  const h = crypto.createHash('md5');
  const total = fs.statSync(file).size;
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let pos = 0;
    while (pos < total) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, total - pos), pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
      onProgress?.(pos, total);
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/** Copy bytes [start, end) of `src` to `out`, feeding `hash`. */
async function copyRange(src: fs.promises.FileHandle, out: fs.promises.FileHandle, start: number, end: number, hash: crypto.Hash,
  progress: (n: number) => void): Promise<void> {
  const buf = Buffer.alloc(CHUNK);
  let pos = start;
  while (pos < end) {
    const { bytesRead } = await src.read(buf, 0, Math.min(CHUNK, end - pos), pos);
    if (bytesRead === 0) throw new ReleaseError(`unexpected end of input at byte ${pos}`);
    const part = buf.subarray(0, bytesRead);
    hash.update(part);
    await out.write(part);
    pos += bytesRead;
    progress(bytesRead);
  }
}

export interface DecodeResult {
  encoded: string;
  raw: string;
  bytes: number;
  md5: string;
  /** 'verified' (md5 matched), 'unchecked' (no expected md5 / skipped), 'already' (raw existed with the right md5). */
  status: 'verified' | 'unchecked' | 'already';
}

/**
 * Decode one encoded file to `rawPath` without touching the input.
 * Refuses inputs that are shorter than 64 bytes or do not start with the MP4 header; with
 * `expectedMd5`, a mismatch deletes the partial output and throws.
 */
export async function decodeReleaseFile(encodedPath: string, rawPath: string,
  opts: { expectedMd5?: string; onProgress?: ReleaseProgress; overwrite?: boolean } = {}): Promise<DecodeResult> {
  if (!fs.existsSync(encodedPath)) throw new ReleaseError(`${encodedPath}: not found`);
  const size = fs.statSync(encodedPath).size;
  if (size < 2 * HLEN) {
    throw new ReleaseError(`${encodedPath}: ${size} bytes; an encoded file holds the 32-byte MP4 header plus the original file (at least 32 bytes)`);
  }
  const src = await fs.promises.open(encodedPath, 'r');
  try {
    const head = Buffer.alloc(HLEN);
    await src.read(head, 0, HLEN, 0);
    if (!head.equals(RELEASE_MP4_HEADER)) {
      throw new ReleaseError(`${encodedPath}: does not start with the release's MP4 header (${RELEASE_MP4_HEADER.toString('hex')}); got ${head.toString('hex')}. Already decoded, or not a release file?`);
    }
    if (fs.existsSync(rawPath) && !opts.overwrite) {
      if (opts.expectedMd5 && (await md5File(rawPath)) === opts.expectedMd5) {
        return { encoded: encodedPath, raw: rawPath, bytes: size - HLEN, md5: opts.expectedMd5, status: 'already' };
      }
      throw new ReleaseError(`${rawPath}: exists (and does not match the expected md5); remove it or pass overwrite to decode ${encodedPath} again`);
    }
    const tmp = `${rawPath}.partial`;
    const out = await fs.promises.open(tmp, 'w');
    const hash = crypto.createHash('md5');
    let done = 0;
    const total = size - HLEN;
    const tick = (n: number) => {
      done += n;
      opts.onProgress?.(done, total);
    };
    try {
      await copyRange(src, out, size - HLEN, size, hash, tick); // the original first 32 bytes
      await copyRange(src, out, HLEN, size - HLEN, hash, tick); // the rest
    } catch (e) {
      await out.close();
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    await out.close();
    const md5 = hash.digest('hex');
    if (opts.expectedMd5 && md5 !== opts.expectedMd5) {
      fs.rmSync(tmp, { force: true });
      throw new ReleaseError(`${encodedPath}: md5 of the decoded data is ${md5}, expected ${opts.expectedMd5}; the download is corrupt or incomplete (input left as it was, nothing written)`);
    }
    fs.renameSync(tmp, rawPath);
    return { encoded: encodedPath, raw: rawPath, bytes: total, md5, status: opts.expectedMd5 ? 'verified' : 'unchecked' };
  } finally {
    await src.close();
  }
}

/** Encode one file (the inverse of decode) without touching the input; returns the raw file's md5. */
export async function encodeReleaseFile(rawPath: string, encodedPath: string,
  opts: { onProgress?: ReleaseProgress; overwrite?: boolean } = {}): Promise<{ raw: string; encoded: string; bytes: number; md5: string }> {
  if (!fs.existsSync(rawPath)) throw new ReleaseError(`${rawPath}: not found`);
  const size = fs.statSync(rawPath).size;
  if (size < HLEN) throw new ReleaseError(`${rawPath}: ${size} bytes; files shorter than 32 bytes cannot be encoded (their first 32 bytes are moved to the end)`);
  if (fs.existsSync(encodedPath) && !opts.overwrite) throw new ReleaseError(`${encodedPath}: exists; remove it first`);
  const src = await fs.promises.open(rawPath, 'r');
  const tmp = `${encodedPath}.partial`;
  const out = await fs.promises.open(tmp, 'w');
  const rawHash = crypto.createHash('md5');
  let done = 0;
  const tick = (n: number) => {
    done += n;
    opts.onProgress?.(done, size);
  };
  try {
    const head = Buffer.alloc(HLEN);
    await src.read(head, 0, HLEN, 0);
    rawHash.update(head);
    await out.write(RELEASE_MP4_HEADER);
    const buf = Buffer.alloc(CHUNK);
    let pos = HLEN;
    while (pos < size) {
      const { bytesRead } = await src.read(buf, 0, Math.min(CHUNK, size - pos), pos);
      if (bytesRead === 0) throw new ReleaseError(`${rawPath}: unexpected end at byte ${pos}`);
      rawHash.update(buf.subarray(0, bytesRead));
      await out.write(buf.subarray(0, bytesRead));
      pos += bytesRead;
      tick(bytesRead);
    }
    await out.write(head);
    tick(HLEN);
  } catch (e) {
    await out.close();
    await src.close();
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  await out.close();
  await src.close();
  fs.renameSync(tmp, encodedPath);
  return { raw: rawPath, encoded: encodedPath, bytes: size + HLEN, md5: rawHash.digest('hex') };
}

/** Expected md5 per raw name: `<dir>/md5.json`, else `<dir>/md5` (reference format: one line per raw file in order), else the published list. */
export function releaseExpectedMd5(dir: string, rawNames: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const json = path.join(dir, 'md5.json');
  const lines = path.join(dir, 'md5');
  let fromJson: Record<string, string> = {};
  let fromLines: string[] = [];
  if (fs.existsSync(json)) fromJson = JSON.parse(fs.readFileSync(json, 'utf8'));
  else if (fs.existsSync(lines)) fromLines = fs.readFileSync(lines, 'utf8').split(/\r?\n/).filter((l) => l.trim().length > 0);
  rawNames.forEach((n, i) => {
    out[n] = fromJson[n] ?? fromLines[i] ?? RELEASE_MD5[n];
  });
  return out;
}

/**
 * Shell commands that unpack decoded release archives in `dir`: `tar -xzf` for .tar.gz, and for the
 * split zip set (name.z01.. + name.zip) a join with `zip -s 0` followed by `unzip`.
 */
export function releaseExtractCommands(dir: string, rawNames: string[]): string[][] {
  const cmds: string[][] = [];
  for (const n of rawNames) {
    if (n.endsWith('.tar.gz') || n.endsWith('.tgz')) cmds.push(['tar', '-xzf', path.join(dir, n), '-C', dir]);
    else if (n.endsWith('.zip')) {
      const base = n.slice(0, -4);
      const parts = rawNames.filter((m) => new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.z\\d\\d$`).test(m));
      if (parts.length > 0) {
        const joined = path.join(dir, `${base}-joined.zip`);
        cmds.push(['zip', '-s', '0', path.join(dir, n), '--out', joined]);
        cmds.push(['unzip', '-o', joined, '-d', dir]);
      } else cmds.push(['unzip', '-o', path.join(dir, n), '-d', dir]);
    }
  }
  return cmds;
}

/** Quote a command for printing. */
export function shellQuote(cmd: string[]): string {
  return cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Run extract commands (synchronously, inheriting stdio). */
export function runExtractCommands(cmds: string[][]): void {
  for (const c of cmds) execFileSync(c[0], c.slice(1), { stdio: 'inherit' });
}
