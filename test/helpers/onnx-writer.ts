// A small ONNX protobuf writer for tests, built on protobufjs's Writer from the spec's
// field numbers. It lets tests produce every encoding the loader must accept (raw_data,
// typed fields packed and unpacked, external data, sparse tensors, functions) and broken files.

import protobuf from 'protobufjs/minimal.js';

type W = protobuf.Writer;
const { Writer } = protobuf;

export interface TensorSpec {
  name?: string;
  dataType: number;
  dims: number[];
  raw?: Uint8Array;
  floats?: number[];
  int32s?: number[];
  int64s?: bigint[];
  doubles?: number[];
  uint64s?: bigint[];
  strings?: string[];
  packed?: boolean;
  external?: { location: string; offset?: number; length?: number };
}
export interface AttrSpec {
  name: string;
  f?: number; i?: number; s?: string; t?: TensorSpec; g?: GraphSpec; floats?: number[]; ints?: number[];
  strings?: string[]; ref?: string; type?: number;
}
export interface NodeSpec {
  op: string; inputs: string[]; outputs: string[]; name?: string; domain?: string; attrs?: AttrSpec[];
}
export interface ValueSpec { name: string; elemType?: number; shape?: (number | string)[] }
export interface GraphSpec {
  name?: string; nodes: NodeSpec[]; inputs: ValueSpec[]; outputs: ValueSpec[];
  initializers?: TensorSpec[];
  sparse?: { values: TensorSpec; indices: TensorSpec; dims: number[] }[];
}
export interface FunctionSpec {
  name: string; domain: string; inputs: string[]; outputs: string[]; attributes?: string[];
  nodes: NodeSpec[]; opsets: [string, number][];
}
export interface ModelSpec {
  irVersion?: number; opsets?: [string, number][]; graph: GraphSpec; functions?: FunctionSpec[];
  producer?: string; metadata?: [string, string][];
}

const enc = new TextEncoder();
const sub = (w: W, field: number, fill: (w: W) => void) => {
  w.uint32((field << 3) | 2).fork();
  fill(w);
  w.ldelim();
};
const str = (w: W, field: number, s: string) => w.uint32((field << 3) | 2).string(s);
const varint = (w: W, field: number, v: number | bigint) => w.uint32(field << 3).int64(Number(v));

export function writeTensor(w: W, t: TensorSpec): void {
  if (t.packed !== false) {
    if (t.dims.length) sub(w, 1, (x) => t.dims.forEach((d) => x.int64(d)));
  } else {
    t.dims.forEach((d) => varint(w, 1, d));
  }
  varint(w, 2, t.dataType);
  if (t.name) str(w, 8, t.name);
  if (t.raw) w.uint32((9 << 3) | 2).bytes(t.raw);
  const packed = t.packed !== false;
  if (t.floats) {
    if (packed) sub(w, 4, (x) => t.floats!.forEach((v) => x.float(v)));
    else t.floats.forEach((v) => w.uint32((4 << 3) | 5).float(v));
  }
  if (t.int32s) {
    if (packed) sub(w, 5, (x) => t.int32s!.forEach((v) => x.int32(v)));
    else t.int32s.forEach((v) => w.uint32(5 << 3).int32(v));
  }
  if (t.int64s) {
    const put = (x: W, v: bigint) => x.int64(v.toString() as unknown as number);
    if (packed) sub(w, 7, (x) => t.int64s!.forEach((v) => put(x, v)));
    else t.int64s.forEach((v) => put(w.uint32(7 << 3), v));
  }
  if (t.doubles) {
    if (packed) sub(w, 10, (x) => t.doubles!.forEach((v) => x.double(v)));
    else t.doubles.forEach((v) => w.uint32((10 << 3) | 1).double(v));
  }
  if (t.uint64s) sub(w, 11, (x) => t.uint64s!.forEach((v) => x.uint64(Number(v))));
  if (t.strings) t.strings.forEach((s) => w.uint32((6 << 3) | 2).bytes(enc.encode(s)));
  if (t.external) {
    const e = t.external;
    const entries: [string, string][] = [['location', e.location]];
    if (e.offset !== undefined) entries.push(['offset', String(e.offset)]);
    if (e.length !== undefined) entries.push(['length', String(e.length)]);
    for (const [k, v] of entries) sub(w, 13, (x) => { str(x, 1, k); str(x, 2, v); });
    varint(w, 14, 1);
  }
}

