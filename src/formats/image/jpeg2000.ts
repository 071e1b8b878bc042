// JPEG 2000 Part 1 decoder (JP2 box file or raw J2K codestream) matching OpenJPEG as PIL uses it:
// reversible 5/3 + RCT (exact integers) and irreversible 9/7 + ICT (OpenJPEG's float32 lifting,
// step sizes and lrintf rounding), any progression order, layers and tiles, default precincts,
// code-block styles without bypass/termall/vertically-causal, 8-bit unsigned components.

import type { DecodedImage } from './decoded-image.js';
import { ImageDecodeError, checkDimensions } from './image-error.js';
import { decodeCodeBlock } from './jpeg2000-t1.js';
import { inverse53, inverse97 } from './jpeg2000-dwt.js';
import { concatBytes } from '../../bytes.js';

const F = 'JPEG 2000';
/** OpenJPEG keeps one extra fraction bit in tier-1 values, so its decoder step sizes carry a 1/2. */
const STEP_FRACTION = 0.5;

export function isJpeg2000(b: Uint8Array): boolean {
  const jp2 = b.length >= 12 && b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 12 && b[4] === 0x6a && b[5] === 0x50 && b[6] === 0x20 && b[7] === 0x20;
  const j2k = b.length >= 4 && b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51;
  return jp2 || j2k;
}

function u16(b: Uint8Array, o: number): number {
  if (o + 2 > b.length) throw new ImageDecodeError(F, o, 'unexpected end of data');
  return (b[o] << 8) | b[o + 1];
}
function u32(b: Uint8Array, o: number): number {
  if (o + 4 > b.length) throw new ImageDecodeError(F, o, 'unexpected end of data');
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Finds the codestream: the 'jp2c' box of a JP2 file, or the whole input. */
function codestream(b: Uint8Array): [number, number] {
  if (b[0] === 0xff) return [0, b.length];
  let p = 0;
  while (p + 8 <= b.length) {
    let len = u32(b, p);
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    let head = 8;
    if (len === 1) {
      len = u32(b, p + 8) * 2 ** 32 + u32(b, p + 12);
      head = 16;
    } else if (len === 0) len = b.length - p;
    if (len < head || p + len > b.length) throw new ImageDecodeError(F, p, `box '${type}' length ${len} runs past the end of data`);
    if (type === 'jp2c') return [p + head, p + len];
    p += len;
  }
  throw new ImageDecodeError(F, p, "no 'jp2c' codestream box");
}

interface Coding {
  progression: number;
  layers: number;
  mct: number;
  levels: number;
  cbw: number;
  cbh: number;
  style: number;
  reversible: boolean;
  scod: number;
}

class TagTree {
  private readonly value: Int32Array;
  private readonly low: Int32Array;
  private readonly parent: Int32Array;
  private readonly leaves: number;
  constructor(w: number, h: number) {
    const sizes: [number, number][] = [];
    let cw = w;
    let ch = h;
    let total = 0;
    do {
      sizes.push([cw, ch]);
      total += cw * ch;
      cw = (cw + 1) >> 1;
      ch = (ch + 1) >> 1;
    } while (sizes[sizes.length - 1][0] * sizes[sizes.length - 1][1] > 1);
    this.value = new Int32Array(total).fill(999);
    this.low = new Int32Array(total);
    this.parent = new Int32Array(total).fill(-1);
    this.leaves = w * h;
    let base = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [lw, lh] = sizes[l];
      const next = base + lw * lh;
      const pw = sizes[l + 1][0];
      for (let y = 0; y < lh; y++) for (let x = 0; x < lw; x++) this.parent[base + y * lw + x] = next + (y >> 1) * pw + (x >> 1);
      base = next;
    }
  }
  /** OpenJPEG's opj_tgt_decode: true when the leaf's value is below `threshold`. */
  decode(bits: HeaderBits, leaf: number, threshold: number): boolean {
    if (leaf >= this.leaves) throw new ImageDecodeError(F, bits.pos, 'tag tree leaf out of range');
    const stack: number[] = [];
    let node = leaf;
    while (this.parent[node] >= 0) {
      stack.push(node);
      node = this.parent[node];
    }
    let low = 0;
    for (;;) {
      if (low > this.low[node]) this.low[node] = low;
      else low = this.low[node];
      while (low < threshold && low < this.value[node]) {
        if (bits.bit()) this.value[node] = low;
        else low++;
      }
      this.low[node] = low;
      if (!stack.length) break;
      node = stack.pop() as number;
    }
    return this.value[node] < threshold;
  }
}

