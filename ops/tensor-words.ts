// Tensor storage viewed as unsigned words, so bit-moving kernels (gather, concat, transpose,
// pad, ...) treat every element type alike: strings, bools, int64 and float16 bits included.

import { type StorageArray, type WordArray, wordView } from '../kernels/element-words.js';
import { shapeSize } from '../kernels/strides.js';
import { transpose } from '../kernels/transpose.js';
import { DATA_TYPES, type DataType, allocate } from '../src/dtypes.js';
import { Tensor } from '../src/tensor.js';
import { floatTensor } from './compute.js';

/** A tensor's storage as words, and how many words make one element. */
export function tensorWords(t: Tensor): { words: WordArray; width: number } {
  const v = wordView(t.data as StorageArray);
  return { words: v.words, width: v.perSlot * DATA_TYPES[t.type].slots };
}

/** A zero-filled tensor and its words, for a kernel to write into. */
export function outputWords(type: DataType, dims: readonly number[]): { tensor: Tensor; words: WordArray } {
  const tensor = new Tensor(type, allocate(type, shapeSize(dims)), dims);
  return { tensor, words: tensorWords(tensor).words };
}

/** One element of `type` holding `value`, as words (halves rounded, ints truncated toward zero). */
export function scalarWords(type: DataType, value: number): WordArray {
  let t: Tensor;
  if (type === 'float16' || type === 'bfloat16') t = floatTensor(type, Float32Array.of(value), [1]);
  else if (type === 'string') t = new Tensor('string', [String(value)], [1]);
  else if (type === 'int64' || type === 'uint64') {
    t = new Tensor(type, [Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n], [1]);
  }
  else t = new Tensor(type, [Number.isNaN(value) ? 0 : value], [1]);
  return tensorWords(t).words;
}

/** Permutes a tensor's axes (the Transpose kernel). */
export function transposeTensor(x: Tensor, perm: readonly number[]): Tensor {
  const outDims = perm.map((a) => x.dims[a]!);
  const { words, width } = tensorWords(x);
  const out = outputWords(x.type, outDims);
  transpose(words, out.words, x.dims, perm, width);
  return out.tensor;
}
