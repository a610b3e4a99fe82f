/**
 * The ONNX ops DRIN's graph blocks are written in (src/onnx/graph.ts underneath), with DRIN's batch
 * shapes in mind: B batch, R candidate slots (C + 1, last = gold), D GCN size. Every helper appends
 * nodes and returns the name of a value.
 *
 * Also the batch inputs (declared once, by CONTRACTS §3 name) and the context every block receives.
 */
import { OnnxGraph } from '../../onnx/graph';
import { DrinConfig } from '../drin-config';

/** A value of the graph (its name). */
export type Value = string;

/** A parameter-only value read from or written to the graph's boundary (`DrinOps.paramOnly`). */
export interface ParamProduct {
  name: string;
  shape: number[];
}

/** How a graph treats its parameter-only values (`DrinOps.paramProducts`), and the list of those it met. */
export interface ParamProducts {
  mode: 'inputs' | 'outputs';
  seen: ParamProduct[];
}

export class DrinOps {
  readonly BR: number;
  constructor(
    readonly graph: OnnxGraph,
    readonly B: number,
    readonly R: number,
    readonly D: number,
  ) {
    this.BR = B * R;
  }
  /**
   * Values that depend on the parameters only (layer 0's W_h·W_e products), for a forward-only graph whose
   * parameters stay fixed over many runs (an evaluation pass): 'inputs' reads each from a graph input of
   * that name (computed once by a graph built with 'outputs', which outputs them); unset: computed here.
   * Every such value is listed in `seen` (name, shape).
   */
  paramProducts?: ParamProducts;

  /** `compute()`, a value of the parameters only named `name` [shape] (see `paramProducts`). */
  paramOnly = (name: string, shape: number[], compute: () => Value): Value => {
    const pp = this.paramProducts;
    if (!pp) return compute();
    pp.seen.push({ name, shape });
    if (pp.mode === 'inputs') return this.graph.input(name, shape);
    const v = compute();
    this.graph.output(name, v, shape);
    return name;
  };

