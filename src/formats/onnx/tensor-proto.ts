// TensorProto -> Tensor, for every encoding: raw_data (little-endian), typed fields
// (packed or not), packed 4- and 2-bit types, external data, sparse tensors.

import { shapeSize } from '../../../kernels/strides.js';
import { DATA_TYPES, type DataType, dataTypeFromOnnx } from '../../dtypes.js';
import { ModelFormatError, ResourceLimitError } from '../../errors.js';
import type { SparseTensorValue } from '../../ir/graph.js';
import { Tensor } from '../../tensor.js';
import type { Msg } from './wire.js';

/**
 * The bytes of one tensor's external data: exactly `length` bytes of the file `location` names,
 * from `offset` (the loader has read and range-checked them before conversion).
 */
export type ExternalBytes = (location: string, offset: number, length: number) => Uint8Array;

/** Where a TensorProto's external bytes are; `length` is what its type and dims need. */
export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

const textDecoder = new TextDecoder('utf-8');

export function dimsOf(list: unknown, part: string): number[] {
  const raw = (list as bigint[] | undefined) ?? [];
  return raw.map((d) => {
    if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFormatError(`${part}: invalid dimension ${d}`);
    return Number(d);
  });
}

export function tensorFromProto(msg: Msg, part: string, external?: ExternalBytes, maxElements = 2 ** 31): Tensor {
  const name = (msg.name as string | undefined) ?? '';
  const where = name ? `${part} tensor '${name}'` : `${part} tensor`;
  const code = (msg.data_type as number | undefined) ?? 0;
  const type = dataTypeFromOnnx(code);
  if (!type) throw new ModelFormatError(`${where}: unknown data_type ${code}`);
  if (msg.segment) throw new ModelFormatError(`${where}: segmented tensors are not supported`);
  const dims = dimsOf(msg.dims, where);
  const n = shapeSize(dims);
  if (n > maxElements) {
    throw new ResourceLimitError(`${where}: ${n} elements exceeds the limit maxTensorElements = ${maxElements}`, 'maxTensorElements', n, maxElements);
  }

  if (msg.data_location === 1) {
    if (!external) throw new ModelFormatError(`${where}: uses external data but no external data was provided`);
    const ref = externalRef(msg, where);
    return fromRaw(type, external(ref.location, ref.offset, ref.length), dims, n, where);
  }
  if (msg.raw_data !== undefined) return fromRaw(type, msg.raw_data as Uint8Array, dims, n, where);
  return fromTyped(type, msg, dims, n, where);
}

export function externalEntries(msg: Msg): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of (msg.external_data as Msg[] | undefined) ?? []) out.set(String(e.key ?? ''), String(e.value ?? ''));
  return out;
}

/**
 * The location, offset and length of a tensor's external data. The length is what the tensor's
 * type and dims need; a declared `length` must agree with it, so no more is ever read.
 */
export function externalRef(msg: Msg, where: string): ExternalRef {
  const entries = externalEntries(msg);
  const location = entries.get('location');
  if (!location) throw new ModelFormatError(`${where}: external data without a location`);
  const type = dataTypeFromOnnx((msg.data_type as number | undefined) ?? 0);
  if (!type || type === 'string') throw new ModelFormatError(`${where}: external data needs a numeric data_type`);
  const dims = dimsOf(msg.dims, where);
  const need = Math.ceil(shapeSize(dims) * DATA_TYPES[type].bytes);
  const count = (key: string): number | undefined => {
    const v = entries.get(key);
    if (v === undefined) return undefined;
    const n = /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw new ModelFormatError(`${where}: external data ${key} '${v}' is not a byte count`);
    return n;
  };
  const offset = count('offset') ?? 0;
  const length = count('length');
  if (length !== undefined && length !== need) {
    throw new ModelFormatError(
      `${where}: ${type}[${dims.join(', ')}] needs ${need} bytes but its external data declares length ${length} in '${location}'`,
    );
  }
  return { location, offset, length: need };
}

