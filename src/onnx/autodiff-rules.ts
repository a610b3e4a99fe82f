/**
 * Per-operator gradient rules for `DiffGraph` (autodiff.ts): for each ONNX op, its output shapes and
 * the nodes that turn the output gradients into input gradients. Each rule is checked against
 * `tf.grad` on random inputs (test/unit/autodiff-rules.test.ts).
 *
 * Conventions: `dys[i]` is the gradient of output i (undefined when nothing downstream needs it);
 * `needs[i]` says whether input i wants a gradient; a rule returns one entry per input (undefined when
 * not needed). Broadcast inputs get their gradient summed back to their shape (`unbroadcast`).
 * Gradients follow PyTorch where the two could differ: clamp_min (`Max`) passes the gradient where
 * a >= b; ReduceMax gives it to every position equal to the max (as tf.max; ties do not occur on
 * real-valued features).
 */
import type { DiffGraph, DiffNode } from './autodiff';
import type { OnnxAttr, OnnxGraph } from './graph';

export interface GradRule {
  /** Output shapes from input shapes. */
  shapes(inShapes: number[][], attrs: Record<string, OnnxAttr>, extra: Record<string, unknown>): number[][];
  /** The ONNX inputs when the op takes constant tensors (shape, axes, bounds) besides its data. */
  onnxInputs?(g: OnnxGraph, inputs: string[], attrs: Record<string, OnnxAttr>, extra: Record<string, unknown>): string[];
  /** The ONNX attributes, when they differ from the recorded ones. */
  onnxAttrs?(attrs: Record<string, OnnxAttr>): Record<string, OnnxAttr>;
  grad(d: DiffGraph, node: DiffNode, dys: (string | undefined)[], needs: boolean[]): (string | undefined)[];
}

const FLOAT = 1;
const BOOL = 9;

