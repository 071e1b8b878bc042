// Data-movement kernels never look at values: they copy bit patterns. This module views any
// tensor storage as unsigned words so one set of loops moves every element type exactly
// (float16 bits, int64 via Uint32 pairs, NaN payloads untouched) and strings by reference.

/** Storage a data-movement kernel reads and writes. */
export type WordArray = Uint8Array | Uint16Array | Uint32Array | string[];

/** Any storage a Tensor may hold. */
export type StorageArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | string[];

export interface WordView {
  readonly words: WordArray;
  /** Words per storage slot (2 for 8-byte slots, else 1). */
  readonly perSlot: number;
}

/**
 * The storage reinterpreted as unsigned words of its slot width. 8-byte slots become two Uint32
 * words: never Float64, because engines may canonicalise NaN bit patterns (an int64 -1 is one).
 */
export function wordView(data: StorageArray): WordView {
  if (Array.isArray(data)) return { words: data, perSlot: 1 };
  const { buffer, byteOffset, byteLength } = data;
  switch (data.BYTES_PER_ELEMENT) {
    case 1: return { words: new Uint8Array(buffer, byteOffset, byteLength), perSlot: 1 };
    case 2: return { words: new Uint16Array(buffer, byteOffset, byteLength >> 1), perSlot: 1 };
    case 4: return { words: new Uint32Array(buffer, byteOffset, byteLength >> 2), perSlot: 1 };
    default: return { words: new Uint32Array(buffer, byteOffset, byteLength >> 2), perSlot: 2 };
  }
}

/** Fills dst[at, at + n * pattern.length) by repeating `pattern` (one element's words) n times. */
export function fillPattern(dst: WordArray, pattern: WordArray, n: number, at = 0): void {
  const w = pattern.length;
  if (w === 1) {
    const v = pattern[0]!;
    if (Array.isArray(dst)) {
      for (let i = at; i < at + n; i++) dst[i] = v as string;
    } else {
      dst.fill(v as number, at, at + n);
    }
    return;
  }
  let o = at;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < w; k++) dst[o++] = pattern[k]!;
  }
}

/** Copies n words from src[s] to dst[d] (typed arrays use the native block copy). */
export function copyWords(src: WordArray, s: number, dst: WordArray, d: number, n: number): void {
  if (n <= 0) return;
  if (!Array.isArray(src) && !Array.isArray(dst) && n > 16) {
    (dst as Uint32Array).set((src as Uint32Array).subarray(s, s + n), d);
    return;
  }
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
