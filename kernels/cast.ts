// Element type conversion between every storage type a tensor can have (complex excepted).
// Numbers go through the plain JS value of each element: integers truncate toward zero and
// wrap modulo 2^bits as C casts do on common hardware; floats round to nearest even; bool is
// x != 0 (NaN is true). float8/float4 follow the ONNX Cast tables (see float8.ts).
// Strings parse as decimal/scientific numbers with INF/-INF/NaN literals (case-insensitive).

import { float32ToBfloat16, float32ToFloat16, bfloat16ToFloat32, float16ToFloat32 } from './float16.js';
import {
  BFLOAT16, FLOAT16, FLOAT4E2M1, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ,
  type E8M0RoundMode, type MinifloatFormat, e8m0ToFloat, floatToE8M0, floatToMinifloat, minifloatToFloat,
} from './float8.js';

/** The element types Cast handles; the names are tessera's DataType names. */
export type CastType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool' | 'string'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float8e8m0' | 'float4e2m1'
  | 'int4' | 'uint4' | 'int2' | 'uint2';

export type PlainArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
export type CastData = PlainArray | BigInt64Array | BigUint64Array | string[];

export interface CastOptions {
  /** Clamp out-of-range values to ±max for float8 targets (ONNX `saturate`). */
  readonly saturate: boolean;
  /** Rounding for float8e8m0 targets (ONNX `round_mode`). */
  readonly roundMode: E8M0RoundMode;
}

const MINIFLOATS: Partial<Record<CastType, MinifloatFormat>> = {
  float8e4m3fn: FLOAT8E4M3FN,
  float8e4m3fnuz: FLOAT8E4M3FNUZ,
  float8e5m2: FLOAT8E5M2,
  float8e5m2fnuz: FLOAT8E5M2FNUZ,
  float4e2m1: FLOAT4E2M1,
};

/** Bit width of the sub-byte integer types. */
const SMALL_INT_BITS: Partial<Record<CastType, number>> = { int4: 4, uint4: 4, int2: 2, uint2: 2 };

function isBig(t: CastType): t is 'int64' | 'uint64' {
  return t === 'int64' || t === 'uint64';
}

/** Types whose slots hold the element's value directly as a JS number. */
function isPlain(t: CastType): boolean {
  return t !== 'string' && !isBig(t) && t !== 'float16' && t !== 'bfloat16' && t !== 'float8e8m0' &&
    MINIFLOATS[t] === undefined;
}

/**
 * Converts `src` (elements of `srcType`) into the caller-allocated `dst` (elements of `dstType`),
 * both stored as tessera stores them.
 */
export function castElements(
  src: CastData, srcType: CastType, dst: CastData, dstType: CastType, options: CastOptions,
): void {
  const n = src.length;
  if (dst.length !== n) throw new RangeError(`castElements: ${n} source vs ${dst.length} destination elements`);
  if (srcType === dstType) {
    if (Array.isArray(src)) for (let i = 0; i < n; i++) (dst as string[])[i] = src[i]!;
    else (dst as PlainArray).set(src as PlainArray);
    return;
  }
  if (dstType === 'string') {
    toStrings(src, srcType, dst as string[]);
    return;
  }
  if (srcType === 'string') {
    if (isBig(dstType)) {
      stringsToBigInts(src as string[], dst as BigInt64Array | BigUint64Array);
      return;
    }
    const values = new Float64Array(n);
    parseNumbers(src as string[], values);
    fromNumbers(values, dst as PlainArray, dstType, options);
    return;
  }
  if (isBig(srcType)) {
    fromBigInts(src as BigInt64Array | BigUint64Array, dst, dstType, options);
    return;
  }
  const values = toNumbers(src as PlainArray, srcType);
  if (isBig(dstType)) numbersToBigInts(values, dst as BigInt64Array | BigUint64Array);
  else fromNumbers(values, dst as PlainArray, dstType, options);
}

/** The elements as plain numbers: the array itself for plain types, a decoded copy otherwise. */
function toNumbers(src: PlainArray, srcType: CastType): PlainArray {
  if (isPlain(srcType)) return src;
  const out = new Float32Array(src.length);
  if (srcType === 'float16') float16ToFloat32(src as Uint16Array, out);
  else if (srcType === 'bfloat16') bfloat16ToFloat32(src as Uint16Array, out);
  else if (srcType === 'float8e8m0') e8m0ToFloat(src as Uint8Array, out);
  else minifloatToFloat(src as Uint8Array, MINIFLOATS[srcType]!, out);
  return out;
}

