/**
 * The one way the library shows progress on long work: a cli-progress bar on stderr with a count, a
 * rate and an ETA. On a terminal it redraws in place; elsewhere (logs, notebooks) it prints a line
 * every `logEveryMs`. `show: false` gives a bar that draws nothing, so callers need no branches.
 *
 * ```ts
 * const bar = progressBar({ label: 'epoch 1/30', total: n, unit: 'mentions', fields: { loss: '-' } });
 * bar.update(done, { loss: '0.1234' });
 * bar.stop();
 * ```
 */
import { Presets, SingleBar } from 'cli-progress';

export interface ProgressOptions {
  /** What is running, printed first (`'epoch 3/30'`, `'entity text cache'`). */
  label: string;
  total: number;
  /** What is counted (`'mentions'`, `'MiB'`). */
  unit?: string;
  /** Extra `{name}` fields shown after the count, with their initial values (e.g. `{ loss: '-' }`). */
  fields?: Record<string, string>;
  /** Draw at all (default true). */
  show?: boolean;
  /** Outside a terminal: one line per this many ms (default 30 s). */
  logEveryMs?: number;
}

export interface Progress {
  /** Set the count done so far (and any fields). */
  update(done: number, fields?: Record<string, string>): void;
  /** Add to the count. */
  increment(by?: number, fields?: Record<string, string>): void;
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, increment: () => undefined, stop: () => undefined };

/** Start a progress bar (see the file comment). */
export function progressBar(o: ProgressOptions): Progress {
  if (o.show === false) return SILENT;
  const extra = Object.keys(o.fields ?? {}).map((k) => ` | ${k} {${k}}`).join('');
  const bar = new SingleBar(
    {
      format: `${o.label} {bar} {value}/{total} ${o.unit ?? ''}${extra} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: o.logEveryMs ?? 30000,
    },
    Presets.shades_classic,
  );
  bar.start(o.total, 0, o.fields ?? {});
  return {
    update: (done, fields) => bar.update(done, fields ?? {}),
    increment: (by = 1, fields) => bar.increment(by, fields ?? {}),
    stop: () => bar.stop(),
  };
}
