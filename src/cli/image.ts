/**
 * `npx drin image FILE... --out DIR [--json]`: what the reference's `load_image` (Pillow 9.4) makes of
 * each file, through the loader prepare and encode use (src/data/images).
 *
 * Per file, one line on stdout: `loaded` or `default <reason> [<prepare count>]` (reasons: missing,
 * corrupt, small, tooLarge, unsupported; counted by prepare as mentionImage<Reason> / image<Reason>),
 * Pillow's format and mode name, and the size W×H (with `--json`: one JSON object per line,
 * {file, result, reason?, count?, format?, mode?, size?, npy?, error?}).
 * Loaded files also get `DIR/<file name>.npy`: the H×W×3 uint8 RGB array the encoders start from,
 * before any resize. Each FILE is tried as the reference tries a base path (as given, then with
 * .jpg .JPG .jpeg .JPEG .png .PNG .tif .TIF .tiff .TIFF).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { loadImageBase } from '../data/images/load';
import { writeNpy } from '../data/npy';

/** One file's verdict, as printed with --json. */
export interface ImageVerdict {
  file: string;
  result: 'loaded' | 'default';
  reason?: string;
  /** The prepare count this reason goes to for a mention image (entities: `image<Reason>`). */
  count?: string;
  format?: string;
  mode?: string;
  /** [W, H] as Pillow's `Image.size`. */
  size?: [number, number];
  /** The .npy written (loaded files only). */
  npy?: string;
  error?: string;
}

/** Load each file, write the arrays of the loaded ones into `out`, return the verdicts in input order. */
export async function imageVerdicts(files: string[], out: string, onEach?: (v: ImageVerdict, i: number) => void): Promise<ImageVerdict[]> {
  const names = new Map<string, string>();
  for (const f of files) {
    const n = path.basename(f);
    if (names.has(n) && names.get(n) !== f) throw new Error(`drin image: ${names.get(n)} and ${f} would both be written as ${path.join(out, n + '.npy')}; give them in separate runs`);
    names.set(n, f);
  }
  fs.mkdirSync(out, { recursive: true });
  const verdicts: ImageVerdict[] = [];
  for (const [i, f] of files.entries()) {
    const r = await loadImageBase(f);
    let v: ImageVerdict;
    if (r.status === 'ok') {
      const { width: w, height: h, data } = r.image;
      const npy = path.join(out, path.basename(f) + '.npy');
      writeNpy(npy, { data, shape: [h, w, 3], dtype: 'u1' });
      v = { file: f, result: 'loaded', format: r.image.format, mode: r.image.mode, size: [w, h], npy };
    } else {
      v = { file: f, result: 'default', reason: r.status, count: `mentionImage${r.status.charAt(0).toUpperCase()}${r.status.slice(1)}`, error: r.error };
      if (r.header) Object.assign(v, { format: r.header.format, mode: r.header.mode, size: [r.header.width, r.header.height] });
    }
    verdicts.push(v);
    onEach?.(v, i);
  }
  return verdicts;
}

/** The human line of a verdict. */
export function verdictLine(v: ImageVerdict): string {
  const what = v.result === 'loaded' ? 'loaded' : `default ${v.reason} [${v.count}]`;
  const hdr = v.format ? ` ${v.format} ${v.mode} ${v.size![0]}x${v.size![1]}` : '';
  return `${v.file}: ${what}${hdr}${v.error ? ` (${v.error})` : ''}`;
}

export function register(program: Command): void {
  program
    .command('image')
    .description("what the reference's load_image (Pillow 9.4 open, <50x50 → default, convert('RGB')) gives each file; writes DIR/<name>.npy (HxWx3 uint8) for loaded files")
    .argument('<files...>', 'image files (or base paths, tried with the reference suffixes)')
    .requiredOption('--out <dir>', 'folder for the .npy arrays')
    .option('--json', 'one JSON object per line instead of text')
    .action(async (files: string[], opts: { out: string; json?: boolean }) => {
      const vs = await imageVerdicts(files, opts.out, (v) => console.log(opts.json ? JSON.stringify(v) : verdictLine(v)));
      const loaded = vs.filter((v) => v.result === 'loaded').length;
      console.error(`${loaded} loaded, ${vs.length - loaded} default image; arrays in ${opts.out}`);
    });
}
