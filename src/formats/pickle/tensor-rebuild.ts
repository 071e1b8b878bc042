// Storages and the tensors viewing them: dtype tables, bounds checks on offset/size/stride
// against the storage, the strided copy into a contiguous Tensor, and byte-order swaps.

import type { DataType } from '../../dtypes.js';
import { DATA_TYPES } from '../../dtypes.js';
import { ModelFormatError, ResourceLimitError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { float16ToFloat32 } from '../../../kernels/float16.js';
import type { Budget } from './values.js';

/** A torch storage dtype: the tessera type it loads as and its element size in bytes. */
export interface TorchDType {
  readonly torch: string;
  readonly type: DataType;
  readonly size: number;
  /** Bytes swapped together on a byte-order change (complex swaps each component). */
  readonly swap: number;
  readonly quantized?: boolean;
}

const D = (torch: string, type: DataType, size: number, swap = size, quantized = false): TorchDType =>
  Object.freeze({ torch, type, size, swap, quantized });

/** torch dtype name (as in `torch.float32`) -> dtype. */
export const TORCH_DTYPES: ReadonlyMap<string, TorchDType> = new Map([
  D('float32', 'float32', 4), D('float64', 'float64', 8), D('float16', 'float16', 2), D('bfloat16', 'bfloat16', 2),
  D('complex64', 'complex64', 8, 4), D('complex128', 'complex128', 16, 8),
  D('int8', 'int8', 1), D('uint8', 'uint8', 1), D('int16', 'int16', 2), D('int32', 'int32', 4), D('int64', 'int64', 8),
  D('uint16', 'uint16', 2), D('uint32', 'uint32', 4), D('uint64', 'uint64', 8), D('bool', 'bool', 1),
  D('float8_e4m3fn', 'float8e4m3fn', 1), D('float8_e5m2', 'float8e5m2', 1),
  D('float8_e4m3fnuz', 'float8e4m3fnuz', 1), D('float8_e5m2fnuz', 'float8e5m2fnuz', 1),
  D('qint8', 'int8', 1, 1, true), D('quint8', 'uint8', 1, 1, true), D('qint32', 'int32', 4, 4, true),
  // Widened on load (tensorFromStorage): complex32 (two float16) to complex64, quint4x2 (two
  // 4-bit integers a byte, the first in the low nibble) to one uint8 per element.
  D('complex32', 'complex64', 4, 2), D('quint4x2', 'uint8', 1, 1, true),
].map((d) => [d.torch, d]));

/** Aliases torch also pickles dtypes under. */
export const TORCH_DTYPE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['float', 'float32'], ['double', 'float64'], ['half', 'float16'], ['cfloat', 'complex64'],
  ['cdouble', 'complex128'], ['short', 'int16'], ['int', 'int32'], ['long', 'int64'],
]);

/** Legacy typed storage class name (`torch.FloatStorage`) -> dtype name. */
export const STORAGE_CLASSES: ReadonlyMap<string, string> = new Map([
  ['FloatStorage', 'float32'], ['DoubleStorage', 'float64'], ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'], ['ComplexFloatStorage', 'complex64'], ['ComplexDoubleStorage', 'complex128'],
  ['CharStorage', 'int8'], ['ByteStorage', 'uint8'], ['ShortStorage', 'int16'], ['IntStorage', 'int32'],
  ['LongStorage', 'int64'], ['BoolStorage', 'bool'], ['QInt8Storage', 'qint8'], ['QUInt8Storage', 'quint8'],
  ['QInt32Storage', 'qint32'], ['UntypedStorage', 'uint8'],
  // Named so that files using them fail as unsupported rather than as unsafe.
  ['ComplexHalfStorage', 'complex32'], ['QUInt4x2Storage', 'quint4x2'], ['QUInt2x4Storage', 'quint2x4'],
]);

/** One storage of a torch file: raw bytes in the file's byte order. */
export interface StorageRef {
  readonly key: string;
  readonly dtype: TorchDType;
  readonly bytes: Uint8Array;
  readonly bigEndian: boolean;
  readonly location: string;
}

/** Where a loaded tensor came from: which storage, at which offset and strides. */
export interface TensorSource {
  readonly storage: string;
  readonly dtype: string;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  requiresGrad: boolean;
  parameter: boolean;
  /** Quantized tensors load as their integer representation (int8/uint8/int32) with these parameters. */
  readonly quantization?: Quantization;
}

/**
 * How a quantized tensor's integers map to reals: x = (q - zeroPoint) * scale, per tensor or, per
 * channel, with the scale and zero point of the tensor's index along `axis`
 * (torch.quantize_per_channel; `per_channel_affine_float_qparams` has float zero points).
 */
export type Quantization =
  | { readonly scheme: 'per_tensor_affine'; readonly scale: number; readonly zeroPoint: number }
  | {
    readonly scheme: 'per_channel_affine' | 'per_channel_affine_float_qparams';
    readonly scales: readonly number[];
    readonly zeroPoints: readonly number[];
    readonly axis: number;
  };

export const TENSOR_SOURCES = new WeakMap<Tensor, TensorSource>();

/** Where a tensor loaded by torchLoad came from (undefined for tensors it did not load). */
export function tensorSource(t: Tensor): TensorSource | undefined {
  return TENSOR_SOURCES.get(t);
}

const HOST_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

export function swapBytes(b: Uint8Array, unit: number): void {
  if (unit <= 1) return;
  for (let i = 0; i + unit <= b.length; i += unit) {
    for (let lo = i, hi = i + unit - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!; b[lo] = b[hi]!; b[hi] = t;
    }
  }
}