/** Stores plain numbers into any non-BigInt, non-string destination type. */
function fromNumbers(src: PlainArray, dst: PlainArray, dstType: CastType, options: CastOptions): void {
  const n = src.length;
  const bits = SMALL_INT_BITS[dstType];
  if (bits !== undefined) {
    const shift = 32 - bits;
    const mask = (1 << bits) - 1;
    if (dstType === 'int4' || dstType === 'int2') {
      for (let i = 0; i < n; i++) dst[i] = ((src[i]! | 0) << shift) >> shift;
    } else {
      for (let i = 0; i < n; i++) dst[i] = (src[i]! | 0) & mask;
    }
    return;
  }
  switch (dstType) {
    case 'bool':
      for (let i = 0; i < n; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      return;
    case 'float16':
      if (src instanceof Float32Array) float32ToFloat16(src, dst as Uint16Array);
      else floatToMinifloat(src, FLOAT16, false, dst as Uint16Array);
      return;
    case 'bfloat16':
      if (src instanceof Float32Array) float32ToBfloat16(src, dst as Uint16Array);
      else floatToMinifloat(src, BFLOAT16, false, dst as Uint16Array);
      return;
    case 'float8e8m0':
      floatToE8M0(src, options.roundMode, options.saturate, dst as Uint8Array);
      return;
    default: {
      const fmt = MINIFLOATS[dstType];
      if (fmt) floatToMinifloat(src, fmt, options.saturate, dst as Uint8Array);
      else dst.set(src); // typed-array stores truncate toward zero and wrap, as C casts do
    }
  }
}

const INT64_MIN = -(2n ** 63n);

/** float/int numbers -> int64/uint64: truncation, wrapping modulo 2^64; NaN/±Inf -> INT64_MIN bits. */
function numbersToBigInts(src: PlainArray, dst: BigInt64Array | BigUint64Array): void {
  const unsigned = dst instanceof BigUint64Array;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    const b = Number.isFinite(v) ? BigInt(Math.trunc(v)) : INT64_MIN;
    dst[i] = unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
  }
}

function fromBigInts(src: BigInt64Array | BigUint64Array, dst: CastData, dstType: CastType, options: CastOptions): void {
  const n = src.length;
  if (dst instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) dst[i] = BigInt.asIntN(64, src[i]!);
    return;
  }
  if (dst instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) dst[i] = BigInt.asUintN(64, src[i]!);
    return;
  }
  const out = dst as PlainArray;
  if (dstType === 'bool') {
    for (let i = 0; i < n; i++) out[i] = src[i] !== 0n ? 1 : 0;
    return;
  }
  const isIntTarget = dstType.startsWith('int') || dstType.startsWith('uint');
  const values = new Float64Array(n);
  if (isIntTarget) {
    // Keep the low 32 bits exactly; the store then wraps to the target width.
    for (let i = 0; i < n; i++) values[i] = Number(BigInt.asIntN(32, src[i]!));
  } else {
    for (let i = 0; i < n; i++) values[i] = Number(src[i]!);
  }
  fromNumbers(values, out, dstType, options);
}

/** Parses ONNX numeric strings: decimal or scientific, INF/+INF/-INF/NaN in any case. */
export function parseNumber(s: string): number {
  const t = s.trim();
  const lower = t.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return NaN;
  if (lower === 'true') return 1;
  if (lower === 'false') return 0;
  if (t === '') return NaN;
  const v = Number(t);
  return Number.isNaN(v) ? parseFloat(t) : v;
}

function parseNumbers(src: string[], dst: Float64Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = parseNumber(src[i]!);
}

const INTEGER_LITERAL = /^[+-]?\d+$/;

function stringsToBigInts(src: string[], dst: BigInt64Array | BigUint64Array): void {
  const unsigned = dst instanceof BigUint64Array;
  for (let i = 0; i < src.length; i++) {
    const t = src[i]!.trim();
    let b: bigint;
    if (INTEGER_LITERAL.test(t)) b = BigInt(t);
    else {
      const v = parseNumber(t);
      b = Number.isFinite(v) ? BigInt(Math.trunc(v)) : INT64_MIN;
    }
    dst[i] = unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
  }
}

const f32 = new Float32Array(1);

/** Shortest decimal that reads back as the same float32. */
function float32String(v: number): string {
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    f32[0] = Number(s);
    if (f32[0] === v) return String(Number(s));
  }
  return String(v);
}

/** Numbers as strings: plain decimal notation, INF / -INF / NaN for the special values. */
function numberString(v: number, single: boolean): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  return single ? float32String(v) : String(v);
}

function toStrings(src: CastData, srcType: CastType, dst: string[]): void {
  const n = src.length;
  if (srcType === 'bool') {
    for (let i = 0; i < n; i++) dst[i] = src[i] ? '1' : '0';
    return;
  }
  if (isBig(srcType)) {
    for (let i = 0; i < n; i++) dst[i] = String(src[i]);
    return;
  }
  const values = toNumbers(src as PlainArray, srcType);
  const single = srcType !== 'float64';
  for (let i = 0; i < n; i++) dst[i] = numberString(values[i]!, single);
}
