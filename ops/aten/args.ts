// Reading aten arguments: TorchScript values (bigint ints, number floats, Tensor, lists)
// into the JS numbers, tensors and dtypes aten ops compute with; torch ScalarType codes.

import type { DataType } from '../../src/dtypes.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { TsDtype, type TsValue } from './aten-op.js';

/** torch ScalarType codes (c10/core/ScalarType.h) and the tessera type each one stores as. */
const SCALAR_TYPES: ReadonlyArray<[number, DataType]> = [
  [0, 'uint8'], [1, 'int8'], [2, 'int16'], [3, 'int32'], [4, 'int64'], [5, 'float16'], [6, 'float32'],
  [7, 'float64'], [9, 'complex64'], [10, 'complex128'], [11, 'bool'], [15, 'bfloat16'],
];
const BY_CODE = new Map(SCALAR_TYPES);
const BY_TYPE = new Map(SCALAR_TYPES.map(([c, t]) => [t, c]));

/** The torch ScalarType code of a tessera type (for aten::dtype / prim::dtype results). */
export function scalarTypeCode(t: DataType): number {
  const c = BY_TYPE.get(t);
  if (c === undefined) throw new InvalidNodeError(`the element type ${t} has no torch dtype`);
  return c;
}

/** A ScalarType argument (an int code, as TorchScript passes dtypes, or a TsDtype). */
export function dtypeArg(v: TsValue, op: string): DataType {
  if (v instanceof TsDtype) {
    const t = BY_CODE.get(v.code);
    if (t !== undefined) return t;
  } else if (typeof v === 'bigint' || typeof v === 'number') {
    const t = BY_CODE.get(Number(v));
    if (t !== undefined) return t;
  }
  throw new InvalidNodeError(`${op}: unsupported dtype ${String(v)}`);
}

/** An optional ScalarType argument. */
export function optDtype(v: TsValue, op: string): DataType | null {
  return v === null ? null : dtypeArg(v, op);
}

export function tensorArg(v: TsValue, op: string, name = 'self'): Tensor {
  if (v instanceof Tensor) return v;
  throw new InvalidNodeError(`${op}: argument '${name}' must be a Tensor, got ${describe(v)}`);
}

export function optTensor(v: TsValue, op: string, name: string): Tensor | null {
  return v === null ? null : tensorArg(v, op, name);
}

export function tensorList(v: TsValue, op: string, name = 'tensors'): Tensor[] {
  if (Array.isArray(v) && v.every((t) => t instanceof Tensor)) return v as Tensor[];
  throw new InvalidNodeError(`${op}: argument '${name}' must be a list of Tensors, got ${describe(v)}`);
}

/** An int argument (a bigint; a JS number that is an integer is accepted too). */
export function intArg(v: TsValue, op: string, name: string): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new InvalidNodeError(`${op}: argument '${name}' must be an int, got ${describe(v)}`);
}

export function optInt(v: TsValue, op: string, name: string): number | null {
  return v === null ? null : intArg(v, op, name);
}

export function floatArg(v: TsValue, op: string, name: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new InvalidNodeError(`${op}: argument '${name}' must be a float, got ${describe(v)}`);
}

export function optFloat(v: TsValue, op: string, name: string): number | null {
  return v === null ? null : floatArg(v, op, name);
}

export function boolArg(v: TsValue, op: string, name: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint' || typeof v === 'number') return v !== 0 && v !== 0n;
  throw new InvalidNodeError(`${op}: argument '${name}' must be a bool, got ${describe(v)}`);
}

export function strArg(v: TsValue, op: string, name: string): string {
  if (typeof v === 'string') return v;
  throw new InvalidNodeError(`${op}: argument '${name}' must be a str, got ${describe(v)}`);
}

/**
 * An int[N] argument: a list, or a single int repeated N times (PyTorch's `int[2] stride=1`
 * accepts both). `n` = 0 takes any length.
 */
export function intList(v: TsValue, op: string, name: string, n = 0): number[] {
  if (Array.isArray(v)) {
    const out = v.map((x) => intArg(x, op, name));
    if (n > 0 && out.length === 1) return new Array<number>(n).fill(out[0]!);
    if (n > 0 && out.length !== n) {
      throw new InvalidNodeError(`${op}: argument '${name}' needs ${n} values, got [${out.join(', ')}]`);
    }
    return out;
  }
  if (v instanceof Tensor && v.rank <= 1) return v.toNumbers();
  const one = intArg(v, op, name);
  return new Array<number>(Math.max(n, 1)).fill(one);
}

export function optIntList(v: TsValue, op: string, name: string, n = 0): number[] | null {
  return v === null ? null : intList(v, op, name, n);
}

export function floatList(v: TsValue, op: string, name: string): number[] {
  if (Array.isArray(v)) return v.map((x) => floatArg(x, op, name));
  return [floatArg(v, op, name)];
}

/** A Scalar argument: int (bigint), float (number) or bool. */
export type Scalar = bigint | number | boolean;

export function isScalar(v: TsValue): v is Scalar {
  return typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
}

export function scalarArg(v: TsValue, op: string, name: string): Scalar {
  if (isScalar(v)) return v;
  if (v instanceof Tensor && v.size === 1) return tensorItem(v);
  throw new InvalidNodeError(`${op}: argument '${name}' must be a Scalar, got ${describe(v)}`);
}

/** The one element of a tensor as a TorchScript scalar (int tensors give bigint). */
export function tensorItem(t: Tensor): Scalar {
  if (t.size !== 1) throw new InvalidNodeError(`a Tensor with ${t.size} elements cannot be converted to a Scalar`);
  if (t.type === 'bool') return (t.data as Uint8Array)[0] !== 0;
  if (t.type === 'int64' || t.type === 'uint64') return BigInt((t.data as BigInt64Array)[0]!);
  const n = t.toNumbers()[0]!;
  return isIntegral(t.type) ? BigInt(n) : n;
}

export function isIntegral(t: DataType): boolean {
  return t === 'uint8' || t === 'int8' || t === 'int16' || t === 'int32' || t === 'int64'
    || t === 'uint16' || t === 'uint32' || t === 'uint64';
}

/** Normalises a possibly negative dim against `rank` (PyTorch wraps rank 0 as rank 1). */
export function dimArg(d: number, rank: number, op: string): number {
  const r = Math.max(rank, 1);
  if (d < -r || d >= r) throw new InvalidNodeError(`${op}: dim ${d} out of range [${-r}, ${r - 1}]`);
  return d < 0 ? d + r : d;
}

export function describe(v: TsValue): string {
  if (v === null) return 'None';
  if (v instanceof Tensor) return `Tensor(${v.type}, [${v.dims.join(', ')}])`;
  if (typeof v === 'bigint') return `int ${v}`;
  if (typeof v === 'number') return `float ${v}`;
  if (Array.isArray(v)) return `list of ${v.length}`;
  return typeof v === 'object' ? (v as object).constructor.name : `${typeof v} ${String(v)}`;
}
