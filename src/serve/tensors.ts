// Tensors as the Open Inference Protocol (KServe v2 / Triton) carries them: datatype names, JSON
// `data` arrays (flat or nested, row-major) and the binary tensor data extension (little-endian,
// row-major, BOOL one byte, BYTES a 4-byte length before each element's bytes).

import { bfloat16BitsToNumber, float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits } from '../../kernels/float16.js';
import type { DataType, TensorData } from '../dtypes.js';
import { Tensor } from '../tensor.js';

/** A request the protocol answers with a 4xx (or 5xx) and `{"error": message}`. */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The protocol's datatype names and tessera's element types, both ways. */
const BY_PROTOCOL: ReadonlyMap<string, DataType> = new Map<string, DataType>([
  ['BOOL', 'bool'], ['UINT8', 'uint8'], ['UINT16', 'uint16'], ['UINT32', 'uint32'], ['UINT64', 'uint64'],
  ['INT8', 'int8'], ['INT16', 'int16'], ['INT32', 'int32'], ['INT64', 'int64'],
  ['FP16', 'float16'], ['BF16', 'bfloat16'], ['FP32', 'float32'], ['FP64', 'float64'], ['BYTES', 'string'],
]);
const BY_TYPE: ReadonlyMap<DataType, string> = new Map([...BY_PROTOCOL].map(([p, t]) => [t, p]));

export function dataTypeOfProtocol(name: string): DataType | undefined {
  return BY_PROTOCOL.get(name);
}

/** The protocol's name for an element type; undefined for types it has none for (complex, float8, int4, ...). */
export function protocolDataType(type: DataType): string | undefined {
  return BY_TYPE.get(type);
}

/** Bytes per element in binary form (BYTES has none: each element carries its length). */
const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  bool: 1, uint8: 1, int8: 1, uint16: 2, int16: 2, float16: 2, bfloat16: 2,
  uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8,
};

/** Integer ranges for checking JSON numbers (64-bit types are checked as BigInt). */
const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
  uint32: [0, 4294967295], int32: [-2147483648, 2147483647],
};
const BIG_RANGE: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

/** A request input or a response output's declared shape: non-negative safe integers. */
export function checkShape(shape: unknown, where: string, maxElements: number): number[] {
  if (!Array.isArray(shape)) throw new ProtocolError(400, `${where}: 'shape' must be an array of dimension sizes`);
  let count = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ProtocolError(400, `${where}: 'shape' holds ${JSON.stringify(d)}, not a non-negative integer`);
    }
    count *= d;
  }
  if (count > maxElements) throw new ProtocolError(413, `${where}: shape [${shape.join(', ')}] holds ${count} elements, over the limit of ${maxElements}`);
  return shape as number[];
}

/**
 * A tensor from a JSON `data` value: a flat or nested array of numbers (booleans for BOOL, strings
 * for BYTES; 64-bit integers may also be decimal strings), checked against the type's range.
 */
export function tensorFromJson(type: DataType, shape: readonly number[], data: unknown, where: string): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  const flat = flatten(data, shape.length, count, where);
  const bad = (i: number, why: string): ProtocolError =>
    new ProtocolError(400, `${where}: data[${i}] = ${JSON.stringify(flat[i])}: ${why} for datatype ${protocolDataType(type)}`);
  let out: TensorData;
  switch (type) {
    case 'string': {
      out = flat.map((x, i) => {
        if (typeof x !== 'string') throw bad(i, 'expected a string');
        return x;
      });
      break;
    }
    case 'bool': {
      const a = new Uint8Array(count);
      flat.forEach((x, i) => {
        if (typeof x === 'boolean') a[i] = x ? 1 : 0;
        else if (x === 0 || x === 1) a[i] = x;
        else throw bad(i, 'expected true or false');
      });
      out = a;
      break;
    }
    case 'int64': case 'uint64': {
      const a = type === 'int64' ? new BigInt64Array(count) : new BigUint64Array(count);
      const [lo, hi] = BIG_RANGE[type]!;
      flat.forEach((x, i) => {
        let v: bigint;
        if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x);
        else if (typeof x === 'string' && /^-?\d{1,20}$/.test(x)) v = BigInt(x);
        else throw bad(i, 'expected an integer');
        if (v < lo || v > hi) throw bad(i, 'out of range');
        a[i] = v;
      });
      out = a;
      break;
    }
    case 'float16': case 'bfloat16': {
      const a = new Uint16Array(count);
      const toBits = type === 'float16' ? numberToFloat16Bits : numberToBfloat16Bits;
      flat.forEach((x, i) => {
        if (typeof x !== 'number') throw bad(i, 'expected a number');
        a[i] = toBits(x);
      });
      out = a;
      break;
    }
    case 'float32': case 'float64': {
      const a = type === 'float32' ? new Float32Array(count) : new Float64Array(count);
      flat.forEach((x, i) => {
        if (typeof x !== 'number') throw bad(i, 'expected a number');
        a[i] = x;
      });
      out = a;
      break;
    }
    default: {
      const range = INT_RANGE[type];
      const Ctor = { uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, uint32: Uint32Array, int32: Int32Array }[type as 'uint8'];
      if (!range || !Ctor) throw new ProtocolError(400, `${where}: datatype ${type} is not served`);
      const a = new Ctor(count);
      flat.forEach((x, i) => {
        if (typeof x !== 'number' || !Number.isInteger(x)) throw bad(i, 'expected an integer');
        if (x < range[0] || x > range[1]) throw bad(i, 'out of range');
        a[i] = x;
      });
      out = a;
    }
  }
  return new Tensor(type, out, shape);
}

