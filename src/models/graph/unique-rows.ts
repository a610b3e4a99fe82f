/**
 * Entity rows once per distinct row. Within a WikiMEL batch (B = 64 mentions × R = 101 slots = 6,464 entity
 * rows) candidate lists overlap — 64 real test mentions' top-100 lists hold ≈ 5,050 distinct entities — and
 * every entity without an image shares the default image (the public release has no entity images). What does
 * not depend on the mention, the layer-0 product x (W_h W_e)ᵀ of a lazy entity vertex (./vertices.ts) and its
 * gradient Q = dPᵀ x, is computed once per distinct row:
 *
 *   forward   P_e = Gather(U (W_h W_e)ᵀ + c, index)       U [N,din] the distinct rows, index [B·R] → 0..N−1
 *   backward  Q   = dPᵀ x = (Σ_{r: index_r = u} dP_r)ᵀ_u U  (ScatterND with add: dP summed per distinct row)
 *
 * The forward is the same Gemm on the same row (the same floats); the backward sums the rows of dP in
 * another order (float rounding differs, as any re-association). N is a symbolic dim of the graph (one
 * session serves every batch), fed by the host side below, which finds the distinct rows by content
 * (bitwise equality, so −0 ≠ +0 and NaN rows with equal bits are equal).
 *
 * Few distinct rows (N < din: every WikiMEL entity shows the default image, N = 1): the vertex itself is
 * computed per distinct row, h_u = U W_eᵀ + b_e [N,D], and everything layer 0 reads of it goes through N rows:
 *   Σ_r a_r h_r = A' h with A'[b,u] = Σ_{r→u} a[b,r] (ScatterElements)     h_r·v_b = (v hᵀ)[b, index_r]
 *   P_e = a1·(mt W_hᵀ) + a2·(mi W_hᵀ) + Gather(h W_hᵀ + b_h, index)
 *   backward: dh = Σ terms, each [N,D] (a ⊗ v → A'ᵀ v; through W_h → (Σ_{r→u} dP_r) W_h);
 *   dW_h += (Σ_{r→u} dP_r)ᵀ h, dW_e = dhᵀ U, db_e = Σ_u dh_u
 * (no [B·R,din] rows and no W_h W_e product: that product pays only when N > din).
 *
 * Input names: a batch input `name` [B,R,...rest] is fed as `name.unique` [N,...rest] and `name.index` [B,R]
 * (float32 row numbers, cast to int64 in the graph).
 */
import { BatchInputs, DrinOps, Value } from './ops';

/**
 * The distinct rows of an entity input in the graph: `rows` [N,din], `index` [B·R] int64 (slot → row);
 * `few` when N < din (fixed per session: the symbolic dim's name says it).
 */
export interface UniqueRows {
  rows: Value;
  index: Value;
  few: boolean;
}

/** The graph input names of `name`'s unique form. */
export const uniqueInputNames = (name: string): { unique: string; index: string } => ({ unique: `${name}.unique`, index: `${name}.index` });

/**
 * The symbolic dim that counts `name`'s distinct rows; `few` (N < din) names another dim, so that the engine
 * keeps one session per regime (see "Few distinct rows" above).
 */
export const uniqueDim = (name: string, few = false): string => `${name}.${few ? 'few_rows' : 'rows'}`;

/**
 * An entity input [B,R,(k,)din] as rows x [B·R,din] (the mean over k when present, the reference's
 * mean(dim=-2)), with its distinct rows when the batch feeds the unique form.
 */
export function entityRows(ops: DrinOps, inputs: BatchInputs, name: string, din: number): { x: Value; unique?: UniqueRows } {
  const { BR } = ops;
  const names = uniqueInputNames(name);
  if (!inputs.has(names.unique)) {
    const dims = inputs.dims(name);
    const v = inputs.get(name);
    if (dims.length === 4 && dims[2] !== 1) return { x: ops.reshape(ops.meanAxes(v, [2]), [BR, din]) }; // [B,R,k,din] → [B,R,din] → [B·R,din]
    return { x: ops.reshape(v, [BR, din]) }; // [B,R,(1,)din] → [B·R,din]
  }
  const dims = inputs.dims(names.unique); // [N,(k,)din]
  const few = inputs.shapes[names.unique][0] === uniqueDim(name, true);
  let rows = inputs.get(names.unique);
  if (dims.length === 3) rows = dims[1] === 1 ? ops.graph.op('Squeeze', [rows, ops.graph.constI([1])]) : ops.meanAxes(rows, [1]); // [N,k,din] → [N,din]
  const index = ops.graph.op('Cast', [ops.reshape(inputs.get(names.index), [BR])], { to: 7 }); // [B,R] → [B·R] int64
  return { x: ops.graph.op('Gather', [rows, index], { axis: 0 }), unique: { rows, index, few } };
}

