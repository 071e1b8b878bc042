// JPEG decoder (baseline, extended and progressive Huffman; 1 or 3 components) matching
// libjpeg-turbo's default decode as PIL uses it. Entropy decoding follows jdhuff.c / jdphuff.c.

import type { DecodedImage } from './decoded-image.js';
import { ImageDecodeError, checkDimensions } from './image-error.js';
import { idctIslow, upsample, yccToRgb } from './jpeg-output.js';

const F = 'JPEG';

/** Zigzag -> natural order, with 16 extra entries of 63 as libjpeg has (corrupt-run safety). */
const NATURAL = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

interface Huffman {
  readonly maxcode: Int32Array; // per length 1..17
  readonly valptr: Int32Array;
  readonly mincode: Int32Array;
  readonly values: Uint8Array;
}

interface Component {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
  blocksW: number; // real blocks per line
  blocksH: number;
  paddedW: number; // blocks per line incl. MCU padding
  paddedH: number;
  coefs: Int16Array;
  dcPred: number;
  dcTable: number;
  acTable: number;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array, at: number): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1];
    if (n) {
      valptr[l] = k;
      mincode[l] = code;
      code += n;
      k += n;
      maxcode[l] = code - 1;
    }
    if (code > 1 << l) throw new ImageDecodeError(F, at, 'bad Huffman table');
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { maxcode, valptr, mincode, values };
}

class BitReader {
  pos: number;
  private buf = 0;
  private bits = 0;
  constructor(
    private readonly b: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }
  private fill(): void {
    let byte = 0;
    const b = this.b;
    if (this.pos < b.length) {
      byte = b[this.pos];
      if (byte === 0xff) {
        const next = this.pos + 1 < b.length ? b[this.pos + 1] : 0xd9;
        if (next === 0) this.pos += 2;
        else byte = 0; // a marker: feed zeros as libjpeg does, do not consume it
      } else {
        this.pos++;
      }
    }
    this.buf = ((this.buf << 8) | byte) & 0xffffff;
    this.bits += 8;
  }
  bit(): number {
    if (this.bits === 0) this.fill();
    this.bits--;
    return (this.buf >> this.bits) & 1;
  }
  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }
  decode(h: Huffman): number {
    let code = this.bit();
    let l = 1;
    while (code > h.maxcode[l]) {
      code = (code << 1) | this.bit();
      if (++l > 16) return 0; // corrupt: libjpeg warns and yields 0
    }
    return h.values[h.valptr[l] + code - h.mincode[l]] ?? 0;
  }
  /** Drops buffered bits and skips the next RSTn marker, as a restart interval ends. */
  restart(): void {
    this.bits = 0;
    this.buf = 0;
    const b = this.b;
    while (this.pos + 1 < b.length && !(b[this.pos] === 0xff && b[this.pos + 1] >= 0xd0 && b[this.pos + 1] <= 0xd7)) {
      if (b[this.pos] === 0xff && b[this.pos + 1] !== 0 && b[this.pos + 1] !== 0xff) return;
      this.pos++;
    }
    if (this.pos + 1 < b.length) this.pos += 2;
  }
}

