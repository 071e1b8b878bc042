// Windows BMP decoder (BITMAPCOREHEADER / INFOHEADER v3-v5): 1/4/8-bit palette (raw, RLE4, RLE8),
// 16-bit 5-5-5 / 5-6-5, 24-bit, 32-bit (BGRX, bitfields), bottom-up and top-down; matches PIL.

import type { DecodedImage } from './decoded-image.js';
import { ImageDecodeError, checkDimensions } from './image-error.js';

const F = 'BMP';

function u16(b: Uint8Array, o: number): number {
  if (o + 2 > b.length) throw new ImageDecodeError(F, o, 'unexpected end of data');
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  if (o + 4 > b.length) throw new ImageDecodeError(F, o, 'unexpected end of data');
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

export function isBmp(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d;
}

/** 32-bit bitfield layouts PIL accepts, as [r, g, b, a] masks -> byte index of R,G,B,A (-1 none). */
const MASKS32: readonly (readonly [number, number, number, number, readonly number[]])[] = [
  [0xff0000, 0xff00, 0xff, 0, [2, 1, 0, -1]],
  [0xff000000, 0xff0000, 0xff00, 0, [3, 2, 1, -1]],
  [0xff000000, 0xff0000, 0xff00, 0xff, [3, 2, 1, 0]],
  [0xff, 0xff00, 0xff0000, 0xff000000, [0, 1, 2, 3]],
  [0xff0000, 0xff00, 0xff, 0xff000000, [2, 1, 0, 3]],
  [0, 0, 0, 0, [2, 1, 0, 3]],
];

export function decodeBmp(b: Uint8Array): DecodedImage {
  if (!isBmp(b)) throw new ImageDecodeError(F, 0, 'missing BM signature');
  const dataOffset = u32(b, 10);
  const headerSize = u32(b, 14);
  let width: number;
  let height: number;
  let bits: number;
  let compression = 0;
  let colors = 0;
  let topDown = false;
  let palettePad = 4;
  let masks: number[] | undefined;
  let pos = 14 + headerSize;
  if (headerSize === 12) {
    width = u16(b, 18);
    height = u16(b, 20);
    bits = u16(b, 24);
    palettePad = 3;
  } else if (headerSize === 40 || headerSize === 64 || headerSize === 108 || headerSize === 124) {
    width = u32(b, 18) | 0;
    const rawH = u32(b, 22);
    topDown = b[25] === 0xff;
    height = topDown ? 2 ** 32 - rawH : rawH;
    bits = u16(b, 28);
    compression = u32(b, 30);
    colors = u32(b, 46);
    if (compression === 3) {
      if (headerSize >= 56) {
        masks = [u32(b, 54), u32(b, 58), u32(b, 62), u32(b, 66)];
      } else {
        masks = [u32(b, pos), u32(b, pos + 4), u32(b, pos + 8), 0];
        pos += 12;
      }
    }
  } else {
    throw new ImageDecodeError(F, 14, `unsupported header size ${headerSize}`);
  }
  checkDimensions(F, 18, width, height);
  if (colors === 0) colors = 2 ** bits;
  if (bits !== 1 && bits !== 4 && bits !== 8 && bits !== 16 && bits !== 24 && bits !== 32) {
    throw new ImageDecodeError(F, 28, `unsupported pixel depth ${bits}`);
  }
  const n = width * height;
  if (bits <= 8) {
    if (!(colors > 0 && colors <= 65536)) throw new ImageDecodeError(F, 46, `unsupported palette size ${colors}`);
    if (pos + palettePad * colors > b.length) throw new ImageDecodeError(F, pos, 'palette runs past the end of data');
    const palette = new Uint8Array(256 * 3);
    for (let i = 0; i < Math.min(colors, 256); i++) {
      palette[3 * i] = b[pos + palettePad * i + 2];
      palette[3 * i + 1] = b[pos + palettePad * i + 1];
      palette[3 * i + 2] = b[pos + palettePad * i];
    }
    let start = dataOffset;
    if (dataOffset === 14 + headerSize) start += 4 * colors;
    const idx = new Uint8Array(n);
    if (compression === 1 || compression === 2) {
      if (n > 4096 * (b.length - start) + (1 << 20)) {
        throw new ImageDecodeError(F, 18, `${width}x${height} is more than ${b.length - start} bytes of RLE data can sensibly encode`);
      }
      decodeRle(b, start, compression === 2, width, height, idx);
    } else if (compression === 0) {
      readPacked(b, start, bits, width, height, topDown, idx);
    } else {
      throw new ImageDecodeError(F, 30, `unsupported compression ${compression} for ${bits}-bit`);
    }
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      const p = idx[i] * 3;
      out[3 * i] = palette[p];
      out[3 * i + 1] = palette[p + 1];
      out[3 * i + 2] = palette[p + 2];
    }
    return { width, height, mode: 'RGB', data: out };
  }
  const stride = ((width * bits + 31) >>> 3) & ~3;
  if (dataOffset + stride * (height - 1) + Math.ceil((width * bits) / 8) > b.length) {
    throw new ImageDecodeError(F, dataOffset, `pixel data truncated (need ${stride * height} bytes)`);
  }
  let order = [2, 1, 0, -1];
  let mode16 = 15;
  if (compression === 3) {
    const m = masks as number[];
    if (bits === 32) {
      const hit = MASKS32.find((e) => e[0] === m[0] && e[1] === m[1] && e[2] === m[2] && e[3] === m[3]);
      if (!hit) throw new ImageDecodeError(F, 54, 'unsupported bitfields layout');
      order = [...hit[4]];
    } else if (bits === 24 && m[0] === 0xff0000 && m[1] === 0xff00 && m[2] === 0xff) {
      order = [2, 1, 0, -1];
    } else if (bits === 16 && m[0] === 0xf800 && m[1] === 0x7e0 && m[2] === 0x1f) {
      mode16 = 16;
    } else if (bits === 16 && m[0] === 0x7c00 && m[1] === 0x3e0 && m[2] === 0x1f) {
      mode16 = 15;
    } else {
      throw new ImageDecodeError(F, 54, 'unsupported bitfields layout');
    }
  } else if (compression !== 0) {
    throw new ImageDecodeError(F, 30, `unsupported compression ${compression} for ${bits}-bit`);
  }
  const alpha = bits === 32 && order[3] >= 0;
  const bands = alpha ? 4 : 3;
  const out = new Uint8Array(n * bands);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + stride * (topDown ? y : height - 1 - y);
    let o = y * width * bands;
    if (bits === 16) {
      for (let x = 0; x < width; x++, o += 3) {
        const p = b[row + 2 * x] | (b[row + 2 * x + 1] << 8);
        if (mode16 === 16) {
          out[o] = ((((p >> 11) & 31) * 255) / 31) | 0;
          out[o + 1] = ((((p >> 5) & 63) * 255) / 63) | 0;
        } else {
          out[o] = ((((p >> 10) & 31) * 255) / 31) | 0;
          out[o + 1] = ((((p >> 5) & 31) * 255) / 31) | 0;
        }
        out[o + 2] = (((p & 31) * 255) / 31) | 0;
      }
    } else {
      const bpp = bits >> 3;
      for (let x = 0; x < width; x++, o += bands) {
        const p = row + bpp * x;
        out[o] = b[p + order[0]];
        out[o + 1] = b[p + order[1]];
        out[o + 2] = b[p + order[2]];
        if (alpha) out[o + 3] = b[p + order[3]];
      }
    }
  }
  return { width, height, mode: alpha ? 'RGBA' : 'RGB', data: out };
}

