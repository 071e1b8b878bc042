// The contract every operator implements: parse attributes once, infer shapes, compute.

import { InvalidNodeError } from '../src/errors.js';
import type { Attribute, Graph, Node } from '../src/ir/graph.js';
import type { Tensor } from '../src/tensor.js';
import type { Value } from '../src/value.js';

export interface OpContext {
  readonly node: Node;
  /** The opset version of the node's domain in the model. */
  readonly opset: number;
  /** Runs a subgraph attribute (control flow) with the given inputs; outer values are visible. */
  runSubgraph(graph: Graph, inputs: readonly Value[]): Value[];
}

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
}

/** Erases the attribute type parameter so families can list heterogeneous ops. */
export function op<A>(def: OpDef<A>): OpDef {
  return def as unknown as OpDef;
}

/** Typed, defaulted access to a node's attributes. */
export class Attrs {
  constructor(private readonly map: ReadonlyMap<string, Attribute>) {}

  has(name: string): boolean {
    return this.map.has(name);
  }

  private get<K extends Attribute['type']>(name: string, type: K): Extract<Attribute, { type: K }> | undefined {
    const a = this.map.get(name);
    if (a === undefined) return undefined;
    if (a.type !== type) {
      throw new InvalidNodeError(`attribute '${name}' should be of type ${type}, found ${a.type}`);
    }
    return a as Extract<Attribute, { type: K }>;
  }

  private missing(name: string): never {
    throw new InvalidNodeError(`required attribute '${name}' is missing`);
  }

  int(name: string, def?: number): number {
    const a = this.get(name, 'int');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  float(name: string, def?: number): number {
    const a = this.get(name, 'float');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  string(name: string, def?: string): string {
    const a = this.get(name, 'string');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  ints(name: string, def?: readonly number[]): readonly number[] {
    const a = this.get(name, 'ints');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  floats(name: string, def?: readonly number[]): readonly number[] {
    const a = this.get(name, 'floats');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  strings(name: string, def?: readonly string[]): readonly string[] {
    const a = this.get(name, 'strings');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  tensor(name: string): Tensor | undefined {
    return this.get(name, 'tensor')?.value;
  }
  graph(name: string): Graph | undefined {
    return this.get(name, 'graph')?.value;
  }
  /** The raw attribute, for ops that accept several types (Constant). */
  raw(name: string): Attribute | undefined {
    return this.map.get(name);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
}