function extend(v: number, s: number): number {
  return s === 0 ? 0 : v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

export function decodeJpeg(b: Uint8Array): DecodedImage {
  if (!isJpeg(b)) throw new ImageDecodeError(F, 0, 'missing SOI marker');
  const quant: Uint16Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let progressive = false;
  let restartInterval = 0;
  let adobe = -1;
  let maxH = 1;
  let maxV = 1;
  let mcusW = 0;
  let mcusH = 0;
  let p = 2;
  let eobrun = 0;
  while (p < b.length) {
    if (b[p] !== 0xff) {
      p++;
      continue;
    }
    const marker = b[p + 1];
    if (marker === 0xff || marker === undefined) {
      p++;
      continue;
    }
    p += 2;
    if (marker === 0xd9) break;
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (p + 2 > b.length) throw new ImageDecodeError(F, p, 'segment length runs past the end of data');
    const len = (b[p] << 8) | b[p + 1];
    const end = p + len;
    if (len < 2 || end > b.length) throw new ImageDecodeError(F, p, `segment 0xFF${marker.toString(16)} length ${len} runs past the end of data`);
    const seg = p + 2;
    if (marker === 0xdb) {
      let q = seg;
      while (q < end) {
        const pq = b[q] >> 4;
        const tq = b[q] & 15;
        if (tq > 3 || q + 1 + 64 * (pq + 1) > end) throw new ImageDecodeError(F, q, 'bad quantization table');
        const t = new Uint16Array(64);
        for (let i = 0; i < 64; i++) t[NATURAL[i]] = pq ? (b[q + 1 + 2 * i] << 8) | b[q + 2 + 2 * i] : b[q + 1 + i];
        quant[tq] = t;
        q += 1 + 64 * (pq + 1);
      }
    } else if (marker === 0xc4) {
      let q = seg;
      while (q < end) {
        if (q + 17 > end) throw new ImageDecodeError(F, q, 'bad Huffman table');
        const tc = b[q] >> 4;
        const th = b[q] & 15;
        const counts = b.subarray(q + 1, q + 17);
        let total = 0;
        for (let i = 0; i < 16; i++) total += counts[i];
        if (th > 3 || tc > 1 || total > 256 || q + 17 + total > end) throw new ImageDecodeError(F, q, 'bad Huffman table');
        const table = buildHuffman(counts, b.slice(q + 17, q + 17 + total), q);
        (tc === 0 ? dcTables : acTables)[th] = table;
        q += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = (b[seg] << 8) | b[seg + 1];
    } else if (marker === 0xee) {
      if (len >= 14 && b[seg] === 0x41 && b[seg + 1] === 0x64 && b[seg + 2] === 0x6f && b[seg + 3] === 0x62) adobe = b[seg + 11];
    } else if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (comps.length) throw new ImageDecodeError(F, p, 'duplicate SOF marker');
      progressive = marker === 0xc2;
      if (b[seg] !== 8) throw new ImageDecodeError(F, seg, `unsupported sample precision ${b[seg]}`);
      height = (b[seg + 1] << 8) | b[seg + 2];
      width = (b[seg + 3] << 8) | b[seg + 4];
      checkDimensions(F, seg + 1, width, height);
      const nc = b[seg + 5];
      if ((nc !== 1 && nc !== 3) || len < 8 + 3 * nc) throw new ImageDecodeError(F, seg + 5, `unsupported component count ${nc}`);
      for (let i = 0; i < nc; i++) {
        const o = seg + 6 + 3 * i;
        const h = b[o + 1] >> 4;
        const v = b[o + 1] & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) throw new ImageDecodeError(F, o + 1, 'bad sampling factors');
        comps.push({ id: b[o], h, v, tq: b[o + 2] & 3, blocksW: 0, blocksH: 0, paddedW: 0, paddedH: 0, coefs: new Int16Array(0), dcPred: 0, dcTable: 0, acTable: 0 });
      }
      if (nc === 1) comps = [{ ...comps[0], h: 1, v: 1 }];
      maxH = Math.max(...comps.map((c) => c.h));
      maxV = Math.max(...comps.map((c) => c.v));
      mcusW = Math.ceil(width / (8 * maxH));
      mcusH = Math.ceil(height / (8 * maxV));
      const blocks = comps.reduce((a, c) => a + mcusW * c.h * mcusH * c.v, 0);
      if (blocks > 16 * b.length + 4096) {
        throw new ImageDecodeError(F, seg + 1, `${width}x${height} needs ${blocks} blocks, more than ${b.length} bytes can encode`);
      }
      for (const c of comps) {
        c.blocksW = Math.ceil(Math.ceil((width * c.h) / maxH) / 8);
        c.blocksH = Math.ceil(Math.ceil((height * c.v) / maxV) / 8);
        c.paddedW = mcusW * c.h;
        c.paddedH = mcusH * c.v;
        c.coefs = new Int16Array(c.paddedW * c.paddedH * 64);
      }
    } else if (marker >= 0xc3 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      throw new ImageDecodeError(F, p - 2, `unsupported JPEG process (SOF marker 0xFF${marker.toString(16)})`);
    } else if (marker === 0xda) {
      if (!comps.length) throw new ImageDecodeError(F, p, 'SOS before SOF');
      const ns = b[seg];
      const scan: Component[] = [];
      for (let i = 0; i < ns; i++) {
        const c = comps.find((x) => x.id === b[seg + 1 + 2 * i]);
        if (!c || scan.includes(c)) throw new ImageDecodeError(F, seg + 1 + 2 * i, 'SOS names an unknown component');
        c.dcTable = b[seg + 2 + 2 * i] >> 4;
        c.acTable = b[seg + 2 + 2 * i] & 15;
        scan.push(c);
      }
      const sp = seg + 1 + 2 * ns;
      let ss = b[sp];
      let se = b[sp + 1];
      let ah = b[sp + 2] >> 4;
      let al = b[sp + 2] & 15;
      if (!progressive) {
        ss = 0;
        se = 63;
        ah = 0;
        al = 0;
      } else if (ss > se || se > 63 || (ss === 0 && se !== 0) || (ss > 0 && ns !== 1) || al > 13 || ah > 13) {
        throw new ImageDecodeError(F, sp, `invalid progressive parameters Ss=${ss} Se=${se} Ah=${ah} Al=${al}`);
      }
      if (ns < 1 || ns > 4) throw new ImageDecodeError(F, seg, `bad scan component count ${ns}`);
      for (const c of scan) {
        if (!quant[c.tq]) throw new ImageDecodeError(F, seg, `missing quantization table ${c.tq}`);
        if ((ss === 0 && ah === 0 && !dcTables[c.dcTable]) || (se > 0 && !acTables[c.acTable])) {
          throw new ImageDecodeError(F, seg, 'scan uses an undefined Huffman table');
        }
        c.dcPred = 0;
      }
      eobrun = 0;
      const br = new BitReader(b, end);
      const decodeBlock = (c: Component, at: number): void => {
        const z = c.coefs;
        if (!progressive) {
          const t = br.decode(dcTables[c.dcTable]);
          c.dcPred += t ? extend(br.receive(t), t) : 0;
          z[at] = c.dcPred;
          const ac = acTables[c.acTable];
          for (let k = 1; k < 64; k++) {
            const rs = br.decode(ac);
            const s = rs & 15;
            const r = rs >> 4;
            if (s) {
              k += r;
              z[at + NATURAL[k]] = extend(br.receive(s), s);
            } else {
              if (r !== 15) break;
              k += 15;
            }
          }
        } else if (ss === 0) {
          if (ah === 0) {
            const t = br.decode(dcTables[c.dcTable]);
            c.dcPred += t ? extend(br.receive(t), t) : 0;
            z[at] = c.dcPred * (1 << al);
          } else if (br.bit()) {
            z[at] |= 1 << al;
          }
        } else if (ah === 0) {
          if (eobrun > 0) {
            eobrun--;
            return;
          }
          const ac = acTables[c.acTable];
          for (let k = ss; k <= se; k++) {
            const rs = br.decode(ac);
            const s = rs & 15;
            const r = rs >> 4;
            if (s) {
              k += r;
              z[at + NATURAL[k]] = extend(br.receive(s), s) * (1 << al);
            } else if (r === 15) {
              k += 15;
            } else {
              eobrun = 1 << r;
              if (r) eobrun += br.receive(r);
              eobrun--;
              break;
            }
          }
        } else {
          refineAc(br, acTables[c.acTable], z, at, ss, se, al);
        }
      };
      const refineAc = (
        r0: BitReader, ac: Huffman, z: Int16Array, at: number, start: number, stop: number, bitPos: number,
      ): void => {
        const p1 = 1 << bitPos;
        const m1 = -1 << bitPos;
        let k = start;
        if (eobrun === 0) {
          for (; k <= stop; k++) {
            const rs = r0.decode(ac);
            let r = rs >> 4;
            let s = rs & 15;
            if (s) s = r0.bit() ? p1 : m1;
            else if (r !== 15) {
              eobrun = 1 << r;
              if (r) eobrun += r0.receive(r);
              break;
            }
            do {
              const q = at + NATURAL[k];
              if (z[q] !== 0) {
                if (r0.bit() && (z[q] & p1) === 0) z[q] += z[q] >= 0 ? p1 : m1;
              } else if (--r < 0) break;
              k++;
            } while (k <= stop);
            if (s) z[at + NATURAL[k]] = s;
          }
        }
        if (eobrun > 0) {
          for (; k <= stop; k++) {
            const q = at + NATURAL[k];
            if (z[q] !== 0 && r0.bit() && (z[q] & p1) === 0) z[q] += z[q] >= 0 ? p1 : m1;
          }
          eobrun--;
        }
      };
      const single = scan.length === 1;
      const c0 = scan[0];
      const total = single ? c0.blocksW * c0.blocksH : mcusW * mcusH;
      for (let m = 0; m < total; m++) {
        if (restartInterval && m > 0 && m % restartInterval === 0) {
          br.restart();
          eobrun = 0;
          for (const c of scan) c.dcPred = 0;
        }
        if (single) {
          const by = Math.floor(m / c0.blocksW);
          const bx = m % c0.blocksW;
          decodeBlock(c0, (by * c0.paddedW + bx) * 64);
        } else {
          const my = Math.floor(m / mcusW);
          const mx = m % mcusW;
          for (const c of scan) {
            for (let v = 0; v < c.v; v++) {
              for (let h = 0; h < c.h; h++) {
                decodeBlock(c, ((my * c.v + v) * c.paddedW + mx * c.h + h) * 64);
              }
            }
          }
        }
      }
      p = br.pos;
      continue;
    }
    p = end;
  }
  if (!comps.length) throw new ImageDecodeError(F, p, 'no SOF marker before end of data');
  return finish(comps, quant, width, height, maxH, maxV, adobe);
}

