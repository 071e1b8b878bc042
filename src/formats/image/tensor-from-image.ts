// onnxruntime-web's Tensor.fromImage(), loaded by Tensor.fromImage with import(): an image (its
// pixels, its encoded bytes, a URL, or in a browser an image element or bitmap) as a float32 or
// uint8 tensor, [1, C, H, W] or [1, H, W, C].
//
// Where onnxruntime-web 1.30 differs from its own documentation, this follows the documentation:
// resizedWidth/resizedHeight resize the image (onnxruntime-web crops it to that size, see
// microsoft/onnxruntime#24050), tensorLayout 'NHWC' and dataType 'uint8' are honoured (it throws
// for NHWC and ignores dataType), and a URL's image is resized too. With neither option, the
// values are exactly onnxruntime-web's: (pixel + bias) / mean in float64, stored as float32.

import { planAxis, resize2d, type ResizeOptions } from '../../../kernels/resize.js';
import { checkAllocation } from '../../dtypes.js';
import { InvalidArgumentError } from '../../errors.js';
import {
  type DrawableImage, type ImageDataLike, type ImageSource, type TensorFromImageOptions, checkFormat, checkLayout, colorsOf, normOf,
} from '../../image/image-tensor-options.js';
import { DEFAULT_LIMITS, checkLimit } from '../../limits.js';
import { Tensor } from '../../tensor.js';
import { decodeImage } from './decode-image.js';
import type { DecodedImage } from './decoded-image.js';

const WHERE = 'Tensor.fromImage';

/** Bilinear over half-pixel centres, antialiased when shrinking: ONNX Resize's linear mode with antialias=1. */
const RESIZE: ResizeOptions = {
  mode: 'linear', coordinate: 'half_pixel', nearest: 'round_prefer_floor', cubicA: -0.75, excludeOutside: false, antialias: true,
};

export async function tensorFromImage(source: ImageSource, options: TensorFromImageOptions = {}): Promise<Tensor> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`${WHERE}: options must be an object`);
  const format = checkFormat(options.tensorFormat ?? 'RGB', `${WHERE}: options.tensorFormat`);
  const layout = checkLayout(options.tensorLayout, `${WHERE}: options.tensorLayout`);
  const dataType = options.dataType ?? 'float32';
  if (dataType !== 'float32' && dataType !== 'uint8') {
    throw new InvalidArgumentError(`${WHERE}: options.dataType must be 'float32' or 'uint8', got ${JSON.stringify(dataType)}`);
  }
  if (dataType === 'uint8' && options.norm !== undefined) {
    throw new InvalidArgumentError(`${WHERE}: options.norm applies to float32 tensors; a uint8 tensor holds the pixel values`);
  }
  const { mean, bias } = normOf(options.norm, `${WHERE}: options.norm`);
  for (const k of ['resizedWidth', 'resizedHeight'] as const) {
    const v = options[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) {
      throw new InvalidArgumentError(`${WHERE}: options.${k} must be a positive integer, got ${String(v)}`);
    }
  }
  const image = await pixelsOf(source);
  const width = options.resizedWidth ?? image.width;
  const height = options.resizedHeight ?? image.height;
  const colors = colorsOf(format);
  const count = width * height * colors.length;
  // The RGBA planes of the resized image are the largest array made here.
  checkAllocation(4 * width * height, () => `${WHERE}: a ${colors.length}x${height}x${width} tensor (resized from ${image.width}x${image.height})`);
  const planes = resizedPlanes(image, width, height);
  const hw = width * height;
  const out = dataType === 'uint8' ? new Uint8Array(count) : new Float32Array(count);
  const [pixelStep, channelStep] = layout === 'NCHW' ? [1, hw] : [colors.length, 1];
  for (let k = 0; k < colors.length; k++) {
    const color = colors[k]!;
    const plane = color * hw;
    let at = k * channelStep;
    if (out instanceof Uint8Array) {
      for (let i = 0; i < hw; i++, at += pixelStep) {
        const v = Math.round(planes[plane + i]!);
        out[at] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    } else {
      const m = mean[color]!;
      const s = bias[color]!;
      for (let i = 0; i < hw; i++, at += pixelStep) out[at] = (planes[plane + i]! + s) / m;
    }
  }
  const dims = layout === 'NCHW' ? [1, colors.length, height, width] : [1, height, width, colors.length];
  return new Tensor(dataType, out, dims);
}

/**
 * The image's R, G, B and A planes ([4, height, width]), resized when the size differs. Float32
 * holds the bytes exactly, and the resize sums in float64 (kernels/resize.ts).
 */
function resizedPlanes(image: ImageDataLike, width: number, height: number): Float32Array {
  const w = image.width;
  const h = image.height;
  const src = new Float32Array(4 * w * h);
  const px = image.data;
  for (let c = 0; c < 4; c++) {
    const plane = c * w * h;
    for (let i = 0, at = c; i < w * h; i++, at += 4) src[plane + i] = px[at]!;
  }
  if (width === w && height === h) return src;
  const dst = new Float32Array(4 * width * height);
  const yPlan = planAxis({ inLen: h, outLen: height, scale: height / h, roiStart: 0, roiEnd: 1 }, RESIZE);
  const xPlan = planAxis({ inLen: w, outLen: width, scale: width / w, roiStart: 0, roiEnd: 1 }, RESIZE);
  resize2d(src, dst, 4, yPlan, xPlan);
  return dst;
}

