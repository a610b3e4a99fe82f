/**
 * What an encode run reports (`EncodeReport`), and the manifest a complete preprocessed directory
 * carries (`encode.json`): the encoders used — stand-in or real —, timings, counts of defaulted images
 * and detections, the vocabularies (vocabulary-check.ts), the image loader's rules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_LOADER } from '../data/images/rules';
import type { EncoderSet } from './types';
import type { TextVocabularyRecord } from './vocabulary-check';

/** What a run did. */
export interface EncodeReport {
  out: string;
  layout: 'wikimel' | 'wikidiverse';
  encoders: Record<keyof EncoderSet, { name: string; standin: boolean }>;
  shard: { index: number; count: number };
  tasks: { id: string; rows: number; chunks: number; computed: number; skipped: number; seconds: number; itemsPerSecond: number | null }[];
  counts: Record<string, number>;
  /** True when every chunk was present and the final files were written. */
  merged: boolean;
  seconds: number;
  /** The vocabularies of the prepared token positions and of the BERT tokens (checked equal). */
  vocabulary?: TextVocabularyRecord;
}

/** Each role's encoder name and whether it is a stand-in. */
export function encoderRecord(enc: EncoderSet): EncodeReport['encoders'] {
  return {
    text: { name: enc.text.name, standin: enc.text.standin }, image: { name: enc.image.name, standin: enc.image.standin },
    detector: { name: enc.detector.name, standin: enc.detector.standin }, clip: { name: enc.clip.name, standin: enc.clip.standin },
  };
}

/** Write `<report.out>/encode.json` for a merged run of `prepared` (R = `slots`). */
export function writeEncodeManifest(report: EncodeReport, prepared: string, slots: number): void {
  const manifest = {
    ...report, merged: true, prepared: path.resolve(prepared), slots,
    note: Object.values(report.encoders).some((e) => e.standin)
      ? 'STAND-IN encoders were used for the parts marked standin: true; those features are deterministic substitutes of the same shapes, not pretrained-model features.'
      : 'pretrained encoders',
    detectorNote: 'objects: DETR (or the stand-in) replaces the reference\'s Faster R-CNN',
    imageLoader: IMAGE_LOADER,
    written: new Date().toISOString(),
  };
  delete (manifest as Partial<typeof manifest>).tasks;
  fs.writeFileSync(path.join(report.out, 'encode.json'), JSON.stringify(manifest, null, 2) + '\n');
}
