/**
 * Write a file so that readers never see half of it: write `<file>.<pid>.tmp` beside it, then rename
 * (atomic within one file system). A crash leaves the old file, or none, plus at most a stray `.tmp`.
 * The one helper for run files, weights, predictions, release files and caches.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Write `data` to `file` atomically (creating the directory); the temporary file is removed on error. */
export function writeFileAtomic(file: string, data: string | NodeJS.ArrayBufferView): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
