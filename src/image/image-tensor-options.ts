// What onnxruntime-web's Tensor.fromImage() and tensor.toImageData() take, and toImageData()
// itself: synchronous in onnxruntime-web, so it lives here, beside Tensor, and stays small.
// fromImage()'s work (decoders, resizing, fetch) is in src/formats/image/tensor-from-image.ts,
// which Tensor.fromImage loads with import() so that a Tensor-only bundle does not carry it.

import { InvalidArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Channel order of an image tensor (onnxruntime-web's ImageFormat). */
export type ImageFormat = 'RGB' | 'RGBA' | 'BGR' | 'RBG';
export type ImageTensorLayout = 'NCHW' | 'NHWC';

/**
 * onnxruntime-web's normalisation: a tensor value is (pixel + bias) / mean, per colour (R, G, B,
 * A, whatever the tensor's channel order). A number applies to every colour; with 3 numbers, A
 * takes mean 255 and bias 0. Defaults: mean 255, bias 0 (values in [0, 1]).
 */
export interface ImageNorm {
  readonly mean?: number | readonly number[];
  readonly bias?: number | readonly number[];
}

/** The pixels of an image, 4 bytes (R, G, B, A) each, row by row: an ImageData or anything shaped like one. */
export interface ImageDataLike {
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly colorSpace?: string;
}

export interface TensorFromImageOptions {
  /** Output size; each defaults to the image's own. The image is resized (bilinear, antialiased when shrinking). */
  readonly resizedWidth?: number;
  readonly resizedHeight?: number;
  /** 'float32' (default): (pixel + bias) / mean; 'uint8': the pixel values themselves (no norm). */
  readonly dataType?: 'float32' | 'uint8';
  /** The tensor's channels (default 'RGB'). */
  readonly tensorFormat?: ImageFormat;
  /** Default 'NCHW'. */
  readonly tensorLayout?: ImageTensorLayout;
  readonly norm?: ImageNorm;
}

/**
 * What a 2D canvas can draw (HTMLImageElement, ImageBitmap, a canvas, a VideoFrame), typed by
 * shape so that these declarations need no DOM library.
 */
export interface DrawableImage {
  readonly width: number;
  readonly height: number;
}

/** What fromImage takes: pixels, encoded bytes (PNG, JPEG, WebP, BMP, TIFF, PNM, JPEG 2000), a URL, or a drawable image. */
export type ImageSource = ImageDataLike | Uint8Array | ArrayBuffer | Blob | string | URL | DrawableImage;

export interface TensorToImageDataOptions {
  /** The tensor's channel order (default 'RGB'; 'RGBA' reads alpha from the fourth channel, else alpha is 255). */
  readonly format?: ImageFormat;
  readonly tensorLayout?: ImageTensorLayout;
  /**
   * Applied as pixel = (value - bias) * mean, onnxruntime-web's formula (defaults: mean 255, bias
   * 0; for a uint8 tensor, whose values are pixels already, mean 1).
   */
  readonly norm?: ImageNorm;
}

/** Which colour (0 R, 1 G, 2 B, 3 A) each channel of a tensor of this format holds. */
export function colorsOf(format: ImageFormat): readonly number[] {
  return format === 'RGB' ? [0, 1, 2] : format === 'RGBA' ? [0, 1, 2, 3] : format === 'BGR' ? [2, 1, 0] : [0, 2, 1];
}

export function checkFormat(format: unknown, where: string): ImageFormat {
  if (format === 'RGB' || format === 'RGBA' || format === 'BGR' || format === 'RBG') return format;
  throw new InvalidArgumentError(`${where} must be 'RGB', 'RGBA', 'BGR' or 'RBG', got ${JSON.stringify(format)}`);
}

export function checkLayout(layout: unknown, where: string): ImageTensorLayout {
  if (layout === undefined || layout === 'NCHW' || layout === 'NHWC') return layout ?? 'NCHW';
  throw new InvalidArgumentError(`${where} must be 'NCHW' or 'NHWC', got ${JSON.stringify(layout)}`);
}

/** One of norm's fields as 4 numbers, one per colour (R, G, B, A). */
function normField(x: unknown, fallback: number, alpha: number, where: string): number[] {
  if (x === undefined) return [fallback, fallback, fallback, fallback];
  if (typeof x === 'number' && Number.isFinite(x)) return [x, x, x, x];
  if (Array.isArray(x) && (x.length === 3 || x.length === 4) && x.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return [x[0], x[1], x[2], x.length === 4 ? x[3] : alpha];
  }
  throw new InvalidArgumentError(`${where} must be a finite number or an array of 3 or 4 of them, got ${JSON.stringify(x)}`);
}

/** norm as per-colour mean and bias, with onnxruntime-web's defaults. */
export function normOf(norm: unknown, where: string): { readonly mean: number[]; readonly bias: number[] } {
  if (norm !== undefined && (norm === null || typeof norm !== 'object')) {
    throw new InvalidArgumentError(`${where} must be an object { mean?, bias? }, got ${norm === null ? 'null' : typeof norm}`);
  }
  const n = (norm ?? {}) as ImageNorm;
  return { mean: normField(n.mean, 255, 255, `${where}.mean`), bias: normField(n.bias, 0, 0, `${where}.bias`) };
}

/**
 * onnxruntime-web's tensor.toImageData(): a [1, C, H, W] (or [1, H, W, C] with tensorLayout
 * 'NHWC') numeric tensor as RGBA pixels, pixel = (value - bias) * mean, rounded and clamped to
 * 0..255 as an ImageData's bytes are. A real ImageData where the host has the class (browsers),
 * else an object of the same shape.
 */
export function tensorToImageData(t: Tensor, options: TensorToImageDataOptions = {}): ImageDataLike {
  const where = 'Tensor.toImageData';
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`${where}: options must be an object`);
  const layout = checkLayout(options.tensorLayout, `${where}: options.tensorLayout`);
  const format = checkFormat(options.format ?? 'RGB', `${where}: options.format`);
  // A uint8 tensor holds pixel values already (fromImage's dataType 'uint8'): its default mean is 1.
  const { mean, bias } = normOf(options.norm ?? (t.type === 'uint8' ? { mean: 1 } : undefined), `${where}: options.norm`);
  if (t.location === 'none') throw new InvalidArgumentError(`${where}: the tensor was disposed`);
  if (t.dims.length !== 4 || t.dims[0] !== 1) {
    throw new InvalidArgumentError(`${where}: expected a tensor of dims [1, C, H, W] (or [1, H, W, C] with tensorLayout 'NHWC'), got [${t.dims.join(', ')}]`);
  }
  const [, a, b, c] = t.dims as [number, number, number, number];
  const [channels, height, width] = layout === 'NCHW' ? [a, b, c] : [c, a, b];
  const colors = colorsOf(format);
  if (channels !== colors.length && !(channels === 4 && options.format === undefined)) {
    throw new InvalidArgumentError(`${where}: format '${format}' needs ${colors.length} channels, the tensor (${layout}) has ${channels}`);
  }
  let values: ArrayLike<number>;
  if (t.type === 'float16' || t.type === 'bfloat16') values = t.toNumbers();
  else if (t.type === 'string' || t.type === 'int64' || t.type === 'uint64' || t.type.startsWith('complex')) {
    throw new InvalidArgumentError(`${where}: a ${t.type} tensor holds no pixel values`);
  } else values = t.data as ArrayLike<number>;
  const hw = height * width;
  const data = new Uint8ClampedArray(hw * 4);
  if (colors.length === 3) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  // Channel k of pixel i sits at k*hw + i (NCHW) or i*channels + k (NHWC).
  const [pixelStep, channelStep] = layout === 'NCHW' ? [1, hw] : [channels, 1];
  for (let k = 0; k < colors.length; k++) {
    const color = colors[k]!;
    const m = mean[color]!;
    const s = bias[color]!;
    let at = k * channelStep;
    // Uint8ClampedArray rounds half to even and clamps, as an ImageData's bytes do.
    for (let i = 0; i < hw; i++, at += pixelStep) data[i * 4 + color] = (values[at]! - s) * m;
  }
  const ImageDataClass = (globalThis as { ImageData?: new (d: Uint8ClampedArray, w: number, h: number) => ImageDataLike }).ImageData;
  if (typeof ImageDataClass === 'function' && hw > 0) return new ImageDataClass(data, width, height);
  return { data, width, height, colorSpace: 'srgb' };
}
