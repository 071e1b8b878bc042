// Calls ONNX operator definitions from aten ops: most aten ops are an ONNX op with
// PyTorch's argument conventions, so they compose the ONNX definitions (and through
// them the shared kernels) instead of duplicating them. This is also where most aten ops
// allocate: each ONNX op's own shape inference gives its output sizes, which are checked
// against limits.maxTensorElements before the kernel runs.

import { InvalidNodeError } from '../../src/errors.js';
import type { Attribute, Node, ValueType } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import { onnxOps } from '../onnx/index.js';
import { Attrs, type InferContext, type InferInput, type OpContext, type OpDef } from '../op-def.js';
import { checkTensorElements } from './budget.js';

/** The opset aten ops compose against: the newest definition of each ONNX op. */
const OPSET = 1_000;

let newest: Map<string, OpDef> | null = null;

function definition(name: string): OpDef {
  if (newest === null) {
    newest = new Map();
    for (const d of onnxOps) {
      if ((d.domain ?? '') !== '' || d.since > OPSET) continue;
      const seen = newest.get(d.name);
      if (seen === undefined || seen.since < d.since) newest.set(d.name, d);
    }
  }
  const d = newest.get(name);
  if (d === undefined) throw new InvalidNodeError(`ONNX op ${name} is not available to compose aten ops`);
  return d;
}

/** Attribute values as plain data: ints are integers, floats any other number (use `float`). */
export type OnnxAttr = number | string | readonly number[] | readonly string[] | { readonly float: number } | Tensor;

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

const parsed = new WeakMap<object, Map<string, unknown>>();

/**
 * Runs ONNX op `name` on `inputs` (undefined for an omitted optional input) with `attrs`
 * and returns its first `outputs` outputs. Parsed attributes are cached per (op, attribute values).
 */
export function runOnnx(
  name: string, inputs: readonly (Tensor | undefined)[], attrs: Readonly<Record<string, OnnxAttr>> = {}, outputs = 1,
): Tensor[] {
  const def = definition(name);
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) map.set(k, toAttribute(v));
  // The first `outputs` outputs are requested (ops such as LSTM skip outputs nobody names).
  const node: Node = {
    name: `aten→${name}`, domain: '', opType: name, inputs: [], outputs: OUTPUT_NAMES.slice(0, outputs), attributes: map,
  };
  let cache = parsed.get(def);
  if (cache === undefined) parsed.set(def, (cache = new Map()));
  const hasTensorAttr = Object.values(attrs).some((v) => typeof v === 'object' && v !== null && 'dims' in v);
  const key = hasTensorAttr ? null : JSON.stringify(attrs);
  let a: unknown = key === null ? undefined : cache.get(key);
  if (a === undefined) {
    a = def.parse ? def.parse(new Attrs(map), node) : undefined;
    if (key !== null && cache.size < 256) cache.set(key, a);
  }
  const opset = Math.max(def.since, 1);
  checkOutputSizes(def, inputs, a, node, opset);
  const ctx: OpContext = {
    node, opset,
    runSubgraph: () => { throw new InvalidNodeError(`${name}: subgraphs are not available to aten ops`); },
  };
  return def.run(inputs, a, ctx).map((v: Value) => v as Tensor);
}

/** Inputs up to this many elements are shown to shape inference by value (shapes, pads, repeats). */
const VALUE_ELEMENTS = 64;

/**
 * Refuses outputs over limits.maxTensorElements before `def` runs: Expand to [100000, 100000],
 * Tile, Pad, broadcasting outer products, convolutions with huge padding, ... Outputs whose
 * shape inference cannot tell are left to the kernel.
 */
function checkOutputSizes(def: OpDef, inputs: readonly (Tensor | undefined)[], attrs: unknown, node: Node, opset: number): void {
  if (!def.infer) return;
  const known: (InferInput | undefined)[] = inputs.map((t) => t && {
    type: { kind: 'tensor', elemType: t.type, shape: t.dims },
    value: t.size <= VALUE_ELEMENTS ? t : undefined,
  });
  const ctx: InferContext = {
    node, opset,
    inferSubgraph: () => { throw new InvalidNodeError(`${def.name}: subgraphs are not available to aten ops`); },
    dataDim: (label) => `${def.name}_${label}`,
  };
  let types: (ValueType | undefined)[];
  try {
    types = def.infer(known, attrs, ctx);
  } catch {
    return; // the kernel reports bad inputs with its own message
  }
  types.forEach((t, i) => {
    if (t?.kind !== 'tensor' || !t.shape) return;
    let n = 1;
    for (const d of t.shape) {
      if (typeof d !== 'number') return;
      n *= d;
    }
    if (n > 0) checkTensorElements(n, `${def.name} output ${i} of shape [${t.shape.join(', ')}]`);
  });
}

/** The single output of ONNX op `name`. */
export function onnx1(
  name: string, inputs: readonly (Tensor | undefined)[], attrs: Readonly<Record<string, OnnxAttr>> = {},
): Tensor {
  return runOnnx(name, inputs, attrs)[0]!;
}
