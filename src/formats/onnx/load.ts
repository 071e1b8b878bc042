// ONNX ModelProto bytes -> the graph IR. Parses only; never runs anything.

import { type DataType, dataTypeFromOnnx } from '../../dtypes.js';
import { ModelFormatError } from '../../errors.js';
import type {
  Attribute, Dim, FunctionDef, Graph, Model, Node, SparseTensorValue, ValueInfo, ValueType,
} from '../../ir/graph.js';
import { canonicalDomain } from '../../ir/graph.js';
import { Tensor } from '../../tensor.js';
import {
  type ExternalBytes, densify, externalEntries, sparseFromProto, tensorFromProto,
} from './tensor-proto.js';
import { type Msg, decodeMessage } from './wire.js';

export interface OnnxLoadOptions {
  /**
   * Supplies the bytes of an external data file named by a tensor's `location`
   * (relative to the model). Required for models with external data.
   */
  readonly externalData?: (location: string) => Uint8Array | Promise<Uint8Array>;
}

const textDecoder = new TextDecoder('utf-8');
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);
const list = (v: unknown): Msg[] => (Array.isArray(v) ? (v as Msg[]) : []);

/** Quick check used by format detection. */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  // ModelProto starts with field 1 (ir_version, varint) in practice: tag 0x08.
  return bytes.length > 2 && bytes[0] === 0x08;
}

export async function loadOnnxModel(bytes: Uint8Array, options: OnnxLoadOptions = {}): Promise<Model> {
  if (bytes.length === 0) throw new ModelFormatError('ONNX model: the file is empty');
  const msg = decodeMessage(bytes, 'ModelProto', 'ONNX model');
  if (!msg.graph) {
    throw new ModelFormatError('ONNX model: no graph (is this an ONNX file? ModelProto.graph is missing)');
  }
  // Fetch every external file the model names, before the synchronous conversion.
  const locations = new Set<string>();
  collectExternal(msg, locations, 0);
  const files = new Map<string, Uint8Array>();
  for (const loc of locations) {
    checkLocation(loc);
    if (!options.externalData) {
      throw new ModelFormatError(`ONNX model: tensor data lives in external file '${loc}' but no externalData resolver was given`);
    }
    files.set(loc, await options.externalData(loc));
  }
  const external: ExternalBytes = (loc) => {
    const b = files.get(loc);
    if (!b) throw new ModelFormatError(`ONNX model: external file '${loc}' was not provided`);
    return b;
  };
  return convertModel(msg, external);
}

/** Rejects locations that could escape the model's folder. */
export function checkLocation(loc: string): void {
  if (loc === '' || loc.startsWith('/') || loc.startsWith('\\') || /^[a-zA-Z]:/.test(loc) ||
      loc.split(/[\\/]/).some((p) => p === '..')) {
    throw new ModelFormatError(`ONNX model: external data location '${loc}' must be a relative path inside the model's folder`);
  }
}

function collectExternal(v: unknown, out: Set<string>, depth: number): void {
  if (depth > 300 || v === null || typeof v !== 'object' || v instanceof Uint8Array) return;
  if (Array.isArray(v)) {
    for (const x of v) collectExternal(x, out, depth + 1);
    return;
  }
  const m = v as Msg;
  if (m.data_location === 1) {
    const loc = externalEntries(m).get('location');
    if (loc) out.add(loc);
  }
  for (const k in m) collectExternal(m[k], out, depth + 1);
}

function convertModel(msg: Msg, external: ExternalBytes): Model {
  const opsetImports = new Map<string, number>();
  for (const o of list(msg.opset_import)) opsetImports.set(canonicalDomain(str(o.domain)), num(o.version));
  const metadata = new Map<string, string>();
  for (const e of list(msg.metadata_props)) metadata.set(str(e.key), str(e.value));
  const ctx: Ctx = { external };
  return {
    format: 'onnx',
    irVersion: num(msg.ir_version),
    opsetImports,
    producerName: str(msg.producer_name),
    producerVersion: str(msg.producer_version),
    domain: str(msg.domain),
    modelVersion: num(msg.model_version),
    doc: str(msg.doc_string),
    graph: convertGraph(msg.graph as Msg, ctx, 'graph'),
    functions: list(msg.functions).map((f) => convertFunction(f, ctx)),
    metadata,
  };
}

