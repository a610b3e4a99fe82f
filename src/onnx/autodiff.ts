/**
 * Reverse-mode automatic differentiation over the ONNX graph builder (graph.ts): a model's forward
 * pass is written once with `DiffGraph`'s ops, and `backward(loss, wrt)` appends the gradient nodes to
 * the same graph, one per-operator rule at a time (autodiff-rules.ts), so that a whole training step —
 * forward, loss and every parameter gradient — is one onnxruntime call.
 *
 * Why hand-written: the project builds its ONNX graphs itself (no Python exporter, no ORT training
 * build in onnxruntime-node), and the rules are few and each is tested against `tf.grad`
 * (test/unit/autodiff-rules.test.ts).
 *
 * Every value carries its static shape (inferred per op), so broadcasting, reductions and the memory
 * estimate (`liveBytes`) need no runtime information. Gradients flow only into values that depend on a
 * `wrt` value: an input feature's gradient is never computed.
 *
 * ```ts
 * const d = new DiffGraph('lin');
 * const x = d.input('x', [4, 3]), w = d.input('w', [2, 3], true);
 * const loss = d.reduceSum(d.mul(d.linear(x, w), d.linear(x, w)), [0, 1], false);
 * const grads = d.backward(loss, [w]); // Map w → name of dL/dw
 * d.output('loss', loss); d.output('grad:w', grads.get(w)!);
 * ```
 */
import { OnnxAttr, OnnxGraph } from './graph';
import { GRAD_RULES } from './autodiff-rules';

/** One recorded node: enough for its gradient rule. */
export interface DiffNode {
  type: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
  /** Extra non-differentiable values the rule needs (e.g. the int64 shape of a Reshape). */
  extra: Record<string, unknown>;
}

export class DiffGraph {
  readonly g: OnnxGraph;
  private shapes = new Map<string, number[]>();
  /** Values that depend on a differentiable input. */
  private live = new Set<string>();
  private nodes: DiffNode[] = [];

  constructor(name: string) {
    this.g = new OnnxGraph(name);
  }

  /** Static shape of a value. */
  shape(v: string): number[] {
    const s = this.shapes.get(v);
    if (!s) throw new Error(`DiffGraph: unknown value '${v}'`);
    return s;
  }

  /** A float32 graph input; `differentiable` marks it as something gradients may be taken for. */
  input(name: string, shape: number[], differentiable = false): string {
    this.g.input(name, shape);
    this.shapes.set(name, shape);
    if (differentiable) this.live.add(name);
    return name;
  }

  /** Expose `v` as a graph output. */
  output(name: string, v: string): void {
    this.g.output(name, v, this.shape(v));
  }

  /** float32 constant. */
  constF(values: number[] | Float32Array, shape: number[] = []): string {
    const v = this.g.constF(values, shape);
    this.shapes.set(v, shape);
    return v;
  }

  /** Does `v` depend on a differentiable input? */
  isLive(v: string): boolean {
    return this.live.has(v);
  }

  /**
   * Append a node of a type that has a gradient rule; output shapes come from the rule.
   * `extra` carries rule data that is not an ONNX attribute (shapes, slice bounds).
   */
  node(type: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, extra: Record<string, unknown> = {}): string[] {
    const rule = GRAD_RULES[type];
    if (!rule) throw new Error(`DiffGraph: no gradient rule for ONNX op '${type}'`);
    const inShapes = inputs.map((v) => this.shape(v));
    const outShapes = rule.shapes(inShapes, attrs, extra);
    const onnxInputs = rule.onnxInputs ? rule.onnxInputs(this.g, inputs, attrs, extra) : inputs;
    const outs = this.g.opN(type, onnxInputs, rule.onnxAttrs ? rule.onnxAttrs(attrs) : attrs, outShapes.length);
    outs.forEach((o, i) => this.shapes.set(o, outShapes[i]));
    if (inputs.some((v) => this.live.has(v))) outs.forEach((o) => this.live.add(o));
    this.nodes.push({ type, inputs, outputs: outs, attrs, extra });
    return outs;
  }

  /** A node outside autodiff (masks, casts of constants): no gradient flows through it. */
  raw(type: string, inputs: string[], attrs: Record<string, OnnxAttr>, shape: number[]): string {
    const o = this.g.op(type, inputs, attrs);
    this.shapes.set(o, shape);
    return o;
  }

