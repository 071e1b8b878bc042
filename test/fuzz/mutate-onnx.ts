// Structure-aware ONNX mutations: decode with the loader's own schema-driven decoder
// (src/formats/onnx/wire.ts), change one thing a model author controls (a dim, an attribute, an
// op_type, an input name, an opset, a node's presence) and re-encode with consistent lengths, so
// the change reaches the loader, the planner and the kernels instead of dying in the wire decoder.

import { decodeMessage, type Msg } from '../../src/formats/onnx/wire.js';
import { type FieldSpec, type MessageName, SCHEMA } from '../../src/formats/onnx/schema.js';
import { encodeVarint, type Mutated } from './mutate-bytes.js';
import type { Rng } from './rng.js';

// ---- a schema-driven encoder, the inverse of wire.ts's decodeMessage ----

const utf8 = new TextEncoder();

class Sink {
  readonly parts: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }
  varint(v: bigint | number): void {
    this.push(encodeVarint(BigInt(v)));
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let p = 0;
    for (const b of this.parts) { out.set(b, p); p += b.length; }
    return out;
  }
}

function scalarBytes(kind: string, v: unknown): Uint8Array {
  switch (kind) {
    case 'float': { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, Number(v), true); return b; }
    case 'double': { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, Number(v), true); return b; }
    case 'int32': return encodeVarint(BigInt(Math.trunc(Number(v))));
    case 'int64': case 'uint64': return encodeVarint(typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
    default: throw new Error(`scalarBytes: ${kind}`);
  }
}

function wireOf(kind: FieldSpec['kind']): number {
  if (typeof kind === 'object' || kind === 'string' || kind === 'bytes') return 2;
  return kind === 'float' ? 5 : kind === 'double' ? 1 : 0;
}

export function encodeMessage(msg: Msg, type: MessageName): Uint8Array {
  const sink = new Sink();
  const fields = SCHEMA[type] as Record<number, FieldSpec>;
  for (const [num, spec] of Object.entries(fields)) {
    if (!Object.hasOwn(msg, spec.name)) continue;
    const value = msg[spec.name];
    const values = spec.repeated ? (value as unknown[]) : [value];
    const wire = wireOf(spec.kind);
    if (spec.repeated && wire !== 2) {
      // Packed, as every current exporter writes repeated numbers.
      const body = new Sink();
      for (const v of values) body.push(scalarBytes(spec.kind as string, v));
      sink.varint((Number(num) << 3) | 2);
      sink.varint(body.size);
      for (const p of body.parts) sink.push(p);
      continue;
    }
    for (const v of values) {
      sink.varint((Number(num) << 3) | wire);
      if (typeof spec.kind === 'object') {
        const sub = encodeMessage(v as Msg, spec.kind.message);
        sink.varint(sub.length);
        sink.push(sub);
      } else if (spec.kind === 'string' || spec.kind === 'bytes') {
        const b = typeof v === 'string' ? utf8.encode(v) : (v as Uint8Array);
        sink.varint(b.length);
        sink.push(b);
      } else {
        sink.push(scalarBytes(spec.kind, v));
      }
    }
  }
  return sink.finish();
}

// ---- walking the decoded tree ----

interface Found {
  readonly msg: Msg;
  readonly type: MessageName;
}

function walk(msg: Msg, type: MessageName, out: Found[], depth = 0): void {
  out.push({ msg, type });
  if (depth > 64) return;
  const fields = SCHEMA[type] as Record<number, FieldSpec>;
  for (const spec of Object.values(fields)) {
    if (typeof spec.kind !== 'object' || !Object.hasOwn(msg, spec.name)) continue;
    const v = msg[spec.name];
    for (const child of spec.repeated ? (v as Msg[]) : [v as Msg]) walk(child, spec.kind.message, out, depth + 1);
  }
}

