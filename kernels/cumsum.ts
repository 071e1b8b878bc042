// CumSum / CumProd along one axis of a tensor viewed as [outerSize, n, innerSize].
// `exclusive` shifts by one (the first output is the identity); `reverse` scans from the end.

export type ScanKind = 'sum' | 'prod';

type NumberArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/**
 * Float and number-backed integer scans. Float data accumulates in float64; integer partials
 * are wrapped to the output type at every step, as fixed-width integer arithmetic would.
 */
export function cumulativeNumber(
  kind: ScanKind, x: NumberArray, out: NumberArray,
  outerSize: number, n: number, innerSize: number, exclusive: boolean, reverse: boolean,
): void {
  const wrapInts = !(out instanceof Float32Array || out instanceof Float64Array);
  const step = reverse ? -innerSize : innerSize;
  const isProd = kind === 'prod';
  for (let a = 0; a < outerSize; a++) {
    for (let b = 0; b < innerSize; b++) {
      let p = a * n * innerSize + b + (reverse ? (n - 1) * innerSize : 0);
      let acc = isProd ? 1 : 0;
      if (isProd) {
        for (let k = 0; k < n; k++, p += step) {
          // Integer products: imul is exact modulo 2^32, and the store wraps narrower types.
          const next = wrapInts ? Math.imul(acc, x[p]!) : acc * x[p]!;
          out[p] = next;
          const stored = wrapInts ? out[p]! : next;
          if (exclusive) out[p] = acc;
          acc = stored;
        }
      } else {
        for (let k = 0; k < n; k++, p += step) {
          const next = acc + x[p]!;
          out[p] = next;
          const stored = wrapInts ? out[p]! : next;
          if (exclusive) out[p] = acc;
          acc = stored;
        }
      }
    }
  }
}

/** int64 / uint64 scans, exact (wrapped to 64 bits on store). */
export function cumulativeBigInt(
  kind: ScanKind, x: BigInt64Array | BigUint64Array, out: BigInt64Array | BigUint64Array,
  outerSize: number, n: number, innerSize: number, exclusive: boolean, reverse: boolean,
): void {
  const step = reverse ? -innerSize : innerSize;
  const isProd = kind === 'prod';
  for (let a = 0; a < outerSize; a++) {
    for (let b = 0; b < innerSize; b++) {
      let p = a * n * innerSize + b + (reverse ? (n - 1) * innerSize : 0);
      let acc = isProd ? 1n : 0n;
      for (let k = 0; k < n; k++, p += step) {
        const v = x[p]!;
        if (exclusive) out[p] = acc;
        acc = BigInt.asIntN(64, isProd ? acc * v : acc + v);
        if (!exclusive) out[p] = acc;
      }
    }
  }
}
