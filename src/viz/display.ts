/**
 * Rich output from library code: inside a tslab kernel HTML goes to the cell's output; anywhere else
 * (CLI, tests, plain node) a short text note goes to stdout, so library calls never crash outside Jupyter.
 */

/** Something that can show HTML (tslab's `display`, or a test double). */
export interface HtmlSink {
  html(s: string): void;
}

/** True when running inside a tslab kernel that is executing a cell. */
export function inNotebook(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- tslab exists only inside a notebook kernel
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
    return jupyter.lastWriteDisplayData != null;
  } catch {
    return false;
  }
}

/**
 * Show an HTML fragment: in a notebook as a `text/html` output, elsewhere as `fallbackText` on stdout.
 * `sink` overrides the destination (tests pass a collector).
 */
export function displayHtml(html: string, fallbackText: string, sink?: HtmlSink): void {
  if (sink) return sink.html(html);
  if (inNotebook()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- tslab exists only inside a notebook kernel
    (require('tslab') as { display: HtmlSink }).display.html(html);
  } else {
    console.log(fallbackText);
  }
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