const HUGE_INTS: readonly bigint[] = [
  0n, -1n, 1n, 2n, 3n, -2n, 7n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), 100000n, 65536n,
];
const ODD_FLOATS = [NaN, Infinity, -Infinity, 0, -0, 1e38, -1e38, 1e-45, -1, 65504, 3.4028234663852886e38];
/** Operators whose attributes and inputs decide sizes, loop counts or recursion. */
const OP_TYPES = [
  'Loop', 'If', 'Scan', 'Reshape', 'Expand', 'Tile', 'ConstantOfShape', 'Range', 'Resize', 'Pad', 'Gather', 'GatherND',
  'Slice', 'Concat', 'Split', 'Einsum', 'NonZero', 'TopK', 'Unsqueeze', 'Squeeze', 'Cast', 'Constant', 'SequenceConstruct',
  'SequenceAt', 'SplitToSequence', 'ConcatFromSequence', 'Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'MatMul', 'Gemm',
  'LSTM', 'GRU', 'Softmax', 'ReduceSum', 'ArgMax', 'CumSum', 'OneHot', 'ScatterND', 'ScatterElements', 'Transpose',
  'DepthToSpace', 'SpaceToDepth', 'Upsample', 'Shape', 'Size', 'Identity', 'Add', 'Mul', 'Div', 'Pow', 'Where', 'Trilu',
  'StringNormalizer', 'Unique', 'Compress', 'Mod', 'BitShift', 'NoSuchOp', '',
];
const NAMES = ['', 'x', '../x', '__proto__', 'constructor', 'toString', 'hasOwnProperty'];

const numOf = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v) || 0)));

function hugeLike(rng: Rng, old: unknown): bigint {
  if (old !== undefined && rng.chance(0.3)) return numOf(old) + BigInt(rng.pick([-1, 1, 2, -2, 10]));
  return rng.pick(HUGE_INTS);
}

function asInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

type Mutation = (all: Found[], rng: Rng) => string | undefined;

const of = (all: Found[], type: MessageName): Msg[] => all.filter((f) => f.type === type).map((f) => f.msg);

/** Every value name a graph mentions: node inputs/outputs, initializers, graph inputs/outputs. */
function valueNames(all: Found[]): string[] {
  const names = new Set<string>();
  for (const n of of(all, 'NodeProto')) for (const k of ['input', 'output']) for (const s of (n[k] as string[] | undefined) ?? []) names.add(s);
  for (const t of of(all, 'TensorProto')) if (typeof t.name === 'string') names.add(t.name);
  return [...names];
}

const mutateDims: Mutation = (all, rng) => {
  const tensors = of(all, 'TensorProto').filter((t) => Array.isArray(t.dims));
  const dims = of(all, 'Dimension');
  if (rng.chance(0.5) && tensors.length) {
    const t = rng.pick(tensors);
    const d = t.dims as bigint[];
    const op = rng.int(4);
    if (op === 0 && d.length) { d.splice(rng.int(d.length), 1); return `tensor ${String(t.name)}: dropped a dim`; }
    if (op === 1) { d.splice(rng.int(d.length + 1), 0, hugeLike(rng, undefined)); return `tensor ${String(t.name)}: added a dim`; }
    if (!d.length) return undefined;
    const i = rng.int(d.length);
    const old = d[i];
    d[i] = hugeLike(rng, old);
    return `tensor ${String(t.name)} dims[${i}]: ${old} -> ${d[i]}`;
  }
  if (!dims.length) return undefined;
  const d = rng.pick(dims);
  const old = d.dim_value ?? d.dim_param;
  if (rng.chance(0.2)) { delete d.dim_value; d.dim_param = rng.pick(['N', 'batch', '']); } else { delete d.dim_param; d.dim_value = hugeLike(rng, d.dim_value); }
  return `value dim ${String(old)} -> ${String(d.dim_value ?? d.dim_param)}`;
};

