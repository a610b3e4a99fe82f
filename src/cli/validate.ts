/**
 * `npx drin validate DIR`: check a preprocessed directory (WikiDiverse 54 files / WikiMEL 42 files)
 * and print one line per split; exit non-zero with every problem found.
 */
import { Command } from 'commander';
import { openPreprocessed, PreprocessedValidationError } from '../data/preprocessed';

export function register(program: Command): void {
  program
    .command('validate')
    .argument('<dir>', 'preprocessed directory')
    .description('check every file of a preprocessed directory against the others; one line per split')
    .action((dir: string) => {
      try {
        const ds = openPreprocessed(dir);
        console.log(`${dir}: ${ds.layout} layout, ${ds.candidates} candidates per mention`);
        for (const line of ds.describe()) console.log(line);
        ds.close();
      } catch (e) {
        if (e instanceof PreprocessedValidationError) {
          console.error(`${dir}: INVALID (${e.problems.length} problem(s))`);
          for (const p of e.problems) console.error(`  - ${p}`);
        } else console.error(`${dir}: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });
}