  add = (a: Value, b: Value): Value => this.graph.op('Add', [a, b]);
  sub = (a: Value, b: Value): Value => this.graph.op('Sub', [a, b]);
  mul = (a: Value, b: Value): Value => this.graph.op('Mul', [a, b]);
  div = (a: Value, b: Value): Value => this.graph.op('Div', [a, b]);
  scale = (a: Value, s: number): Value => (s === 1 ? a : this.mul(a, this.graph.constF([s])));
  shift = (a: Value, s: number): Value => this.add(a, this.graph.constF([s]));
  sum = (xs: Value[]): Value => xs.reduce((a, b) => this.add(a, b));
  zeros = (shape: number[]): Value => this.graph.constF(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  matmul = (a: Value, b: Value): Value => this.graph.op('MatMul', [a, b]);
  /** x·wᵀ + b over 2-D x [N,in], w [out,in] (PyTorch Linear). */
  linear = (x: Value, w: Value, b: Value): Value => this.graph.op('Gemm', [x, w, b], { transB: 1 });
  /** aᵀ·b: [N,p]ᵀ [N,q] → [p,q] (weight gradients). */
  tmatmul = (a: Value, b: Value): Value => this.graph.op('Gemm', [a, b], { transA: 1 });
  /** a·bᵀ. */
  matmulT = (a: Value, b: Value): Value => this.graph.op('Gemm', [a, b], { transB: 1 });
  reshape = (x: Value, shape: number[]): Value => this.graph.op('Reshape', [x, this.graph.constI(shape)]);
  sumAxes = (x: Value, axes: number[], keep = false): Value => this.graph.op('ReduceSum', [x, this.graph.constI(axes)], { keepdims: keep ? 1 : 0 });
  /** Σ over the rows of x [rows,D] → [D] ([1,D] with `keep`), as the product ones[1,rows]·x (faster than ReduceSum over axis 0). */
  colSum = (x: Value, rows: number, keep = false): Value => {
    const sum = this.matmul(this.ones([1, rows]), x); // [1,D]
    return keep ? sum : this.graph.op('Squeeze', [sum, this.graph.constI([0])]); // [1,D] → [D]
  };
  meanAxes = (x: Value, axes: number[], keep = false): Value => this.graph.op('ReduceMean', [x], { axes, keepdims: keep ? 1 : 0 });
  concat = (xs: Value[], axis: number): Value => (xs.length === 1 ? xs[0] : this.graph.op('Concat', xs, { axis }));
  split = (x: Value, sizes: number[], axis: number): Value[] =>
    sizes.length === 1 ? [x] : this.graph.opN('Split', [x, this.graph.constI(sizes)], { axis }, sizes.length);
  sigmoid = (x: Value): Value => this.graph.op('Sigmoid', [x]);
  sqrt = (x: Value): Value => this.graph.op('Sqrt', [x]);
  /** 1 where x > 0, else 0 (float). */
  positive = (x: Value): Value => this.graph.op('Cast', [this.graph.op('Greater', [x, this.graph.constF([0])])], { to: 1 });

  /** [B·R,D] → [B,R,D] */
  to3 = (v: Value): Value => this.reshape(v, [this.B, this.R, this.D]);
  /** [B,R,D] → [B·R,D] */
  to2 = (v: Value): Value => this.reshape(v, [this.BR, this.D]);
  /** Σ_r a[b,r]·X[b,r,:] for a [B,R], X [B·R,D] → [B,D] (a as [B,1,R] times X as [B,R,D]). */
  slotSum = (a: Value, X: Value): Value => this.reshape(this.matmul(this.reshape(a, [this.B, 1, this.R]), this.to3(X)), [this.B, this.D]);
  /** Σ_r a[b,r]·x[b,r,:] for a [B,R], x [B·R,din] → [B,din] (a as [B,1,R] times x as [B,R,din]). */
  slotSumIn = (a: Value, x: Value, din: number): Value =>
    this.reshape(this.matmul(this.reshape(a, [this.B, 1, this.R]), this.reshape(x, [this.B, this.R, din])), [this.B, din]);
  /** X[b,r,:]·v[b,:] for X [B·R,D], v [B,D] → [B,R] (X as [B,R,D] times v as [B,D,1]). */
  rowDot = (X: Value, v: Value): Value => this.reshape(this.matmul(this.to3(X), this.reshape(v, [this.B, this.D, 1])), [this.B, this.R]);
  /** a[b,r]·v[b,:] for a [B,R], v [B,D] → [B·R,D] (a as [B,R,1] times v as [B,1,D]). */
  outer = (a: Value, v: Value): Value => this.to2(this.mul(this.reshape(a, [this.B, this.R, 1]), this.reshape(v, [this.B, 1, this.D])));
  /**
   * Σ_k a_k[b,r]·v_k[b,:] for a_k [B,R], v_k [B,D] → [B·R,D]: one batched product [B,R,K]·[B,K,D] (one pass
   * over the [B·R,D] output instead of K outer products and K − 1 sums).
   */
  outerSum = (as: Value[], vs: Value[]): Value => {
    const { B, R, D } = this;
    const a = this.concat(
      as.map((x) => this.reshape(x, [B, R, 1])),
      2,
    ); // [B,R,K]
    const v = this.concat(
      vs.map((x) => this.reshape(x, [B, 1, D])),
      1,
    ); // [B,K,D]
    return this.to2(this.matmul(a, v)); // [B,R,D] → [B·R,D]
  };
  ones = (shape: number[]): Value => this.graph.constF(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape);

  /** max(‖x‖, eps) over the last axis, kept [..., 1]. */
  normOf = (v: Value, eps: number): Value => this.sqrt(this.graph.op('Max', [this.sumAxes(this.mul(v, v), [-1], true), this.graph.constF([eps * eps])])); // Mul + ReduceSum: faster than ReduceSumSquare
  /** x / max(‖x‖, eps) over the last axis (PyTorch's normalize), with what its backward pass needs. */
  normalize = (v: Value, eps: number): Normalized => {
    const eps2 = this.graph.constF([eps * eps]);
    const sq = this.sumAxes(this.mul(v, v), [-1], true);
    const norm = this.sqrt(this.graph.op('Max', [sq, eps2]));
    return { unit: this.div(v, norm), norm, unclamped: this.graph.op('Cast', [this.graph.op('Greater', [sq, eps2])], { to: 1 }) };
  };
  /**
   * Backward of `normalize` over rows [N,d]: x̂ = x / max(‖x‖, eps) ⇒
   * dx = (dx̂ − x̂ (x̂·dx̂)·[‖x‖ > eps]) / max(‖x‖, eps).
   */
  normalizeBackward = (n: Normalized, dUnit: Value): Value =>
    this.div(this.sub(dUnit, this.mul(n.unit, this.mul(this.sumAxes(this.mul(n.unit, dUnit), [1], true), n.unclamped))), n.norm);
}

/** A normalized tensor: `unit` = x / `norm`, `norm` = max(‖x‖, eps) [..,1], `unclamped` = [‖x‖ > eps] [..,1]. */
export interface Normalized {
  unit: Value;
  norm: Value;
  unclamped: Value;
}

/** The batch inputs of the graph, each declared the first time a block reads it. */
export class BatchInputs {
  private seen = new Set<string>();
  constructor(
    private readonly graph: OnnxGraph,
    readonly shapes: Record<string, (number | string)[]>,
  ) {}
  has = (name: string): boolean => name in this.shapes;
  /** An input's dims; for an input fed in unique form (./unique-rows.ts), the dims it stands for: [B,R,...rest]. */
  dims(name: string): number[] {
    const dims = this.shapes[name];
    if (dims) return dims as number[];
    const unique = this.shapes[`${name}.unique`];
    const index = this.shapes[`${name}.index`];
    if (unique && index) return [...(index as number[]), ...(unique.slice(1) as number[])];
    throw new Error(`DRIN graph: no shape for input '${name}'`);
  }
  get(name: string): Value {
    const dims = this.shapes[name];
    if (!dims) throw new Error(`DRIN graph: no shape for input '${name}'`);
    if (!this.seen.has(name)) this.graph.input(name, dims);
    this.seen.add(name);
    return name;
  }
}

/** What every block receives: the ops, the configuration and the parameters' graph inputs by state_dict key. */
export interface DrinGraphContext {
  ops: DrinOps;
  cfg: DrinConfig;
  param: Record<string, Value>;
}
