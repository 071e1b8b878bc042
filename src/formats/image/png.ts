// PNG decoder: every color type and bit depth, Adam7 interlace, palettes; zlib via fflate.
// Output modes follow PIL: 16-bit gray -> 'I', other 16-bit -> high byte, 1/2/4-bit gray scaled.

import { unzlibSync } from 'fflate';
import type { DecodedImage, ImageMode } from './decoded-image.js';
import { ImageDecodeError, checkDimensions } from './image-error.js';

const F = 'PNG';
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && SIGNATURE.every((v, i) => b[i] === v);
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

export function decodePng(b: Uint8Array): DecodedImage {
  if (!isPng(b)) throw new ImageDecodeError(F, 0, 'missing PNG signature');
  let p = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = -1;
  let interlace = 0;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let idatLength = 0;
  while (p + 8 <= b.length) {
    const len = u32(b, p);
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    const body = p + 8;
    if (body + len > b.length) throw new ImageDecodeError(F, p, `chunk ${type} runs past the end of data`);
    if (type === 'IHDR') {
      if (len < 13) throw new ImageDecodeError(F, p, 'IHDR too short');
      width = u32(b, body);
      height = u32(b, body + 4);
      depth = b[body + 8];
      colorType = b[body + 9];
      interlace = b[body + 12];
      checkDimensions(F, body, width, height);
      if (!(colorType in CHANNELS) || !ALLOWED_DEPTHS[colorType].includes(depth)) {
        throw new ImageDecodeError(F, body + 8, `invalid bit depth ${depth} for color type ${colorType}`);
      }
      if (b[body + 10] !== 0 || b[body + 11] !== 0 || interlace > 1) {
        throw new ImageDecodeError(F, body + 10, 'unknown compression, filter or interlace method');
      }
    } else if (type === 'PLTE') {
      palette = b.subarray(body, body + len - (len % 3));
    } else if (type === 'IDAT') {
      idat.push(b.subarray(body, body + len));
      idatLength += len;
    } else if (type === 'IEND') {
      break;
    }
    p = body + len + 4;
  }
  if (colorType < 0) throw new ImageDecodeError(F, 8, 'missing IHDR chunk');
  if (idat.length === 0) throw new ImageDecodeError(F, p, 'missing IDAT chunk');
  if (colorType === 3 && !palette) throw new ImageDecodeError(F, p, 'palette image without PLTE chunk');
  const channels = CHANNELS[colorType];
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  // Expected size of the filtered stream; the inflater never writes past it.
  let expected = 0;
  const passes = interlace ? ADAM7 : [[0, 0, 1, 1] as const];
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw > 0 && ph > 0) expected += ph * (1 + Math.ceil((pw * bitsPerPixel) / 8));
  }
  if (expected > 1100 * idatLength + 4096) {
    throw new ImageDecodeError(F, 16, `${width}x${height} needs ${expected} bytes, more than ${idatLength} IDAT bytes can inflate to`);
  }
  const joined = new Uint8Array(idatLength);
  let q = 0;
  for (const part of idat) {
    joined.set(part, q);
    q += part.length;
  }
  const stream = new Uint8Array(expected);
  let produced: Uint8Array;
  try {
    produced = unzlibSync(joined, { out: stream });
  } catch (e) {
    throw new ImageDecodeError(F, 8, `corrupt zlib stream in IDAT (${(e as Error).message})`);
  }
  if (produced.length < expected) {
    throw new ImageDecodeError(F, 8, `IDAT data too short: ${produced.length} of ${expected} bytes`);
  }
  // Unfilter every pass and scatter its samples into a full-size sample plane.
  const samples = new Uint16Array(width * height * channels);
  let s = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const rowBytes = Math.ceil((pw * bitsPerPixel) / 8);
    let prev = new Uint8Array(rowBytes);
    let cur = new Uint8Array(rowBytes);
    for (let y = 0; y < ph; y++) {
      const filter = stream[s];
      unfilterRow(filter, stream, s + 1, cur, prev, rowBytes, bpp, s);
      s += 1 + rowBytes;
      const outRow = (y0 + y * dy) * width;
      for (let x = 0; x < pw; x++) {
        const o = (outRow + x0 + x * dx) * channels;
        for (let c = 0; c < channels; c++) {
          const k = x * channels + c;
          let v: number;
          if (depth === 8) v = cur[k];
          else if (depth === 16) v = (cur[2 * k] << 8) | cur[2 * k + 1];
          else {
            const bit = k * depth;
            v = (cur[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
          }
          samples[o + c] = v;
        }
      }
      const t = prev;
      prev = cur;
      cur = t;
    }
  }
  return toMode(samples, width, height, colorType, depth, palette);
}

function unfilterRow(
  filter: number, src: Uint8Array, at: number, cur: Uint8Array, prev: Uint8Array, n: number, bpp: number, offset: number,
): void {
  switch (filter) {
    case 0:
      for (let i = 0; i < n; i++) cur[i] = src[at + i];
      break;
    case 1:
      for (let i = 0; i < n; i++) cur[i] = (src[at + i] + (i >= bpp ? cur[i - bpp] : 0)) & 255;
      break;
    case 2:
      for (let i = 0; i < n; i++) cur[i] = (src[at + i] + prev[i]) & 255;
      break;
    case 3:
      for (let i = 0; i < n; i++) cur[i] = (src[at + i] + (((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1)) & 255;
      break;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? cur[i - bpp] : 0;
        const bb = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        const pa = Math.abs(bb - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + bb - 2 * c);
        const pred = pa <= pb && pa <= pc ? a : pb <= pc ? bb : c;
        cur[i] = (src[at + i] + pred) & 255;
      }
      break;
    default:
      throw new ImageDecodeError(F, offset, `unknown filter type ${filter} in zlib stream`);
  }
}

function toMode(
  samples: Uint16Array, width: number, height: number, colorType: number, depth: number, palette: Uint8Array | undefined,
): DecodedImage {
  const n = width * height;
  if (colorType === 3) {
    const pal = palette as Uint8Array;
    const entries = pal.length / 3;
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      const k = samples[i];
      if (k < entries) {
        out[3 * i] = pal[3 * k];
        out[3 * i + 1] = pal[3 * k + 1];
        out[3 * i + 2] = pal[3 * k + 2];
      }
    }
    return { width, height, mode: 'RGB', data: out };
  }
  if (colorType === 0 && depth === 16) {
    return { width, height, mode: 'I', data: new Uint8Array(0), data16: samples };
  }
  const mode: ImageMode = colorType === 0 ? 'L' : colorType === 2 ? 'RGB' : colorType === 4 ? 'LA' : 'RGBA';
  const out = new Uint8Array(samples.length);
  const scale = depth === 1 ? 255 : depth === 2 ? 85 : depth === 4 ? 17 : 1;
  if (depth === 16) for (let i = 0; i < out.length; i++) out[i] = samples[i] >> 8;
  else for (let i = 0; i < out.length; i++) out[i] = samples[i] * scale;
  return { width, height, mode, data: out };
}
