// Converts decoded pixels to the ImageDecoder output layouts the way PIL's convert() does.

import type { DecodedImage } from './decoded-image.js';

export type PixelFormat = 'RGB' | 'BGR' | 'Grayscale';

/** PIL's RGB->L: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 (ITU-R 601-2 luma). */
function lumaOf(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/** Writes width*height*C bytes (C = 1 for Grayscale, else 3) into `out`. */
export function convertPixels(img: DecodedImage, format: PixelFormat, out: Uint8Array): void {
  const n = img.width * img.height;
  const src = img.data;
  if (img.mode === 'I') {
    const s16 = img.data16 as Uint16Array;
    if (format === 'Grayscale') {
      for (let i = 0; i < n; i++) out[i] = s16[i] > 255 ? 255 : s16[i];
    } else {
      for (let i = 0; i < n; i++) {
        const v = s16[i] > 255 ? 255 : s16[i];
        out[3 * i] = v;
        out[3 * i + 1] = v;
        out[3 * i + 2] = v;
      }
    }
    return;
  }
  if (img.mode === 'L' || img.mode === 'LA') {
    const step = img.mode === 'L' ? 1 : 2;
    if (format === 'Grayscale') {
      for (let i = 0; i < n; i++) out[i] = src[i * step];
    } else {
      for (let i = 0; i < n; i++) {
        const v = src[i * step];
        out[3 * i] = v;
        out[3 * i + 1] = v;
        out[3 * i + 2] = v;
      }
    }
    return;
  }
  const step = img.mode === 'RGB' ? 3 : 4;
  if (format === 'Grayscale') {
    for (let i = 0; i < n; i++) out[i] = lumaOf(src[i * step], src[i * step + 1], src[i * step + 2]);
  } else if (format === 'RGB') {
    for (let i = 0; i < n; i++) {
      out[3 * i] = src[i * step];
      out[3 * i + 1] = src[i * step + 1];
      out[3 * i + 2] = src[i * step + 2];
    }
  } else {
    for (let i = 0; i < n; i++) {
      out[3 * i] = src[i * step + 2];
      out[3 * i + 1] = src[i * step + 1];
      out[3 * i + 2] = src[i * step];
    }
  }
}