function readPacked(
  b: Uint8Array, start: number, bits: number, width: number, height: number, topDown: boolean, idx: Uint8Array,
): void {
  const stride = ((width * bits + 31) >>> 3) & ~3;
  if (start + stride * (height - 1) + Math.ceil((width * bits) / 8) > b.length) {
    throw new ImageDecodeError(F, start, `pixel data truncated (need ${stride * height} bytes)`);
  }
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let y = 0; y < height; y++) {
    const row = start + stride * (topDown ? y : height - 1 - y);
    const o = y * width;
    for (let x = 0; x < width; x++) {
      const byte = b[row + ((x / perByte) | 0)];
      const shift = 8 - bits * ((x % perByte) + 1);
      idx[o + x] = (byte >> shift) & mask;
    }
  }
}

/** RLE8/RLE4 as PIL decodes it: rows fill bottom-up, missing pixels are index 0. */
function decodeRle(b: Uint8Array, start: number, rle4: boolean, width: number, height: number, idx: Uint8Array): void {
  const total = width * height;
  const flat = new Uint8Array(total);
  let len = 0;
  let x = 0;
  let p = start;
  while (len < total) {
    if (p + 2 > b.length) break;
    let count = b[p];
    const byte = b[p + 1];
    p += 2;
    if (count) {
      if (x + count > width) count = Math.max(0, width - x);
      for (let i = 0; i < count && len < total; i++) {
        flat[len++] = rle4 ? (i % 2 === 0 ? byte >> 4 : byte & 15) : byte;
      }
      x += count;
    } else if (byte === 0) {
      while (len % width !== 0) len++;
      x = 0;
    } else if (byte === 1) {
      break;
    } else if (byte === 2) {
      if (p + 2 > b.length) break;
      len += b[p] + b[p + 1] * width;
      p += 2;
      if (len > total) len = total;
      x = len % width;
    } else {
      const byteCount = rle4 ? byte >> 1 : byte;
      const avail = Math.min(byteCount, b.length - p);
      for (let i = 0; i < avail && len < total; i++) {
        if (rle4) {
          flat[len++] = b[p + i] >> 4;
          if (len < total) flat[len++] = b[p + i] & 15;
        } else {
          flat[len++] = b[p + i];
        }
      }
      p += avail;
      if (avail < byteCount) break;
      x += byte;
      if ((p - 0) % 2 !== 0) p++;
    }
  }
  for (let y = 0; y < height; y++) idx.set(flat.subarray(y * width, (y + 1) * width), (height - 1 - y) * width);
}
