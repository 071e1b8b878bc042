// BitCast: the same bits read as another element type of equal width.

/** Copies the raw bytes of `src` into `dst` (same byte length; typed arrays use the host's little-endian layout). */
export function copyBytes(src: ArrayBufferView, dst: ArrayBufferView): void {
  if (src.byteLength !== dst.byteLength) {
    throw new RangeError(`copyBytes: ${src.byteLength} source vs ${dst.byteLength} destination bytes`);
  }
  new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength)
    .set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
}

/**
 * Sub-byte elements stored one per slot: keeps the low `bits` bits of each element and
 * sign-extends them when the target is signed (int4 / int2), else leaves them unsigned.
 */
export function reinterpretSmallBits(
  src: Int8Array | Uint8Array, bits: number, signedTarget: boolean, dst: Int8Array | Uint8Array,
): void {
  const n = src.length;
  const mask = (1 << bits) - 1;
  if (signedTarget) {
    const shift = 32 - bits;
    for (let i = 0; i < n; i++) dst[i] = ((src[i]! & mask) << shift) >> shift;
  } else {
    for (let i = 0; i < n; i++) dst[i] = src[i]! & mask;
  }
}
