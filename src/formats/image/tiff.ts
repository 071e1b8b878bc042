// Baseline TIFF decoder (first IFD, strips or tiles): uncompressed, LZW, Deflate, PackBits;
// bilevel, gray (8/16-bit, either polarity), palette, RGB(A) with optional horizontal predictor.

import { unzlibSync } from 'fflate';
import type { DecodedImage } from './decoded-image.js';
import { ImageDecodeError, checkDimensions } from './image-error.js';

const F = 'TIFF';
const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8 };

export function isTiff(b: Uint8Array): boolean {
  return b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42));
}

export function decodeTiff(b: Uint8Array): DecodedImage {
  if (!isTiff(b)) throw new ImageDecodeError(F, 0, 'missing II*/MM* signature');
  const le = b[0] === 0x49;
  const need = (o: number, n: number): void => {
    if (o < 0 || o + n > b.length) throw new ImageDecodeError(F, o, 'offset runs past the end of data');
  };
  const u16 = (o: number): number => (need(o, 2), le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]);
  const u32 = (o: number): number => {
    need(o, 4);
    return (le ? b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24) : (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  };
  const ifd = u32(4);
  const count = u16(ifd);
  const tags = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + 12 * i;
    const tag = u16(e);
    const type = u16(e + 2);
    const n = u32(e + 4);
    const size = TYPE_SIZES[type];
    if (!size) continue;
    if (n > b.length) throw new ImageDecodeError(F, e, `tag ${tag} count ${n} exceeds the file size`);
    const at = n * size <= 4 ? e + 8 : u32(e + 8);
    need(at, n * size);
    const vals: number[] = [];
    for (let k = 0; k < n; k++) vals.push(type === 3 || type === 8 ? u16(at + 2 * k) : type === 4 || type === 9 ? u32(at + 4 * k) : b[at + k]);
    tags.set(tag, vals);
  }
  const one = (tag: number, def?: number): number => {
    const v = tags.get(tag);
    if (v && v.length) return v[0];
    if (def === undefined) throw new ImageDecodeError(F, ifd, `missing required tag ${tag}`);
    return def;
  };
  const width = one(256);
  const height = one(257);
  checkDimensions(F, ifd, width, height);
  const spp = one(277, 1);
  const bitsList = tags.get(258) ?? [1];
  const bits = bitsList[0];
  const compression = one(259, 1);
  const photometric = one(262, spp >= 3 ? 2 : 1);
  const planar = one(284, 1);
  const predictor = one(317, 1);
  if (spp < 1 || spp > 4 || bitsList.some((x) => x !== bits) || ![1, 2, 4, 8, 16].includes(bits)) {
    throw new ImageDecodeError(F, ifd, `unsupported layout: ${spp} samples of ${bitsList.join('/')} bits`);
  }
  if (planar !== 1 && spp > 1) throw new ImageDecodeError(F, ifd, 'planar configuration 2 is not supported');
  const tiled = tags.has(322);
  const tileW = tiled ? one(322) : width;
  const tileH = tiled ? one(323) : Math.min(one(278, height), height);
  if (tileW < 1 || tileH < 1 || tileW > 65536 || tileH > 65536) throw new ImageDecodeError(F, ifd, 'bad strip/tile size');
  const offsets = tags.get(tiled ? 324 : 273) ?? [];
  const counts = tags.get(tiled ? 325 : 279) ?? [];
  const across = Math.ceil(width / tileW);
  const down = Math.ceil(height / tileH);
  if (offsets.length < across * down) throw new ImageDecodeError(F, ifd, `expected ${across * down} strips/tiles, found ${offsets.length}`);
  const rowBytes = Math.ceil((tileW * spp * bits) / 8);
  const chunkBytes = rowBytes * tileH;
  const raster = new Uint8Array(Math.ceil((width * spp * bits) / 8) * height);
  const rasterRow = Math.ceil((width * spp * bits) / 8);
  for (let t = 0; t < across * down; t++) {
    const off = offsets[t];
    const len = counts[t] ?? b.length - off;
    need(off, Math.min(len, b.length - off));
    const src = b.subarray(off, Math.min(b.length, off + len));
    const chunk = new Uint8Array(chunkBytes);
    if (compression === 1) {
      const needBytes = rowBytes * Math.min(tileH, height - Math.floor(t / across) * tileH);
      if (src.length < needBytes) throw new ImageDecodeError(F, off, `strip ${t} truncated: ${src.length} of ${needBytes} bytes`);
      chunk.set(src.subarray(0, chunkBytes));
    }
    else if (compression === 5) lzwDecode(src, chunk, off);
    else if (compression === 8 || compression === 32946) {
      try {
        unzlibSync(src, { out: chunk });
      } catch (e) {
        throw new ImageDecodeError(F, off, `corrupt deflate strip (${(e as Error).message})`);
      }
    } else if (compression === 32773) packBitsDecode(src, chunk);
    else throw new ImageDecodeError(F, ifd, `unsupported compression ${compression}`);
    if (predictor === 2) {
      if (bits !== 8) throw new ImageDecodeError(F, ifd, 'horizontal predictor only supported for 8-bit samples');
      for (let y = 0; y < tileH; y++) for (let i = spp; i < tileW * spp; i++) chunk[y * rowBytes + i] = (chunk[y * rowBytes + i] + chunk[y * rowBytes + i - spp]) & 255;
    }
    const tx = (t % across) * tileW;
    const ty = Math.floor(t / across) * tileH;
    const rows = Math.min(tileH, height - ty);
    if (bits < 8 && tiled && tx > 0) throw new ImageDecodeError(F, ifd, 'tiled sub-byte images are not supported');
    const copyBytes = Math.min(rowBytes, rasterRow - Math.floor((tx * spp * bits) / 8));
    for (let y = 0; y < rows; y++) {
      raster.set(chunk.subarray(y * rowBytes, y * rowBytes + copyBytes), (ty + y) * rasterRow + (tx * spp * bits) / 8);
    }
  }
  return toImage(raster, rasterRow, width, height, spp, bits, photometric, tags.get(320), ifd);
}

