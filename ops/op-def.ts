// The contract every operator implements: parse attributes once, infer shapes, compute.

import type { Dim, Graph, Node, ValueType } from '../src/ir/graph.js';
import type { RunControl } from '../src/run-control.js';
import type { Tensor } from '../src/tensor.js';
import type { Value } from '../src/value.js';
import type { Attrs } from './attrs.js';

// Attrs lives in attrs.ts and is exported here as a type: the main entry re-exports op(), and a
// bundle that does not define operators then carries no Attrs class (bundle-budgets.test.ts).
export type { Attrs };

export interface OpContext {
  readonly node: Node;
  /** The opset version of the node's domain in the model. */
  readonly opset: number;
  /** Runs a subgraph attribute (control flow) with the given inputs; outer values are visible. */
  runSubgraph(graph: Graph, inputs: readonly Value[]): Value[];
  /**
   * A slot that lives as long as the session, one per node: for what an op prepares once and
   * reuses on every run (constant weights packed into the layout its kernel wants). Absent when
   * the op runs outside a planned session.
   */
  readonly memo?: { value?: unknown };
  /**
   * Whether input `i` is a constant of the session (an initializer): the same tensor, with the
   * same contents, on every run, so what is derived from it may be kept in `memo`.
   */
  readonly isConstant?: (input: number) => boolean;
  /**
   * The run's limits, cancellation signal and deadline: ops that loop (Loop, Scan) check their
   * iteration counts against `control.limits` and call `control.poll` per iteration. Absent when
   * an op runs outside a session (tests, constant folding): then the default limits apply.
   */
  readonly control?: RunControl;
}

/** What shape inference knows about one input of a node. */
export interface InferInput {
  readonly type: ValueType;
  /**
   * The value itself when statically known: initializers, Constant outputs, and small integer
   * tensors folded from shape computations (Shape -> Gather -> Concat -> Reshape chains).
   */
  readonly value?: Tensor;
  /**
   * For a 0-D / 1-D integer tensor that holds dims (a shape computation whose value is not fully
   * known, e.g. Shape of a tensor with a symbolic batch): its elements, numbers where known,
   * symbolic names where they come from a symbolic dim, null where unknown.
   */
  readonly dims?: readonly Dim[];
}

export interface InferContext {
  readonly node: Node;
  /** The opset version of the node's domain in the model. */
  readonly opset: number;
  /**
   * Infers a subgraph attribute (If / Loop / Scan bodies) given its input types, in order;
   * outer-scope values are visible. Returns what is known of the subgraph's outputs (type, and
   * value when it folds to a constant, e.g. a Loop body's condition).
   */
  inferSubgraph(graph: Graph, inputs: readonly (InferInput | undefined)[]): (InferInput | undefined)[];
  /**
   * A fresh symbolic dim for an output dim that depends on data ('NonZero_3_dim1'): stable for
   * a given node and label, distinct across nodes.
   */
  dataDim(label: string): string;
}

/**
 * Output types from input types. `undefined` (or a missing entry) means "unknown". Throwing is
 * allowed (the pass then reports the outputs as unknown), but prefer returning what is known:
 * the element type with a partial shape is better than nothing.
 */
export type InferFn<A> = (inputs: readonly (InferInput | undefined)[], attrs: A, ctx: InferContext) => (ValueType | undefined)[];

/**
 * Symbolic data propagation for shape computations: the dims held by 0-D / 1-D integer outputs
 * (see InferInput.dims), for ops that move dims around (Shape, Gather, Concat, Slice, ...).
 */
export type InferDimsFn<A> = (inputs: readonly (InferInput | undefined)[], attrs: A, ctx: InferContext) => (readonly Dim[] | undefined)[];

export interface OpDef<A = unknown> {
  /** Operator name as in the spec: 'Conv', 'ReduceSum'. */
  readonly name: string;
  /** '' for the default ONNX domain. */
  readonly domain?: string;
  /** Opset version this definition is valid from. */
  readonly since: number;
  /** Parses attributes once, at load, into a frozen typed object with the spec's defaults. */
  readonly parse?: (attrs: Attrs, node: Node) => A;
  /**
   * Computes outputs. Absent optional inputs are `undefined`. Throw ShapeError /
   * InvalidNodeError for bad inputs; the runtime adds the node's name to the message.
   * Ops with `values: true` receive sequences/optionals as well as tensors.
   */
  readonly run: (inputs: readonly (Tensor | undefined)[], attrs: A, ctx: OpContext) => Value[];
  /** Set when the op takes or returns sequences / optionals. */
  readonly values?: boolean;
  /**
   * A graph-building op (Gradient): instead of running a kernel, the planner plans the graph this
   * returns inline — its nodes read the enclosing graph's values by name, and its outputs, in
   * order, are the node's outputs. `opsets` are the opsets its nodes are written for.
   */
  readonly expand?: (node: Node, graph: Graph) => { readonly graph: Graph; readonly opsets: ReadonlyMap<string, number> };
  /** Shape and type inference: output types from input types (and known values), without running. */
  readonly infer?: InferFn<A>;
  /** Symbolic values of shape-computation outputs (optional; see InferDimsFn). */
  readonly inferDims?: InferDimsFn<A>;
}

/** Erases the attribute type parameter so families can list heterogeneous ops. */
export function op<A>(def: OpDef<A>): OpDef {
  return def as unknown as OpDef;
}
