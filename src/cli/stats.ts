// What `tessera run` and `tessera trace` say about a tensor: dtype, shape, min / max / mean over
// its finite values, and how many NaNs and infinities it holds.

import { Tensor } from '../tensor.js';

export interface TensorStats {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Over the finite elements; absent for strings, empty tensors and all-non-finite ones. */
  readonly min?: number;
  readonly max?: number;
  readonly mean?: number;
  readonly nan: number;
  readonly inf: number;
}

/** One pass over the elements (float16 / bfloat16 decoded, integers as numbers). */
export function tensorStats(t: Tensor): TensorStats {
  const base = { dtype: t.type, shape: [...t.dims] };
  if (t.type === 'string' || Array.isArray(t.data) || t.size === 0) return { ...base, nan: 0, inf: 0 };
  const d = t.data;
  const decoded = t.type === 'float16' || t.type === 'bfloat16';
  const vals: ArrayLike<number | bigint> = decoded ? t.toNumbers() : (d as ArrayLike<number | bigint>);
  let min = Infinity, max = -Infinity, sum = 0, finite = 0, nan = 0, inf = 0;
  for (let i = 0; i < vals.length; i++) {
    const v = Number(vals[i]!);
    if (v !== v) { nan++; continue; }
    if (v === Infinity || v === -Infinity) { inf++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    finite++;
  }
  return finite === 0 ? { ...base, nan, inf } : { ...base, min, max, mean: sum / finite, nan, inf };
}

const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

/** `float32[1, 10]  min -1.2  max 3.4  mean 0.5` with `  NaN 3  Inf 1` when there are any. */
export function formatStats(s: TensorStats): string {
  let text = `${s.dtype}[${s.shape.join(', ')}]`;
  if (s.min !== undefined) text += `  min ${num(s.min)}  max ${num(s.max!)}  mean ${num(s.mean!)}`;
  if (s.nan) text += `  NaN ${s.nan}`;
  if (s.inf) text += `  Inf ${s.inf}`;
  return text;
}