function toImage(
  raster: Uint8Array, stride: number, width: number, height: number, spp: number, bits: number, photometric: number,
  colormap: number[] | undefined, ifd: number,
): DecodedImage {
  const n = width * height;
  const sample = (y: number, i: number): number => {
    if (bits === 8) return raster[y * stride + i];
    if (bits === 16) return (raster[y * stride + 2 * i] << 8) | raster[y * stride + 2 * i + 1];
    const bit = i * bits;
    return (raster[y * stride + (bit >> 3)] >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
  };
  if (photometric === 3) {
    if (!colormap || colormap.length < 3 << bits) throw new ImageDecodeError(F, ifd, 'palette image without a full ColorMap');
    const size = 1 << bits;
    const out = new Uint8Array(n * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const k = sample(y, x * spp);
        const o = 3 * (y * width + x);
        out[o] = colormap[k] >> 8;
        out[o + 1] = colormap[size + k] >> 8;
        out[o + 2] = colormap[2 * size + k] >> 8;
      }
    }
    return { width, height, mode: 'RGB', data: out };
  }
  if (photometric === 0 || photometric === 1) {
    if (bits === 16 && spp === 1) {
      const d = new Uint16Array(n);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) d[y * width + x] = photometric === 0 ? 65535 - sample(y, x) : sample(y, x);
      return { width, height, mode: 'I', data: new Uint8Array(0), data16: d };
    }
    const max = (1 << bits) - 1;
    const bands = spp >= 2 ? 2 : 1;
    const out = new Uint8Array(n * bands);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let v = sample(y, x * spp);
        if (bits === 16) v >>= 8;
        else if (bits < 8) v = Math.floor((v * 255) / max);
        out[(y * width + x) * bands] = photometric === 0 ? 255 - v : v;
        if (bands === 2) out[(y * width + x) * 2 + 1] = bits === 16 ? sample(y, x * spp + 1) >> 8 : sample(y, x * spp + 1);
      }
    }
    return { width, height, mode: bands === 2 ? 'LA' : 'L', data: out };
  }
  if (photometric === 2 && spp >= 3 && bits >= 8) {
    const bands = spp === 4 ? 4 : 3;
    const out = new Uint8Array(n * bands);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < bands; c++) {
          const v = sample(y, x * spp + c);
          out[(y * width + x) * bands + c] = bits === 16 ? v >> 8 : v;
        }
      }
    }
    return { width, height, mode: bands === 4 ? 'RGBA' : 'RGB', data: out };
  }
  throw new ImageDecodeError(F, ifd, `unsupported photometric interpretation ${photometric} with ${spp} samples of ${bits} bits`);
}

/** TIFF LZW (MSB-first codes, early change), writing at most out.length bytes. */
function lzwDecode(src: Uint8Array, out: Uint8Array, offset: number): void {
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const lengths = new Int32Array(4096);
  const stack = new Uint8Array(4096);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    lengths[i] = 1;
    prefix[i] = -1;
  }
  let next = 258;
  let width = 9;
  let old = -1;
  let bitPos = 0;
  let o = 0;
  const totalBits = src.length * 8;
  while (bitPos + width <= totalBits && o < out.length) {
    let code = 0;
    for (let i = 0; i < width; i++, bitPos++) code = (code << 1) | ((src[bitPos >> 3] >> (7 - (bitPos & 7))) & 1);
    if (code === 257) break;
    if (code === 256) {
      next = 258;
      width = 9;
      old = -1;
      continue;
    }
    if (code > next || (old < 0 && code >= 256) || code > 4095) throw new ImageDecodeError(F, offset + (bitPos >> 3), `invalid LZW code ${code}`);
    let c = code === next ? old : code;
    let sp = 0;
    while (c >= 0 && sp < 4096) {
      stack[sp++] = suffix[c];
      c = prefix[c];
    }
    const first = stack[sp - 1];
    while (sp > 0 && o < out.length) out[o++] = stack[--sp];
    if (code === next && o < out.length) out[o++] = first;
    if (old >= 0 && next < 4096) {
      prefix[next] = old;
      suffix[next] = first;
      lengths[next] = lengths[old] + 1;
      next++;
    }
    old = code;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
}

function packBitsDecode(src: Uint8Array, out: Uint8Array): void {
  let i = 0;
  let o = 0;
  while (i < src.length && o < out.length) {
    const n = src[i++];
    if (n < 128) {
      for (let k = 0; k <= n && i < src.length && o < out.length; k++) out[o++] = src[i++];
    } else if (n > 128) {
      const v = src[i++] ?? 0;
      for (let k = 0; k < 257 - n && o < out.length; k++) out[o++] = v;
    }
  }
}
