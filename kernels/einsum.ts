// Einsum contraction: out[o] = sum over c of prod over operands k of x_k[outOff_k[o] + sumOff_k[c]].
//
// The caller resolves the equation into, per operand, the offset of every output index
// (`outOffsets[k]`, row-major over the output labels) and of every summed index
// (`sumOffsets[k]`, row-major over the contracted labels). Repeated labels (diagonals),
// transposes and broadcast dims are all just strides folded into those offsets.

import { odometerOffsets } from './reduce.js';
import type { IntArray } from './arrays.js';
export type { IntArray };

/** The offsets of one operand over a label space: sizes per label, the operand's stride per label. */
export function labelOffsets(sizes: readonly number[], strides: readonly number[]): Int32Array {
  return odometerOffsets(sizes, strides);
}

export interface EinsumPlan {
  readonly outOffsets: readonly Int32Array[];
  readonly sumOffsets: readonly Int32Array[];
}

/** Float operands (float16 converted to float32 by the caller); accumulates in float64. */
export function einsumFloat(
  xs: readonly (Float32Array | Float64Array)[], out: Float32Array | Float64Array, plan: EinsumPlan,
): void {
  const { outOffsets, sumOffsets } = plan;
  const nOut = out.length;
  const nOps = xs.length;
  const nSum = sumOffsets[0]!.length;
  if (nOps === 1) {
    const x = xs[0]!;
    const oo = outOffsets[0]!;
    const so = sumOffsets[0]!;
    for (let o = 0; o < nOut; o++) {
      const base = oo[o]!;
      let acc = 0;
      for (let c = 0; c < nSum; c++) acc += x[base + so[c]!]!;
      out[o] = acc;
    }
    return;
  }
  if (nOps === 2) {
    const a = xs[0]!;
    const b = xs[1]!;
    const ao = outOffsets[0]!;
    const bo = outOffsets[1]!;
    const as = sumOffsets[0]!;
    const bs = sumOffsets[1]!;
    for (let o = 0; o < nOut; o++) {
      const aBase = ao[o]!;
      const bBase = bo[o]!;
      let acc = 0;
      for (let c = 0; c < nSum; c++) acc += a[aBase + as[c]!]! * b[bBase + bs[c]!]!;
      out[o] = acc;
    }
    return;
  }
  for (let o = 0; o < nOut; o++) {
    let acc = 0;
    for (let c = 0; c < nSum; c++) {
      let p = 1;
      for (let k = 0; k < nOps; k++) p *= xs[k]![outOffsets[k]![o]! + sumOffsets[k]![c]!]!;
      acc += p;
    }
    out[o] = acc;
  }
}

/** Number-backed integer operands: products and sums wrap modulo 2^32, then to the output type. */
export function einsumInt(xs: readonly IntArray[], out: IntArray, plan: EinsumPlan): void {
  const { outOffsets, sumOffsets } = plan;
  const nOut = out.length;
  const nOps = xs.length;
  const nSum = sumOffsets[0]!.length;
  for (let o = 0; o < nOut; o++) {
    let acc = 0;
    for (let c = 0; c < nSum; c++) {
      let p = 1;
      for (let k = 0; k < nOps; k++) p = Math.imul(p, xs[k]![outOffsets[k]![o]! + sumOffsets[k]![c]!]!);
      acc = (acc + p) | 0;
    }
    out[o] = acc;
  }
}

/** int64 / uint64 operands, exact modulo 2^64. */
export function einsumBigInt(
  xs: readonly (BigInt64Array | BigUint64Array)[], out: BigInt64Array | BigUint64Array, plan: EinsumPlan,
): void {
  const { outOffsets, sumOffsets } = plan;
  const nOut = out.length;
  const nOps = xs.length;
  const nSum = sumOffsets[0]!.length;
  for (let o = 0; o < nOut; o++) {
    let acc = 0n;
    for (let c = 0; c < nSum; c++) {
      let p = 1n;
      for (let k = 0; k < nOps; k++) p = BigInt.asIntN(64, p * xs[k]![outOffsets[k]![o]! + sumOffsets[k]![c]!]!);
      acc = BigInt.asIntN(64, acc + p);
    }
    out[o] = acc;
  }
}
