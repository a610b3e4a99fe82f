/**
 * Bounded-memory row access for big .npy files: an LRU of hot rows in front of positioned reads.
 *
 * WikiMEL candidates repeat a lot (popular entities are candidates of many mentions), so an LRU of
 * entity rows turns most entity reads into memory copies while the resident set stays capped.
 */
import { NpyFile, NpyHeader } from './npy';

/** LRU cache of raw rows of one .npy file, capped at `maxBytes`. */
export class NpyRowCache {
  readonly file: NpyFile;
  private rows = new Map<number, Uint8Array>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(pathOrFile: string | NpyFile, readonly maxBytes: number) {
    this.file = typeof pathOrFile === 'string' ? new NpyFile(pathOrFile) : pathOrFile;
  }

  get header(): NpyHeader {
    return this.file.header;
  }

  /** Bytes held now. */
  get residentBytes(): number {
    return this.bytes;
  }

  /**
   * Raw bytes of rows `idx` (any order, repeats allowed), concatenated in `idx` order into an
   * aligned buffer. Misses are read (deduplicated, sorted so neighbours coalesce) off the main thread.
   */
  async gather(idx: ArrayLike<number>): Promise<ArrayBuffer> {
    const rb = this.file.header.rowBytes;
    const out = new Uint8Array(idx.length * rb);
    const missing: number[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i];
      const hit = this.rows.get(r);
      if (hit) {
        this.rows.delete(r); // refresh recency
        this.rows.set(r, hit);
        out.set(hit, i * rb);
        this.hits++;
      } else if (!seen.has(r)) {
        seen.add(r);
        missing.push(r);
      }
    }
    if (missing.length > 0) {
      missing.sort((a, b) => a - b);
      this.misses += missing.length;
      const got = new Uint8Array(await this.file.readRowBytesAtAsync(missing));
      const where = new Map<number, number>();
      missing.forEach((r, k) => where.set(r, k));
      for (let i = 0; i < idx.length; i++) {
        const k = where.get(idx[i]);
        if (k !== undefined) out.set(got.subarray(k * rb, (k + 1) * rb), i * rb);
      }
      if (rb <= this.maxBytes) {
        for (let k = 0; k < missing.length; k++) {
          this.rows.set(missing[k], got.slice(k * rb, (k + 1) * rb));
          this.bytes += rb;
        }
        this.evict();
      }
    }
    return out.buffer;
  }

  private evict(): void {
    const rb = this.file.header.rowBytes;
    for (const key of this.rows.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.rows.delete(key);
      this.bytes -= rb;
    }
  }

  close(): void {
    this.rows.clear();
    this.bytes = 0;
    this.file.close();
  }
}
