/**
 * Which entity, and which entity image, each candidate slot of a bench batch holds — drawn the way the data
 * draws them, so that the bench meets the repetition real batches have (src/models/graph/unique-rows.ts
 * computes the layer-0 entity products once per distinct row).
 *
 * WikiMEL: the candidate lists are the authors' fuzzy top-100 lists (`partial_ratio`) of 150 real WikiMEL
 * test mentions (`../shared/cases/candidates/partial_ratio_test150.json`); a batch takes B of them (a seeded
 * draw without replacement), slots 0..99 hold the candidates and slot 100 the gold entity, as the data
 * loader does. 64 such mentions hold ≈ 5,000–5,100 distinct entities in their 6,464 slots. Entity images:
 * `default` (every entity shows the default image — the public WikiMEL release carries no entity images,
 * environment.md "Real-data smoke run") or `distinct` (one image per entity: the case where entity
 * images exist, the least repetition). Both sides of the bench (ours and bench/reference/drin_ref_server.py)
 * build their batch from the same slots: one random feature row per distinct entity / image.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Slot contents: entity[b][r] and image[b][r] number distinct entities / images from 0; `answer[b]` the gold's candidate index or C. */
export interface BenchSlots {
  entity: number[][];
  image: number[][];
  answer: number[];
  entities: number;
  images: number;
  /** Where the lists come from, for the bench's report. */
  source: string;
}

export type EntityImages = 'default' | 'distinct';

/** The real candidate lists' file under ../shared. */
export const CANDIDATES_FILE = path.join('cases', 'candidates', 'partial_ratio_test150.json');

/**
 * B mentions' slots (R = C + 1) from the real candidate lists in `sharedDir`, or undefined when the file is
 * absent. Throws when the file's lists are shorter than C or hold fewer than B mentions.
 */
export function wikimelSlots(sharedDir: string, B: number, R: number, images: EntityImages, seed = 1): BenchSlots | undefined {
  const file = path.join(sharedDir, CANDIDATES_FILE);
  if (!fs.existsSync(file)) return undefined;
  const lists = JSON.parse(fs.readFileSync(file, 'utf8')) as { mention: string; gold: string; cands: string[] }[];
  const C = R - 1;
  if (lists.length < B) throw new Error(`${file}: ${lists.length} mentions, the bench needs ${B}`);
  const short = lists.findIndex((l) => !Array.isArray(l.cands) || l.cands.length < C || typeof l.gold !== 'string');
  if (short >= 0) throw new Error(`${file}: mention ${short} has no gold QID or fewer than ${C} candidates`);
  // a seeded draw of B mentions without replacement (Fisher–Yates with an LCG)
  const order = lists.map((_, i) => i);
  let s = seed;
  for (let i = order.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const ids = new Map<string, number>();
  const number = (q: string): number => {
    let n = ids.get(q);
    if (n === undefined) ids.set(q, (n = ids.size));
    return n;
  };
  const entity = order.slice(0, B).map((i) => [...lists[i].cands.slice(0, C), lists[i].gold].map(number));
  const answer = order.slice(0, B).map((i) => {
    const k = lists[i].cands.slice(0, C).indexOf(lists[i].gold);
    return k < 0 ? C : k;
  });
  const image = entity.map((row) => row.map((e) => (images === 'default' ? 0 : e)));
  return {
    entity,
    image,
    answer,
    entities: ids.size,
    images: images === 'default' ? 1 : ids.size,
    source: `${CANDIDATES_FILE} (${B} of ${lists.length} real test mentions), entity images: ${images}`,
  };
}

/** Every slot a different entity and image (no repetition: the random batch of earlier benches). */
export function distinctSlots(B: number, R: number): BenchSlots {
  const entity = Array.from({ length: B }, (_, b) => Array.from({ length: R }, (_, r) => b * R + r));
  return { entity, image: entity, answer: Array.from({ length: B }, () => 2), entities: B * R, images: B * R, source: 'random, every slot distinct' };
}
