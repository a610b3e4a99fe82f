/**
 * `npx drin validate DIR`: check a preprocessed directory (WikiDiverse 54 files / WikiMEL 42 files)
 * and print one line per split; exit non-zero with every problem found.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { openPreprocessed, PreprocessedValidationError } from '../data/preprocessed';

/**
 * encode.json's vocabulary record: a problem when the prepared token positions and the BERT tokens
 * came from vocabularies of different sha256 (null when they agree or nothing is recorded).
 */
export function encodeVocabularyProblem(dir: string): string | null {
  const f = path.join(dir, 'encode.json');
  if (!fs.existsSync(f)) return null;
  const v = (JSON.parse(fs.readFileSync(f, 'utf8')) as { vocabulary?: { prepared?: { sha256: string; source: string } | null; bert?: { sha256: string; source: string } | null } }).vocabulary;
  if (!v?.prepared || !v.bert || v.prepared.sha256 === v.bert.sha256) return null;
  return `${f}: token positions from vocabulary ${v.prepared.source} (sha256 ${v.prepared.sha256}) but BERT tokens from ${v.bert.source} (sha256 ${v.bert.sha256})`;
}

export function register(program: Command): void {
  program
    .command('validate')
    .argument('<dir>', 'preprocessed directory')
    .description('check every file of a preprocessed directory against the others; one line per split')
    .action((dir: string) => {
      try {
        const vocabProblem = encodeVocabularyProblem(dir);
        if (vocabProblem) throw new PreprocessedValidationError(dir, [vocabProblem]);
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