const mutateAttribute: Mutation = (all, rng) => {
  const attrs = of(all, 'AttributeProto');
  if (!attrs.length) return undefined;
  const a = rng.pick(attrs);
  const name = String(a.name);
  if (Array.isArray(a.ints) && a.ints.length && rng.chance(0.7)) {
    const ints = a.ints as bigint[];
    if (rng.chance(0.25)) { ints.splice(rng.int(ints.length + 1), rng.int(2), hugeLike(rng, undefined)); return `attribute ${name}: ints resized`; }
    const i = rng.int(ints.length);
    ints[i] = hugeLike(rng, ints[i]);
    return `attribute ${name}.ints[${i}] = ${ints[i]}`;
  }
  if (Array.isArray(a.floats) && a.floats.length && rng.chance(0.7)) {
    const fl = a.floats as number[];
    const i = rng.int(fl.length);
    fl[i] = rng.pick(ODD_FLOATS);
    return `attribute ${name}.floats[${i}] = ${fl[i]}`;
  }
  if (a.i !== undefined && rng.chance(0.8)) { a.i = hugeLike(rng, a.i); return `attribute ${name}.i = ${a.i}`; }
  if (a.f !== undefined && rng.chance(0.8)) { a.f = rng.pick(ODD_FLOATS); return `attribute ${name}.f = ${a.f}`; }
  if (a.s !== undefined && rng.chance(0.8)) { a.s = utf8.encode(rng.pick(['', 'NOTSET', 'SAME_UPPER', 'nearest', 'abc'.repeat(rng.range(1, 30))])); return `attribute ${name}.s changed`; }
  const op = rng.int(3);
  if (op === 0) { a.type = rng.range(0, 14); return `attribute ${name}.type = ${a.type}`; }
  if (op === 1) { a.name = rng.pick(['axis', 'axes', 'perm', 'shape', 'to', 'kernel_shape', 'pads', 'strides', 'dilations', 'group', '']); return `attribute ${name} renamed ${String(a.name)}`; }
  a.ints = [hugeLike(rng, undefined)];
  return `attribute ${name}: ints added`;
};

