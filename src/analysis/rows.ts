/**
 * Join one model's predictions with the text side: one {@link AnalysisRow} per mention, carrying
 * every property the error analysis of notebook 06 groups by (mention length, default image,
 * name ambiguity, DRIN edge strength).
 */
import type { AnalysisPrediction, AnalysisRow } from './types';
import type { AnalysisTextSide } from './load';

/**
 * Form of an entity name for "same name" comparisons: a trailing Wikidata-style qualifier is dropped
 * ("Anna Smith (painter)" → "anna smith"), case and spacing are ignored.
 */
export function normalizeEntityName(name: string): string {
  return name.replace(/\s*\([^()]*\)\s*$/, '').trim().toLowerCase().replace(/\s+/g, ' ');
}

/** What was skipped or substituted while joining (counted, never silent). */
export interface AnalysisJoinReport {
  rows: number;
  /** Candidate QIDs with no entry in entities.jsonl (their QID is shown as the name). */
  unknownEntities: number;
}

/**
 * Build the analysis rows of one model.
 *
 * ```ts
 * const { rows } = buildAnalysisRows(loadPredictionsJsonl(f), loadAnalysisTextSide());
 * rows.filter((r) => !r.correct).length; // errors
 * ```
 * Throws when a prediction's row has no mention, its score count differs from the mention's candidates, or its
 * gold index differs from the mention's (predictions and text side out of step).
 */
export function buildAnalysisRows(
  preds: AnalysisPrediction[],
  text: Pick<AnalysisTextSide, 'mentions' | 'entities'>,
  source = 'predictions',
): { rows: AnalysisRow[]; report: AnalysisJoinReport } {
  const unknown = new Set<string>();
  const nameOf = (qid: string) => {
    const e = text.entities.get(qid);
    if (!e) unknown.add(qid);
    return e ? e.name : qid;
  };
  const rows = preds.map((p, i): AnalysisRow => {
    const m = text.mentions[p.row];
    if (!m) throw new Error(`${source}: record ${i + 1} has row ${p.row}, but the split has only ${text.mentions.length} mentions`);
    const C = p.scores.length;
    if (m.candidates.length !== C)
      throw new Error(`${source}: record ${i + 1} (row ${p.row}) has ${C} scores, expected one per candidate of mention "${m.id}" (${m.candidates.length})`);
    if (m.answer !== p.answer)
      throw new Error(
        `${source}: record ${i + 1} (row ${p.row}) has answer ${p.answer}, but mention "${m.id}" of the prepared split has answer ${m.answer}: ` +
          'the predictions and the prepared mentions are not in the same row order (or come from different data)',
      );
    const goldPresent = p.goldRank !== null;
    let predSlot = 0;
    let bestWrong = -Infinity;
    for (let j = 0; j < C; j++) {
      if (p.scores[j] > p.scores[predSlot]) predSlot = j;
      if (j !== p.answer && p.scores[j] > bestWrong) bestWrong = p.scores[j];
    }
    const goldScore = goldPresent ? p.scores[p.answer] : NaN;
    const goldName = nameOf(m.goldQid);
    const g = normalizeEntityName(goldName);
    let sameName = 0;
    m.candidates.forEach((q, j) => {
      if (j !== p.answer && normalizeEntityName(nameOf(q)) === g) sameName++;
    });
    return {
      row: p.row,
      id: m.id,
      mention: m.mention,
      sentence: m.sentence,
      goldQid: m.goldQid,
      goldName,
      goldRank: p.goldRank,
      correct: p.goldRank === 1,
      predQid: m.candidates[predSlot],
      predName: nameOf(m.candidates[predSlot]),
      goldScore,
      bestWrongScore: bestWrong,
      margin: goldScore - bestWrong,
      mentionWords: m.mention.trim() ? m.mention.trim().split(/\s+/).length : 0,
      defaultImage: m.image === null,
      sameNameCandidates: sameName,
      edges: p.edges ?? [],
    };
  });
  return { rows, report: { rows: rows.length, unknownEntities: unknown.size } };
}
