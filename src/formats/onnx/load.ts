// ONNX ModelProto bytes -> the graph IR. Parses only; never runs anything.

import { type DataType, dataTypeFromOnnx } from '../../dtypes.js';
import { ModelFormatError, ResourceLimitError } from '../../errors.js';
import { type ResourceLimits, checkLimit, resolveLimits } from '../../limits.js';
import type {
  Attribute, Dim, FunctionDef, Graph, Model, Node, SparseTensorValue, ValueInfo, ValueType,
} from '../../ir/graph.js';
import { canonicalDomain } from '../../ir/graph.js';
import { Tensor } from '../../tensor.js';
import { DATA_TYPES } from '../../dtypes.js';
import {
  type ExternalBytes, type ExternalRef, densify, externalRef, sparseFromProto, tensorFromProto,
} from './tensor-proto.js';
import { type Msg, decodeMessage } from './wire.js';

export interface OnnxLoadOptions {
  /**
   * Supplies the whole bytes of an external data file named by a tensor's `location` (relative
   * to the model); each tensor's offset and length are checked against it. Called once per file.
   */
  readonly externalData?: (location: string) => Uint8Array | Promise<Uint8Array>;
  /**
   * Supplies exactly `length` bytes of `location` from `offset` (used instead of externalData
   * when given): a reader that checks the file and reads only the range, e.g. readModelFile's.
   */
  readonly externalRange?: (location: string, offset: number, length: number) => Uint8Array | Promise<Uint8Array>;
  /** maxTensorElements, maxMemoryBytes (weights and external data), maxNodes, maxRecursionDepth. */
  readonly limits?: Partial<ResourceLimits>;
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
  const limits = resolveLimits(options.limits);
  if (bytes.length === 0) throw new ModelFormatError('ONNX model: the file is empty');
  checkLimit(limits, 'maxMemoryBytes', bytes.length, 'ONNX model file');
  const msg = decodeMessage(bytes, 'ModelProto', 'ONNX model', limits.maxRecursionDepth);
  if (!msg.graph) {
    throw new ModelFormatError('ONNX model: no graph (is this an ONNX file? ModelProto.graph is missing)');
  }
  const ranges = await readExternal(msg, options, limits);
  const external: ExternalBytes = (loc, offset, length) => {
    const b = ranges.get(rangeKey({ location: loc, offset, length }));
    if (!b) throw new ModelFormatError(`ONNX model: external file '${loc}' was not provided`);
    return b;
  };
  return convertModel(msg, external, limits);
}

const rangeKey = (r: ExternalRef): string => `${r.location}\0${r.offset}\0${r.length}`;

/**
 * Reads every external range the model names, before the synchronous conversion: locations are
 * checked, lengths come from each tensor's type and dims, and their total is checked against
 * maxMemoryBytes before anything is read.
 */
async function readExternal(msg: Msg, options: OnnxLoadOptions, limits: ResourceLimits): Promise<Map<string, Uint8Array>> {
  const refs = new Map<string, ExternalRef>();
  let total = 0;
  for (const t of externalTensors(msg)) {
    const where = `ONNX model: tensor '${str(t.name)}'`;
    const ref = externalRef(t, where);
    checkLocation(ref.location);
    if (!refs.has(rangeKey(ref))) {
      total += ref.length;
      checkLimit(limits, 'maxMemoryBytes', total, `${where} (external data in '${ref.location}')`);
      refs.set(rangeKey(ref), ref);
    }
  }
  const out = new Map<string, Uint8Array>();
  if (refs.size === 0) return out;
  const { externalData, externalRange } = options;
  if (!externalRange && !externalData) {
    const first = refs.values().next().value!;
    throw new ModelFormatError(`ONNX model: tensor data lives in external file '${first.location}' but no externalData resolver was given`);
  }
  const files = new Map<string, Uint8Array>();
  for (const [key, r] of refs) {
    let b: Uint8Array;
    if (externalRange) {
      b = await externalRange(r.location, r.offset, r.length);
      if (!(b instanceof Uint8Array) || b.length !== r.length) {
        throw new ModelFormatError(`ONNX model: external data '${r.location}' gave ${b?.length} bytes for a range of ${r.length}`);
      }
    } else {
      let file = files.get(r.location);
      if (!file) {
        file = await externalData!(r.location);
        if (!(file instanceof Uint8Array)) throw new ModelFormatError(`ONNX model: externalData('${r.location}') did not return a Uint8Array`);
        files.set(r.location, file);
      }
      if (r.offset + r.length > file.length) {
        throw new ModelFormatError(
          `ONNX model: external data range offset=${r.offset} length=${r.length} lies outside '${r.location}' (${file.length} bytes)`,
        );
      }
      b = file.subarray(r.offset, r.offset + r.length);
    }
    out.set(key, b);
  }
  return out;
}

/** Every TensorProto with data_location EXTERNAL, found iteratively (no recursion over the message). */
function externalTensors(root: Msg): Msg[] {
  const found: Msg[] = [];
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const m = v as Msg;
    if (m.data_location === 1) found.push(m);
    for (const k in m) stack.push(m[k]);
  }
  return found;
}

