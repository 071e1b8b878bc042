// NonZero / Compress: finding and selecting the set entries of a tensor.

/** How the non-zero test reads the storage. */
export type ZeroTest = 'number' | 'bigint' | 'half';

/**
 * mask[i] = 1 when element i is non-zero (NaN counts as non-zero, -0 as zero); returns the
 * count. 'half' reads float16/bfloat16 bit patterns (zero when all bits but the sign are 0).
 */
export function nonZeroMask(
  data: ArrayLike<number> | BigInt64Array | BigUint64Array, test: ZeroTest, mask: Uint8Array,
): number {
  let count = 0;
  const n = mask.length;
  switch (test) {
    case 'bigint': {
      const d = data as BigInt64Array;
      for (let i = 0; i < n; i++) {
        const nz = d[i] !== 0n ? 1 : 0;
        mask[i] = nz;
        count += nz;
      }
      break;
    }
    case 'half': {
      const d = data as Uint16Array;
      for (let i = 0; i < n; i++) {
        const nz = (d[i]! & 0x7fff) !== 0 ? 1 : 0;
        mask[i] = nz;
        count += nz;
      }
      break;
    }
    default: {
      const d = data as Float64Array;
      for (let i = 0; i < n; i++) {
        const nz = d[i] !== 0 ? 1 : 0;
        mask[i] = nz;
        count += nz;
      }
    }
  }
  return count;
}

/**
 * Writes the coordinates of the set entries of `mask` (row-major, shape `dims`) as an int64
 * [rank, count] matrix: out[a * count + j] = coordinate on axis a of the j-th set entry.
 */
export function maskCoordinates(mask: Uint8Array, dims: readonly number[], count: number, out: BigInt64Array): void {
  const r = dims.length;
  const idx = new Array<number>(r).fill(0);
  let j = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      for (let a = 0; a < r; a++) out[a * count + j] = BigInt(idx[a]!);
      j++;
    }
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a]! < dims[a]!) break;
      idx[a] = 0;
    }
  }
}