function writeAttr(w: W, a: AttrSpec): void {
  str(w, 1, a.name);
  let type = a.type ?? 0;
  if (a.ref) str(w, 21, a.ref);
  if (a.f !== undefined) { w.uint32((2 << 3) | 5).float(a.f); type ||= 1; }
  if (a.i !== undefined) { varint(w, 3, a.i); type ||= 2; }
  if (a.s !== undefined) { w.uint32((4 << 3) | 2).bytes(enc.encode(a.s)); type ||= 3; }
  if (a.t) { sub(w, 5, (x) => writeTensor(x, a.t!)); type ||= 4; }
  if (a.g) { sub(w, 6, (x) => writeGraph(x, a.g!)); type ||= 5; }
  if (a.floats) { sub(w, 7, (x) => a.floats!.forEach((v) => x.float(v))); type ||= 6; }
  if (a.ints) { sub(w, 8, (x) => a.ints!.forEach((v) => x.int64(v))); type ||= 7; }
  if (a.strings) { a.strings.forEach((s) => w.uint32((9 << 3) | 2).bytes(enc.encode(s))); type ||= 8; }
  if (type) varint(w, 20, type);
}

function writeNode(w: W, n: NodeSpec): void {
  n.inputs.forEach((i) => str(w, 1, i));
  n.outputs.forEach((o) => str(w, 2, o));
  if (n.name) str(w, 3, n.name);
  str(w, 4, n.op);
  if (n.domain) str(w, 7, n.domain);
  (n.attrs ?? []).forEach((a) => sub(w, 5, (x) => writeAttr(x, a)));
}

function writeValue(w: W, v: ValueSpec): void {
  str(w, 1, v.name);
  if (v.elemType !== undefined) {
    sub(w, 2, (t) => sub(t, 1, (tt) => {
      varint(tt, 1, v.elemType!);
      if (v.shape) sub(tt, 2, (s) => v.shape!.forEach((d) => sub(s, 1, (dm) => (typeof d === 'number' ? varint(dm, 1, d) : str(dm, 2, d)))));
    }));
  }
}

export function writeGraph(w: W, g: GraphSpec): void {
  g.nodes.forEach((n) => sub(w, 1, (x) => writeNode(x, n)));
  str(w, 2, g.name ?? 'g');
  (g.initializers ?? []).forEach((t) => sub(w, 5, (x) => writeTensor(x, t)));
  g.inputs.forEach((v) => sub(w, 11, (x) => writeValue(x, v)));
  g.outputs.forEach((v) => sub(w, 12, (x) => writeValue(x, v)));
  (g.sparse ?? []).forEach((s) => sub(w, 15, (x) => {
    sub(x, 1, (y) => writeTensor(y, s.values));
    sub(x, 2, (y) => writeTensor(y, s.indices));
    sub(x, 3, (y) => s.dims.forEach((d) => y.int64(d)));
  }));
}

export function writeModel(m: ModelSpec): Uint8Array {
  const w = Writer.create();
  varint(w, 1, m.irVersion ?? 8);
  if (m.producer) str(w, 2, m.producer);
  sub(w, 7, (x) => writeGraph(x, m.graph));
  for (const [d, v] of m.opsets ?? [['', 17]]) sub(w, 8, (x) => { if (d) str(x, 1, d); varint(x, 2, v); });
  for (const [k, v] of m.metadata ?? []) sub(w, 14, (x) => { str(x, 1, k); str(x, 2, v); });
  for (const f of m.functions ?? []) {
    sub(w, 25, (x) => {
      str(x, 1, f.name);
      f.inputs.forEach((i) => str(x, 4, i));
      f.outputs.forEach((o) => str(x, 5, o));
      (f.attributes ?? []).forEach((a) => str(x, 6, a));
      f.nodes.forEach((n) => sub(x, 7, (y) => writeNode(y, n)));
      f.opsets.forEach(([d, v]) => sub(x, 9, (y) => { if (d) str(y, 1, d); varint(y, 2, v); }));
      str(x, 10, f.domain);
    });
  }
  return w.finish();
}

export const f32raw = (vals: number[]): Uint8Array => new Uint8Array(Float32Array.from(vals).buffer);
