// ai.onnx.ml preprocessing kernels: Binarizer, Scaler, Normalizer, Imputer, OneHotEncoder,
// key -> index lookups (LabelEncoder, CategoryMapper) and the word copy that fills values.

import type { WordArray } from './element-words.js';
import type { FloatArray } from './arrays.js';

/** Binarizer: out = x > threshold ? 1 : 0 (NaN -> 0). */
export function binarize(x: FloatArray, threshold: number, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! > threshold ? 1 : 0;
}

/** Scaler: out[r, c] = (x[r, c] - offset[c]) * scale[c]; offset/scale of length 1 broadcast. */
export function scaleColumns(
  x: ArrayLike<number>, cols: number, offset: Float64Array, scale: Float64Array, out: Float32Array,
): void {
  const oneOff = offset.length === 1;
  const oneScale = scale.length === 1;
  for (let i = 0; i < out.length; i++) {
    const c = cols ? i % cols : 0;
    out[i] = (x[i]! - offset[oneOff ? 0 : c]!) * scale[oneScale ? 0 : c]!;
  }
}

export const enum NormKind { MAX = 0, L1 = 1, L2 = 2 }

/**
 * Normalizer over rows of `cols`: MAX divides by the row maximum (not the absolute maximum, as
 * onnxruntime), L1 by the sum of absolute values, L2 by the Euclidean norm. A zero norm leaves
 * the row unchanged; a NaN in the row makes the whole row NaN.
 */
export function normalizeRows(x: ArrayLike<number>, rows: number, cols: number, kind: NormKind, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let norm = 0;
    if (kind === NormKind.MAX) {
      norm = -Infinity;
      for (let j = o; j < o + cols; j++) if (x[j]! > norm || x[j] !== x[j]) norm = x[j]!; // NaN sticks
    } else if (kind === NormKind.L1) {
      for (let j = o; j < o + cols; j++) norm += Math.abs(x[j]!);
    } else {
      for (let j = o; j < o + cols; j++) norm += x[j]! * x[j]!;
      norm = Math.sqrt(norm);
    }
    const div = norm === 0 ? 1 : norm;
    for (let j = o; j < o + cols; j++) out[j] = x[j]! / div;
  }
}

/** Imputer (floats): x equal to `replaced` (or NaN when `replaced` is NaN) -> imputed[c]. */
export function imputeFloat(x: FloatArray, cols: number, replaced: number, imputed: Float64Array, out: FloatArray): void {
  const nan = replaced !== replaced;
  const one = imputed.length === 1;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = (nan ? v !== v : v === replaced) ? imputed[one ? 0 : i % cols]! : v;
  }
}

/** Imputer (int64): x equal to `replaced` -> imputed[c]. */
export function imputeBigInt(x: BigInt64Array, cols: number, replaced: bigint, imputed: BigInt64Array, out: BigInt64Array): void {
  const one = imputed.length === 1;
  for (let i = 0; i < x.length; i++) out[i] = x[i] === replaced ? imputed[one ? 0 : i % cols]! : x[i]!;
}

export type LookupKey = string | number | bigint;

/** index[i] = map.get(x[i]) ?? -1, for string, number and bigint inputs (one loop each). */
export function lookupStrings(x: readonly string[], map: ReadonlyMap<LookupKey, number>, index: Int32Array): void {
  for (let i = 0; i < x.length; i++) index[i] = map.get(x[i]!) ?? -1;
}
export function lookupNumbers(x: ArrayLike<number>, map: ReadonlyMap<LookupKey, number>, index: Int32Array): void {
  for (let i = 0; i < x.length; i++) index[i] = map.get(x[i]!) ?? -1;
}
export function lookupBigInts(x: BigInt64Array | BigUint64Array, map: ReadonlyMap<LookupKey, number>, index: Int32Array): void {
  for (let i = 0; i < x.length; i++) index[i] = map.get(x[i]!) ?? -1;
}

/** index[i] = map.get(BigInt(trunc(x[i]))) ?? -1: numbers compared as int64 keys (non-finite -> -1). */
export function lookupTruncated(x: ArrayLike<number>, map: ReadonlyMap<LookupKey, number>, index: Int32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    index[i] = Number.isFinite(v) ? map.get(BigInt(Math.trunc(v))) ?? -1 : -1;
  }
}

/** out element i = values element index[i], or the default element when index[i] < 0 (`width` words each). */
export function takeOrDefault(values: WordArray, def: WordArray, index: Int32Array, width: number, out: WordArray): void {
  for (let i = 0; i < index.length; i++) {
    const k = index[i]!;
    const src = k < 0 ? def : values;
    const s = k < 0 ? 0 : k * width;
    for (let w = 0; w < width; w++) out[i * width + w] = src[s + w]!;
  }
}

/** OneHotEncoder: out[i * nCats + index[i]] = 1; returns the position of the first unknown (-1 if none). */
export function oneHotRows(index: Int32Array, nCats: number, out: Float32Array): number {
  let unknown = -1;
  for (let i = 0; i < index.length; i++) {
    const k = index[i]!;
    if (k >= 0) out[i * nCats + k] = 1;
    else if (unknown < 0) unknown = i;
  }
  return unknown;
}

/** Copies the first min(width, srcCols) columns of each row of x into out (rows of outCols) at column `at`. */
export function copyColumns(
  x: ArrayLike<number>, rows: number, srcCols: number, width: number, out: Float32Array, outCols: number, at: number,
): void {
  const w = Math.min(width, srcCols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < w; c++) out[r * outCols + at + c] = x[r * srcCols + c]!;
  }
}
