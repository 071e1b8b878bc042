// Lossless WebP (VP8L): LSB-first bit reader, canonical prefix codes, LZ77 with the 2-D distance
// map and color cache, meta prefix codes, and the four inverse transforms (predictor, cross-color,
// subtract-green, color-indexing), following the WebP lossless bitstream specification.

import type { DecodedImage } from './decoded-image.js';
import { ImageDecodeError } from './image-error.js';

const F = 'WebP';

const CODE_TO_PLANE = new Uint8Array([
  0x18, 0x07, 0x17, 0x19, 0x28, 0x06, 0x27, 0x29, 0x16, 0x1a, 0x26, 0x2a, 0x38, 0x05, 0x37, 0x39, 0x15, 0x1b, 0x36, 0x3a,
  0x25, 0x2b, 0x48, 0x04, 0x47, 0x49, 0x14, 0x1c, 0x35, 0x3b, 0x46, 0x4a, 0x24, 0x2c, 0x58, 0x45, 0x4b, 0x34, 0x3c, 0x03,
  0x57, 0x59, 0x13, 0x1d, 0x56, 0x5a, 0x23, 0x2d, 0x44, 0x4c, 0x55, 0x5b, 0x33, 0x3d, 0x68, 0x02, 0x67, 0x69, 0x12, 0x1e,
  0x66, 0x6a, 0x22, 0x2e, 0x54, 0x5c, 0x43, 0x4d, 0x65, 0x6b, 0x32, 0x3e, 0x78, 0x01, 0x77, 0x79, 0x53, 0x5d, 0x11, 0x1f,
  0x64, 0x6c, 0x42, 0x4e, 0x76, 0x7a, 0x21, 0x2f, 0x75, 0x7b, 0x31, 0x3f, 0x63, 0x6d, 0x52, 0x5e, 0x00, 0x74, 0x7c, 0x41,
  0x4f, 0x10, 0x20, 0x62, 0x6e, 0x30, 0x73, 0x7d, 0x51, 0x5f, 0x40, 0x72, 0x7e, 0x61, 0x6f, 0x50, 0x71, 0x7f, 0x60, 0x70,
]);
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

class BitReader {
  private buf = 0;
  private nbits = 0;
  constructor(
    private readonly b: Uint8Array,
    private pos: number,
    private readonly end: number,
  ) {}
  bits(n: number): number {
    while (this.nbits < n) {
      if (this.pos >= this.end) throw new ImageDecodeError(F, this.pos, 'premature end of lossless data');
      this.buf |= this.b[this.pos++] << this.nbits;
      this.nbits += 8;
    }
    const v = n === 0 ? 0 : (this.buf & (0xffffffff >>> (32 - n))) >>> 0;
    this.buf = n >= 32 ? 0 : this.buf >>> n;
    this.nbits -= n;
    return v;
  }
  get offset(): number {
    return this.pos;
  }
}

