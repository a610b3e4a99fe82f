/**
 * Piscina worker of {@link generateCandidates}: builds the candidate index once from `workerData`
 * (`{names, scorer, k}`) and answers tasks `{mentions}` (already as the scorer compares them: `scorerQuery`) with their exact top-k
 * (see topk.ts).
 */
import { workerData } from 'piscina';
import { buildCandidateIndex, candidateTopK, topKStats, type CandidateScorer, type TopK } from './topk';

const { names, scorer, k } = workerData as { names: string[]; scorer: CandidateScorer; k: number };
const index = buildCandidateIndex(names, scorer);

/** One task: top-k for each mention, plus how many names were scored in full (pruning statistics). */
export default function topKTask(task: { mentions: string[] }): { results: TopK[]; scored: number } {
  const before = topKStats.scored;
  const results = task.mentions.map((m) => candidateTopK(index, m, k, { queryIsProcessed: true }));
  return { results, scored: topKStats.scored - before };
}
