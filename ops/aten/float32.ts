// The float32 paths of the aten ops TorchScript models call most (arithmetic, activations,
// softmax, masked_fill): the kernel called directly, without composing an ONNX op through the
// bridge. Each output's size is checked against limits.maxTensorElements before it is
// allocated, and errors name the aten op. Ops take these paths only for float32 operands they
// fully handle; anything else (other types, promotion) stays on the ONNX composition.

import { broadcastShapes } from '../../kernels/broadcast.js';
import { type BroadcastPlan, broadcastPlan } from '../../kernels/elementwise-binary-plan.js';
import { type FloatBinaryOp, binaryFloat } from '../../kernels/elementwise-binary.js';
import { whereKernel } from '../../kernels/elementwise-binary-where.js';
import { ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { checkTensorElements } from './budget.js';
import type { Scalar } from './args.js';
import { resultType } from './promote.js';
import { newF32 } from './slabs.js';

const fmt = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

/** A zeroed float32 array for an output of `dims`, refused over maxTensorElements first. */
export function allocF32(dims: readonly number[], op: string): Float32Array {
  let n = 1;
  for (const d of dims) n *= d;
  checkTensorElements(n, () => `${op} output of shape ${fmt(dims)}`);
  return newF32(n);
}

/** Whether `v` is a float32 tensor. */
export function isF32(v: unknown): v is Tensor {
  return v instanceof Tensor && v.type === 'float32';
}

/** A float32 tensor, or a Python scalar whose result type with one is float32. */
export type F32Operand = Tensor | Scalar;

/**
 * Whether a binary op on `a` and `b` computes in float32 without a cast: a float32 tensor with
 * another float32 tensor or a Python scalar (a wrapped number ranks below any tensor).
 */
export function f32Pair(a: Tensor | Scalar, b: Tensor | Scalar): boolean {
  if (a instanceof Tensor) return a.type === 'float32' && (!(b instanceof Tensor) || b.type === 'float32');
  return b instanceof Tensor && b.type === 'float32';
}

/**
 * The operands of a binary op as f32Pair accepts them, also when one is a float32 tensor and the
 * other a 0-dim tensor of another type that it outranks (`torch.mul(x, CONSTANTS.c1)` with a
 * float64 constant): that one becomes its value, as the cast to float32 would. Null otherwise.
 */
export function f32Operands(a: Tensor | Scalar, b: Tensor | Scalar): [F32Operand, F32Operand] | null {
  if (f32Pair(a, b)) return [a, b];
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) return null;
  if (a.type === 'float32' && b.rank === 0 && b.size === 1 && resultType([a, b]) === 'float32') return [a, valueOf(b)];
  if (b.type === 'float32' && a.rank === 0 && a.size === 1 && resultType([a, b]) === 'float32') return [valueOf(a), b];
  return null;
}

function valueOf(t: Tensor): number {
  return t.type === 'bool' ? ((t.data as Uint8Array)[0]! !== 0 ? 1 : 0) : t.toNumbers()[0]!;
}

const ZERO_OFFSETS = new Int32Array(1);
const SAME: readonly number[] = [1, 1];
const FIRST_SCALAR: readonly number[] = [0, 1];
const SECOND_SCALAR: readonly number[] = [1, 0];

function rowPlan(size: number, steps: readonly number[]): BroadcastPlan {
  return { size, rows: size === 0 ? 0 : 1, inner: size, steps, offsets: [ZERO_OFFSETS, ZERO_OFFSETS, ZERO_OFFSETS] };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function scalarData(s: Scalar): Float32Array {
  return Float32Array.of(typeof s === 'boolean' ? (s ? 1 : 0) : Number(s));
}

/**
 * a (kind) b with numpy broadcasting, for operands that pass f32Pair. With `into` (self of an
 * in-place op, which is `a`) the result is written into a's storage when it has the output's
 * shape, and `into` is returned; the caller then records the write (define.ts wroteInPlace).
 */
export function binaryF32(kind: FloatBinaryOp, a: F32Operand, b: F32Operand, op: string, into?: Tensor): Tensor {
  const aT = a instanceof Tensor;
  const bT = b instanceof Tensor;
  const ad = aT ? (a.data as Float32Array) : scalarData(a);
  const bd = bT ? (b.data as Float32Array) : scalarData(b);
  let dims: readonly number[];
  let plan: BroadcastPlan;
  if (aT && bT) {
    if (sameDims(a.dims, b.dims)) {
      dims = a.dims;
      plan = rowPlan(a.size, SAME);
    } else {
      const d = broadcastShapes(a.dims, b.dims);
      if (d === null) throw new ShapeError(`${op}: shapes ${fmt(a.dims)} and ${fmt(b.dims)} do not broadcast`);
      dims = d;
      plan = broadcastPlan([a.dims, b.dims], d);
    }
  } else if (aT) {
    dims = a.dims;
    plan = rowPlan(a.size, SECOND_SCALAR);
  } else {
    dims = (b as Tensor).dims;
    plan = rowPlan((b as Tensor).size, FIRST_SCALAR);
  }
  if (into !== undefined && aT && into.data === a.data && sameDims(into.dims, dims)) {
    binaryFloat(kind, ad, bd, into.data as Float32Array, plan);
    return into;
  }
  const out = allocF32(dims, op);
  binaryFloat(kind, ad, bd, out, plan);
  return new Tensor('float32', out, dims);
}

/** where(mask, value, x) for a float32 x and a bool mask: masked_fill. */
export function maskedFillF32(x: Tensor, mask: Tensor, value: number, op: string): Tensor {
  const d = broadcastShapes(mask.dims, x.dims);
  if (d === null) throw new ShapeError(`${op}: the mask ${fmt(mask.dims)} does not broadcast to the input ${fmt(x.dims)}`);
  const out = allocF32(d, op);
  const v = Float32Array.of(value);
  whereKernel(mask.data as Uint8Array, v, x.data as Float32Array, out, broadcastPlan([mask.dims, [], x.dims], d));
  return new Tensor('float32', out, d);
}
