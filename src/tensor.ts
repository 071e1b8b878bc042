// The one Tensor type, shaped like onnxruntime-web's: new Tensor(type, data, dims).

import { bfloat16BitsToNumber, float16BitsToNumber } from '../kernels/float16.js';
import { shapeSize } from '../kernels/strides.js';
import { DATA_TYPES, type DataType, type TensorData, allocate, checkAllocation, isDataType } from './dtypes.js';
import { InvalidArgumentError } from './errors.js';
import {
  type ImageDataLike, type ImageSource, type TensorFromImageOptions, type TensorToImageDataOptions, tensorToImageData,
} from './image/image-tensor-options.js';

export type { DataType, TensorData } from './dtypes.js';

type Loose = TensorData | readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];

function inferType(data: Loose): DataType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  if (Array.isArray(data)) {
    if (data.length === 0 || typeof data[0] === 'number') return 'float32';
    if (typeof data[0] === 'string') return 'string';
    if (typeof data[0] === 'boolean') return 'bool';
    if (typeof data[0] === 'bigint') return 'int64';
  }
  throw new InvalidArgumentError('Tensor: cannot infer the element type of the data');
}

function coerce(type: DataType, data: Loose): TensorData {
  const info = DATA_TYPES[type];
  if (!info.array) {
    if (!Array.isArray(data) || data.some((x) => typeof x !== 'string')) {
      throw new InvalidArgumentError(`Tensor: type 'string' needs a string[] as data`);
    }
    return data as string[];
  }
  if (data instanceof info.array) return data as TensorData;
  if (type === 'bool' && (data instanceof Uint8Array)) return data;
  if (Array.isArray(data)) {
    const out = new info.array(data.length);
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
      for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i] as unknown as number | bigint);
    } else {
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        out[i] = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
      }
    }
    return out;
  }
  throw new InvalidArgumentError(
    `Tensor: data of type ${(data as object).constructor?.name} does not fit element type '${type}' ` +
      `(expected ${info.array.name})`,
  );
}

/** Where a tensor's data lives, in onnxruntime-web's words: tessera's are on the CPU until dispose(). */
export type TensorLocation = 'cpu' | 'none';

export class Tensor {
  readonly type: DataType;
  readonly dims: readonly number[];
  readonly data: TensorData;
  /** 'cpu', or 'none' after dispose() (onnxruntime-web's Tensor.location). */
  location: TensorLocation = 'cpu';

  constructor(type: DataType, data: Loose, dims?: readonly number[]);
  constructor(data: Loose, dims?: readonly number[]);
  constructor(a: DataType | Loose, b?: Loose | readonly number[], c?: readonly number[]) {
    let type: DataType;
    let data: Loose;
    let dims: readonly number[] | undefined;
    if (typeof a === 'string') {
      if (!isDataType(a)) throw new InvalidArgumentError(`Tensor: unknown element type '${a}'`);
      type = a;
      if (b === undefined) throw new InvalidArgumentError('Tensor: data is required');
      data = b as Loose;
      dims = c;
    } else {
      data = a;
      dims = b as readonly number[] | undefined;
      type = inferType(data);
    }
    const stored = coerce(type, data);
    const slots = DATA_TYPES[type].slots;
    const count = stored.length / slots;
    const shape = dims ? Array.from(dims) : [count];
    for (const d of shape) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new InvalidArgumentError(`Tensor: invalid dimension ${d} in [${shape.join(', ')}]`);
      }
    }
    if (shapeSize(shape) !== count) {
      throw new InvalidArgumentError(
        `Tensor: data holds ${count} element(s) of ${type} but dims [${shape.join(', ')}] need ${shapeSize(shape)}`,
      );
    }
    this.type = type;
    this.data = stored;
    this.dims = Object.freeze(shape);
  }

  /**
   * onnxruntime-web's Tensor.getData(): the data (this tensor's own array, not a copy). With
   * `releaseData` the tensor lets go of it afterwards, as dispose() does. Throws after dispose().
   */
  async getData(releaseData = false): Promise<TensorData> {
    if (this.location === 'none') throw new InvalidArgumentError('Tensor.getData: the tensor was disposed');
    const data = this.data;
    if (releaseData) this.dispose();
    return data;
  }

  /**
   * onnxruntime-web's Tensor.dispose(): drops the reference to the data so it can be collected
   * (location becomes 'none', `data` an empty array of the same kind, getData() throws). Calling it
   * again does nothing.
   */
  dispose(): void {
    if (this.location === 'none') return;
    this.location = 'none';
    const d = this.data;
    (this as { data: TensorData }).data = Array.isArray(d) ? [] : new (d.constructor as new (n: number) => TensorData)(0);
  }

  /** Number of elements. */
  get size(): number {
    return shapeSize(this.dims);
  }

  get rank(): number {
    return this.dims.length;
  }

  /** A new tensor of the same data with other dims (sizes must match; data is shared). */
  reshape(dims: readonly number[]): Tensor {
    return new Tensor(this.type, this.data, dims);
  }

  /**
   * onnxruntime-web's Tensor.fromImage(): an image as a [1, 3, H, W] float32 tensor of
   * (pixel + bias) / mean (defaults 255 and 0), or as options say (resizedWidth/Height,
   * tensorFormat, tensorLayout, dataType, norm). The image: ImageData or { data, width, height }
   * (RGBA bytes), encoded bytes (PNG, JPEG, WebP, BMP, TIFF, PNM, JPEG 2000) as a Uint8Array,
   * ArrayBuffer or Blob, a URL (fetched), or in a browser an image element, bitmap or canvas.
   */
  static async fromImage(image: ImageSource, options?: TensorFromImageOptions): Promise<Tensor> {
    // Loaded on first use, so that a Tensor-only bundle carries no image decoders.
    const { tensorFromImage } = await import('./formats/image/tensor-from-image.js');
    return tensorFromImage(image, options);
  }

  /** onnxruntime-web's tensor.toImageData(): a [1, C, H, W] tensor as RGBA pixels (an ImageData where the host has the class). */
  toImageData(options?: TensorToImageDataOptions): ImageDataLike {
    return tensorToImageData(this, options);
  }

  /** Allocates a zero-filled tensor. */
  static zeros(type: DataType, dims: readonly number[]): Tensor {
    if (!isDataType(type)) throw new InvalidArgumentError(`Tensor.zeros: unknown element type '${String(type)}'`);
    if (!Array.isArray(dims)) throw new InvalidArgumentError(`Tensor.zeros: dims must be an array of sizes, got ${typeof dims}`);
    for (const d of dims) {
      if (!Number.isSafeInteger(d) || d < 0) throw new InvalidArgumentError(`Tensor.zeros: invalid dimension ${String(d)} in [${dims.join(', ')}]`);
    }
    const n = shapeSize(dims);
    checkAllocation(n, () => `Tensor.zeros(${type}, [${dims.join(', ')}])`);
    return new Tensor(type, allocate(type, n), dims);
  }

  /**
   * The elements as JS numbers: int64 converted with Number(), float16/bfloat16 decoded,
   * complex as interleaved real/imaginary parts; not for strings.
   */
  toNumbers(): number[] {
    const d = this.data;
    if (Array.isArray(d)) throw new InvalidArgumentError('Tensor.toNumbers: string tensor');
    const out = new Array<number>(d.length);
    if (this.type === 'float16') for (let i = 0; i < d.length; i++) out[i] = float16BitsToNumber(d[i] as number);
    else if (this.type === 'bfloat16') for (let i = 0; i < d.length; i++) out[i] = bfloat16BitsToNumber(d[i] as number);
    else for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
    return out;
  }
}