class HeaderBits {
  private buf = 0;
  private ct = 0;
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}
  private byteIn(): void {
    this.buf = (this.buf << 8) & 0xffff;
    this.ct = this.buf === 0xff00 ? 7 : 8;
    if (this.pos < this.end) this.buf |= this.b[this.pos++];
    else throw new ImageDecodeError(F, this.pos, 'packet header runs past the tile data');
  }
  bit(): number {
    if (this.ct === 0) this.byteIn();
    this.ct--;
    return (this.buf >> this.ct) & 1;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }
  align(): void {
    if ((this.buf & 0xff) === 0xff) this.byteIn();
    this.ct = 0;
  }
}

interface CodeBlock {
  x0: number;
  y0: number;
  w: number;
  h: number;
  included: boolean;
  numbps: number;
  lblock: number;
  passes: number;
  chunks: Uint8Array[];
}

interface Band {
  orient: number;
  x0: number;
  y0: number;
  w: number;
  h: number;
  mb: number;
  cbs: CodeBlock[];
  incl: TagTree;
  zbp: TagTree;
  coefs: Int32Array;
  fcoefs: Float32Array;
  step: number;
}

export function decodeJpeg2000(input: Uint8Array): DecodedImage {
  if (!isJpeg2000(input)) throw new ImageDecodeError(F, 0, 'missing JP2 signature or SOC marker');
  const [cs, csEnd] = codestream(input);
  const b = input.subarray(0, csEnd);
  if (u16(b, cs) !== 0xff4f || u16(b, cs + 2) !== 0xff51) throw new ImageDecodeError(F, cs, 'codestream must start with SOC, SIZ');
  const siz = cs + 4;
  const Xsiz = u32(b, siz + 4), Ysiz = u32(b, siz + 8), XOsiz = u32(b, siz + 12), YOsiz = u32(b, siz + 16);
  const XTsiz = u32(b, siz + 20), YTsiz = u32(b, siz + 24), XTOsiz = u32(b, siz + 28), YTOsiz = u32(b, siz + 32);
  const ncomp = u16(b, siz + 36);
  const width = Xsiz - XOsiz;
  const height = Ysiz - YOsiz;
  checkDimensions(F, siz + 4, width, height);
  if (width * height > 4096 * b.length + (1 << 20)) throw new ImageDecodeError(F, siz + 4, `${width}x${height} is more than ${b.length} bytes can encode`);
  if (ncomp < 1 || ncomp > 4) throw new ImageDecodeError(F, siz + 36, `unsupported component count ${ncomp}`);
  if (XTsiz < 1 || YTsiz < 1 || XTOsiz > XOsiz || YTOsiz > YOsiz) throw new ImageDecodeError(F, siz + 20, 'bad tile grid');
  for (let c = 0; c < ncomp; c++) {
    const o = siz + 38 + 3 * c;
    if (u16(b, o) !== 0x0701 || b[o + 2] !== 1) throw new ImageDecodeError(F, o, 'only unsigned 8-bit components without subsampling are supported');
  }
  const tilesX = Math.ceil((Xsiz - XTOsiz) / XTsiz);
  const tilesY = Math.ceil((Ysiz - YTOsiz) / YTsiz);
  let p = siz + u16(b, siz);
  let cod: Coding | undefined;
  let guard = 0;
  let exps: number[] = [];
  let mants: number[] = [];
  const parseMarker = (m: number, at: number, len: number): void => {
    if (m === 0xff52) {
      const scod = b[at];
      if (scod & 1) throw new ImageDecodeError(F, at, 'user-defined precincts are not supported');
      cod = {
        scod, progression: b[at + 1], layers: u16(b, at + 2), mct: b[at + 4], levels: b[at + 5],
        cbw: b[at + 6] + 2, cbh: b[at + 7] + 2, style: b[at + 8], reversible: b[at + 9] === 1,
      };
      if (cod.style & 0x0d) throw new ImageDecodeError(F, at + 8, `code-block style 0x${cod.style.toString(16)} is not supported`);
      if (cod.levels > 32 || cod.cbw + cod.cbh > 12 || cod.cbw > 10 || cod.cbh > 10) throw new ImageDecodeError(F, at + 5, 'bad coding parameters');
    } else if (m === 0xff5c) {
      guard = b[at] >> 5;
      const style = b[at] & 0x1f;
      exps = [];
      mants = [];
      if (style === 0) {
        for (let i = 1; i < len - 2; i++) {
          exps.push(b[at + i] >> 3);
          mants.push(0);
        }
      } else if (style === 2) {
        for (let i = 1; i + 1 < len - 2; i += 2) {
          const v = u16(b, at + i);
          exps.push(v >> 11);
          mants.push(v & 0x7ff);
        }
      } else {
        throw new ImageDecodeError(F, at, 'derived quantization (QCD style 1) is not supported');
      }
    } else if (m === 0xff53 || m === 0xff5d || m === 0xff5e || m === 0xff5f || m === 0xff60 || m === 0xff61) {
      throw new ImageDecodeError(F, at - 4, `marker 0x${m.toString(16)} (COC/QCC/RGN/POC/PPM/PPT) is not supported`);
    }
  };
  // Main header.
  for (;;) {
    const m = u16(b, p);
    if (m === 0xff90) break;
    const len = u16(b, p + 2);
    if (len < 2) throw new ImageDecodeError(F, p, 'bad marker segment length');
    parseMarker(m, p + 4, len);
    p += 2 + len;
  }
  if (!cod || !exps.length) throw new ImageDecodeError(F, p, 'missing COD or QCD marker');
  const coding = cod;
  // Collect tile-part data per tile.
  const tileData: Uint8Array[][] = Array.from({ length: tilesX * tilesY }, () => []);
  while (p + 12 <= b.length && u16(b, p) === 0xff90) {
    const tile = u16(b, p + 4);
    const psot = u32(b, p + 6);
    const end = psot ? p + psot : b.length;
    if (tile >= tileData.length || end > b.length || end < p + 14) throw new ImageDecodeError(F, p, 'bad SOT marker');
    let q = p + 2 + u16(b, p + 2);
    while (u16(b, q) !== 0xff93) {
      const len = u16(b, q + 2);
      parseMarker(u16(b, q), q + 4, len);
      q += 2 + len;
    }
    tileData[tile].push(b.subarray(q + 2, end));
    p = end;
  }
  const out = new Uint8Array(width * height * ncomp);
  for (let t = 0; t < tileData.length; t++) {
    const tx = t % tilesX;
    const ty = Math.floor(t / tilesX);
    const tx0 = Math.max(XTOsiz + tx * XTsiz, XOsiz), tx1 = Math.min(XTOsiz + (tx + 1) * XTsiz, Xsiz);
    const ty0 = Math.max(YTOsiz + ty * YTsiz, YOsiz), ty1 = Math.min(YTOsiz + (ty + 1) * YTsiz, Ysiz);
    if (tx1 <= tx0 || ty1 <= ty0) throw new ImageDecodeError(F, siz + 20, `tile ${t} lies outside the image`);
    const data = concatBytes(tileData[t]); // read only, so a lone tile-part is not copied
    const comps = decodeTile(data, coding, guard, exps, mants, ncomp, tx0, ty0, tx1, ty1);
    const tw = tx1 - tx0;
    for (let y = ty0; y < ty1; y++) {
      for (let x = tx0; x < tx1; x++) {
        for (let c = 0; c < ncomp; c++) {
          const v = comps[c][(y - ty0) * tw + (x - tx0)] + 128;
          out[((y - YOsiz) * width + (x - XOsiz)) * ncomp + c] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
  }
  const mode = ncomp === 1 ? 'L' : ncomp === 2 ? 'LA' : ncomp === 3 ? 'RGB' : 'RGBA';
  return { width, height, mode, data: out };
}

function decodeTile(
  data: Uint8Array, cod: Coding, guard: number, exps: number[], mants: number[], ncomp: number,
  x0: number, y0: number, x1: number, y1: number,
): Int32Array[] {
  const L = cod.levels;
  // Build the subband / code-block structure of every resolution of every component.
  const res: Band[][][] = [];
  for (let c = 0; c < ncomp; c++) {
    const rs: Band[][] = [];
    for (let r = 0; r <= L; r++) {
      const bands: Band[] = [];
      const orients = r === 0 ? [0] : [1, 2, 3];
      for (const orient of orients) {
        const nb = r === 0 ? L : L - r + 1;
        const xo = orient & 1;
        const yo = orient >> 1;
        const bx0 = Math.ceil((x0 - xo * 2 ** (nb - 1)) / 2 ** nb), bx1 = Math.ceil((x1 - xo * 2 ** (nb - 1)) / 2 ** nb);
        const by0 = Math.ceil((y0 - yo * 2 ** (nb - 1)) / 2 ** nb), by1 = Math.ceil((y1 - yo * 2 ** (nb - 1)) / 2 ** nb);
        const cbx0 = Math.floor(bx0 / 2 ** cod.cbw), cbx1 = Math.ceil(bx1 / 2 ** cod.cbw);
        const cby0 = Math.floor(by0 / 2 ** cod.cbh), cby1 = Math.ceil(by1 / 2 ** cod.cbh);
        const nx = bx1 > bx0 ? cbx1 - cbx0 : 0;
        const ny = by1 > by0 ? cby1 - cby0 : 0;
        const cbs: CodeBlock[] = [];
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const cx0 = Math.max(bx0, (cbx0 + i) << cod.cbw), cx1 = Math.min(bx1, (cbx0 + i + 1) << cod.cbw);
            const cy0 = Math.max(by0, (cby0 + j) << cod.cbh), cy1 = Math.min(by1, (cby0 + j + 1) << cod.cbh);
            cbs.push({ x0: cx0 - bx0, y0: cy0 - by0, w: cx1 - cx0, h: cy1 - cy0, included: false, numbps: 0, lblock: 3, passes: 0, chunks: [] });
          }
        }
        const ei = r === 0 ? 0 : 3 * (r - 1) + orient;
        const eps = exps[Math.min(ei, exps.length - 1)];
        const mant = mants[Math.min(ei, mants.length - 1)];
        // OpenJPEG: stepsize = (1 + mant / 2048) * 2^(prec + gain - expn) * fraction, gain 0 for 9/7
        const step = Math.fround((1 + mant / 2048) * 2 ** (8 - eps) * STEP_FRACTION);
        bands.push({
          orient, x0: bx0, y0: by0, w: Math.max(0, bx1 - bx0), h: Math.max(0, by1 - by0), mb: guard + eps - 1, cbs,
          incl: new TagTree(Math.max(nx, 1), Math.max(ny, 1)), zbp: new TagTree(Math.max(nx, 1), Math.max(ny, 1)),
          coefs: new Int32Array(cod.reversible ? Math.max(0, bx1 - bx0) * Math.max(0, by1 - by0) : 0),
          fcoefs: new Float32Array(cod.reversible ? 0 : Math.max(0, bx1 - bx0) * Math.max(0, by1 - by0)),
          step,
        });
      }
      rs.push(bands);
    }
    res.push(rs);
  }
  // Tier 2: read packets in progression order.
  let pos = 0;
  const empty = (r: number): boolean => {
    const s = 2 ** (L - r);
    return Math.ceil(x0 / s) === Math.ceil(x1 / s) || Math.ceil(y0 / s) === Math.ceil(y1 / s);
  };
  const packet = (c: number, r: number, layer: number): void => {
    if (empty(r)) return; // a resolution without samples has no precincts, hence no packets
    if (cod.scod & 2 && data[pos] === 0xff && data[pos + 1] === 0x91) pos += 6;
    const bits = new HeaderBits(data, pos, data.length);
    const bands = res[c][r];
    const lengths: [CodeBlock, number][] = [];
    if (bits.bit()) {
      for (const band of bands) {
        for (let k = 0; k < band.cbs.length; k++) {
          const cb = band.cbs[k];
          const inc = cb.included ? bits.bit() === 1 : band.incl.decode(bits, k, layer + 1);
          if (!inc) continue;
          if (!cb.included) {
            let i = 0;
            while (!band.zbp.decode(bits, k, i)) {
              if (++i > 64) throw new ImageDecodeError(F, bits.pos, 'bad zero bit-plane tag tree');
            }
            cb.numbps = band.mb + 1 - i;
            cb.included = true;
          }
          let n = 1;
          if (bits.bit()) {
            n = 2;
            if (bits.bit()) {
              n = 3 + bits.bits(2);
              if (n === 6) {
                n = 6 + bits.bits(5);
                if (n === 37) n = 37 + bits.bits(7);
              }
            }
          }
          while (bits.bit()) cb.lblock++;
          const len = bits.bits(cb.lblock + Math.floor(Math.log2(n)));
          cb.passes += n;
          lengths.push([cb, len]);
        }
      }
    }
    bits.align();
    pos = bits.pos;
    if (cod.scod & 4 && data[pos] === 0xff && data[pos + 1] === 0x92) pos += 2;
    for (const [cb, len] of lengths) {
      if (pos + len > data.length) throw new ImageDecodeError(F, pos, 'code-block data runs past the tile');
      cb.chunks.push(data.subarray(pos, pos + len));
      pos += len;
    }
  };
  const R = L + 1;
  const order = cod.progression;
  if (order === 0) {
    for (let l = 0; l < cod.layers; l++) for (let r = 0; r < R; r++) for (let c = 0; c < ncomp; c++) packet(c, r, l);
  } else if (order === 1) {
    for (let r = 0; r < R; r++) for (let l = 0; l < cod.layers; l++) for (let c = 0; c < ncomp; c++) packet(c, r, l);
  } else if (order === 2) {
    for (let r = 0; r < R; r++) for (let c = 0; c < ncomp; c++) for (let l = 0; l < cod.layers; l++) packet(c, r, l);
  } else if (order === 3 || order === 4) {
    for (let c = 0; c < ncomp; c++) for (let r = 0; r < R; r++) for (let l = 0; l < cod.layers; l++) packet(c, r, l);
  } else {
    throw new ImageDecodeError(F, 0, `unknown progression order ${order}`);
  }
  // Tier 1 and the inverse transforms.
  const tw = x1 - x0;
  const th = y1 - y0;
  const comps: Int32Array[] = [];
  const fcomps: Float32Array[] = [];
  for (let c = 0; c < ncomp; c++) {
    for (const bands of res[c]) {
      for (const band of bands) {
        for (const cb of band.cbs) {
          let n = 0;
          for (const ch of cb.chunks) n += ch.length;
          const bytes = new Uint8Array(n);
          let o = 0;
          for (const ch of cb.chunks) {
            bytes.set(ch, o);
            o += ch.length;
          }
          decodeCodeBlock(
            bytes, cb.w, cb.h, cb.numbps, cb.passes, band.orient, cod.style, band.coefs, cb.y0 * band.w + cb.x0, band.w,
            band.step, cod.reversible ? undefined : band.fcoefs,
          );
        }
      }
    }
    if (cod.reversible) comps.push(inverse53(res[c], x0, y0, x1, y1, L));
    else fcomps.push(inverse97(res[c], x0, y0, x1, y1, L));
  }
  if (!cod.reversible) {
    const fr = Math.fround;
    if (cod.mct && ncomp >= 3) {
      const [Y, U, V] = fcomps;
      for (let i = 0; i < tw * th; i++) {
        const y = Y[i], u = U[i], v = V[i];
        Y[i] = fr(y + fr(v * fr(1.402)));
        U[i] = fr(fr(y - fr(u * fr(0.34413))) - fr(v * fr(0.71414)));
        V[i] = fr(y + fr(u * fr(1.772)));
      }
    }
    // opj_lrintf: round half to even
    for (const fc of fcomps) {
      const ic = new Int32Array(tw * th);
      for (let i = 0; i < ic.length; i++) {
        const v = fc[i];
        const r = Math.round(v);
        ic[i] = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
      }
      comps.push(ic);
    }
    return comps;
  }
  if (cod.mct && ncomp >= 3) {
    const [Y, U, V] = comps;
    for (let i = 0; i < tw * th; i++) {
      const g = Y[i] - Math.floor((U[i] + V[i]) / 4);
      const r = V[i] + g;
      const bl = U[i] + g;
      Y[i] = r;
      U[i] = g;
      V[i] = bl;
    }
  }
  return comps;
}
