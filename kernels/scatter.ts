// Scatter with a reduction: dst block at offsets[k] (op)= updates block k, in order.
// Plain assignment (reduction 'none') moves bits and lives in take.ts (putBlocks).

/**
 * 'imul' multiplies modulo 2^32, for int tensors of up to 32 bits computed in a Float64Array.
 */
export type ScatterReduce = 'add' | 'mul' | 'max' | 'min' | 'imul';

/**
 * Float (and small-int-in-float64) reductions. max/min propagate NaN like numpy's
 * maximum/minimum. For int tensors computed in a Float64Array use IntMul for 'mul' so the
 * product wraps like the integer type instead of losing precision.
 */
export function scatterReduceFloat(
  dst: Float32Array | Float64Array, updates: Float32Array | Float64Array, offsets: Int32Array,
  block: number, reduce: ScatterReduce,
): void {
  const n = offsets.length;
  let s = 0;
  switch (reduce) {
    case 'add':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) dst[d + i] = dst[d + i]! + updates[s++]!;
      }
      return;
    case 'mul':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) dst[d + i] = dst[d + i]! * updates[s++]!;
      }
      return;
    case 'imul':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) dst[d + i] = Math.imul(dst[d + i]!, updates[s++]!);
      }
      return;
    case 'max':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) dst[d + i] = Math.max(dst[d + i]!, updates[s++]!);
      }
      return;
    case 'min':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) dst[d + i] = Math.min(dst[d + i]!, updates[s++]!);
      }
      return;
  }
}

/** int64 / uint64 reductions; the typed array wraps results to 64 bits on store. */
export function scatterReduceBig(
  dst: BigInt64Array | BigUint64Array, updates: BigInt64Array | BigUint64Array, offsets: Int32Array,
  block: number, reduce: ScatterReduce,
): void {
  const n = offsets.length;
  let s = 0;
  switch (reduce) {
    case 'add':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) dst[d + i] = dst[d + i]! + updates[s++]!;
      }
      return;
    case 'mul':
    case 'imul':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) dst[d + i] = dst[d + i]! * updates[s++]!;
      }
      return;
    case 'max':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) {
          const u = updates[s++]!;
          if (u > dst[d + i]!) dst[d + i] = u;
        }
      }
      return;
    case 'min':
      for (let k = 0; k < n; k++) {
        const d = offsets[k]!;
        for (let i = 0; i < block; i++) {
          const u = updates[s++]!;
          if (u < dst[d + i]!) dst[d + i] = u;
        }
      }
      return;
  }
}
