/**
 * Bounded-memory row access for big .npy files: an LRU of hot rows in front of positioned reads.
 *
 * WikiMEL candidates repeat a lot (popular entities are candidates of many mentions), so an LRU of
 * entity rows turns most entity reads into memory copies while the resident set stays capped.
 */
import { NpyFile, NpyHeader } from './npy';

/**
 * LRU cache of raw rows of one .npy file, capped at `maxBytes`. Rows live in a few large slabs
 * (no per-row allocations, so the garbage collector is not involved); a Map keeps recency order.
 */
export class NpyRowCache {
  readonly file: NpyFile;
  /** row -> slot, in least-recently-used-first order. */
  private slots = new Map<number, number>();
  private slabs: Uint8Array[] = [];
  private nextSlot = 0;
  private readonly capacity: number;
  private readonly rowsPerSlab: number;
  hits = 0;
  misses = 0;

  constructor(pathOrFile: string | NpyFile, readonly maxBytes: number) {
    this.file = typeof pathOrFile === 'string' ? new NpyFile(pathOrFile) : pathOrFile;
    const rb = Math.max(1, this.file.header.rowBytes);
    this.capacity = Math.min(this.file.header.numRows, Math.floor(maxBytes / rb));
    this.rowsPerSlab = Math.max(1, Math.floor((64 << 20) / rb));
  }

  get header(): NpyHeader {
    return this.file.header;
  }

  /** Bytes held now. */
  get residentBytes(): number {
    return this.slots.size * this.file.header.rowBytes;
  }

  private view(slot: number): Uint8Array {
    const rb = this.file.header.rowBytes;
    const k = Math.floor(slot / this.rowsPerSlab);
    while (this.slabs.length <= k) {
      const rows = Math.min(this.rowsPerSlab, this.capacity - this.slabs.length * this.rowsPerSlab);
      this.slabs.push(new Uint8Array(rows * rb));
    }
    const o = (slot % this.rowsPerSlab) * rb;
    return this.slabs[k].subarray(o, o + rb);
  }

  /** A slot for a new row: a fresh one while below capacity, else the least recently used one. */
  private takeSlot(): number {
    if (this.nextSlot < this.capacity) return this.nextSlot++;
    const [oldRow, slot] = this.slots.entries().next().value as [number, number];
    this.slots.delete(oldRow);
    return slot;
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
      const slot = this.slots.get(r);
      if (slot !== undefined) {
        this.slots.delete(r); // refresh recency
        this.slots.set(r, slot);
        out.set(this.view(slot), i * rb);
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
      if (this.capacity > 0) {
        for (const r of missing) {
          if (this.slots.has(r)) continue; // another gather filled it meanwhile
          const slot = this.takeSlot();
          const k = where.get(r)!;
          this.view(slot).set(got.subarray(k * rb, (k + 1) * rb));
          this.slots.set(r, slot);
        }
      }
    }
    return out.buffer;
  }

  close(): void {
    this.slots.clear();
    this.slabs = [];
    this.nextSlot = 0;
    this.file.close();
  }
}