/** [B,N] zeros, N the distinct rows of `u`. */
function zerosByRow(ops: DrinOps, u: UniqueRows): Value {
  const { graph, B } = ops;
  const count = graph.op('Slice', [graph.op('Shape', [u.rows]), graph.constI([0]), graph.constI([1])]); // [1]: N
  return graph.op('ConstantOfShape', [graph.op('Concat', [graph.constI([B]), count], { axis: 0 })]);
}

/** A'[b,u] = Σ_{r: index(b,r) = u} a[b,r]: slot weights a [B,R] summed per distinct row → [B,N]. */
export function slotWeightsPerRow(ops: DrinOps, a: Value, u: UniqueRows): Value {
  const { B, R } = ops;
  return ops.graph.op('ScatterElements', [zerosByRow(ops, u), ops.reshape(u.index, [B, R]), a], { axis: 1, reduction: 'add' });
}

/** Σ_r a[b,r]·h[index(b,r)] = A' h for a [B,R], per-row values h [N,D] → [B,D]. */
export const slotSumOfRows = (ops: DrinOps, a: Value, h: Value, u: UniqueRows): Value => ops.matmul(slotWeightsPerRow(ops, a, u), h);

/** h[index(b,r)]·v[b] for per-row values h [N,D], v [B,D] → [B,R] (v hᵀ [B,N], then the slots' columns). */
export function rowDotOfRows(ops: DrinOps, h: Value, v: Value, u: UniqueRows): Value {
  const { B, R } = ops;
  return ops.graph.op('GatherElements', [ops.matmulT(v, h), ops.reshape(u.index, [B, R])], { axis: 1 });
}

/** Rows [B·R,D] of a per-distinct-row value [N,D]. */
export const gatherRows = (ops: DrinOps, perRow: Value, u: UniqueRows): Value => ops.graph.op('Gather', [perRow, u.index], { axis: 0 });

/** Σ over the slots of each distinct row: dP [B·R,D] → [N,D] (zeros where no slot points). */
export function sumPerRow(ops: DrinOps, dP: Value, u: UniqueRows): Value {
  const { graph, BR, D } = ops;
  const count = graph.op('Slice', [graph.op('Shape', [u.rows]), graph.constI([0]), graph.constI([1])]); // [1]: N
  const zeros = graph.op('ConstantOfShape', [graph.op('Concat', [count, graph.constI([D])], { axis: 0 })]); // [N,D] float32 0
  return graph.op('ScatterND', [zeros, ops.reshape(u.index, [BR, 1]), dP], { reduction: 'add' });
}

/**
 * Host side: the distinct rows of `data` ([rows, width] row-major) by bitwise content, in order of first
 * appearance. Returns `first` (for each distinct row, the first row that holds it) and `index` (for each
 * row, its distinct row's number, as float32 for the graph's index input).
 */
export function findUniqueRows(data: Float32Array, rows: number, width: number): { first: number[]; index: Float32Array } {
  if (data.length !== rows * width) throw new Error(`findUniqueRows: ${data.length} values are not ${rows} rows × ${width}`);
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const rowBytes = width * 4;
  const step = Math.max(1, Math.floor(width / 32)); // the hash samples ≈ 32 words a row; equality is checked in full
  const buckets = new Map<number, number[]>();
  const first: number[] = [];
  const index = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let h = 2166136261;
    for (let j = 0; j < width; j += step) h = Math.imul(h ^ words[o + j], 16777619);
    let bucket = buckets.get(h);
    if (!bucket) buckets.set(h, (bucket = []));
    let found = -1;
    for (const u of bucket) {
      const f = first[u] * rowBytes;
      if (bytes.compare(bytes, o * 4, o * 4 + rowBytes, f, f + rowBytes) === 0) {
        found = u;
        break;
      }
    }
    if (found < 0) {
      found = first.length;
      first.push(r);
      bucket.push(found);
    }
    index[r] = found;
  }
  return { first, index };
}