function finish(
  comps: Component[], quant: Uint16Array[], width: number, height: number, maxH: number, maxV: number, adobe: number,
): DecodedImage {
  const ws = new Float64Array(64);
  const planes: Uint8Array[] = [];
  for (const c of comps) {
    const q = quant[c.tq];
    if (!q) throw new ImageDecodeError(F, 0, `missing quantization table ${c.tq}`);
    const pw = c.paddedW * 8;
    const plane = new Uint8Array(pw * c.paddedH * 8);
    for (let by = 0; by < c.paddedH; by++) {
      for (let bx = 0; bx < c.paddedW; bx++) {
        idctIslow(c.coefs, (by * c.paddedW + bx) * 64, q, plane, by * 8 * pw + bx * 8, pw, ws);
      }
    }
    const full = new Uint8Array(width * height);
    const dw = Math.ceil((width * c.h) / maxH);
    const dh = Math.ceil((height * c.v) / maxV);
    upsample(plane, pw, dw, dh, maxH / c.h, maxV / c.v, full, width, height);
    planes.push(full);
  }
  const n = width * height;
  if (comps.length === 1) return { width, height, mode: 'L', data: planes[0] };
  const out = new Uint8Array(n * 3);
  const rgbIds = comps[0].id === 0x52 && comps[1].id === 0x47 && comps[2].id === 0x42;
  if (adobe === 0 || (adobe < 0 && rgbIds)) {
    for (let i = 0; i < n; i++) {
      out[3 * i] = planes[0][i];
      out[3 * i + 1] = planes[1][i];
      out[3 * i + 2] = planes[2][i];
    }
  } else {
    yccToRgb(planes[0], planes[1], planes[2], out, n);
  }
  return { width, height, mode: 'RGB', data: out };
}