interface Ctx {
  readonly external: ExternalBytes;
}

function convertGraph(g: Msg, ctx: Ctx, part: string): Graph {
  const name = str(g.name) || part;
  const where = `graph '${name}'`;
  const initializers = new Map<string, Tensor>();
  for (const t of list(g.initializer)) {
    const tensor = tensorFromProto(t, `${where} initializer`, ctx.external);
    initializers.set(str(t.name), tensor);
  }
  const sparseInitializers = new Map<string, SparseTensorValue>();
  for (const s of list(g.sparse_initializer)) {
    const sp = sparseFromProto(s, `${where} sparse_initializer`, ctx.external);
    const n = str((s.values as Msg | undefined)?.name);
    sparseInitializers.set(n, sp);
  }
  const valueInfo = new Map<string, ValueInfo>();
  for (const v of list(g.value_info)) valueInfo.set(str(v.name), convertValueInfo(v));
  return {
    name,
    nodes: list(g.node).map((n, i) => convertNode(n, ctx, `${where} node ${i}`)),
    inputs: list(g.input).map(convertValueInfo),
    outputs: list(g.output).map(convertValueInfo),
    initializers,
    sparseInitializers,
    valueInfo,
    doc: str(g.doc_string),
  };
}

function convertValueInfo(v: Msg): ValueInfo {
  return { name: str(v.name), type: convertType(v.type as Msg | undefined), doc: str(v.doc_string) };
}

function elemType(code: unknown): DataType | undefined {
  return dataTypeFromOnnx(num(code));
}

export function convertType(t: Msg | undefined): ValueType {
  if (!t) return { kind: 'unknown' };
  if (t.tensor_type || t.sparse_tensor_type) {
    const tt = (t.tensor_type ?? t.sparse_tensor_type) as Msg;
    const shapeMsg = tt.shape as Msg | undefined;
    const shape: Dim[] | undefined = shapeMsg
      ? list(shapeMsg.dim).map((d) => (d.dim_value !== undefined ? num(d.dim_value) : d.dim_param ? str(d.dim_param) : null))
      : undefined;
    return { kind: t.tensor_type ? 'tensor' : 'sparse_tensor', elemType: elemType(tt.elem_type), shape };
  }
  if (t.sequence_type) return { kind: 'sequence', elem: convertType((t.sequence_type as Msg).elem_type as Msg | undefined) };
  if (t.optional_type) return { kind: 'optional', elem: convertType((t.optional_type as Msg).elem_type as Msg | undefined) };
  if (t.map_type) {
    const mt = t.map_type as Msg;
    return { kind: 'map', keyType: elemType(mt.key_type), value: convertType(mt.value_type as Msg | undefined) };
  }
  if (t.opaque_type) {
    const o = t.opaque_type as Msg;
    return { kind: 'opaque', domain: str(o.domain), name: str(o.name) };
  }
  return { kind: 'unknown' };
}

function convertNode(n: Msg, ctx: Ctx, fallback: string): Node {
  const name = str(n.name);
  const opType = str(n.op_type);
  const where = name ? `node '${name}' (${opType})` : `${fallback} (${opType})`;
  if (!opType) throw new ModelFormatError(`${where}: op_type is empty`);
  const attributes = new Map<string, Attribute>();
  for (const a of list(n.attribute)) attributes.set(str(a.name), convertAttribute(a, ctx, where));
  return {
    name,
    domain: canonicalDomain(str(n.domain)),
    opType,
    overload: str(n.overload) || undefined,
    inputs: ((n.input as string[] | undefined) ?? []).slice(),
    outputs: ((n.output as string[] | undefined) ?? []).slice(),
    attributes,
  };
}

const ATTR_TYPES: Record<number, Attribute['type']> = {
  1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 11: 'sparse_tensor', 13: 'type_proto',
  6: 'floats', 7: 'ints', 8: 'strings', 9: 'tensors', 10: 'graphs', 12: 'sparse_tensors', 14: 'type_protos',
};

