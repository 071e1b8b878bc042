// PyTorch type promotion (c10 promoteTypes and at::native::result_type): dimensioned
// tensors outrank zero-dim tensors, which outrank Python scalars ("wrapped numbers"),
// unless a lower-priority operand belongs to a higher category (bool < int < float).
// A float scalar with an int tensor gives the default float dtype (float32).

import type { DataType } from '../../src/dtypes.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { TsValue } from './aten-op.js';
import { type Scalar, isIntegral, isScalar } from './args.js';
import { onnx1 } from './onnx-bridge.js';

type Category = 0 | 1 | 2; // bool, integral, floating

function category(t: DataType): Category {
  if (t === 'bool') return 0;
  if (isIntegral(t)) return 1;
  if (t === 'float32' || t === 'float64' || t === 'float16' || t === 'bfloat16') return 2;
  throw new InvalidNodeError(`type promotion: unsupported element type ${t}`);
}

const INT_RANK: Partial<Record<DataType, number>> = { uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4 };
const FLOAT_RANK: Partial<Record<DataType, number>> = { float16: 0, bfloat16: 0, float32: 1, float64: 2 };

/** c10::promoteTypes for bool, integral and floating types. */
export function promoteTypes(a: DataType, b: DataType): DataType {
  if (a === b) return a;
  const ca = category(a);
  const cb = category(b);
  if (ca !== cb) {
    if (ca === 0) return b;
    if (cb === 0) return a;
    return ca === 2 ? a : b; // int with float: the float
  }
  if (ca === 2) {
    if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
    return FLOAT_RANK[a]! >= FLOAT_RANK[b]! ? a : b;
  }
  if ((a === 'uint8' && b === 'int8') || (a === 'int8' && b === 'uint8')) return 'int16';
  const ra = INT_RANK[a];
  const rb = INT_RANK[b];
  if (ra === undefined || rb === undefined) throw new InvalidNodeError(`type promotion: ${a} with ${b} is not supported`);
  return ra >= rb ? a : b;
}

/** The dtype a Python scalar takes as a wrapped number: bool, int64 or the default float32. */
export function scalarType(s: Scalar): DataType {
  return typeof s === 'boolean' ? 'bool' : typeof s === 'bigint' ? 'int64' : 'float32';
}

function combine(higher: DataType | null, lower: DataType | null): DataType | null {
  if (higher === null) return lower;
  if (lower === null) return higher;
  const ch = category(higher);
  if (ch === 2) return higher;
  if (ch === 0 || category(lower) === 2) return promoteTypes(higher, lower);
  return higher;
}

/** at::result_type over tensors and scalars. */
export function resultType(operands: readonly (Tensor | Scalar)[]): DataType {
  let dim: DataType | null = null;
  let zero: DataType | null = null;
  let wrapped: DataType | null = null;
  for (const o of operands) {
    if (o instanceof Tensor) {
      if (o.rank > 0) dim = dim === null ? o.type : promoteTypes(dim, o.type);
      else zero = zero === null ? o.type : promoteTypes(zero, o.type);
    } else {
      const t = scalarType(o);
      wrapped = wrapped === null ? t : promoteTypes(wrapped, t);
    }
  }
  const r = combine(dim, combine(zero, wrapped));
  if (r === null) throw new InvalidNodeError('type promotion: no operands');
  return r;
}

/** Converts `t` to `type` (the same tensor when it already is). */
export function castTo(t: Tensor, type: DataType): Tensor {
  if (t.type === type) return t;
  return onnx1('Cast', [t], { to: onnxCode(type) });
}

const ONNX_CODES: Partial<Record<DataType, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10,
  float64: 11, uint32: 12, uint64: 13, bfloat16: 16,
};

export function onnxCode(type: DataType): number {
  const c = ONNX_CODES[type];
  if (c === undefined) throw new InvalidNodeError(`no ONNX cast target for ${type}`);
  return c;
}

/** A zero-dim tensor of `type` holding scalar `s` (converted as a C cast would). */
export function scalarTensor(s: Scalar, type: DataType): Tensor {
  const v = typeof s === 'boolean' ? (s ? 1 : 0) : s;
  if (type === 'int64' || type === 'uint64') {
    const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number.isFinite(v) ? v : 0));
    return new Tensor(type, type === 'int64' ? BigInt64Array.of(BigInt.asIntN(64, b)) : BigUint64Array.of(BigInt.asUintN(64, b)), []);
  }
  if (type === 'bool') return new Tensor('bool', Uint8Array.of(Number(v) !== 0 ? 1 : 0), []);
  const n = Number(v);
  if (type === 'float16' || type === 'bfloat16') return castTo(new Tensor('float32', Float32Array.of(n), []), type);
  return new Tensor(type, [isIntegral(type) ? Math.trunc(n) : n], []);
}

/** An operand as a tensor of `type` (scalars become zero-dim tensors). */
export function operand(v: Tensor | Scalar, type: DataType): Tensor {
  return v instanceof Tensor ? castTo(v, type) : scalarTensor(v, type);
}

/** A Tensor or Scalar argument. */
export function tensorOrScalar(v: TsValue, op: string, name: string): Tensor | Scalar {
  if (v instanceof Tensor || isScalar(v)) return v;
  throw new InvalidNodeError(`${op}: argument '${name}' must be a Tensor or a number, got ${String(v)}`);
}

export function isFloating(t: DataType): boolean {
  return t === 'float32' || t === 'float64' || t === 'float16' || t === 'bfloat16';
}