/** Rejects locations that could escape the model's folder. */
export function checkLocation(loc: string): void {
  if (loc === '' || loc.startsWith('/') || loc.startsWith('\\') || /^[a-zA-Z]:/.test(loc) ||
      loc.split(/[\\/]/).some((p) => p === '..')) {
    throw new ModelFormatError(`ONNX model: external data location '${loc}' must be a relative path inside the model's folder`);
  }
}

function convertModel(msg: Msg, external: ExternalBytes, limits: ResourceLimits): Model {
  const opsetImports = new Map<string, number>();
  for (const o of list(msg.opset_import)) opsetImports.set(canonicalDomain(str(o.domain)), num(o.version));
  const metadata = new Map<string, string>();
  for (const e of list(msg.metadata_props)) metadata.set(str(e.key), str(e.value));
  const ctx: Ctx = { external, limits, nodes: 0, bytes: 0 };
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
  readonly limits: ResourceLimits;
  /** Nodes in every graph and function so far. */
  nodes: number;
  /** Bytes of the tensors converted so far (weights, constants, dense sizes of sparse tensors). */
  bytes: number;
}

/** Counts the nodes of one more graph or function against maxNodes, before converting them. */
function countNodes(ctx: Ctx, n: number, where: string): void {
  ctx.nodes += n;
  checkLimit(ctx.limits, 'maxNodes', ctx.nodes, `ONNX model (at ${where})`);
}

function tensorOf(t: Msg, part: string, ctx: Ctx): Tensor {
  const tensor = tensorFromProto(t, part, ctx.external, ctx.limits.maxTensorElements);
  countBytes(ctx, tensor.size * DATA_TYPES[tensor.type].bytes, part);
  return tensor;
}

function sparseOf(s: Msg, part: string, ctx: Ctx): SparseTensorValue {
  const sp = sparseFromProto(s, part, ctx.external, ctx.limits.maxTensorElements);
  countBytes(ctx, sp.dims.reduce((a, b) => a * b, 1) * DATA_TYPES[sp.values.type].bytes, part);
  return sp;
}

function countBytes(ctx: Ctx, bytes: number, part: string): void {
  ctx.bytes += bytes;
  if (ctx.bytes > ctx.limits.maxMemoryBytes) {
    throw new ResourceLimitError(
      `${part}: the model's tensors need ${ctx.bytes} bytes so far, over the limit maxMemoryBytes = ${ctx.limits.maxMemoryBytes}`,
      'maxMemoryBytes', ctx.bytes, ctx.limits.maxMemoryBytes,
    );
  }
}

function convertGraph(g: Msg, ctx: Ctx, part: string): Graph {
  const name = str(g.name) || part;
  const where = `graph '${name}'`;
  countNodes(ctx, list(g.node).length, where);
  const initializers = new Map<string, Tensor>();
  for (const t of list(g.initializer)) {
    initializers.set(str(t.name), tensorOf(t, `${where} initializer`, ctx));
  }
  const sparseInitializers = new Map<string, SparseTensorValue>();
  for (const s of list(g.sparse_initializer)) {
    const n = str((s.values as Msg | undefined)?.name);
    sparseInitializers.set(n, sparseOf(s, `${where} sparse initializer '${n}'`, ctx));
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
      return { type, value: tensorOf(a.t as Msg, part, ctx) };
    case 'graph':
      if (!a.g) throw new ModelFormatError(`${part}: graph attribute without a graph`);
      return { type, value: convertGraph(a.g as Msg, ctx, name) };
    case 'sparse_tensor':
      if (!a.sparse_tensor) throw new ModelFormatError(`${part}: sparse_tensor attribute without a value`);
      return { type, value: sparseOf(a.sparse_tensor as Msg, part, ctx) };
    case 'type_proto': return { type, value: convertType(a.tp as Msg | undefined) };
    case 'floats': return { type, value: ((a.floats as number[] | undefined) ?? []).slice() };
    case 'ints': return { type, value: ((a.ints as bigint[] | undefined) ?? []).map(Number) };
    case 'strings': return { type, value: ((a.strings as Uint8Array[] | undefined) ?? []).map((b) => textDecoder.decode(b)) };
    case 'tensors': return { type, value: list(a.tensors).map((t) => tensorOf(t, part, ctx)) };
    case 'graphs': return { type, value: list(a.graphs).map((g, i) => convertGraph(g, ctx, `${name}[${i}]`)) };
    case 'sparse_tensors': return { type, value: list(a.sparse_tensors).map((s) => sparseOf(s, part, ctx)) };
    case 'type_protos': return { type, value: list(a.type_protos).map((t) => convertType(t)) };
    default: throw new ModelFormatError(`${part}: unknown attribute type ${num(a.type)}`);
  }
}

function convertFunction(f: Msg, ctx: Ctx): FunctionDef {
  const name = str(f.name);
  const where = `function '${name}'`;
  countNodes(ctx, list(f.node).length, where);
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
