// The one numeric comparison every test runner uses: numpy.testing.assert_allclose's rules.
//   - |got - want| <= atol + rtol * |want| for finite values;
//   - infinities must match in position and sign (a finite value, or the opposite infinity, where
//     +Inf is expected is a mismatch: the tolerance formula alone would accept any finite value);
//   - NaN equals only NaN (equalNan, numpy's default for assert_allclose);
//   - integers (bigint or integer dtypes) compare exactly;
//   - tensors must also agree in dtype and shape; float16/bfloat16 are decoded from their bits.

import { bfloat16BitsToNumber, float16BitsToNumber } from '../../kernels/float16.js';
import { Tensor } from '../../src/tensor.js';

export interface Tolerance {
  readonly rtol?: number;
  readonly atol?: number;
  /** NaN equals NaN (numpy's assert_allclose default: true). */
  readonly equalNan?: boolean;
}

/** One pair under assert_allclose's rules. */
export function isClose(got: number, want: number, tol: Tolerance = {}): boolean {
  const { rtol = 1e-7, atol = 0, equalNan = true } = tol;
  if (Number.isNaN(got) || Number.isNaN(want)) return equalNan && Number.isNaN(got) && Number.isNaN(want);
  if (!Number.isFinite(got) || !Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

/**
 * Compares two equally long arrays element by element; '' when they match, else how many
 * elements differ and the first (and worst finite) difference.
 */
export function compareArrays(got: ArrayLike<number | bigint>, want: ArrayLike<number | bigint>, tol: Tolerance = {}): string {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  let bad = 0;
  let first = '';
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const x = got[i]!;
    const y = want[i]!;
    let ok: boolean;
    if (typeof x === 'bigint' || typeof y === 'bigint') {
      if (typeof x === 'bigint' && typeof y === 'bigint') ok = x === y;
      else if (typeof x === 'number') ok = Number.isInteger(x) && BigInt(x) === y;
      else ok = Number.isInteger(y) && x === BigInt(y as number);
    } else {
      ok = isClose(x, y, tol);
      if (!ok && Number.isFinite(x) && Number.isFinite(y)) worst = Math.max(worst, Math.abs(x - y));
    }
    if (!ok && bad++ === 0) first = `[${i}] = ${x}, expected ${y}`;
  }
  if (!bad) return '';
  return `${bad}/${want.length} values differ; first ${first}${worst > 0 ? `; max |diff| ${worst}` : ''}`;
}

/** The numbers of a numeric tensor, half types decoded from their bit patterns. */
export function tensorNumbers(t: Tensor): ArrayLike<number | bigint> {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, float16BitsToNumber);
  if (t.type === 'bfloat16') return Array.from(t.data as Uint16Array, bfloat16BitsToNumber);
  return t.data as ArrayLike<number | bigint>;
}

/** Tensors: dtype, shape, then values (strings exactly). '' when they match. */
export function compareTensors(got: Tensor, want: Tensor, tol: Tolerance = {}): string {
  if (!(got instanceof Tensor)) return 'expected a tensor';
  if (got.type !== want.type) return `dtype ${got.type}, expected ${want.type}`;
  if (got.dims.length !== want.dims.length || got.dims.some((d, i) => d !== want.dims[i])) {
    return `shape [${got.dims.join(', ')}], expected [${want.dims.join(', ')}]`;
  }
  if (want.type === 'string') {
    const a = got.data as string[];
    const b = want.data as string[];
    for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return `[${i}] = ${JSON.stringify(a[i])}, expected ${JSON.stringify(b[i])}`;
    return '';
  }
  return compareArrays(tensorNumbers(got), tensorNumbers(want), tol);
}
