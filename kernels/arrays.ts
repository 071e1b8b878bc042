// The typed-array unions kernels are written over, in one place.

/** Float data a kernel computes in (float16/bfloat16 are widened to float32 before). */
export type FloatArray = Float32Array | Float64Array;

/** Integer data up to 32 bits (64-bit integers are BigInt64Array / BigUint64Array: BigArray). */
export type IntArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** 64-bit integer data. */
export type BigArray = BigInt64Array | BigUint64Array;
