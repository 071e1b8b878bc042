// Moving elements by index as raw bits. Indexing ops never convert values: any element type is
// viewed as lanes of 8, 16 or 32-bit integers (an int64 is two Int32 lanes, a complex128 four),
// so NaN payloads, half floats and 64-bit integers come through exactly.

/** An integer view over any tensor storage, one or more lanes per element. */
export type BitArray = Uint8Array | Uint16Array | Int32Array;
/** What indexing kernels move: a bit view, or the string[] of a string tensor. */
export type MovableArray = BitArray | string[];

export interface BitView {
  readonly bits: MovableArray;
  /** Array slots per tensor element. */
  readonly lanes: number;
}

/**
 * Views typed-array storage as integer lanes. `slots` is the number of typed-array slots per
 * element (2 for complex types); string arrays pass through with one lane.
 */
export function bitView(data: ArrayBufferView | string[], slots = 1): BitView {
  if (Array.isArray(data)) return { bits: data, lanes: 1 };
  const bytes = (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const n = data.byteLength / bytes;
  if (bytes === 1) return { bits: new Uint8Array(data.buffer, data.byteOffset, n), lanes: slots };
  if (bytes === 2) return { bits: new Uint16Array(data.buffer, data.byteOffset, n), lanes: slots };
  const per = bytes / 4;
  return { bits: new Int32Array(data.buffer, data.byteOffset, n * per), lanes: per * slots };
}

/** Below this many slots a block is copied by a loop instead of subarray/set. */
const SET_MIN = 16;

/**
 * dst block k = src block starting at element offsets[k]; blocks are `block` elements of
 * `lanes` slots. dst must hold offsets.length * block elements.
 */
export function takeBlocks(
  src: MovableArray, dst: MovableArray, offsets: Int32Array, block: number, lanes: number,
): void {
  if (Array.isArray(src) || Array.isArray(dst)) {
    takeBlocksStrings(src as string[], dst as string[], offsets, block * lanes, lanes);
    return;
  }
  const len = block * lanes;
  const n = offsets.length;
  if (len === 1) {
    for (let k = 0; k < n; k++) dst[k] = src[offsets[k]!]!;
    return;
  }
  if (len >= SET_MIN) {
    for (let k = 0; k < n; k++) {
      const s = offsets[k]! * lanes;
      (dst as Int32Array).set((src as Int32Array).subarray(s, s + len), k * len);
    }
    return;
  }
  let d = 0;
  for (let k = 0; k < n; k++) {
    const s = offsets[k]! * lanes;
    for (let i = 0; i < len; i++) dst[d++] = src[s + i]!;
  }
}

function takeBlocksStrings(src: string[], dst: string[], offsets: Int32Array, len: number, lanes: number): void {
  let d = 0;
  for (let k = 0; k < offsets.length; k++) {
    const s = offsets[k]! * lanes;
    for (let i = 0; i < len; i++) dst[d++] = src[s + i]!;
  }
}

/**
 * The inverse of takeBlocks: dst block starting at element offsets[k] = src block k.
 * Later blocks overwrite earlier ones where offsets repeat.
 */
export function putBlocks(
  src: MovableArray, dst: MovableArray, offsets: Int32Array, block: number, lanes: number,
): void {
  if (Array.isArray(src) || Array.isArray(dst)) {
    putBlocksStrings(src as string[], dst as string[], offsets, block * lanes, lanes);
    return;
  }
  const len = block * lanes;
  const n = offsets.length;
  if (len === 1) {
    for (let k = 0; k < n; k++) dst[offsets[k]!] = src[k]!;
    return;
  }
  if (len >= SET_MIN) {
    for (let k = 0; k < n; k++) {
      const d = offsets[k]! * lanes;
      (dst as Int32Array).set((src as Int32Array).subarray(k * len, k * len + len), d);
    }
    return;
  }
  let s = 0;
  for (let k = 0; k < n; k++) {
    const d = offsets[k]! * lanes;
    for (let i = 0; i < len; i++) dst[d + i] = src[s++]!;
  }
}

function putBlocksStrings(src: string[], dst: string[], offsets: Int32Array, len: number, lanes: number): void {
  let s = 0;
  for (let k = 0; k < offsets.length; k++) {
    const d = offsets[k]! * lanes;
    for (let i = 0; i < len; i++) dst[d + i] = src[s++]!;
  }
}

/** Copies all slots of src into dst (same length). */
export function copyAll(src: MovableArray, dst: MovableArray): void {
  if (Array.isArray(src) || Array.isArray(dst)) {
    for (let i = 0; i < src.length; i++) dst[i] = src[i] as string;
    return;
  }
  (dst as Int32Array).set(src as Int32Array);
}
