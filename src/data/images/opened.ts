/**
 * What every format opener of open.ts returns and shares: the opened image (header + the decode that
 * `convert('RGB')` would run), the corrupt-file error, and the magic-byte test.
 */
import { PillowImageError, type PillowHeader } from './types';

/** An opened image: its header, and the decode that `convert('RGB')` would run. */
export interface OpenedImage {
  header: PillowHeader;
  decode(): Promise<Uint8Array>;
}

export const corrupt = (msg: string) => new PillowImageError('corrupt', msg);
export const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
export const startsWith = (b: Uint8Array, bytes: number[] | string, at = 0) =>
  (typeof bytes === 'string' ? [...bytes].map((c) => c.charCodeAt(0)) : bytes).every((x, i) => b[at + i] === x);

