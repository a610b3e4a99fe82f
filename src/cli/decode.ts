/**
 * `npx drin decode [--dir D] [--raw_files a b ..] [--encoded_files x y ..] [--encode] [--skip_checksum] [--extract]`:
 * decode (or encode) the DRIN release's "fake MP4" files, md5-verified, never touching the inputs.
 * Names pair by position as in the reference tool; defaults: the 7 release files and `<name>.mp4`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { progressBar, Progress } from '../progress';
import {
  RELEASE_MD5, releaseEncodedName, decodeReleaseFile, encodeReleaseFile, releaseExpectedMd5,
  releaseExtractCommands, runExtractCommands, shellQuote, ReleaseProgress,
} from '../data/release';

interface DecodeOpts {
  dir: string;
  encode?: boolean;
  raw_files?: string[];
  encoded_files?: string[];
  skip_checksum?: boolean;
  extract?: boolean;
  remove_encoded?: boolean;
  overwrite?: boolean;
}

/** A progress bar in MiB for one release file (a line per 30 s outside a terminal). */
function bar(label: string): { cb: ReleaseProgress; stop: () => void } {
  let progress: Progress | undefined;
  return {
    cb: (done, total) => {
      progress ??= progressBar({ label, total: Math.ceil(total / 2 ** 20), unit: 'MiB' });
      progress.update(Math.floor(done / 2 ** 20));
    },
    stop: () => progress?.stop(),
  };
}

/** Run decode/encode as the CLI does; returns the number of failures. */
export async function runDecodeCommand(o: DecodeOpts): Promise<number> {
  const dir = path.resolve(o.dir);
  const explicit = o.raw_files !== undefined || o.encoded_files !== undefined;
  const raw = o.raw_files ?? Object.keys(RELEASE_MD5);
  const enc = o.encoded_files ?? raw.map(releaseEncodedName);
  if (raw.length !== enc.length) throw new Error(`--raw_files has ${raw.length} names but --encoded_files has ${enc.length}; they pair by position`);
  let failures = 0;
  let skipped = 0;
  const done: string[] = [];
  if (o.encode) {
    const md5s: Record<string, string> = {};
    for (let i = 0; i < raw.length; i++) {
      const src = path.join(dir, raw[i]);
      if (!fs.existsSync(src) && !explicit) {
        skipped++;
        continue;
      }
      const p = bar(`encode ${raw[i]}`);
      try {
        const r = await encodeReleaseFile(src, path.join(dir, enc[i]), { onProgress: p.cb, overwrite: o.overwrite });
        p.stop();
        md5s[raw[i]] = r.md5;
        console.log(`encoded ${raw[i]} -> ${enc[i]} (${r.bytes} bytes, md5 of the original ${r.md5})`);
      } catch (e) {
        p.stop();
        console.error(`FAILED: ${(e as Error).message}`);
        failures++;
      }
    }
    if (Object.keys(md5s).length > 0) {
      fs.writeFileSync(path.join(dir, 'md5.json'), JSON.stringify(md5s, null, 2) + '\n');
      fs.writeFileSync(path.join(dir, 'md5'), raw.filter((n) => md5s[n]).map((n) => md5s[n]).join('\n') + '\n');
      console.log(`wrote ${path.join(dir, 'md5.json')} and ${path.join(dir, 'md5')} (${Object.keys(md5s).length} entries)`);
    }
  } else {
    const expected = releaseExpectedMd5(dir, raw);
    for (let i = 0; i < raw.length; i++) {
      const src = path.join(dir, enc[i]);
      if (!fs.existsSync(src) && !explicit) {
        skipped++;
        continue;
      }
      const want = o.skip_checksum ? undefined : expected[raw[i]];
      if (!o.skip_checksum && !want) {
        console.error(`FAILED: ${raw[i]}: no expected md5 (not a release name, no md5.json / md5 in ${dir}); pass --skip_checksum to decode unchecked`);
        failures++;
        continue;
      }
      const p = bar(`decode ${enc[i]}`);
      try {
        const r = await decodeReleaseFile(src, path.join(dir, raw[i]), { expectedMd5: want, onProgress: p.cb, overwrite: o.overwrite });
        p.stop();
        const what = r.status === 'verified' ? `md5 ${r.md5} PASSED` : r.status === 'already' ? 'already decoded, md5 PASSED' : `md5 ${r.md5} (not checked)`;
        console.log(`decoded ${enc[i]} -> ${raw[i]} (${r.bytes} bytes), ${what}`);
        done.push(raw[i]);
        if (o.remove_encoded && r.status !== 'unchecked') {
          fs.rmSync(src);
          console.log(`removed ${enc[i]} (verified copy in ${raw[i]})`);
        }
      } catch (e) {
        p.stop();
        console.error(`FAILED: ${(e as Error).message}`);
        failures++;
      }
    }
    const cmds = releaseExtractCommands(dir, done);
    if (cmds.length > 0) {
      if (o.extract && failures === 0) runExtractCommands(cmds);
      else {
        console.log(failures > 0 ? 'not extracting (some files failed); once they decode, run:' : 'to extract, run (or pass --extract):');
        for (const c of cmds) console.log(`  ${shellQuote(c)}`);
      }
    }
  }
  if (skipped > 0) console.log(`${skipped} of ${raw.length} default files not present in ${dir} (skipped)`);
  if (skipped === raw.length) {
    console.error(`FAILED: none of the files to ${o.encode ? 'encode' : 'decode'} exist in ${dir} (looked for ${(o.encode ? raw : enc).join(', ')})`);
    failures++;
  }
  return failures;
}

export function register(program: Command): void {
  program
    .command('decode')
    .description('decode (or --encode) the DRIN release\'s "fake MP4" files with md5 verification; inputs are never modified')
    .option('--dir <dir>', 'directory holding the files', '.')
    .option('--raw_files <names...>', 'decoded names (default: the 7 release files)')
    .option('--encoded_files <names...>', 'encoded names, paired by position (default: <raw name>.mp4)')
    .option('--encode', 'encode raw files instead (writes md5.json and md5 for what it encoded)')
    .option('--skip_checksum', 'do not verify md5 (not recommended)')
    .option('--extract', 'after a verified decode, run tar / zip -s 0 + unzip (otherwise the commands are printed)')
    .option('--remove_encoded', 'delete each encoded input after its decoded copy is verified')
    .option('--overwrite', 'replace existing outputs')
    .action(async (o: DecodeOpts) => {
      const failures = await runDecodeCommand(o);
      if (failures > 0) process.exitCode = 1;
    });
}