  // ---- ops (shapes as numpy broadcasting) ----
  add = (a: string, b: string): string => this.node('Add', [a, b])[0];
  sub = (a: string, b: string): string => this.node('Sub', [a, b])[0];
  mul = (a: string, b: string): string => this.node('Mul', [a, b])[0];
  div = (a: string, b: string): string => this.node('Div', [a, b])[0];
  /** `a * s` for a number `s`. */
  scale = (a: string, s: number): string => (s === 1 ? a : this.mul(a, this.constF([s])));
  /** `a + s` for a number `s`. */
  shift = (a: string, s: number): string => this.add(a, this.constF([s]));
  /** Batched `a @ b`: same-rank operands whose batch axes are equal or broadcast (1 against n), or `[..., m, k] @ [k, n]`. */
  matmul = (a: string, b: string): string => this.node('MatMul', [a, b])[0];
  /** PyTorch Linear on the last axis: `x [..., in]`, `w [out, in]`, `b [out]` → `[..., out]`. */
  linear = (x: string, w: string, b?: string): string => this.scaledLinear(x, w, b, 1);
  /**
   * `s · linear(x, w, b)` for a number `s`, as one Gemm (alpha = beta = s): the scaling costs no pass over
   * the output, nor over its gradient (alpha of the gradient Gemms). Same numbers up to float32 rounding.
   */
  scaledLinear = (x: string, w: string, b: string | undefined, s: number): string => {
    const xs = this.shape(x);
    const inDim = xs[xs.length - 1];
    const ws = this.shape(w);
    if (ws[1] !== inDim) throw new Error(`DiffGraph.linear: input [${xs}] vs weight [${ws}] (expected [out, ${inDim}])`);
    const lead = xs.slice(0, -1);
    const x2 = xs.length === 2 ? x : this.reshape(x, [lead.reduce((p, q) => p * q, 1), inDim]);
    const scale: Record<string, OnnxAttr> = s === 1 ? {} : { alpha: { float: s }, beta: { float: s } };
    const y = this.node('Gemm', b ? [x2, w, b] : [x2, w], { transB: 1, ...scale })[0];
    return xs.length === 2 ? y : this.reshape(y, [...lead, ws[0]]);
  };
  reshape = (x: string, shape: number[]): string => this.node('Reshape', [x], {}, { shape })[0];
  transpose = (x: string, perm: number[]): string => this.node('Transpose', [x], { perm })[0];
  softmax = (x: string, axis = -1): string => this.node('Softmax', [x], { axis })[0];
  erf = (x: string): string => this.node('Erf', [x])[0];
  exp = (x: string): string => this.node('Exp', [x])[0];
  sqrt = (x: string): string => this.node('Sqrt', [x])[0];
  relu = (x: string): string => this.node('Relu', [x])[0];
  sigmoid = (x: string): string => this.node('Sigmoid', [x])[0];
  tanh = (x: string): string => this.node('Tanh', [x])[0];
  /** Elementwise max with a value that needs no gradient (PyTorch clamp_min: gradient where a >= b). */
  clampMin = (a: string, b: string): string => this.node('Max', [a, b])[0];
  reduceSum = (x: string, axes: number[], keepdims = false): string => this.node('ReduceSum', [x], { keepdims: keepdims ? 1 : 0 }, { axes })[0];
  reduceMean = (x: string, axes: number[], keepdims = false): string => this.node('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 })[0];
  reduceMax = (x: string, axes: number[], keepdims = false): string => this.node('ReduceMax', [x], { axes, keepdims: keepdims ? 1 : 0 })[0];
  concat = (xs: string[], axis: number): string => this.node('Concat', xs, { axis })[0];
  /** `x[starts:ends]` on `axes` (static bounds). */
  slice = (x: string, starts: number[], ends: number[], axes: number[]): string => this.node('Slice', [x], {}, { starts, ends, axes })[0];
  /** `x` cut along `axis` into consecutive parts of `sizes` (which add up to x's length there); returns the parts. */
  split = (x: string, sizes: number[], axis: number): string[] => this.node('Split', [x], { axis }, { split: sizes });
  /**
   * Inverted dropout with rate `p` (training): a fresh mask every run; identity when p = 0. With `seed`
   * the node's generator starts from it (the masks of a session's runs are then reproducible). For training
   * graphs: onnxruntime rejects a Dropout whose mask output feeds nothing (a forward-only graph).
   */
  dropout = (x: string, p: number, seed?: number): string => (p > 0 ? this.node('Dropout', [x], seed === undefined ? {} : { seed }, { ratio: p })[0] : x);

  /**
   * PyTorch LayerNorm over the last axis: `(x − mean) / sqrt(var + eps) · gamma + beta` (biased variance),
   * `gamma`, `beta` [D]. The forward is one ONNX LayerNormalization kernel (opset 17; its outputs 1 and 2 are
   * the row mean and rstd = 1/sqrt(var + eps), [..., 1]); the backward is one rule (autodiff-rules.ts
   * `LayerNorm`: dx = (g − mean(g) − x̂·mean(g·x̂))·rstd with g = dy·gamma) instead of the chain of the
   * written-out ops' rules: about half the passes over [..., D]. The normalised x̂ = (x − mean)·rstd it
   * reads is written out after the kernel; only the backward reads it, so a forward-only graph leaves it
   * out (OnnxGraph.toBytes).
   */
  layerNorm = (x: string, gamma: string, beta: string, eps: number): string => {
    const s = this.shape(x);
    const keep = [...s.slice(0, -1), 1];
    const [out, mean, rstd] = this.g.opN('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: eps } }, 3);
    this.shapes.set(out, s);
    this.shapes.set(mean, keep);
    this.shapes.set(rstd, keep);
    const y = this.emit('Mul', [this.emit('Sub', [x, mean], s), rstd], s);
    this.record('LayerNorm', [x, gamma, beta], [out], {}, { normalized: y, rstd });
    return out;
  };

  /**
   * Record a composite node whose forward ops were already emitted (unrecorded): its rule in
   * GRAD_RULES gives the gradient of the whole, reading what the forward saved in `extra`.
   */
  private record(type: string, inputs: string[], outputs: string[], attrs: Record<string, OnnxAttr>, extra: Record<string, unknown>): void {
    if (!GRAD_RULES[type]) throw new Error(`DiffGraph: no gradient rule for composite op '${type}'`);
    if (inputs.some((v) => this.live.has(v))) outputs.forEach((o) => this.live.add(o));
    this.nodes.push({ type, inputs, outputs, attrs, extra });
  }

  /**
   * Append the backward pass of scalar `loss` and return, for each `wrt` value, the name of its gradient
   * (a zero constant when the loss does not depend on it).
   */
  backward(loss: string, wrt: string[]): Map<string, string> {
    this.forwardBytes = this.liveBytes();
    if (this.shape(loss).length !== 0) throw new Error(`DiffGraph.backward: loss must be a scalar, got [${this.shape(loss)}]`);
    // running sums: each new contribution is added at once, so onnxruntime can free it (a weight used
    // at every step of an unrolled loop would otherwise hold one gradient per step until the end)
    const grads = new Map<string, string>();
    const push = (v: string, gv: string) => {
      const prev = grads.get(v);
      grads.set(v, prev === undefined ? gv : this.emit('Add', [prev, gv], this.shape(v)));
    };
    const total = (v: string): string | undefined => grads.get(v);
    push(loss, this.constF([1]));
    for (let n = this.nodes.length - 1; n >= 0; n--) {
      const node = this.nodes[n];
      const dys = node.outputs.map((o) => total(o));
      if (dys.every((d) => d === undefined)) continue;
      const needs = node.inputs.map((v) => this.live.has(v));
      if (!needs.some(Boolean)) continue;
      const rule = GRAD_RULES[node.type];
      const dxs = rule.grad(this, node, dys, needs);
      node.inputs.forEach((v, i) => {
        const dx = dxs[i];
        if (needs[i] && dx !== undefined) push(v, dx);
      });
    }
    const out = new Map<string, string>();
    for (const v of wrt) out.set(v, total(v) ?? this.constF(new Float32Array(this.shape(v).reduce((a, b) => a * b, 1)), this.shape(v)));
    return out;
  }

  /** Gradient helper for rules: sum `g` (shape of a broadcast result) down to `shape`. */
  unbroadcast(g: string, shape: number[]): string {
    const gs = this.shape(g);
    if (gs.join(',') === shape.join(',')) return g;
    const pad = gs.length - shape.length;
    const axes: number[] = [];
    for (let i = 0; i < gs.length; i++) if (i < pad || (shape[i - pad] === 1 && gs[i] !== 1)) axes.push(i);
    let r = g;
    if (axes.length) {
      r = this.g.op('ReduceSum', [g, this.g.constI(axes)], { keepdims: 1 });
      this.shapes.set(r, gs.map((d, i) => (axes.includes(i) ? 1 : d)));
    }
    return this.shape(r).join(',') === shape.join(',') ? r : this.rawReshape(r, shape);
  }

  /** Reshape without recording (for rules). */
  rawReshape(x: string, shape: number[]): string {
    const o = this.g.op('Reshape', [x, this.g.constI(shape)]);
    this.shapes.set(o, shape);
    return o;
  }

  /** Emit an op without recording (for rules); `shape` is its output shape. */
  emit(type: string, inputs: string[], shape: number[], attrs: Record<string, OnnxAttr> = {}): string {
    const o = this.g.op(type, inputs, attrs);
    this.shapes.set(o, shape);
    return o;
  }

  /** int64 constant (for rules). */
  constI(values: number[]): string {
    return this.g.constI(values);
  }

  /** `liveBytes()` when `backward` was called: the forward values, which the backward pass reads. */
  forwardBytes = 0;

  /**
   * Bytes of every float value the graph computes (forward and backward), an upper bound of what
   * onnxruntime holds at once (its planner reuses some buffers): the memory estimate of a step.
   */
  liveBytes(): number {
    let n = 0;
    this.shapes.forEach((s) => (n += s.reduce((a, b) => a * b, 1)));
    return 4 * n;
  }

  /** The serialised model. */
  toBytes(): Uint8Array {
    return this.g.toBytes();
  }
}