/** Contiguous bytes (host order) -> Tensor of `type`. Copies nothing more: `bytes` must be owned. */
export function tensorFromBytes(type: DataType, bytes: Uint8Array, dims: readonly number[]): Tensor {
  const info = DATA_TYPES[type];
  const Ctor = info.array as unknown as new (b: ArrayBufferLike, o: number, n: number) => Tensor['data'];
  const n = bytes.byteLength / (info.bytes / info.slots);
  return new Tensor(type, new Ctor(bytes.buffer, bytes.byteOffset, n), dims);
}

/** Throws when one tensor would hold more than maxTensorElements elements. */
export function checkTensorElements(numel: number, budget: Budget, what: string): void {
  const max = budget.limits.maxTensorElements;
  if (numel > max) throw new ResourceLimitError(`${what}: ${numel} elements exceed the limit maxTensorElements=${max}`, 'maxTensorElements', numel, max);
}

/**
 * Copies the elements a (offset, size, stride) view selects from `src` (elements of `elem` bytes)
 * into a new contiguous buffer. Every index is checked against `src` first; no recursion.
 */
export function gatherStrided(
  src: Uint8Array, elem: number, offset: number, size: readonly number[], stride: readonly number[],
  budget: Budget, what: string,
): Uint8Array {
  const available = Math.floor(src.length / elem);
  let numel = 1;
  let maxIndex = offset;
  for (let d = 0; d < size.length; d++) {
    const s = size[d]!, st = stride[d]!;
    if (!Number.isSafeInteger(s) || s < 0) throw new ModelFormatError(`${what}: invalid size ${s}`);
    if (!Number.isSafeInteger(st) || st < 0) throw new ModelFormatError(`${what}: invalid stride ${st}`);
    numel *= s;
    if (s > 0) maxIndex += (s - 1) * st;
    if (!Number.isSafeInteger(numel) || !Number.isSafeInteger(maxIndex)) throw new ModelFormatError(`${what}: size overflows`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ModelFormatError(`${what}: invalid storage offset ${offset}`);
  if (numel > 0 && maxIndex >= available) {
    throw new ModelFormatError(
      `${what}: view (offset ${offset}, size [${size.join(', ')}], stride [${stride.join(', ')}]) reaches element ${maxIndex} ` +
        `but the storage holds ${available}`,
    );
  }
  checkTensorElements(numel, budget, what);
  budget.chargeBytes(numel * elem, what);
  const out = new Uint8Array(numel * elem);
  if (numel === 0) return out;
  // Contiguous fast path.
  let contiguous = true;
  for (let d = size.length - 1, expect = 1; d >= 0; d--) {
    if (size[d]! !== 1 && stride[d]! !== expect) { contiguous = false; break; }
    expect *= size[d]!;
  }
  if (contiguous) {
    out.set(src.subarray(offset * elem, (offset + numel) * elem));
    return out;
  }
  const rank = size.length;
  const idx = new Array<number>(rank).fill(0);
  const inner = size[rank - 1]!, innerStride = stride[rank - 1]! * elem;
  let base = offset * elem;
  for (let o = 0; o < out.length;) {
    let p = base;
    for (let i = 0; i < inner; i++, p += innerStride) {
      for (let k = 0; k < elem; k++) out[o++] = src[p + k]!;
    }
    // Advance the outer index (odometer), rank-1 is the inner loop above.
    let d = rank - 2;
    for (; d >= 0; d--) {
      idx[d]!++;
      base += stride[d]! * elem;
      if (idx[d]! < size[d]!) break;
      base -= idx[d]! * stride[d]! * elem;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

/** A tensor viewing a storage: bounds-checked, copied to contiguous, byte order fixed. */
export function tensorFromStorage(
  storage: StorageRef, dtype: TorchDType, offset: number, size: readonly number[], stride: readonly number[],
  budget: Budget, what: string,
): Tensor {
  if (size.length !== stride.length) {
    throw new ModelFormatError(`${what}: size has ${size.length} dims but stride has ${stride.length}`);
  }
  if (dtype.torch === 'quint4x2') return unpackNibbles(storage.bytes, offset, size, stride, budget, what);
  const bytes = gatherStrided(storage.bytes, dtype.size, offset, size, stride, budget, what);
  if (storage.bigEndian !== HOST_BIG_ENDIAN) swapBytes(bytes, dtype.swap);
  if (dtype.torch === 'complex32') {
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    const out = new Float32Array(halves.length);
    float16ToFloat32(halves, out);
    return new Tensor('complex64', out, size);
  }
  return tensorFromBytes(dtype.type, bytes, size);
}

/** A contiguous quint4x2 view: element i of the storage is nibble i % 2 (low first) of byte i / 2. */
function unpackNibbles(src: Uint8Array, offset: number, size: readonly number[], stride: readonly number[], budget: Budget, what: string): Tensor {
  let numel = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    const n = size[d]!;
    if (!Number.isSafeInteger(n) || n < 0) throw new ModelFormatError(`${what}: invalid size ${n}`);
    if (n !== 1 && stride[d] !== numel) throw new ModelFormatError(`${what}: only contiguous quint4x2 tensors are supported (size [${size.join(', ')}], stride [${stride.join(', ')}])`);
    numel *= n;
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || (numel > 0 && Math.ceil((offset + numel) / 2) > src.length)) {
    throw new ModelFormatError(`${what}: quint4x2 view (offset ${offset}, ${numel} elements) reaches past the storage's ${src.length * 2} nibbles`);
  }
  checkTensorElements(numel, budget, what);
  budget.chargeBytes(numel, what);
  const out = new Uint8Array(numel);
  for (let i = 0; i < numel; i++) {
    const e = offset + i;
    out[i] = (src[e >> 1]! >> ((e & 1) * 4)) & 15;
  }
  return new Tensor('uint8', out, size);
}

export { HOST_BIG_ENDIAN };
