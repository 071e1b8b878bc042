// A schema-driven protobuf decoder over a bounds-checked reader of the wire format.
// Messages decode to plain records keyed by field name; repeated fields to arrays.
// Every length is checked against the bytes that remain; nesting depth is capped.
// The reader is tessera's own: protobufjs's Reader (with Long and its CommonJS) weighed 33 KB of
// an ONNX-only bundle (minified) for the five primitives used here. Every read past the end is a
// ModelFormatError naming the byte.

import { ModelFormatError, ResourceLimitError } from '../../errors.js';
import { type FieldSpec, type MessageName, SCHEMA } from './schema.js';

/** A cursor over protobuf wire bytes: varints, fixed 32/64-bit floats, length-delimited bytes. */
class WireReader {
  pos = 0;
  readonly len: number;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array, readonly part: string) {
    this.len = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (n > this.len - this.pos) {
      throw new ModelFormatError(`${this.part}: truncated ${what} at byte ${this.pos} (${n} bytes needed, ${this.len - this.pos} remain)`);
    }
  }

  /** A varint's low 32 bits, unsigned (protobuf's uint32; also tags and lengths). */
  uint32(): number {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.len) throw new ModelFormatError(`${this.part}: truncated varint at byte ${start}`);
      const b = this.buf[this.pos++]!;
      if (i < 5) value |= (b & 0x7f) << (7 * i); // bits past 32 are dropped, as protobuf's uint32 does
      if ((b & 0x80) === 0) return value >>> 0;
    }
    throw new ModelFormatError(`${this.part}: malformed varint at byte ${start} (more than 10 bytes)`);
  }

  int32(): number {
    return this.uint32() | 0;
  }

  float(): number {
    this.need(4, 'float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bytes: a view of the input, not a copy. */
  bytes(): Uint8Array {
    const n = this.uint32();
    this.need(n, 'length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n, 'field');
    this.pos += n;
  }
}

export type Msg = { [field: string]: unknown };

const MAX_DEPTH = 256;
const textDecoder = new TextDecoder('utf-8');

/** Decodes `bytes` as message `type`; `part` names the file part in errors. */
/** Decodes `bytes` as message `type`; messages nested deeper than `maxDepth` are refused. */
export function decodeMessage(bytes: Uint8Array, type: MessageName, part: string, maxDepth = MAX_DEPTH): Msg {
  const reader = new WireReader(bytes, part);
  return readMessage(reader, bytes.length, type, part, 0, maxDepth);
}

function readVarint64(r: WireReader, unsigned: boolean, part: string): bigint {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.len) throw new ModelFormatError(`${part}: truncated varint at byte ${r.pos}`);
    const b = r.buf[r.pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return unsigned ? BigInt.asUintN(64, result) : BigInt.asIntN(64, result);
    shift += 7n;
  }
  throw new ModelFormatError(`${part}: malformed varint at byte ${r.pos}`);
}

function readScalar(r: WireReader, kind: string, part: string): unknown {
  switch (kind) {
    case 'int32': return r.int32();
    case 'int64': return readVarint64(r, false, part);
    case 'uint64': return readVarint64(r, true, part);
    case 'float': return r.float();
    case 'double': return r.double();
    case 'bytes': return r.bytes();
    case 'string': return textDecoder.decode(r.bytes());
    default: throw new ModelFormatError(`${part}: unknown scalar kind ${kind}`);
  }
}

function expectedWireType(kind: FieldSpec['kind']): number {
  if (typeof kind === 'object') return 2;
  switch (kind) {
    case 'float': return 5;
    case 'double': return 1;
    case 'string': case 'bytes': return 2;
    default: return 0;
  }
}

function checkLength(r: WireReader, part: string, what: string): number {
  const len = r.uint32();
  if (len > r.len - r.pos) {
    throw new ModelFormatError(
      `${part}: ${what} declares ${len} bytes at byte ${r.pos} but only ${r.len - r.pos} remain (truncated file?)`,
    );
  }
  return len;
}

function readMessage(r: WireReader, end: number, type: MessageName, part: string, depth: number, maxDepth: number): Msg {
  if (depth > maxDepth) {
    throw new ResourceLimitError(
      `${part}: ${type} at byte ${r.pos}: nesting depth ${depth} exceeds the limit maxRecursionDepth = ${maxDepth}`,
      'maxRecursionDepth', depth, maxDepth,
    );
  }
  const fields = SCHEMA[type] as Record<number, FieldSpec>;
  const out: Msg = Object.create(null) as Msg;
  try {
    while (r.pos < end) {
      const tag = r.uint32();
      const num = tag >>> 3;
      const wire = tag & 7;
      const spec = fields[num];
      if (!spec) {
        skip(r, wire, part, `${type} field ${num}`);
        continue;
      }
      const where = `${part} ${type}.${spec.name}`;
      const want = expectedWireType(spec.kind);
      if (typeof spec.kind === 'object') {
        if (wire !== 2) throw new ModelFormatError(`${where}: wire type ${wire}, expected 2`);
        const len = checkLength(r, part, `${type}.${spec.name}`);
        const value = readMessage(r, r.pos + len, spec.kind.message, part, depth + 1, maxDepth);
        store(out, spec, value);
      } else if (spec.repeated && wire === 2 && want !== 2) {
        const len = checkLength(r, part, `${type}.${spec.name} (packed)`);
        const stop = r.pos + len;
        const arr = (out[spec.name] as unknown[] | undefined) ?? [];
        out[spec.name] = arr;
        while (r.pos < stop) arr.push(readScalar(r, spec.kind, where));
        if (r.pos !== stop) throw new ModelFormatError(`${where}: packed field overruns its length`);
      } else {
        if (wire !== want) throw new ModelFormatError(`${where}: wire type ${wire}, expected ${want}`);
        if (want === 2) {
          // Length-delimited scalars: check before the Reader slices.
          const save = r.pos;
          checkLength(r, part, `${type}.${spec.name}`);
          r.pos = save;
        }
        store(out, spec, readScalar(r, spec.kind, where));
      }
    }
    if (r.pos !== end) throw new ModelFormatError(`${part}: ${type} overruns its declared length`);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new ModelFormatError(`${part}: truncated or malformed ${type} near byte ${r.pos} (${e.message})`);
    }
    throw e;
  }
  return out;
}

function store(out: Msg, spec: FieldSpec, value: unknown): void {
  if (spec.repeated) {
    const arr = (out[spec.name] as unknown[] | undefined) ?? [];
    arr.push(value);
    out[spec.name] = arr;
  } else {
    out[spec.name] = value; // last one wins, as protobuf specifies
  }
}

function skip(r: WireReader, wire: number, part: string, what: string): void {
  switch (wire) {
    case 0: readVarint64(r, true, part); return;
    case 1: r.skip(8); return;
    case 2: { const len = checkLength(r, part, what); r.skip(len); return; }
    case 5: r.skip(4); return;
    default: throw new ModelFormatError(`${part}: unsupported wire type ${wire} for ${what} at byte ${r.pos}`);
  }
}
