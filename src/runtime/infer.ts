// Shape and type inference over a whole model, without running it: walks each graph in
// executable order, asks every op's `infer` for its output types, and constant-folds small
// tensors whose inputs are all known (shape computations: Shape -> Gather -> Concat -> Reshape).
// An op without `infer`, or whose `infer` throws, gives `{ kind: 'unknown' }` outputs.

import { type InferContext, type InferInput, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { isIntegerType } from '../dtypes.js';
import {
  type Dim, type FunctionDef, type Graph, type Model, type Node, type ValueType, canonicalDomain, instantiateFunction,
} from '../ir/graph.js';
import { checkNesting, outerReads, subgraphsOf, validateGraph } from '../ir/validate.js';
import { type ResourceLimits, resolveLimits } from '../limits.js';
import { densify } from '../ir/sparse.js';
import { Tensor } from '../tensor.js';
import type { Value } from '../value.js';
import type { OpRegistry } from './registry.js';
import { defaultOpRegistry } from './default-registry.js';

export interface InferOptions {
  /** Pins graph-input shapes (concrete numbers, or symbolic names), by input name. */
  readonly inputShapes?: ReadonlyMap<string, readonly Dim[]>;
  /** Graph inputs whose values are known in advance (e.g. shape tensors), by name. */
  readonly inputValues?: ReadonlyMap<string, Tensor>;
  readonly registry?: OpRegistry;
  /** Largest tensor (elements) the pass will constant-fold; default 1024. */
  readonly foldLimit?: number;
  /** maxRecursionDepth bounds the subgraph nesting the pass walks. */
  readonly limits?: Partial<ResourceLimits>;
}

export interface InferredValue extends InferInput {
  /** The node that produced the value; undefined for graph inputs and initializers. */
  readonly producer?: Node;
}

const UNKNOWN: ValueType = Object.freeze({ kind: 'unknown' });

/** Ops that must never be folded: their outputs are not a function of their inputs. */
const NONDETERMINISTIC = /^(Random(Normal|Uniform)(Like)?|Multinomial|Bernoulli|Dropout)$/;

interface Env {
  readonly registry: OpRegistry;
  readonly functions: ReadonlyMap<string, FunctionDef>;
  readonly foldLimit: number;
  readonly result: Map<string, InferredValue>;
  depth: number;
}

/** Every value's inferred type: graph inputs, initializers, node outputs (subgraphs included). */
export function inferShapes(model: Model, options: InferOptions = {}): Map<string, ValueType> {
  const out = new Map<string, ValueType>();
  for (const [k, v] of inferValues(model, options)) out.set(k, v.type);
  return out;
}

/** Like inferShapes, with known values and each value's producing node. */
export function inferValues(model: Model, options: InferOptions = {}): Map<string, InferredValue> {
  checkNesting(model, resolveLimits(options.limits));
  const functions = new Map<string, FunctionDef>();
  for (const f of model.functions) functions.set(`${canonicalDomain(f.domain)}::${f.name}`, f);
  const env: Env = {
    registry: options.registry ?? defaultOpRegistry(),
    functions,
    foldLimit: options.foldLimit ?? 1024,
    result: new Map(),
    depth: 0,
  };
  const g = model.graph;
  const feeds = g.inputs.map((i): InferInput => {
    const pinned = options.inputShapes?.get(i.name);
    const value = options.inputValues?.get(i.name);
    if (value) return { type: typeOfTensor(value), value };
    if (pinned && (i.type.kind === 'tensor' || i.type.kind === 'unknown')) {
      const elemType = i.type.kind === 'tensor' ? i.type.elemType : undefined;
      return { type: { kind: 'tensor', elemType, shape: [...pinned] } };
    }
    return { type: i.type };
  });
  inferGraph(g, feeds, undefined, model.opsetImports, env);
  return env.result;
}

class Scope {
  private readonly values = new Map<string, InferInput>();
  constructor(private readonly parent?: Scope) {}
  get(name: string): InferInput | undefined {
    return this.values.get(name) ?? this.parent?.get(name);
  }
  set(name: string, v: InferInput): void {
    this.values.set(name, v);
  }
}

export function typeOfTensor(t: Tensor): ValueType {
  return { kind: 'tensor', elemType: t.type, shape: [...t.dims] };
}

function typeOfValue(v: Value): ValueType {
  if (v instanceof Tensor) return typeOfTensor(v);
  if (v === null) return { kind: 'optional', elem: undefined };
  if (Array.isArray(v)) {
    const elems = (v as readonly Value[]).map(typeOfValue);
    let elem: ValueType | undefined = elems[0];
    for (const e of elems.slice(1)) elem = mergeShallow(elem, e);
    return { kind: 'sequence', elem };
  }
  return UNKNOWN;
}

function mergeShallow(a: ValueType | undefined, b: ValueType | undefined): ValueType | undefined {
  if (!a || !b || a.kind !== 'tensor' || b.kind !== 'tensor') return undefined;
  const elemType = a.elemType === b.elemType ? a.elemType : undefined;
  if (!a.shape || !b.shape || a.shape.length !== b.shape.length) return { kind: 'tensor', elemType };
  return { kind: 'tensor', elemType, shape: a.shape.map((d, i) => (d === b.shape![i] ? d : null)) };
}

function inferGraph(
  graph: Graph, feeds: readonly (InferInput | undefined)[], parent: Scope | undefined,
  opsets: ReadonlyMap<string, number>, env: Env,
): (InferInput | undefined)[] {
  const scope = new Scope(parent);
  const record = (name: string, v: InferInput, producer?: Node) => {
    scope.set(name, v);
    env.result.set(name, { ...v, producer }); // a Loop body inferred again overwrites: the last round has settled types
  };
  for (const [k, t] of graph.initializers) record(k, { type: typeOfTensor(t), value: t });
  for (const [k, sp] of graph.sparseInitializers) {
    // Densified only when small enough to fold: the dims of a sparse tensor are the file's word.
    const type: ValueType = { kind: 'tensor', elemType: sp.values.type, shape: [...sp.dims] };
    if (sp.dims.reduce((a, b) => a * b, 1) > env.foldLimit) {
      record(k, { type });
      continue;
    }
    try {
      const t = densify(sp, `sparse initializer '${k}'`);
      record(k, { type: typeOfTensor(t), value: t });
    } catch {
      record(k, { type });
    }
  }
  graph.inputs.forEach((inp, i) => {
    const f = feeds[i];
    if (f) record(inp.name, f);
    else if (!graph.initializers.has(inp.name)) record(inp.name, { type: inp.type });
  });

  let order: Node[];
  try {
    order = validateGraph(graph, parent ? outerReads(graph) : new Set());
  } catch {
    order = [...graph.nodes];
  }
  order.forEach((node) => {
    const index = graph.nodes.indexOf(node);
    const outs = inferNode(node, index, scope, opsets, env);
    node.outputs.forEach((name, i) => {
      if (name) record(name, outs[i] ?? { type: UNKNOWN }, node);
    });
  });
  return graph.outputs.map((o) => scope.get(o.name));
}

function inferNode(
  node: Node, index: number, scope: Scope, opsets: ReadonlyMap<string, number>, env: Env,
): (InferInput | undefined)[] {
  const domain = canonicalDomain(node.domain);
  const opset = opsets.get(domain) ?? 1;
  const inputs = node.inputs.map((name) => (name === '' ? undefined : scope.get(name) ?? { type: UNKNOWN }));
  const def = env.registry.resolve(domain, node.opType, opset);
  const label = node.name ? node.name : `${node.opType}_${index}`;
  const ctx: InferContext = {
    node,
    opset,
    inferSubgraph: (g, subInputs) => {
      if (env.depth > 32) return g.outputs.map(() => undefined);
      env.depth++;
      try {
        return inferGraph(g, subInputs, scope, opsets, env);
      } finally {
        env.depth--;
      }
    },
    dataDim: (what) => `${label}_${what}`,
  };
  if (!def) {
    const fn = env.functions.get(`${domain}::${node.opType}`);
    return fn ? inferFunction(fn, node, inputs, env) : node.outputs.map(() => undefined);
  }

  let attrs: unknown;
  try {
    attrs = def.parse ? def.parse(new Attrs(node.attributes), node) : undefined;
  } catch {
    return node.outputs.map(() => undefined);
  }

  let types: (ValueType | undefined)[] = [];
  if (def.infer) {
    try {
      types = def.infer(inputs, attrs, ctx);
    } catch {
      types = [];
    }
  }
  let dims: (readonly Dim[] | undefined)[] = [];
  if (def.inferDims) {
    try {
      dims = def.inferDims(inputs, attrs, ctx);
    } catch {
      dims = [];
    }
  }

  const folded = fold(def, node, inputs, attrs, types, opset, env);
  return node.outputs.map((_, i) => {
    const v = folded?.[i];
    if (v instanceof Tensor) return { type: typeOfTensor(v), value: v };
    if (v !== undefined && folded) return { type: typeOfValue(v) };
    const type = types[i] ?? UNKNOWN;
    const d = dims[i];
    if (d && type.kind === 'tensor' && type.elemType && isIntegerType(type.elemType)) {
      // A shape-value whose every element is a number is a known value.
      const fits = type.shape?.length === 0 ? d.length === 1 : type.shape?.length === 1 && (type.shape[0] === null || type.shape[0] === d.length);
      if (fits && d.every((x) => typeof x === 'number')) {
        const value = new Tensor(type.elemType, d as number[], type.shape!.length === 0 ? [] : [d.length]);
        return { type: typeOfTensor(value), value };
      }
      return { type, dims: d };
    }
    return { type };
  });
}

/** Runs the op on known inputs when everything is small; undefined when it cannot or should not. */
function fold(
  def: OpDef, node: Node, inputs: readonly (InferInput | undefined)[], attrs: unknown,
  types: readonly (ValueType | undefined)[], opset: number, env: Env,
): Value[] | undefined {
  if (NONDETERMINISTIC.test(node.opType) || subgraphsOf(node).length > 0) return undefined;
  const isConstant = node.opType === 'Constant' && node.inputs.length === 0;
  if (!isConstant && node.inputs.length === 0) return undefined; // generators (EyeLike-like) need shapes, not values
  for (const inp of inputs) {
    if (inp === undefined) continue;
    if (!inp.value || inp.value.size > env.foldLimit) return undefined;
  }
  // Skip folds whose outputs are predicted to be big. When inference cannot predict an output's
  // size, only fold inputs whose numbers are small too (Range(0, 1e9) must not allocate).
  let predicted = types.length >= node.outputs.length;
  for (const t of types) {
    if (t?.kind === 'tensor' && t.shape && t.shape.every((d) => typeof d === 'number')) {
      const n = (t.shape as number[]).reduce((a, b) => a * b, 1);
      if (n > env.foldLimit && !isConstant) return undefined;
    } else predicted = false;
  }
  if (!predicted && !isConstant) {
    for (const inp of inputs) {
      if (inp?.value && inp.value.type !== 'string' && inp.value.toNumbers().some((x) => Math.abs(x) > env.foldLimit)) return undefined;
    }
  }
  try {
    const outs = def.run(inputs.map((i) => i?.value), attrs, {
      node,
      opset,
      runSubgraph: () => {
        throw new Error('no subgraphs while folding');
      },
    });
    for (const o of outs) if (o instanceof Tensor && o.size > env.foldLimit && !isConstant) return undefined;
    return outs;
  } catch {
    return undefined;
  }
}

/** A call of a model-local function: infer its body with attribute references bound. */
function inferFunction(
  fn: FunctionDef, call: Node, inputs: readonly (InferInput | undefined)[], env: Env,
): (InferInput | undefined)[] {
  if (env.depth > 32) return call.outputs.map(() => undefined);
  const body = instantiateFunction(fn, call);
  // Function bodies are their own scope: nothing of the caller is visible, and their values
  // are not reported (their names are local to the call).
  const local: Env = { ...env, result: new Map(), depth: env.depth + 1 };
  return inferGraph(body, inputs, new Scope(), fn.opsetImports, local);
}
