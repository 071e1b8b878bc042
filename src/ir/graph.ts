// The graph IR that ONNX (and later TorchScript) lower into.

import type { DataType } from '../dtypes.js';
import type { Tensor } from '../tensor.js';

/** A dimension: a number when known, a symbolic name, or null when unknown. */
export type Dim = number | string | null;

export type ValueType =
  | { readonly kind: 'tensor'; readonly elemType: DataType | undefined; readonly shape?: readonly Dim[] }
  | { readonly kind: 'sparse_tensor'; readonly elemType: DataType | undefined; readonly shape?: readonly Dim[] }
  | { readonly kind: 'sequence'; readonly elem: ValueType | undefined }
  | { readonly kind: 'optional'; readonly elem: ValueType | undefined }
  | { readonly kind: 'map'; readonly keyType: DataType | undefined; readonly value: ValueType | undefined }
  | { readonly kind: 'opaque'; readonly domain: string; readonly name: string }
  | { readonly kind: 'unknown' };

export interface ValueInfo {
  readonly name: string;
  readonly type: ValueType;
  readonly doc?: string;
}

export interface SparseTensorValue {
  readonly values: Tensor;
  readonly indices: Tensor;
  readonly dims: readonly number[];
}

export type Attribute =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'string'; readonly value: string; readonly bytes: Uint8Array }
  | { readonly type: 'tensor'; readonly value: Tensor }
  | { readonly type: 'graph'; readonly value: Graph }
  | { readonly type: 'sparse_tensor'; readonly value: SparseTensorValue }
  | { readonly type: 'type_proto'; readonly value: ValueType }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'tensors'; readonly value: readonly Tensor[] }
  | { readonly type: 'graphs'; readonly value: readonly Graph[] }
  | { readonly type: 'sparse_tensors'; readonly value: readonly SparseTensorValue[] }
  | { readonly type: 'type_protos'; readonly value: readonly ValueType[] }
  /** Inside a function body: refers to an attribute of the calling node. */
  | { readonly type: 'ref'; readonly ref: string; readonly declared: string };

export interface Node {
  readonly name: string;
  /** Operator domain; '' is the default ONNX domain (ai.onnx). */
  readonly domain: string;
  readonly opType: string;
  readonly overload?: string;
  /** Input value names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, Attribute>;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly sparseInitializers: ReadonlyMap<string, SparseTensorValue>;
  readonly valueInfo: ReadonlyMap<string, ValueInfo>;
  readonly doc?: string;
}

/** A model-local function (FunctionProto). */
export interface FunctionDef {
  readonly domain: string;
  readonly name: string;
  readonly overload?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Attribute names the function accepts, with defaults where given. */
  readonly attributes: ReadonlyMap<string, Attribute | undefined>;
  readonly nodes: readonly Node[];
  readonly opsetImports: ReadonlyMap<string, number>;
}

export interface Model {
  readonly format: 'onnx' | 'torchscript';
  readonly irVersion: number;
  /** Opset version per domain; the default domain is stored under ''. */
  readonly opsetImports: ReadonlyMap<string, number>;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly domain: string;
  readonly modelVersion: number;
  readonly doc: string;
  readonly graph: Graph;
  readonly functions: readonly FunctionDef[];
  readonly metadata: ReadonlyMap<string, string>;
}

/** 'ai.onnx' and '' name the same domain. */
export function canonicalDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

export function opKey(domain: string, opType: string): string {
  return `${canonicalDomain(domain)}::${opType}`;
}

export function describeNode(node: Node): string {
  const op = node.domain ? `${node.domain}::${node.opType}` : node.opType;
  return node.name ? `node '${node.name}' (${op})` : `${op} node producing '${node.outputs[0] ?? '?'}'`;
}

/**
 * The body of a model-local function as a graph, for one call site: attribute references
 * (ref_attr_name) are bound to the calling node's attributes, or the function's defaults.
 */
export function instantiateFunction(fn: FunctionDef, call: Node): Graph {
  const bind = (attrs: ReadonlyMap<string, Attribute>): Map<string, Attribute> => {
    const out = new Map<string, Attribute>();
    for (const [k, a] of attrs) {
      if (a.type === 'ref') {
        const v = call.attributes.get(a.ref) ?? fn.attributes.get(a.ref);
        if (v) out.set(k, v);
      } else out.set(k, a);
    }
    return out;
  };
  const unknown = { kind: 'unknown' } as const;
  return {
    name: `${fn.domain}::${fn.name}`,
    nodes: fn.nodes.map((n) => ({ ...n, attributes: bind(n.attributes) })),
    inputs: fn.inputs.map((name) => ({ name, type: unknown })),
    outputs: fn.outputs.map((name) => ({ name, type: unknown })),
    initializers: new Map(),
    sparseInitializers: new Map(),
    valueInfo: new Map(),
  };
}
