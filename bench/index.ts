/**
 * `npm run bench [-- <area> ...]`: run every bench/<area>.bench.ts (its exported `run()`), in name
 * order, or only the areas named. Each bench prints its own lines; this prints the backend first and
 * the wall time of each area last.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, describeBackend } from '../src/backend';
import { readDrinEnv } from '../src/cli/env';

interface Bench {
  run(): Promise<void>;
}

async function main(argv: string[]): Promise<number> {
  const dir = __dirname;
  const all = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort()
    .map((f) => f.replace(/\.bench\.ts$/, ''));
  const wanted = argv.filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) {
    console.error(`unknown bench area(s): ${unknown.join(', ')}; have: ${all.join(', ') || '(none)'}`);
    return 2;
  }
  const areas = wanted.length ? wanted : all;
  console.log(describeBackend(await initBackend(readDrinEnv().backend)));
  const times: string[] = [];
  let failed = 0;
  for (const area of areas) {
    console.log(`\n== bench: ${area} ==`);
    const t0 = Date.now();
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- bench files are found at run time
      const mod = require(path.join(dir, `${area}.bench.ts`)) as Partial<Bench>;
      if (typeof mod.run !== 'function') throw new Error(`bench/${area}.bench.ts exports no run()`);
      await mod.run();
      times.push(`${area}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      failed++;
      console.error(`bench ${area} failed: ${(e as Error).stack ?? e}`);
      times.push(`${area}: FAILED after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  console.log(`\n${times.join('\n')}`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