function fromRaw(type: DataType, raw: Uint8Array, dims: number[], n: number, where: string): Tensor {
  const info = DATA_TYPES[type];
  if (type === 'string') throw new ModelFormatError(`${where}: string tensors cannot use raw_data`);
  const need = Math.ceil(n * info.bytes);
  if (raw.length !== need) {
    throw new ModelFormatError(
      `${where}: ${type}[${dims.join(', ')}] needs ${need} bytes of data but has ${raw.length}`,
    );
  }
  if (info.bytes < 1) return new Tensor(type, unpackSubByte(type, raw, n), dims);
  // Copy into aligned storage (the file offset may be unaligned). Little-endian, as ONNX specifies.
  const copy = new Uint8Array(need);
  copy.set(raw);
  const Ctor = info.array!;
  const data = new (Ctor as unknown as new (b: ArrayBuffer, o: number, l: number) => Tensor['data'])(
    copy.buffer, 0, n * info.slots,
  );
  return new Tensor(type, data, dims);
}

/** 4-bit types hold two elements per byte (low nibble first); 2-bit types four. */
function unpackSubByte(type: DataType, raw: Uint8Array, n: number): Int8Array | Uint8Array {
  const bits = DATA_TYPES[type].bytes === 0.5 ? 4 : 2;
  const signed = type === 'int4' || type === 'int2';
  const out = signed ? new Int8Array(n) : new Uint8Array(n);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < n; i++) {
    let v = (raw[(i / per) | 0]! >> ((i % per) * bits)) & mask;
    if (signed && v >= 1 << (bits - 1)) v -= 1 << bits;
    out[i] = v;
  }
  return out;
}

function typedField(type: DataType): string {
  switch (type) {
    case 'float32': case 'complex64': return 'float_data';
    case 'float64': case 'complex128': return 'double_data';
    case 'int64': return 'int64_data';
    case 'uint32': case 'uint64': return 'uint64_data';
    case 'string': return 'string_data';
    default: return 'int32_data';
  }
}

function fromTyped(type: DataType, msg: Msg, dims: number[], n: number, where: string): Tensor {
  const field = typedField(type);
  const values = (msg[field] as unknown[] | undefined) ?? [];
  const info = DATA_TYPES[type];
  if (type === 'string') {
    if (values.length !== n) throw new ModelFormatError(`${where}: needs ${n} strings, has ${values.length}`);
    return new Tensor('string', (values as Uint8Array[]).map((b) => textDecoder.decode(b)), dims);
  }
  if (info.bytes < 1) {
    // Packed bytes, one per int32_data entry.
    const need = Math.ceil(n * info.bytes);
    if (values.length !== need) throw new ModelFormatError(`${where}: needs ${need} packed values, has ${values.length}`);
    return new Tensor(type, unpackSubByte(type, Uint8Array.from(values as number[]), n), dims);
  }
  const slots = n * info.slots;
  if (values.length !== slots) {
    throw new ModelFormatError(`${where}: ${type}[${dims.join(', ')}] needs ${slots} values in ${field}, has ${values.length}`);
  }
  const data = new info.array!(slots);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < slots; i++) data[i] = values[i] as bigint;
  } else {
    for (let i = 0; i < slots; i++) data[i] = Number(values[i]);
  }
  return new Tensor(type, data, dims);
}

export function sparseFromProto(msg: Msg, part: string, external?: ExternalBytes, maxElements = 2 ** 31): SparseTensorValue {
  if (!msg.values || !msg.indices) throw new ModelFormatError(`${part}: sparse tensor without values or indices`);
  const dims = dimsOf(msg.dims, part);
  const n = shapeSize(dims);
  if (n > maxElements) {
    throw new ResourceLimitError(`${part}: dense size ${n} elements exceeds the limit maxTensorElements = ${maxElements}`, 'maxTensorElements', n, maxElements);
  }
  const values = tensorFromProto(msg.values as Msg, `${part} sparse values`, external, maxElements);
  const indices = tensorFromProto(msg.indices as Msg, `${part} sparse indices`, external, maxElements);
  return { values, indices, dims };
}

export { densify } from '../../ir/sparse.js';
