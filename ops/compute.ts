// Moving tensor data in and out of the array types kernels compute in.
// float16 / bfloat16 are computed in float32 and rounded back on output.

import {
  bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16,
} from '../kernels/float16.js';
import { type DataType, newArray } from '../src/dtypes.js';
import { InvalidNodeError } from '../src/errors.js';
import { Tensor } from '../src/tensor.js';
import type { FloatArray } from '../kernels/arrays.js';
export type { FloatArray };

/** The float data of a float tensor: a view for float32/float64, a converted copy for halves. */
export function floatData(t: Tensor): FloatArray {
  switch (t.type) {
    case 'float32': return t.data as Float32Array;
    case 'float64': return t.data as Float64Array;
    case 'float16': {
      const out = new Float32Array(t.size);
      float16ToFloat32(t.data as Uint16Array, out);
      return out;
    }
    case 'bfloat16': {
      const out = new Float32Array(t.size);
      bfloat16ToFloat32(t.data as Uint16Array, out);
      return out;
    }
    default:
      throw new InvalidNodeError(`expected a float tensor, got ${t.type}`);
  }
}

/** A float array of the compute type for `type` (Float64Array for float64, else Float32Array). */
export function allocFloat(type: DataType, n: number): FloatArray {
  return type === 'float64' ? newArray(Float64Array, n, 8) : newArray(Float32Array, n, 4);
}

/**
 * allocFloat for an output the caller's kernel writes completely (every element stored before any
 * is read): inside a run the arena may hand back a used array without clearing it.
 */
export function allocFloatOut(type: DataType, n: number): FloatArray {
  return type === 'float64' ? newArray(Float64Array, n, 8, false) : newArray(Float32Array, n, 4, false);
}

/** Wraps computed float data as a tensor of `type`, rounding to half precision when needed. */
export function floatTensor(type: DataType, data: FloatArray, dims: readonly number[]): Tensor {
  if (type === 'float16') {
    const out = new Uint16Array(data.length);
    float32ToFloat16(data, out);
    return new Tensor('float16', out, dims);
  }
  if (type === 'bfloat16') {
    const out = new Uint16Array(data.length);
    float32ToBfloat16(data, out);
    return new Tensor('bfloat16', out, dims);
  }
  if (type === 'float64') {
    return new Tensor('float64', data instanceof Float64Array ? data : Float64Array.from(data), dims);
  }
  return new Tensor('float32', data instanceof Float32Array ? data : Float32Array.from(data), dims);
}

/** Integer-valued tensor (any int type, int64 included) as JS numbers: shapes, axes, indices. */
export function intValues(t: Tensor): number[] {
  return t.toNumbers();
}

/** A 1-D int64 tensor from JS numbers. */
export function int64Tensor(values: readonly number[], dims: readonly number[] = [values.length]): Tensor {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]!);
  return new Tensor('int64', out, dims);
}

/** Input `index`, which the op requires: a model may leave any input out. */
export function requiredInput(x: Tensor | undefined, op: string, index = 0): Tensor {
  if (!x) throw new InvalidNodeError(`${op}: input ${index} is required`);
  return x;
}