/** A canonical prefix code; `single` >= 0 means one symbol read with zero bits. */
class PrefixCode {
  private readonly counts = new Uint16Array(16);
  private readonly symbols: Uint16Array;
  readonly single: number;
  constructor(lengths: Uint8Array, at: number) {
    let nonZero = 0;
    let last = 0;
    for (let s = 0; s < lengths.length; s++) {
      if (lengths[s]) {
        this.counts[lengths[s]]++;
        nonZero++;
        last = s;
      }
    }
    this.symbols = new Uint16Array(nonZero);
    this.single = nonZero === 1 ? last : -1;
    if (nonZero === 0) throw new ImageDecodeError(F, at, 'empty prefix code');
    if (nonZero > 1) {
      let left = 1;
      for (let l = 1; l < 16; l++) {
        left = (left << 1) - this.counts[l];
        if (left < 0) throw new ImageDecodeError(F, at, 'over-subscribed prefix code');
      }
      if (left !== 0) throw new ImageDecodeError(F, at, 'incomplete prefix code');
      const offs = new Uint16Array(16);
      for (let l = 1; l < 15; l++) offs[l + 1] = offs[l] + this.counts[l];
      for (let s = 0; s < lengths.length; s++) if (lengths[s]) this.symbols[offs[lengths[s]]++] = s;
    }
  }
  read(br: BitReader): number {
    if (this.single >= 0) return this.single;
    let code = 0;
    let first = 0;
    let index = 0;
    for (let l = 1; l < 16; l++) {
      code |= br.bits(1);
      const count = this.counts[l];
      if (code - first < count) return this.symbols[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new ImageDecodeError(F, br.offset, 'invalid prefix code');
  }
}

function readCodeLengths(br: BitReader, clCode: PrefixCode, lengths: Uint8Array): void {
  const n = lengths.length;
  let maxSymbol = n;
  if (br.bits(1)) {
    const nbits = 2 + 2 * br.bits(3);
    maxSymbol = 2 + br.bits(nbits);
    if (maxSymbol > n) throw new ImageDecodeError(F, br.offset, 'too many code lengths');
  }
  let prev = 8;
  let s = 0;
  while (s < n) {
    if (maxSymbol-- === 0) break;
    const len = clCode.read(br);
    if (len < 16) {
      lengths[s++] = len;
      if (len) prev = len;
    } else {
      const slot = len - 16;
      const repeat = br.bits([2, 3, 7][slot]) + [3, 3, 11][slot];
      if (s + repeat > n) throw new ImageDecodeError(F, br.offset, 'code length repeat runs past the alphabet');
      lengths.fill(len === 16 ? prev : 0, s, s + repeat);
      s += repeat;
    }
  }
}

function readPrefixCode(br: BitReader, alphabet: number): PrefixCode {
  const at = br.offset;
  const lengths = new Uint8Array(alphabet);
  if (br.bits(1)) {
    const two = br.bits(1);
    const s0 = br.bits(br.bits(1) ? 8 : 1);
    if (s0 >= alphabet) throw new ImageDecodeError(F, at, 'symbol outside the alphabet');
    lengths[s0] = 1;
    if (two) {
      const s1 = br.bits(8);
      if (s1 >= alphabet) throw new ImageDecodeError(F, at, 'symbol outside the alphabet');
      lengths[s1] = 1;
    }
  } else {
    const clLengths = new Uint8Array(19);
    const num = br.bits(4) + 4;
    for (let i = 0; i < num; i++) clLengths[CODE_LENGTH_ORDER[i]] = br.bits(3);
    readCodeLengths(br, new PrefixCode(clLengths, at), lengths);
  }
  return new PrefixCode(lengths, at);
}

function prefixValue(br: BitReader, prefix: number): number {
  if (prefix < 4) return prefix + 1;
  const extra = (prefix - 2) >> 1;
  const offset = (2 + (prefix & 1)) << extra;
  return offset + br.bits(extra) + 1;
}

const subSize = (n: number, bits: number): number => Math.ceil(n / (1 << bits));

/** Decodes one entropy-coded image of w x h ARGB pixels (level0: the main image, may use meta codes). */
function readImage(br: BitReader, w: number, h: number, level0: boolean): Uint32Array {
  let cacheBits = 0;
  if (br.bits(1)) {
    cacheBits = br.bits(4);
    if (cacheBits < 1 || cacheBits > 11) throw new ImageDecodeError(F, br.offset, `invalid color cache size ${cacheBits}`);
  }
  let metaBits = 0;
  let meta: Uint32Array | undefined;
  let groups = 1;
  if (level0 && br.bits(1)) {
    metaBits = br.bits(3) + 2;
    meta = readImage(br, subSize(w, metaBits), subSize(h, metaBits), false);
    for (let i = 0; i < meta.length; i++) {
      meta[i] = (meta[i] >> 8) & 0xffff;
      if (meta[i] + 1 > groups) groups = meta[i] + 1;
    }
  }
  const cacheSize = cacheBits ? 1 << cacheBits : 0;
  const codes: PrefixCode[][] = [];
  for (let g = 0; g < groups; g++) {
    codes.push([
      readPrefixCode(br, 256 + 24 + cacheSize), readPrefixCode(br, 256), readPrefixCode(br, 256),
      readPrefixCode(br, 256), readPrefixCode(br, 40),
    ]);
  }
  const out = new Uint32Array(w * h);
  const cache = new Uint32Array(cacheSize);
  const cacheShift = 32 - cacheBits;
  const metaW = subSize(w, metaBits);
  const total = w * h;
  let pos = 0;
  let cached = 0; // pixels before this index are already in the color cache
  while (pos < total) {
    const x = pos % w;
    const y = (pos / w) | 0;
    const g = meta ? codes[meta[(y >> metaBits) * metaW + (x >> metaBits)]] : codes[0];
    const sym = g[0].read(br);
    if (sym < 256) {
      const r = g[1].read(br);
      const b = g[2].read(br);
      const a = g[3].read(br);
      out[pos++] = ((a << 24) | (r << 16) | (sym << 8) | b) >>> 0;
    } else if (sym < 280) {
      const len = prefixValue(br, sym - 256);
      const code = prefixValue(br, g[4].read(br));
      let dist: number;
      if (code > 120) dist = code - 120;
      else {
        const d = CODE_TO_PLANE[code - 1];
        dist = (d >> 4) * w + (8 - (d & 15));
        if (dist < 1) dist = 1;
      }
      if (dist > pos || pos + len > total) throw new ImageDecodeError(F, br.offset, 'back-reference outside the image');
      for (let k = 0; k < len; k++, pos++) out[pos] = out[pos - dist];
    } else {
      const key = sym - 280;
      if (key >= cacheSize) throw new ImageDecodeError(F, br.offset, 'color cache index out of range');
      while (cached < pos) cache[Math.imul(out[cached], 0x1e35a7bd) >>> cacheShift] = out[cached++];
      out[pos++] = cache[key];
    }
    if (cacheSize) while (cached < pos) cache[Math.imul(out[cached], 0x1e35a7bd) >>> cacheShift] = out[cached++];
  }
  return out;
}

interface Transform {
  readonly type: number;
  readonly bits: number;
  readonly width: number; // image width when this transform is undone (before packing)
  readonly data?: Uint32Array;
  readonly colors?: number;
}

const avg2 = (a: number, b: number): number =>
  ((((a ^ b) & 0xfefefefe) >>> 1) + (a & b)) >>> 0;
const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

function predict(mode: number, L: number, T: number, TR: number, TL: number): number {
  switch (mode) {
    case 0: return 0xff000000;
    case 1: return L;
    case 2: return T;
    case 3: return TR;
    case 4: return TL;
    case 5: return avg2(avg2(L, TR), T);
    case 6: return avg2(L, TL);
    case 7: return avg2(L, T);
    case 8: return avg2(TL, T);
    case 9: return avg2(T, TR);
    case 10: return avg2(avg2(L, TL), avg2(T, TR));
    case 11: {
      let d = 0;
      for (let s = 0; s < 32; s += 8) {
        const t = (T >>> s) & 255, l = (L >>> s) & 255, tl = (TL >>> s) & 255;
        d += Math.abs(l - tl) - Math.abs(t - tl);
      }
      return d <= 0 ? T : L;
    }
    case 12: {
      let v = 0;
      for (let s = 0; s < 32; s += 8) v |= clampByte(((L >>> s) & 255) + ((T >>> s) & 255) - ((TL >>> s) & 255)) << s;
      return v >>> 0;
    }
    default: {
      const a = avg2(L, T);
      let v = 0;
      for (let s = 0; s < 32; s += 8) {
        const c = (a >>> s) & 255;
        v |= clampByte(c + Math.trunc((c - ((TL >>> s) & 255)) / 2)) << s;
      }
      return v >>> 0;
    }
  }
}

function addPixels(a: number, b: number): number {
  const ag = (a & 0xff00ff00) + (b & 0xff00ff00);
  const rb = (a & 0x00ff00ff) + (b & 0x00ff00ff);
  return ((ag & 0xff00ff00) | (rb & 0x00ff00ff)) >>> 0;
}

const delta = (t: number, c: number): number => (((t << 24) >> 24) * ((c << 24) >> 24)) >> 5;

function undo(t: Transform, px: Uint32Array, h: number): Uint32Array {
  const w = t.width;
  if (t.type === 0) {
    const tw = subSize(w, t.bits);
    const d = t.data as Uint32Array;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        let pred: number;
        if (y === 0) pred = x === 0 ? 0xff000000 : px[i - 1];
        else if (x === 0) pred = px[i - w];
        else pred = predict((d[(y >> t.bits) * tw + (x >> t.bits)] >> 8) & 15, px[i - 1], px[i - w], px[i - w + 1], px[i - w - 1]);
        px[i] = addPixels(px[i], pred);
      }
    }
    return px;
  }
  if (t.type === 1) {
    const tw = subSize(w, t.bits);
    const d = t.data as Uint32Array;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const m = d[(y >> t.bits) * tw + (x >> t.bits)];
        const argb = px[i];
        const green = (argb >> 8) & 255;
        const red = (((argb >> 16) & 255) + delta(m & 255, green)) & 255;
        const blue = ((argb & 255) + delta((m >> 8) & 255, green) + delta((m >> 16) & 255, red)) & 255;
        px[i] = ((argb & 0xff00ff00) | (red << 16) | blue) >>> 0;
      }
    }
    return px;
  }
  if (t.type === 2) {
    for (let i = 0; i < px.length; i++) {
      const g = (px[i] >> 8) & 255;
      px[i] = ((px[i] & 0xff00ff00) | ((((px[i] >> 16) + g) & 255) << 16) | (((px[i] & 255) + g) & 255)) >>> 0;
    }
    return px;
  }
  const pal = t.data as Uint32Array;
  const packedW = subSize(w, t.bits);
  const bpp = 8 >> t.bits;
  const mask = (1 << bpp) - 1;
  const out = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const g = (px[y * packedW + (x >> t.bits)] >> 8) & 255;
      const idx = (g >> ((x & ((1 << t.bits) - 1)) * bpp)) & mask;
      out[y * w + x] = idx < pal.length ? pal[idx] : 0;
    }
  }
  return out;
}