const mutateOpType: Mutation = (all, rng) => {
  const nodes = of(all, 'NodeProto');
  if (!nodes.length) return undefined;
  const n = rng.pick(nodes);
  const old = n.op_type;
  n.op_type = rng.chance(0.3) ? String(rng.pick(nodes).op_type ?? '') : rng.pick(OP_TYPES);
  if (rng.chance(0.1)) n.domain = rng.pick(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft', 'x']);
  return `node ${String(n.name)}: op_type ${String(old)} -> ${String(n.op_type)}`;
};

const mutateNames: Mutation = (all, rng) => {
  const nodes = of(all, 'NodeProto');
  if (!nodes.length) return undefined;
  const n = rng.pick(nodes);
  const names = valueNames(all);
  const key = rng.chance(0.75) ? 'input' : 'output';
  const list = (n[key] as string[] | undefined) ?? [];
  n[key] = list;
  const name = rng.chance(0.8) && names.length ? rng.pick(names) : rng.pick(NAMES);
  const op = rng.int(4);
  if (op === 0 || !list.length) { list.splice(rng.int(list.length + 1), 0, name); return `node ${String(n.name)}: ${key} '${name}' inserted`; }
  if (op === 1) { const [gone] = list.splice(rng.int(list.length), 1); return `node ${String(n.name)}: ${key} '${gone}' removed`; }
  const i = rng.int(list.length);
  const old = list[i];
  list[i] = name;
  return `node ${String(n.name)}: ${key}[${i}] '${old}' -> '${name}'`;
};

const mutateNodeList: Mutation = (all, rng) => {
  const graphs = of(all, 'GraphProto').filter((g) => Array.isArray(g.node) && (g.node as Msg[]).length);
  if (!graphs.length) return undefined;
  const nodes = rng.pick(graphs).node as Msg[];
  const i = rng.int(nodes.length);
  const op = rng.int(3);
  if (op === 0) { const [gone] = nodes.splice(i, 1); return `node ${String(gone!.name)} (${String(gone!.op_type)}) deleted`; }
  if (op === 1) { nodes.splice(rng.int(nodes.length + 1), 0, structuredClone(nodes[i]!)); return `node ${String(nodes[i]!.name)} duplicated`; }
  const j = rng.int(nodes.length);
  [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
  return `nodes ${i} and ${j} swapped`;
};

const mutateTensor: Mutation = (all, rng) => {
  const tensors = of(all, 'TensorProto');
  if (!tensors.length) return undefined;
  const t = rng.pick(tensors);
  const op = rng.int(4);
  if (op === 0) { const old = t.data_type; t.data_type = rng.range(0, 27); return `tensor ${String(t.name)}: data_type ${String(old)} -> ${String(t.data_type)}`; }
  if (op === 1 && t.raw_data instanceof Uint8Array) {
    const raw = t.raw_data;
    t.raw_data = rng.chance(0.5) ? raw.subarray(0, rng.int(raw.length)) : Uint8Array.from([...raw.subarray(0, 64), ...raw]);
    return `tensor ${String(t.name)}: raw_data ${raw.length} -> ${(t.raw_data as Uint8Array).length} bytes`;
  }
  if (op === 2) { t.name = rng.pick([...valueNames(all), ...NAMES]); return `tensor renamed '${String(t.name)}'`; }
  if (rng.chance(0.5)) {
    t.data_location = 1;
    t.external_data = [{ key: 'location', value: rng.pick(['w.bin', '../w.bin', '/etc/passwd', '']) }, { key: 'length', value: String(hugeLike(rng, undefined)) }];
    return `tensor ${String(t.name)}: made external`;
  }
  t.int64_data = [hugeLike(rng, undefined)];
  return `tensor ${String(t.name)}: int64_data added`;
};

const mutateTypes: Mutation = (all, rng) => {
  const types = of(all, 'TypeProtoTensor');
  const opsets = of(all, 'OperatorSetIdProto');
  if (rng.chance(0.7) && types.length) {
    const t = rng.pick(types);
    const old = t.elem_type;
    t.elem_type = rng.range(0, 27);
    return `value elem_type ${String(old)} -> ${String(t.elem_type)}`;
  }
  if (!opsets.length) return undefined;
  const o = rng.pick(opsets);
  const old = o.version;
  o.version = rng.pick([0n, 1n, 6n, 7n, 11n, 13n, 17n, 18n, 21n, 99n, 2n ** 62n, -1n]);
  return `opset ${String(o.domain ?? '')} ${String(old)} -> ${String(o.version)}`;
};

/** Any numeric field anywhere (ir_version, elem types, dims, attribute values, data types ...). */
const mutateAnyNumber: Mutation = (all, rng) => {
  for (let tries = 0; tries < 8; tries++) {
    const { msg, type } = rng.pick(all);
    const fields = Object.values(SCHEMA[type] as Record<number, FieldSpec>)
      .filter((s) => typeof s.kind === 'string' && ['int32', 'int64', 'uint64', 'float', 'double'].includes(s.kind) && Object.hasOwn(msg, s.name));
    if (!fields.length) continue;
    const spec = rng.pick(fields);
    const kind = spec.kind as string;
    const next = (old: unknown): unknown =>
      kind === 'float' || kind === 'double' ? rng.pick(ODD_FLOATS) : kind === 'int32' ? asInt32(hugeLike(rng, old)) : hugeLike(rng, old);
    if (spec.repeated) {
      const arr = msg[spec.name] as unknown[];
      if (!arr.length) continue;
      const i = rng.int(arr.length);
      arr[i] = next(arr[i]);
    } else {
      msg[spec.name] = next(msg[spec.name]);
    }
    return `${type}.${spec.name} -> ${String(spec.repeated ? '(one element)' : msg[spec.name])}`;
  }
  return undefined;
};

const ONNX_MUTATIONS: readonly (readonly [number, Mutation])[] = [
  [4, mutateDims], [4, mutateAttribute], [2, mutateOpType], [3, mutateNames], [2, mutateNodeList],
  [2, mutateTensor], [2, mutateTypes], [3, mutateAnyNumber],
];

/** One structure-aware mutation; undefined when `bytes` is not a decodable ModelProto. */
export function mutateOnnx(bytes: Uint8Array, rng: Rng): Mutated | undefined {
  let model: Msg;
  try {
    model = decodeMessage(bytes, 'ModelProto', 'fuzz');
  } catch {
    return undefined;
  }
  const all: Found[] = [];
  walk(model, 'ModelProto', all);
  for (let tries = 0; tries < 6; tries++) {
    const what = rng.weighted(ONNX_MUTATIONS)(all, rng);
    if (what !== undefined) return { bytes: encodeMessage(model, 'ModelProto'), what: `onnx: ${what}` };
  }
  return undefined;
}
