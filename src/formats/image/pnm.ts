// Netpbm decoder: P1-P6 (plain and raw bitmap/graymap/pixmap), any maxval; matches PIL's PpmImagePlugin.

import type { DecodedImage } from './decoded-image.js';
import { ImageDecodeError, checkDimensions } from './image-error.js';

const F = 'PNM';

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

export function isPnm(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x36 && isSpace(b[2]);
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function decodePnm(b: Uint8Array): DecodedImage {
  if (!isPnm(b)) throw new ImageDecodeError(F, 0, 'missing P1-P6 signature');
  const kind = b[1] - 0x30;
  let p = 3;
  const readToken = (): number => {
    let start = -1;
    let tok = '';
    while (tok.length <= 10) {
      if (p >= b.length) break;
      const c = b[p++];
      if (isSpace(c)) {
        if (!tok) continue;
        break;
      }
      if (c === 0x23) {
        while (p < b.length && b[p] !== 0x0a && b[p] !== 0x0d) p++;
        p++;
        continue;
      }
      if (start < 0) start = p - 1;
      tok += String.fromCharCode(c);
    }
    if (!tok) throw new ImageDecodeError(F, p, 'reached end of data while reading header');
    if (tok.length > 10 || !/^\d+$/.test(tok)) throw new ImageDecodeError(F, start, `bad header token '${tok.slice(0, 11)}'`);
    return Number(tok);
  };
  const width = readToken();
  const height = readToken();
  checkDimensions(F, 3, width, height);
  const n = width * height;
  if (kind === 1 || kind === 4) {
    const out = new Uint8Array(n);
    if (kind === 4) {
      const stride = (width + 7) >> 3;
      if (p + stride * height > b.length) throw new ImageDecodeError(F, p, `pixel data truncated (need ${stride * height} bytes)`);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          out[y * width + x] = (b[p + y * stride + (x >> 3)] >> (7 - (x & 7))) & 1 ? 0 : 255;
        }
      }
    } else {
      let k = 0;
      while (k < n && p < b.length) {
        const c = b[p++];
        if (c === 0x23) {
          while (p < b.length && b[p] !== 0x0a && b[p] !== 0x0d) p++;
          continue;
        }
        if (isSpace(c)) continue;
        if (c !== 0x30 && c !== 0x31) throw new ImageDecodeError(F, p - 1, `invalid bitmap token '${String.fromCharCode(c)}'`);
        out[k++] = c === 0x31 ? 0 : 255;
      }
      if (k < n) throw new ImageDecodeError(F, p, `not enough pixel data (${k} of ${n})`);
    }
    return { width, height, mode: 'L', data: out };
  }
  const maxOffset = p;
  const maxval = readToken();
  if (!(maxval > 0 && maxval < 65536)) throw new ImageDecodeError(F, maxOffset, `maxval ${maxval} not in 1..65535`);
  const rgb = kind === 3 || kind === 6;
  const bands = rgb ? 3 : 1;
  const wide = !rgb && maxval > 255;
  const outMax = wide ? 65535 : 255;
  const count = n * bands;
  const values = new Uint32Array(count);
  if (kind === 5 || kind === 6) {
    const bytesPer = maxval < 256 ? 1 : 2;
    if (p + count * bytesPer > b.length) throw new ImageDecodeError(F, p, `pixel data truncated (need ${count * bytesPer} bytes)`);
    for (let i = 0; i < count; i++) values[i] = bytesPer === 1 ? b[p + i] : (b[p + 2 * i] << 8) | b[p + 2 * i + 1];
  } else {
    let k = 0;
    while (k < count && p < b.length) {
      const c = b[p];
      if (c === 0x23) {
        while (p < b.length && b[p] !== 0x0a && b[p] !== 0x0d) p++;
        continue;
      }
      if (isSpace(c)) {
        p++;
        continue;
      }
      const start = p;
      let v = 0;
      while (p < b.length && !isSpace(b[p]) && b[p] !== 0x23) {
        const d = b[p] - 0x30;
        if (d < 0 || d > 9 || p - start >= 10) throw new ImageDecodeError(F, start, 'bad sample token');
        v = v * 10 + d;
        p++;
      }
      if (v > maxval) throw new ImageDecodeError(F, start, `sample ${v} exceeds maxval ${maxval}`);
      values[k++] = v;
    }
    if (k < count) throw new ImageDecodeError(F, p, `not enough pixel data (${k} of ${count} samples)`);
  }
  const raw = maxval === (wide ? 65535 : 255) && (kind === 5 || kind === 6);
  const scaled = values;
  if (!raw) for (let i = 0; i < count; i++) scaled[i] = Math.min(outMax, roundHalfEven((values[i] / maxval) * outMax));
  if (wide) return { width, height, mode: 'I', data: new Uint8Array(0), data16: Uint16Array.from(scaled) };
  return { width, height, mode: rgb ? 'RGB' : 'L', data: Uint8Array.from(scaled) };
}