/** numpy broadcasting of two shapes. */
export function broadcastShapes(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`autodiff: shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

const axisOf = (a: number, rank: number) => (a < 0 ? a + rank : a);
const size = (s: number[]) => s.reduce((p, q) => p * q, 1);

function binary(grad: GradRule['grad']): GradRule {
  return { shapes: ([a, b]) => [broadcastShapes(a, b)], grad };
}

/** `dy * f` (elementwise), shape of dy. */
function times(d: DiffGraph, dy: string, f: string): string {
  return d.emit('Mul', [dy, f], broadcastShapes(d.shape(dy), d.shape(f)));
}

/** Float 0/1 of a comparison. */
function indicator(d: DiffGraph, cmp: string, a: string, b: string): string {
  const shape = broadcastShapes(d.shape(a), d.shape(b));
  return d.emit('Cast', [d.emit(cmp, [a, b], shape)], shape, { to: FLOAT });
}

/** Reduce gradient `dy` (shape after reducing `axes` of `inShape`) expanded back to `inShape`. */
function expandBack(d: DiffGraph, dy: string, inShape: number[], axes: number[]): string {
  const keep = inShape.map((s, i) => (axes.includes(i) ? 1 : s));
  const r = d.shape(dy).join(',') === keep.join(',') ? dy : d.rawReshape(dy, keep);
  return d.emit('Expand', [r, d.constI(inShape)], inShape);
}

function reduceAxes(inShape: number[], attrs: Record<string, OnnxAttr>, extra: Record<string, unknown>): number[] {
  const axes = (extra.axes ?? attrs.axes) as number[];
  return axes.map((a) => axisOf(a, inShape.length));
}

function reducedShape(inShape: number[], axes: number[], keep: boolean): number[] {
  return keep ? inShape.map((s, i) => (axes.includes(i) ? 1 : s)) : inShape.filter((_, i) => !axes.includes(i));
}

const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

export const GRAD_RULES: Record<string, GradRule> = {
  Add: binary((d, n, [dy], needs) => [needs[0] ? d.unbroadcast(dy!, d.shape(n.inputs[0])) : undefined, needs[1] ? d.unbroadcast(dy!, d.shape(n.inputs[1])) : undefined]),
  Sub: binary((d, n, [dy], needs) => [
    needs[0] ? d.unbroadcast(dy!, d.shape(n.inputs[0])) : undefined,
    needs[1] ? d.unbroadcast(d.emit('Neg', [dy!], d.shape(dy!)), d.shape(n.inputs[1])) : undefined,
  ]),
  Mul: binary((d, n, [dy], needs) => {
    const [a, b] = n.inputs;
    return [needs[0] ? d.unbroadcast(times(d, dy!, b), d.shape(a)) : undefined, needs[1] ? d.unbroadcast(times(d, dy!, a), d.shape(b)) : undefined];
  }),
  Div: binary((d, n, [dy], needs) => {
    const [a, b] = n.inputs;
    const y = n.outputs[0];
    const da = needs[0] ? d.unbroadcast(d.emit('Div', [dy!, b], d.shape(y)), d.shape(a)) : undefined;
    // d(a/b)/db = -(a/b)/b
    const db = needs[1] ? d.unbroadcast(d.emit('Neg', [d.emit('Div', [times(d, dy!, y), b], d.shape(y))], d.shape(y)), d.shape(b)) : undefined;
    return [da, db];
  }),
  Max: {
    shapes: ([a, b]) => [broadcastShapes(a, b)],
    grad: (d, n, [dy], needs) => {
      if (needs[1]) throw new Error('autodiff Max: the clamp value must not need a gradient');
      const [a, b] = n.inputs;
      return [d.unbroadcast(times(d, dy!, indicator(d, 'GreaterOrEqual', a, b)), d.shape(a)), undefined];
    },
  },
  MatMul: {
    shapes: ([a, b]) => {
      if (b.length === 2) {
        if (a[a.length - 1] !== b[0]) throw new Error(`autodiff MatMul: [${a}] @ [${b}]`);
        return [[...a.slice(0, -1), b[1]]];
      }
      const batch = a.slice(0, -2).map((x, i) => (x === b[i] || b[i] === 1 ? x : a[i] === 1 ? b[i] : -1));
      if (a.length !== b.length || batch.includes(-1) || a[a.length - 1] !== b[b.length - 2]) {
        throw new Error(`autodiff MatMul: batch axes not broadcastable or inner sizes differ: [${a}] @ [${b}]`);
      }
      return [[...batch, a[a.length - 2], b[b.length - 1]]];
    },
    grad: (d, n, [dy], needs) => {
      const [a, b] = n.inputs;
      const as = d.shape(a);
      const bs = d.shape(b);
      if (bs.length === 2) {
        // [..., m, k] @ [k, n]: flatten the leading axes
        const N = size(as.slice(0, -1));
        const dy2 = d.rawReshape(dy!, [N, bs[1]]);
        const da = needs[0] ? d.rawReshape(d.emit('Gemm', [dy2, b], [N, bs[0]], { transB: 1 }), as) : undefined;
        const db = needs[1] ? d.emit('Gemm', [d.rawReshape(a, [N, bs[0]]), dy2], bs, { transA: 1 }) : undefined;
        return [da, db];
      }
      // same-rank batched, batch axes broadcast (an axis of 1 against n): each gradient is summed back to its operand's shape
      const batch = d.shape(dy!).slice(0, -2);
      const transposed = (v: string, s: number[]) => d.emit('Transpose', [v], [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]], { perm: swapLast(s.length) }); // [..., m, k] → [..., k, m]
      const da = needs[0] ? d.unbroadcast(d.emit('MatMul', [dy!, transposed(b, bs)], [...batch, ...as.slice(-2)]), as) : undefined;
      const db = needs[1] ? d.unbroadcast(d.emit('MatMul', [transposed(a, as), dy!], [...batch, ...bs.slice(-2)]), bs) : undefined;
      return [da, db];
    },
  },
  /**
   * Gemm with transB = 1 only (PyTorch Linear), optionally scaled: Y = alpha·A Wᵀ + beta·C (alpha, beta
   * default 1). Gradients dA = alpha·dY W, dW = alpha·dYᵀ A (alpha as the gradient Gemm's own, no extra
   * pass), dC = beta·Σ dY over the rows.
   */
  Gemm: {
    shapes: ([a, w, c], attrs) => {
      if (attrs.transB !== 1 || attrs.transA) throw new Error('autodiff Gemm: only transB = 1 (Linear) is recorded');
      if (a[1] !== w[1] || (c && c[c.length - 1] !== w[0])) throw new Error(`autodiff Gemm: [${a}] · [${w}]ᵀ + [${c}]`);
      return [[a[0], w[0]]];
    },
    grad: (d, n, [dy], needs) => {
      const [a, w] = n.inputs;
      const alpha = (n.attrs.alpha as { float: number } | undefined)?.float ?? 1;
      const beta = (n.attrs.beta as { float: number } | undefined)?.float ?? 1;
      const scaled: Record<string, OnnxAttr> = alpha === 1 ? {} : { alpha: { float: alpha } };
      const db = needs[2] ? d.emit('ReduceSum', [dy!, d.constI([0])], d.shape(n.inputs[2]), { keepdims: 0 }) : undefined;
      return [
        needs[0] ? (alpha === 1 ? d.emit('MatMul', [dy!, w], d.shape(a)) : d.emit('Gemm', [dy!, w], d.shape(a), scaled)) : undefined,
        needs[1] ? d.emit('Gemm', [dy!, a], d.shape(w), { transA: 1, ...scaled }) : undefined,
        db && beta !== 1 ? times(d, db, d.constF([beta])) : db,
      ];
    },
  },
  Reshape: {
    shapes: ([a], _attrs, extra) => {
      const s = extra.shape as number[];
      if (size(s) !== size(a)) throw new Error(`autodiff Reshape: [${a}] → [${s}]`);
      return [s];
    },
    onnxInputs: (g, [x], _attrs, extra) => [x, g.constI(extra.shape as number[])],
    grad: (d, n, [dy]) => [d.rawReshape(dy!, d.shape(n.inputs[0]))],
  },
  Transpose: {
    shapes: ([a], attrs) => [(attrs.perm as number[]).map((p) => a[p])],
    grad: (d, n, [dy]) => {
      const perm = n.attrs.perm as number[];
      const inv = perm.map((_, i) => perm.indexOf(i));
      return [d.emit('Transpose', [dy!], d.shape(n.inputs[0]), { perm: inv })];
    },
  },
  Softmax: {
    shapes: ([a]) => [a],
    grad: (d, n, [dy]) => {
      const y = n.outputs[0];
      const s = d.shape(y);
      const axis = axisOf(n.attrs.axis as number, s.length);
      const dot = d.emit('ReduceSum', [times(d, dy!, y), d.constI([axis])], reducedShape(s, [axis], true), { keepdims: 1 });
      return [times(d, d.emit('Sub', [dy!, dot], s), y)];
    },
  },
  Erf: {
    shapes: ([a]) => [a],
    grad: (d, n, [dy]) => {
      const x = n.inputs[0];
      const s = d.shape(x);
      const e = d.emit('Exp', [d.emit('Neg', [d.emit('Mul', [x, x], s)], s)], s); // exp(-x²)
      return [times(d, dy!, d.emit('Mul', [e, d.constF([2 / Math.sqrt(Math.PI)])], s))];
    },
  },
  Exp: { shapes: ([a]) => [a], grad: (d, n, [dy]) => [times(d, dy!, n.outputs[0])] },
  Sqrt: {
    shapes: ([a]) => [a],
    grad: (d, n, [dy]) => [d.emit('Div', [times(d, dy!, d.constF([0.5])), n.outputs[0]], d.shape(dy!))],
  },
  Relu: {
    shapes: ([a]) => [a],
    grad: (d, n, [dy]) => [times(d, dy!, indicator(d, 'Greater', n.outputs[0], d.constF([0])))],
  },
  Sigmoid: {
    shapes: ([a]) => [a],
    grad: (d, n, [dy]) => {
      const y = n.outputs[0];
      const s = d.shape(y);
      return [times(d, dy!, d.emit('Mul', [y, d.emit('Sub', [d.constF([1]), y], s)], s))];
    },
  },
  Tanh: {
    shapes: ([a]) => [a],
    grad: (d, n, [dy]) => {
      const y = n.outputs[0];
      const s = d.shape(y);
      return [times(d, dy!, d.emit('Sub', [d.constF([1]), d.emit('Mul', [y, y], s)], s))];
    },
  },
  ReduceSum: {
    shapes: ([a], attrs, extra) => [reducedShape(a, reduceAxes(a, attrs, extra), attrs.keepdims === 1)],
    onnxInputs: (g, [x], _attrs, extra) => [x, g.constI(extra.axes as number[])],
    grad: (d, n, [dy]) => {
      const s = d.shape(n.inputs[0]);
      return [expandBack(d, dy!, s, reduceAxes(s, n.attrs, n.extra))];
    },
  },
  ReduceMean: {
    shapes: ([a], attrs) => [reducedShape(a, reduceAxes(a, attrs, {}), attrs.keepdims === 1)],
    grad: (d, n, [dy]) => {
      const s = d.shape(n.inputs[0]);
      const axes = reduceAxes(s, n.attrs, {});
      const count = size(axes.map((a) => s[a]));
      return [expandBack(d, times(d, dy!, d.constF([1 / count])), s, axes)];
    },
  },
  ReduceMax: {
    shapes: ([a], attrs) => [reducedShape(a, reduceAxes(a, attrs, {}), attrs.keepdims === 1)],
    grad: (d, n, [dy]) => {
      const x = n.inputs[0];
      const s = d.shape(x);
      const axes = reduceAxes(s, n.attrs, {});
      const keep = reducedShape(s, axes, true);
      const yk = d.shape(n.outputs[0]).join(',') === keep.join(',') ? n.outputs[0] : d.rawReshape(n.outputs[0], keep);
      return [times(d, expandBack(d, dy!, s, axes), indicator(d, 'Equal', x, yk))];
    },
  },
  Concat: {
    shapes: (ins, attrs) => {
      const axis = axisOf(attrs.axis as number, ins[0].length);
      const out = [...ins[0]];
      out[axis] = ins.reduce((p, s) => p + s[axis], 0);
      return [out];
    },
    grad: (d, n, [dy]) => {
      const shapes = n.inputs.map((v) => d.shape(v));
      const axis = axisOf(n.attrs.axis as number, shapes[0].length);
      const parts = d.g.opN('Split', [dy!, d.constI(shapes.map((s) => s[axis]))], { axis }, shapes.length);
      return parts.map((p, i) => d.rawReshape(p, shapes[i])); // Reshape registers each part's shape (a no-op copy ORT elides)
    },
  },
  Slice: {
    shapes: ([a], _attrs, extra) => {
      const out = [...a];
      (extra.axes as number[]).forEach((ax, i) => {
        const k = axisOf(ax, a.length);
        out[k] = Math.min((extra.ends as number[])[i], a[k]) - (extra.starts as number[])[i];
      });
      return [out];
    },
    onnxInputs: (g, [x], _attrs, extra) => [x, g.constI(extra.starts as number[]), g.constI(extra.ends as number[]), g.constI(extra.axes as number[])],
    grad: (d, n, [dy]) => {
      const s = d.shape(n.inputs[0]);
      const out = d.shape(n.outputs[0]);
      const pads = new Array(2 * s.length).fill(0);
      (n.extra.axes as number[]).forEach((ax, i) => {
        const k = axisOf(ax, s.length);
        pads[k] = (n.extra.starts as number[])[i];
        pads[s.length + k] = s[k] - out[k] - pads[k];
      });
      return [d.emit('Pad', [dy!, d.constI(pads)], s)];
    },
  },
  /**
   * Split (opset 13: the part sizes as an input) along `axis` into consecutive parts of `extra.split`.
   * Gradient: the parts' gradients concatenated back (zeros for a part nothing downstream reads), one
   * pass instead of a Pad per part and the sum of the padded tensors.
   */
  Split: {
    shapes: ([a], attrs, extra) => {
      const k = axisOf(attrs.axis as number, a.length);
      const sizes = extra.split as number[];
      if (sizes.reduce((p, q) => p + q, 0) !== a[k]) throw new Error(`autodiff Split: parts [${sizes}] do not add up to axis ${k} of [${a}]`);
      return sizes.map((n) => a.map((x, i) => (i === k ? n : x)));
    },
    onnxInputs: (g, [x], _attrs, extra) => [x, g.constI(extra.split as number[])],
    grad: (d, n, dys) => {
      const s = d.shape(n.inputs[0]);
      const parts = n.outputs.map((o, i) => dys[i] ?? d.emit('Expand', [d.constF([0]), d.constI(d.shape(o))], d.shape(o)));
      return [d.emit('Concat', parts, s, { axis: axisOf(n.attrs.axis as number, s.length) })];
    },
  },
  /**
   * LayerNorm over the last axis (a composite recorded by `DiffGraph.layerNorm`, not an ONNX op): with
   * x̂ = (x − mean)·rstd (`extra.normalized`, rstd = 1/std `extra.rstd` [..., 1]), g = dy·gamma:
   * dx = (g − mean(g) − x̂·mean(g·x̂))·rstd, dgamma = Σ dy·x̂, dbeta = Σ dy over the leading axes
   * (PyTorch's layer_norm_backward, the same formula).
   */
  LayerNorm: {
    shapes: ([a]) => [a],
    grad: (d, n, [dy], needs) => {
      const [x, gamma, beta] = n.inputs;
      const { normalized: y, rstd } = n.extra as { normalized: string; rstd: string };
      const s = d.shape(x);
      const keep = [...s.slice(0, -1), 1];
      let dx: string | undefined;
      if (needs[0]) {
        const g = times(d, dy!, gamma);
        const m1 = d.emit('ReduceMean', [g], keep, { axes: [-1], keepdims: 1 });
        const m2 = d.emit('ReduceMean', [d.emit('Mul', [g, y], s)], keep, { axes: [-1], keepdims: 1 });
        dx = d.emit('Mul', [d.emit('Sub', [d.emit('Sub', [g, m1], s), d.emit('Mul', [y, m2], s)], s), rstd], s);
      }
      return [dx, needs[1] ? d.unbroadcast(times(d, dy!, y), d.shape(gamma)) : undefined, needs[2] ? d.unbroadcast(dy!, d.shape(beta)) : undefined];
    },
  },
  /** Dropout (opset 13) in training mode; output 1 is the keep mask. Gradient: dy · mask / (1 − p). */
  Dropout: {
    shapes: ([a]) => [a, a],
    onnxInputs: (g, [x], _attrs, extra) => [x, g.constF([extra.ratio as number]), g.op('Cast', [g.constF([1])], { to: BOOL })],
    grad: (d, n, [dy]) => {
      const s = d.shape(n.inputs[0]);
      const keep = d.emit('Cast', [n.outputs[1]], s, { to: FLOAT });
      return [times(d, dy!, d.emit('Mul', [keep, d.constF([1 / (1 - (n.extra.ratio as number))])], s))];
    },
  },
};