/** Old models may omit AttributeProto.type: infer it from the field that is set. */
function attributeType(a: Msg): Attribute['type'] | undefined {
  const t = ATTR_TYPES[num(a.type)];
  if (t) return t;
  if (a.f !== undefined) return 'float';
  if (a.i !== undefined) return 'int';
  if (a.s !== undefined) return 'string';
  if (a.t !== undefined) return 'tensor';
  if (a.g !== undefined) return 'graph';
  if (a.floats) return 'floats';
  if (a.ints) return 'ints';
  if (a.strings) return 'strings';
  if (a.tensors) return 'tensors';
  if (a.graphs) return 'graphs';
  return undefined;
}

function convertAttribute(a: Msg, ctx: Ctx, where: string): Attribute {
  const name = str(a.name);
  const part = `${where} attribute '${name}'`;
  const type = attributeType(a);
  if (a.ref_attr_name) return { type: 'ref', ref: str(a.ref_attr_name), declared: type ?? 'undefined' };
  switch (type) {
    case 'float': return { type, value: typeof a.f === 'number' ? a.f : 0 };
    case 'int': return { type, value: num(a.i) };
    case 'string': {
      const bytes = (a.s as Uint8Array | undefined) ?? new Uint8Array(0);
      return { type, value: textDecoder.decode(bytes), bytes };
    }
    case 'tensor':
      if (!a.t) throw new ModelFormatError(`${part}: tensor attribute without a tensor`);
      return { type, value: tensorFromProto(a.t as Msg, part, ctx.external) };
    case 'graph':
      if (!a.g) throw new ModelFormatError(`${part}: graph attribute without a graph`);
      return { type, value: convertGraph(a.g as Msg, ctx, name) };
    case 'sparse_tensor':
      if (!a.sparse_tensor) throw new ModelFormatError(`${part}: sparse_tensor attribute without a value`);
      return { type, value: sparseFromProto(a.sparse_tensor as Msg, part, ctx.external) };
    case 'type_proto': return { type, value: convertType(a.tp as Msg | undefined) };
    case 'floats': return { type, value: ((a.floats as number[] | undefined) ?? []).slice() };
    case 'ints': return { type, value: ((a.ints as bigint[] | undefined) ?? []).map(Number) };
    case 'strings': return { type, value: ((a.strings as Uint8Array[] | undefined) ?? []).map((b) => textDecoder.decode(b)) };
    case 'tensors': return { type, value: list(a.tensors).map((t) => tensorFromProto(t, part, ctx.external)) };
    case 'graphs': return { type, value: list(a.graphs).map((g, i) => convertGraph(g, ctx, `${name}[${i}]`)) };
    case 'sparse_tensors': return { type, value: list(a.sparse_tensors).map((s) => sparseFromProto(s, part, ctx.external)) };
    case 'type_protos': return { type, value: list(a.type_protos).map((t) => convertType(t)) };
    default: throw new ModelFormatError(`${part}: unknown attribute type ${num(a.type)}`);
  }
}

function convertFunction(f: Msg, ctx: Ctx): FunctionDef {
  const name = str(f.name);
  const where = `function '${name}'`;
  const opsetImports = new Map<string, number>();
  for (const o of list(f.opset_import)) opsetImports.set(canonicalDomain(str(o.domain)), num(o.version));
  const attributes = new Map<string, Attribute | undefined>();
  for (const a of (f.attribute as string[] | undefined) ?? []) attributes.set(a, undefined);
  for (const a of list(f.attribute_proto)) attributes.set(str(a.name), convertAttribute(a, ctx, where));
  return {
    domain: canonicalDomain(str(f.domain)),
    name,
    overload: str(f.overload) || undefined,
    inputs: ((f.input as string[] | undefined) ?? []).slice(),
    outputs: ((f.output as string[] | undefined) ?? []).slice(),
    attributes,
    nodes: list(f.node).map((n, i) => convertNode(n, ctx, `${where} node ${i}`)),
    opsetImports,
  };
}

/** Decodes a standalone TensorProto (test data files, `tessera run --input x.pb`). */
export function decodeTensorProto(bytes: Uint8Array, part = 'TensorProto'): Tensor {
  return tensorFromProto(decodeMessage(bytes, 'TensorProto', part), part);
}

export { densify };