function isImageDataLike(x: unknown): x is ImageDataLike {
  const o = x as Partial<ImageDataLike> | null;
  return o !== null && typeof o === 'object' && (o.data instanceof Uint8ClampedArray || o.data instanceof Uint8Array) &&
    typeof o.width === 'number' && typeof o.height === 'number';
}

/** The source's pixels as RGBA bytes. */
async function pixelsOf(source: ImageSource): Promise<ImageDataLike> {
  if (isImageDataLike(source)) {
    const { data, width, height } = source;
    if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0 || data.length !== width * height * 4) {
      throw new InvalidArgumentError(
        `${WHERE}: image data of ${width}x${height} pixels needs ${width * height * 4} bytes (RGBA), got ${data.length}`,
      );
    }
    return source;
  }
  if (source instanceof Uint8Array) return rgbaOf(decodeImage(source));
  if (source instanceof ArrayBuffer) return rgbaOf(decodeImage(new Uint8Array(source)));
  if (typeof Blob !== 'undefined' && source instanceof Blob) return rgbaOf(decodeImage(new Uint8Array(await source.arrayBuffer())));
  if (typeof source === 'string' || source instanceof URL) return rgbaOf(decodeImage(await fetchImage(source)));
  if (source !== null && typeof source === 'object' && 'data' in source) {
    throw new InvalidArgumentError(`${WHERE}: image data must hold its RGBA bytes in a Uint8ClampedArray or Uint8Array, with numeric width and height`);
  }
  if (source !== null && typeof source === 'object' && 'width' in source) return drawnPixels(source);
  throw new InvalidArgumentError(
    `${WHERE}: expected ImageData (or { data, width, height }), image bytes, a Blob, a URL or an image element, got ${source === null ? 'null' : typeof source}`,
  );
}

async function fetchImage(url: string | URL): Promise<Uint8Array> {
  const where = `${WHERE}: image '${String(url).slice(0, 200)}'`;
  let res: Response;
  try {
    // Relative URLs resolve against the page (browsers); elsewhere they must be absolute.
    res = await fetch(new URL(url, (globalThis as { location?: { href: string } }).location?.href));
  } catch (e) {
    throw new InvalidArgumentError(`${where} could not be fetched: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  if (!res.ok) throw new InvalidArgumentError(`${where}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared >= 0) checkLimit(DEFAULT_LIMITS, 'maxMemoryBytes', declared, where);
  return new Uint8Array(await res.arrayBuffer());
}

/** A decoded image as RGBA bytes, as a browser would draw it (gray repeated into R, G, B; alpha 255 where absent). */
function rgbaOf(img: DecodedImage): ImageDataLike {
  const n = img.width * img.height;
  const out = new Uint8ClampedArray(n * 4);
  const s = img.data;
  switch (img.mode) {
    case 'RGBA':
      out.set(s);
      break;
    case 'RGB':
      for (let i = 0; i < n; i++) {
        out[4 * i] = s[3 * i]!;
        out[4 * i + 1] = s[3 * i + 1]!;
        out[4 * i + 2] = s[3 * i + 2]!;
        out[4 * i + 3] = 255;
      }
      break;
    case 'L':
    case 'LA':
    case 'I': {
      const step = img.mode === 'LA' ? 2 : 1;
      const s16 = img.data16;
      for (let i = 0; i < n; i++) {
        // PIL's 'I' (16-bit gray) keeps the sample: its high byte is what a browser shows.
        const v = s16 ? s16[i]! >> 8 : s[i * step]!;
        out[4 * i] = v;
        out[4 * i + 1] = v;
        out[4 * i + 2] = v;
        out[4 * i + 3] = img.mode === 'LA' ? s[i * step + 1]! : 255;
      }
      break;
    }
  }
  return { data: out, width: img.width, height: img.height };
}

/** An image element, bitmap, canvas or video frame drawn onto a canvas and read back (browsers). */
async function drawnPixels(source: DrawableImage): Promise<ImageDataLike> {
  const el = source as { decode?: () => Promise<void>; complete?: boolean; naturalWidth?: number; naturalHeight?: number; width: number; height: number };
  if (typeof el.decode === 'function' && el.complete === false) await el.decode();
  const width = el.naturalWidth || Number(el.width);
  const height = el.naturalHeight || Number(el.height);
  if (!(width > 0 && height > 0)) throw new InvalidArgumentError(`${WHERE}: the image has no pixels yet (${width}x${height}); wait for it to load`);
  const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => OffscreenCanvas; document?: Document };
  let ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null = null;
  if (typeof g.OffscreenCanvas === 'function') {
    ctx = new g.OffscreenCanvas(width, height).getContext('2d');
  } else if (g.document) {
    const canvas = g.document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    ctx = canvas.getContext('2d');
  }
  if (!ctx) {
    throw new InvalidArgumentError(`${WHERE}: reading an image element needs a 2D canvas, which this host lacks; pass ImageData or the image's bytes`);
  }
  ctx.drawImage(source as CanvasImageSource, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}