export function decodeVp8l(b: Uint8Array, start: number, end: number, checkSize: (w: number, h: number) => void): DecodedImage {
  if (end - start < 5 || b[start] !== 0x2f) throw new ImageDecodeError(F, start, 'bad VP8L signature');
  const br = new BitReader(b, start + 1, end);
  const width = br.bits(14) + 1;
  const height = br.bits(14) + 1;
  const alpha = br.bits(1);
  if (br.bits(3) !== 0) throw new ImageDecodeError(F, start + 4, 'unknown VP8L version');
  checkSize(width, height);
  if (width * height > 64 * 8 * (end - start) + (1 << 20)) {
    throw new ImageDecodeError(F, start + 1, `${width}x${height} is more than ${end - start} bytes can encode`);
  }
  const transforms: Transform[] = [];
  let w = width;
  const seen = new Set<number>();
  while (br.bits(1)) {
    const type = br.bits(2);
    if (seen.has(type)) throw new ImageDecodeError(F, br.offset, `transform ${type} used twice`);
    seen.add(type);
    if (type === 0 || type === 1) {
      const bits = br.bits(3) + 2;
      transforms.push({ type, bits, width: w, data: readImage(br, subSize(w, bits), subSize(height, bits), false) });
    } else if (type === 2) {
      transforms.push({ type, bits: 0, width: w });
    } else {
      const colors = br.bits(8) + 1;
      const bits = colors > 16 ? 0 : colors > 4 ? 1 : colors > 2 ? 2 : 3;
      const pal = readImage(br, colors, 1, false);
      for (let i = 1; i < colors; i++) pal[i] = addPixels(pal[i], pal[i - 1]);
      transforms.push({ type, bits, width: w, data: pal, colors });
      w = subSize(w, bits);
    }
  }
  let px = readImage(br, w, height, true);
  for (let i = transforms.length - 1; i >= 0; i--) px = undo(transforms[i], px, height);
  const n = width * height;
  const bands = alpha ? 4 : 3;
  const out = new Uint8Array(n * bands);
  for (let i = 0; i < n; i++) {
    const v = px[i];
    out[bands * i] = (v >> 16) & 255;
    out[bands * i + 1] = (v >> 8) & 255;
    out[bands * i + 2] = v & 255;
    if (alpha) out[4 * i + 3] = v >>> 24;
  }
  return { width, height, mode: alpha ? 'RGBA' : 'RGB', data: out };
}
