// Calls ONNX operator definitions from aten ops: most aten ops are an ONNX op with
// PyTorch's argument conventions, so they compose the ONNX definitions (and through
// them the shared kernels) instead of duplicating them. The hot float32 ops (linear, conv,
// matmul, elementwise arithmetic, softmax, layer_norm, ...) call the kernels directly instead
// (see fast-f32.ts and the family files); what comes through here allocates too: each ONNX
// op's own shape inference gives its output sizes, which are checked against
// limits.maxTensorElements before the kernel runs.
//
// `onnxOp(name, attrs)` is an op with its attributes parsed once, for a caller to keep and run
// many times (module-level constants for fixed attributes). `onnx1` / `runOnnx` take attributes
// per call: a call without attributes uses the op's shared prepared form, a call whose
// attribute object was prepared before (the same object) reuses it, and any other is parsed
// for that call. Nothing is keyed by strings built from attribute values.

import { InvalidNodeError } from '../../src/errors.js';
import type { Attribute, Graph, Node, ValueType } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import { allOnnxOps } from '../onnx/all.js';
import { type InferContext, type InferInput, type OpContext, type OpDef } from '../op-def.js';
import { Attrs } from '../attrs.js';
import { checkTensorElements } from './budget.js';

/** The opset aten ops compose against: the newest definition of each ONNX op. */
const OPSET = 1_000;

interface Entry {
  readonly def: OpDef;
  /** The op without attributes, prepared on first use. */
  plain: OnnxOp | null;
}

let newest: Map<string, Entry> | null = null;

function entry(name: string): Entry {
  if (newest === null) {
    newest = new Map();
    for (const d of allOnnxOps) {
      if ((d.domain ?? '') !== '' || d.since > OPSET) continue;
      const seen = newest.get(d.name);
      if (seen === undefined || seen.def.since < d.since) newest.set(d.name, { def: d, plain: null });
    }
  }
  const e = newest.get(name);
  if (e === undefined) throw new InvalidNodeError(`ONNX op ${name} is not available to compose aten ops`);
  return e;
}

/** Attribute values as plain data: ints are integers, floats any other number (use `float`). */
export type OnnxAttr = number | string | readonly number[] | readonly string[] | { readonly float: number } | Tensor;

export type OnnxAttrs = Readonly<Record<string, OnnxAttr>>;

function toAttribute(v: OnnxAttr): Attribute {
  if (typeof v === 'number') return { type: 'int', value: v };
  if (typeof v === 'string') return { type: 'string', value: v, bytes: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    return typeof v[0] === 'string'
      ? { type: 'strings', value: v as readonly string[] }
      : { type: 'ints', value: v as readonly number[] };
  }
  if ('float' in (v as object)) return { type: 'float', value: (v as { float: number }).float };
  return { type: 'tensor', value: v as Tensor };
}

const OUTPUT_NAMES = ['y0', 'y1', 'y2', 'y3', 'y4', 'y5'];
const NO_ATTRS: OnnxAttrs = Object.freeze({});

/** The context an ONNX op runs and infers in when an aten op calls it: no subgraphs, no memo. */
class BridgeContext implements OpContext, InferContext {
  constructor(readonly node: Node, readonly opset: number) {}
  runSubgraph(_graph: Graph, _inputs: readonly Value[]): Value[] {
    throw new InvalidNodeError(`${this.node.opType}: subgraphs are not available to aten ops`);
  }
  inferSubgraph(_graph: Graph, _inputs: readonly (InferInput | undefined)[]): (InferInput | undefined)[] {
    throw new InvalidNodeError(`${this.node.opType}: subgraphs are not available to aten ops`);
  }
  dataDim(label: string): string {
    return `${this.node.opType}_${label}`;
  }
}

/** Inputs up to this many elements are shown to shape inference by value (shapes, pads, repeats). */
const VALUE_ELEMENTS = 64;

/** An ONNX op with its attributes parsed once; `run` it as often as needed. */
export class OnnxOp {
  readonly def: OpDef;
  readonly outputs: number;
  private readonly attrs: unknown;
  private readonly ctx: BridgeContext;

