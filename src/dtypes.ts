// The element types a Tensor can hold and how each is stored.

import { ResourceLimitError } from './errors.js';

export type DataType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool' | 'string' | 'complex64' | 'complex128'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float8e8m0' | 'float4e2m1'
  | 'int4' | 'uint4' | 'int2' | 'uint2';

export type NumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array;
export type BigArray = BigInt64Array | BigUint64Array;
export type TensorData = NumericArray | BigArray | string[];

export interface DataTypeInfo {
  readonly name: DataType;
  /** ONNX TensorProto.DataType enum value. */
  readonly onnx: number;
  /** Typed array constructor holding the elements (null for string). */
  readonly array: { new (n: number): NumericArray | BigArray } | null;
  /** Typed-array slots per element (2 for complex). */
  readonly slots: number;
  /** Bytes per element in ONNX raw_data; fractional for 4- and 2-bit types. */
  readonly bytes: number;
}

const T = (name: DataType, onnx: number, array: DataTypeInfo['array'], bytes: number, slots = 1): DataTypeInfo =>
  Object.freeze({ name, onnx, array, slots, bytes });

export const DATA_TYPES: Readonly<Record<DataType, DataTypeInfo>> = Object.freeze({
  float32: T('float32', 1, Float32Array, 4),
  uint8: T('uint8', 2, Uint8Array, 1),
  int8: T('int8', 3, Int8Array, 1),
  uint16: T('uint16', 4, Uint16Array, 2),
  int16: T('int16', 5, Int16Array, 2),
  int32: T('int32', 6, Int32Array, 4),
  int64: T('int64', 7, BigInt64Array, 8),
  string: T('string', 8, null, 0),
  bool: T('bool', 9, Uint8Array, 1),
  float16: T('float16', 10, Uint16Array, 2),
  float64: T('float64', 11, Float64Array, 8),
  uint32: T('uint32', 12, Uint32Array, 4),
  uint64: T('uint64', 13, BigUint64Array, 8),
  complex64: T('complex64', 14, Float32Array, 8, 2),
  complex128: T('complex128', 15, Float64Array, 16, 2),
  bfloat16: T('bfloat16', 16, Uint16Array, 2),
  float8e4m3fn: T('float8e4m3fn', 17, Uint8Array, 1),
  float8e4m3fnuz: T('float8e4m3fnuz', 18, Uint8Array, 1),
  float8e5m2: T('float8e5m2', 19, Uint8Array, 1),
  float8e5m2fnuz: T('float8e5m2fnuz', 20, Uint8Array, 1),
  uint4: T('uint4', 21, Uint8Array, 0.5),
  int4: T('int4', 22, Int8Array, 0.5),
  float4e2m1: T('float4e2m1', 23, Uint8Array, 0.5),
  float8e8m0: T('float8e8m0', 24, Uint8Array, 1),
  uint2: T('uint2', 25, Uint8Array, 0.25),
  int2: T('int2', 26, Int8Array, 0.25),
});

const BY_ONNX = new Map<number, DataTypeInfo>(Object.values(DATA_TYPES).map((d) => [d.onnx, d]));

export function dataTypeFromOnnx(code: number): DataType | undefined {
  return BY_ONNX.get(code)?.name;
}

export function isDataType(x: unknown): x is DataType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DATA_TYPES, x);
}

/** Types whose values are plain JS numbers when read from `data` (includes bool and the small types). */
export function isNumberBacked(t: DataType): boolean {
  return t !== 'int64' && t !== 'uint64' && t !== 'string';
}
export function isBigIntType(t: DataType): t is 'int64' | 'uint64' {
  return t === 'int64' || t === 'uint64';
}
export function isFloatType(t: DataType): boolean {
  return t === 'float32' || t === 'float64' || t === 'float16' || t === 'bfloat16';
}
export function isIntegerType(t: DataType): boolean {
  return t === 'int8' || t === 'uint8' || t === 'int16' || t === 'uint16' || t === 'int32' ||
    t === 'uint32' || t === 'int64' || t === 'uint64';
}
/** float16/bfloat16: stored as bit patterns, computed in float32. */
export function isHalfType(t: DataType): t is 'float16' | 'bfloat16' {
  return t === 'float16' || t === 'bfloat16';
}

