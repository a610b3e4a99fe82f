/**
 * Worker thread of `generateCandidates`: holds the processed KB names, answers chunks of
 * processed queries with their fuzzy top-k (see candidates.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildFuzzyIndex, fuzzyTopK } from './candidates';

const { choices, k } = workerData as { choices: string[]; k: number };
const index = buildFuzzyIndex(choices);
parentPort!.on('message', (m: { start: number; queries: string[] }) => {
  parentPort!.postMessage({ start: m.start, results: m.queries.map((q) => fuzzyTopK(q, index, k)) });
});
