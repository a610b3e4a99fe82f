import * as fs from 'node:fs';

/** Everything an executed notebook (`file`, .ipynb) printed or displayed as text, in order. */
export function notebookText(file: string): string {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out: string[] = [];
  for (const c of nb.cells as { outputs?: { text?: string | string[]; data?: Record<string, string | string[]> }[] }[]) {
    for (const o of c.outputs ?? []) {
      const t = o.text ?? o.data?.['text/plain'];
      if (t) out.push(Array.isArray(t) ? t.join('') : t);
    }
  }
  return out.join('\n');
}