/** Beyond this many elements no typed array can be made at all (V8's limit): refused even outside a run. */
export const MAX_ALLOCATION_ELEMENTS = 2 ** 32;

// The backstop for kernels whose output size shape inference could not predict: while a session
// runs (synchronously), allocations are capped by its limits.maxTensorElements; nested runs
// restore the outer cap when they finish.
let elementCap = MAX_ALLOCATION_ELEMENTS;

/** Runs `fn` with allocations capped at `cap` elements (the running session's maxTensorElements). */
export function withElementCap<T>(cap: number, fn: () => T): T {
  const outer = elementCap;
  elementCap = Math.min(cap, MAX_ALLOCATION_ELEMENTS);
  try {
    return fn();
  } finally {
    elementCap = outer;
  }
}

/** Throws ResourceLimitError when `n` elements is more than one allocation may hold now. */
export function checkAllocation(n: number, where: () => string): void {
  if (n > elementCap) {
    throw new ResourceLimitError(
      `${where()}: ${n} elements exceeds the limit maxTensorElements = ${elementCap}`, 'maxTensorElements', n, elementCap,
    );
  }
}

/**
 * Where a run's numeric storage comes from (the session's activation arena, src/runtime/arena.ts):
 * a zeroed array of exactly `length` elements, new or reused.
 */
export interface StoragePool {
  /** `zeroed` false: the caller writes every element, so a reused array need not be cleared. */
  take(ctor: new (n: number) => Exclude<TensorData, string[]>, length: number, bytesPerElement: number, zeroed: boolean): Exclude<TensorData, string[]>;
}

let storagePool: StoragePool | undefined;

/** Runs `fn` with allocate() (and ops' allocFloat) drawing from `pool`; synchronous, like withElementCap. */
export function withStoragePool<T>(pool: StoragePool | undefined, fn: () => T): T {
  const outer = storagePool;
  storagePool = pool;
  try {
    return fn();
  } finally {
    storagePool = outer;
  }
}

/**
 * A typed array of `length` elements from the current pool, or a new one when none is set. Zeroed
 * unless `zeroed` is false, which promises that the caller writes every element before reading any
 * (a reused array then keeps its old contents until overwritten: clearing it would cost a pass).
 */
export function newArray<A extends Exclude<TensorData, string[]>>(
  ctor: new (n: number) => A, length: number, bytesPerElement: number, zeroed = true,
): A {
  return storagePool ? storagePool.take(ctor, length, bytesPerElement, zeroed) as A : new ctor(length);
}

/** Allocates storage for `n` elements of type `t`; refuses counts over the cap with ResourceLimitError. */
export function allocate(t: DataType, n: number): TensorData {
  checkAllocation(n, () => `allocating ${t}`);
  const info = DATA_TYPES[t];
  // A string element is a JS value on the heap (8 bytes and up, against 1-8 for numbers) and the
  // heap is smaller than the memory typed arrays may use: strings get 1/16 of the element cap.
  if (!info.array && n > elementCap / 16) {
    throw new ResourceLimitError(
      `allocating string: ${n} elements exceeds maxTensorElements / 16 = ${Math.floor(elementCap / 16)} (strings live on the JS heap)`,
      'maxTensorElements', n, Math.floor(elementCap / 16),
    );
  }
  try {
    if (!info.array) return new Array<string>(n).fill('');
    return newArray(info.array as new (n: number) => Exclude<TensorData, string[]>, n * info.slots, info.bytes / info.slots);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const bytes = n * info.bytes;
    throw new ResourceLimitError(`allocating ${n} elements of ${t} (${bytes} bytes) failed: ${e.message}`, 'maxMemoryBytes', bytes);
  }
}