/** The elements of a flat or nested `data` array, at most `rank` levels deep, exactly `count` of them. */
function flatten(data: unknown, rank: number, count: number, where: string): unknown[] {
  if (!Array.isArray(data)) throw new ProtocolError(400, `${where}: 'data' must be an array`);
  const out: unknown[] = [];
  // Iterative, depth-limited: nesting deeper than the shape's rank is refused, not recursed into.
  const stack: { readonly a: readonly unknown[]; i: number }[] = [{ a: data, i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i === top.a.length) {
      stack.pop();
      continue;
    }
    const x = top.a[top.i++];
    if (Array.isArray(x)) {
      if (stack.length >= Math.max(rank, 1)) throw new ProtocolError(400, `${where}: 'data' is nested deeper than the shape's ${rank} dimension(s)`);
      stack.push({ a: x, i: 0 });
    } else {
      if (out.length === count) throw new ProtocolError(400, `${where}: 'data' holds more than the ${count} element(s) the shape needs`);
      out.push(x);
    }
  }
  if (out.length !== count) throw new ProtocolError(400, `${where}: 'data' holds ${out.length} element(s), the shape needs ${count}`);
  return out;
}

/** A tensor from its binary form (the bytes are copied: the body's buffer is not kept). */
export function tensorFromBinary(type: DataType, shape: readonly number[], bytes: Uint8Array, where: string): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  if (type === 'string') {
    const out: string[] = [];
    const decoder = new TextDecoder();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at < bytes.length) {
      if (at + 4 > bytes.length) throw new ProtocolError(400, `${where}: BYTES element ${out.length} is cut short (its 4-byte length runs past binary_data_size)`);
      const n = view.getUint32(at, true);
      at += 4;
      if (at + n > bytes.length) throw new ProtocolError(400, `${where}: BYTES element ${out.length} claims ${n} bytes, past binary_data_size`);
      if (out.length === count) throw new ProtocolError(400, `${where}: binary data holds more than the ${count} element(s) the shape needs`);
      out.push(decoder.decode(bytes.subarray(at, at + n)));
      at += n;
    }
    if (out.length !== count) throw new ProtocolError(400, `${where}: binary data holds ${out.length} BYTES element(s), the shape needs ${count}`);
    return new Tensor('string', out, shape);
  }
  const size = ELEMENT_BYTES[type];
  if (size === undefined) throw new ProtocolError(400, `${where}: datatype ${type} is not served`);
  if (bytes.length !== count * size) {
    throw new ProtocolError(400, `${where}: binary_data_size is ${bytes.length} bytes, shape [${shape.join(', ')}] of ${protocolDataType(type)} needs ${count * size}`);
  }
  const copy = bytes.slice().buffer; // aligned, and owned by the tensor
  const data = type === 'bool' || type === 'uint8' ? new Uint8Array(copy)
    : type === 'int8' ? new Int8Array(copy)
    : type === 'uint16' || type === 'float16' || type === 'bfloat16' ? new Uint16Array(copy)
    : type === 'int16' ? new Int16Array(copy)
    : type === 'uint32' ? new Uint32Array(copy)
    : type === 'int32' ? new Int32Array(copy)
    : type === 'float32' ? new Float32Array(copy)
    : type === 'float64' ? new Float64Array(copy)
    : type === 'int64' ? new BigInt64Array(copy)
    : new BigUint64Array(copy);
  if (type === 'bool') {
    for (let i = 0; i < data.length; i++) if ((data as Uint8Array)[i]! > 1) throw new ProtocolError(400, `${where}: BOOL element ${i} is byte ${(data as Uint8Array)[i]}, not 0 or 1`);
  }
  return new Tensor(type, data as TensorData, shape);
}

/** A tensor's elements in binary form (little-endian, as typed arrays are on every host tessera runs on). */
export function tensorToBinary(t: Tensor): Uint8Array {
  const d = t.data;
  if (Array.isArray(d)) {
    const encoder = new TextEncoder();
    const parts = d.map((s) => encoder.encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
    const view = new DataView(out.buffer);
    let at = 0;
    for (const p of parts) {
      view.setUint32(at, p.length, true);
      out.set(p, at + 4);
      at += 4 + p.length;
    }
    return out;
  }
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * A tensor's elements as JSON text: numbers (64-bit integers written exactly, float16 decoded,
 * NaN and ±Infinity as null since JSON has no such numbers), booleans for BOOL, strings for BYTES.
 */
export function tensorToJsonText(t: Tensor): string {
  const d = t.data;
  if (Array.isArray(d)) return JSON.stringify(d);
  if (t.type === 'bool') return `[${Array.from(d as Uint8Array, (x) => (x ? 'true' : 'false')).join(',')}]`;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return `[${d.join(',')}]`;
  if (t.type === 'float16' || t.type === 'bfloat16') {
    const decode = t.type === 'float16' ? float16BitsToNumber : bfloat16BitsToNumber;
    return JSON.stringify(Array.from(d as Uint16Array, decode));
  }
  return JSON.stringify(Array.from(d as ArrayLike<number>));
}
