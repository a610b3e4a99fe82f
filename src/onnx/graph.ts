/**
 * A small builder for ONNX graphs (opset 17, float32, static shapes), serialised with `onnx-proto`.
 *
 * Every value is a name; `op` appends a node and returns its output name(s). Shapes are tracked by
 * the caller (DRIN's graphs are built for one batch shape at a time), so there is no inference here.
 * Hand-written on purpose: npm has the ONNX protobuf types (onnx-proto) and runtimes (onnxruntime-*),
 * but no maintained graph builder; this file is the thin layer between the two.
 *
 * ```ts
 * const g = new OnnxGraph('mm');
 * const a = g.input('a', [2, 3]), b = g.input('b', [3, 4]);
 * g.output('c', g.op('MatMul', [a, b]), [2, 4]);
 * const bytes = g.toBytes();
 * ```
 */
import { onnx } from 'onnx-proto';

/** Attribute values: ints, floats, int lists, float lists, strings. */
export type OnnxAttr = number | number[] | string | { float: number } | { floats: number[] };

const FLOAT = 1;
const INT64 = 7;

export class OnnxGraph {
  private nodes: onnx.INodeProto[] = [];
  private inputs: onnx.IValueInfoProto[] = [];
  private outputs: onnx.IValueInfoProto[] = [];
  private inits: onnx.ITensorProto[] = [];
  private count = 0;
  /** Node producing each value (for naming outputs without a copy). */
  private producer = new Map<string, onnx.INodeProto>();
  /** Values renamed to a graph output's name: later uses read the new name. */
  private alias = new Map<string, string>();
  /** Operator domains besides the default one that nodes use, with their opset versions (e.g. com.microsoft 1). */
  private domains = new Map<string, number>();

  constructor(readonly name: string) {}

  /** A fresh value name. */
  private fresh(hint: string): string {
    return `${hint}_${this.count++}`;
  }

  /** A float32 graph input; a string dim is symbolic (its size is set by the feed, e.g. a count of distinct rows). */
  input(name: string, shape: (number | string)[]): string {
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  /**
   * Expose `value` as graph output `name`. A value computed by a node of this graph is renamed in place
   * (its uses, earlier and later, read `name`), so onnxruntime writes it straight into the output
   * instead of copying it through an Identity node; inputs, constants and values already exposed get
   * the Identity.
   */
  output(name: string, value: string, shape: number[]): void {
    const v = this.alias.get(value) ?? value;
    const node = this.producer.get(v);
    if (node && !this.outputs.some((o) => o.name === v)) {
      node.output = node.output!.map((x) => (x === v ? name : x));
      for (const n of this.nodes) if (n.input?.includes(v)) n.input = n.input.map((x) => (x === v ? name : x));
      this.producer.delete(v);
      this.producer.set(name, node);
      this.alias.set(value, name);
      this.alias.set(v, name);
    } else this.nodes.push({ opType: 'Identity', input: [v], output: [name] });
    this.outputs.push(valueInfo(name, shape));
  }

  /** A float32 constant (scalar when `shape` is []). */
  constF(values: number[] | Float32Array, shape: number[] = []): string {
    const name = this.fresh('c');
    this.inits.push({ name, dataType: FLOAT, dims: shape, floatData: Array.from(values) });
    return name;
  }

  /** An int64 constant vector (shapes, axes, split sizes). */
  constI(values: number[]): string {
    const name = this.fresh('i');
    this.inits.push({ name, dataType: INT64, dims: [values.length], int64Data: values });
    return name;
  }

  /** The nodes some graph output depends on, in their order (a value built but never read costs nothing). */
  private liveNodes(): onnx.INodeProto[] {
    const needed = new Set(this.outputs.map((o) => o.name!));
    const live: boolean[] = new Array(this.nodes.length).fill(false);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (!n.output!.some((o) => needed.has(o))) continue;
      live[i] = true;
      for (const x of n.input ?? []) needed.add(x);
    }
    return this.nodes.filter((_, i) => live[i]);
  }

  /** Append one node; returns its output name, or names when `outputs` > 1. */
  op(type: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, outputs = 1): string {
    return this.opN(type, inputs, attrs, outputs)[0];
  }

  /** Append one node with `outputs` outputs; returns their names. */
  opN(type: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, outputs = 1): string[] {
    const out = Array.from({ length: outputs }, () => this.fresh(type.toLowerCase()));
    const attribute = Object.entries(attrs).map(([name, v]) => attribute_(name, v));
    const node: onnx.INodeProto = { opType: type, input: inputs.map((x) => this.alias.get(x) ?? x), output: out, attribute, name: out[0] };
    this.nodes.push(node);
    for (const o of out) this.producer.set(o, node);
    return out;
  }

  /**
   * Append one node of operator domain `domain` (opset `version`), e.g. onnxruntime's contrib ops
   * (`com.microsoft`: Gelu); returns its output names. Only a runtime that registers the op can load the model.
   */
  opDomain(domain: string, version: number, type: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, outputs = 1): string[] {
    const out = this.opN(type, inputs, attrs, outputs);
    this.producer.get(out[0])!.domain = domain;
    this.domains.set(domain, version);
    return out;
  }

  /** The serialised ModelProto (nodes that no output depends on are left out, and the constants only they read). */
  toBytes(): Uint8Array {
    const node = this.liveNodes();
    const read = new Set<string>(this.outputs.map((o) => o.name!));
    for (const n of node) for (const x of n.input ?? []) read.add(x);
    const initializer = this.inits.filter((t) => read.has(t.name!));
    const graph = onnx.GraphProto.create({ name: this.name, node, input: this.inputs, output: this.outputs, initializer });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'drin-ts',
      opsetImport: [{ domain: '', version: 17 }, ...[...this.domains].map(([domain, version]) => ({ domain, version }))],
      graph,
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, shape: (number | string)[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

function attribute_(name: string, v: OnnxAttr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.FLOATS, floats: v.floats };
}