  constructor(name: string, attrs: OnnxAttrs = NO_ATTRS, outputs = 1) {
    this.def = entry(name).def;
    this.outputs = outputs;
    const map = new Map<string, Attribute>();
    for (const k of Object.keys(attrs)) map.set(k, toAttribute(attrs[k]!));
    // The first `outputs` outputs are requested (ops such as LSTM skip outputs nobody names).
    const node: Node = {
      name: `aten→${name}`, domain: '', opType: name, inputs: [], outputs: OUTPUT_NAMES.slice(0, outputs), attributes: map,
    };
    this.attrs = this.def.parse ? this.def.parse(new Attrs(map), node) : undefined;
    this.ctx = new BridgeContext(node, Math.max(this.def.since, 1));
  }

  /** Runs the op on `inputs` (undefined for an omitted optional input); returns its outputs. */
  run(inputs: readonly (Tensor | undefined)[]): Tensor[] {
    this.checkOutputSizes(inputs);
    return this.def.run(inputs, this.attrs, this.ctx) as Tensor[];
  }

  /** The op's first output. */
  run1(inputs: readonly (Tensor | undefined)[]): Tensor {
    return this.run(inputs)[0]!;
  }

  /**
   * Refuses outputs over limits.maxTensorElements before the op runs: Expand to [100000, 100000],
   * Tile, Pad, broadcasting outer products, convolutions with huge padding, ... Outputs whose
   * shape inference cannot tell are left to the kernel.
   */
  private checkOutputSizes(inputs: readonly (Tensor | undefined)[]): void {
    const def = this.def;
    if (!def.infer) return;
    const known: (InferInput | undefined)[] = [];
    for (const t of inputs) {
      known.push(t && { type: { kind: 'tensor', elemType: t.type, shape: t.dims }, value: t.size <= VALUE_ELEMENTS ? t : undefined });
    }
    let types: (ValueType | undefined)[];
    try {
      types = def.infer(known, this.attrs, this.ctx);
    } catch {
      return; // the kernel reports bad inputs with its own message
    }
    for (let i = 0; i < types.length; i++) {
      const t = types[i];
      if (t?.kind !== 'tensor' || !t.shape) continue;
      let n = 1;
      for (const d of t.shape) n *= typeof d === 'number' ? d : NaN;
      if (n > 0) checkTensorElements(n, () => `${def.name} output ${i} of shape [${t.shape!.join(', ')}]`);
    }
  }
}

const prepared = new WeakMap<object, OnnxOp>();

/** ONNX op `name` with `attrs` parsed once (kept per attribute object: pass a constant one). */
export function onnxOp(name: string, attrs: OnnxAttrs = NO_ATTRS, outputs = 1): OnnxOp {
  if (attrs === NO_ATTRS && outputs === 1) {
    const e = entry(name);
    return e.plain ?? (e.plain = new OnnxOp(name));
  }
  const held = prepared.get(attrs);
  if (held !== undefined && held.def.name === name && held.outputs === outputs) return held;
  const op = new OnnxOp(name, attrs, outputs);
  if (Object.isFrozen(attrs)) prepared.set(attrs, op);
  return op;
}

/**
 * Runs ONNX op `name` on `inputs` (undefined for an omitted optional input) with `attrs`
 * and returns its first `outputs` outputs.
 */
export function runOnnx(
  name: string, inputs: readonly (Tensor | undefined)[], attrs: OnnxAttrs = NO_ATTRS, outputs = 1,
): Tensor[] {
  const noAttrs = attrs === NO_ATTRS || isEmpty(attrs);
  return (noAttrs && outputs === 1 ? onnxOp(name) : onnxOp(name, attrs, outputs)).run(inputs);
}

function isEmpty(attrs: OnnxAttrs): boolean {
  for (const _ in attrs) return false;
  return true;
}

/** The single output of ONNX op `name`. */
export function onnx1(name: string, inputs: readonly (Tensor | undefined)[], attrs: OnnxAttrs = NO_ATTRS): Tensor {
  return runOnnx(name, inputs, attrs)[0]!;
}
