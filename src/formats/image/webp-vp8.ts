// Lossy WebP (VP8 key frame, RFC 6386) decoded the way libwebp does it: boolean entropy decoder,
// intra prediction with libwebp's edge conventions (127 above, 129 left), the integer inverse
// DCT / WHT, and the simple or normal in-loop filter. Produces padded Y, U, V planes.

import { ImageDecodeError } from './image-error.js';
import { AC_QUANT, BMODE_PROBS, COEF_PROBS, COEF_UPDATE_PROBS, DC_QUANT } from './webp-vp8-tables.js';
import { filterFrame, type FilterInfo } from './webp-vp8-filter.js';
import { predictChroma, predictLuma16, predictLuma4 } from './webp-vp8-predict.js';

const F = 'WebP';

export interface YuvPlanes {
  readonly width: number;
  readonly height: number;
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  readonly yStride: number;
  readonly uvStride: number;
}

class BoolDecoder {
  private value: number;
  private range = 255;
  private bitCount = 0;
  overrun = 0;
  constructor(
    private readonly b: Uint8Array,
    private pos: number,
    private readonly end: number,
  ) {
    this.value = (this.next() << 8) | this.next();
  }
  private next(): number {
    if (this.pos < this.end) return this.b[this.pos++];
    this.overrun++;
    return 0;
  }
  bit(prob: number): number {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    const big = split << 8;
    let bit: number;
    if (this.value >= big) {
      this.range -= split;
      this.value -= big;
      bit = 1;
    } else {
      this.range = split;
      bit = 0;
    }
    while (this.range < 128) {
      this.value <<= 1;
      this.range <<= 1;
      if (++this.bitCount === 8) {
        this.bitCount = 0;
        this.value |= this.next();
      }
    }
    return bit;
  }
  literal(n: number): number {
    let v = 0;
    while (n-- > 0) v |= this.bit(0x80) << n;
    return v;
  }
  signed(n: number): number {
    const v = this.literal(n);
    return this.bit(0x80) ? -v : v;
  }
  /** libwebp fails a frame whose partition runs dry; a couple of bytes of look-ahead are normal. */
  get exhausted(): boolean {
    return this.overrun > 2;
  }
}

const BANDS = new Uint8Array([0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0]);
const ZIGZAG = new Uint8Array([0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15]);
const CAT_PROBS = [
  [173, 148, 140],
  [176, 155, 140, 135],
  [180, 157, 141, 134, 130],
  [254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129],
];

/** Reads one block's tokens (types: 0 i16-AC, 1 Y2, 2 chroma, 3 i4) into `out`; returns last nz index + 1. */
function readCoeffs(
  br: BoolDecoder, probs: Uint8Array, type: number, ctx: number, dcq: number, acq: number, first: number,
  out: Int16Array, at: number,
): number {
  const base = type * 264;
  let p = base + BANDS[first] * 33 + ctx * 11;
  for (let n = first; n < 16; n++) {
    if (!br.bit(probs[p])) return n;
    while (!br.bit(probs[p + 1])) {
      if (++n === 16) return 16;
      p = base + BANDS[n] * 33;
    }
    const next = base + BANDS[n + 1] * 33;
    let v: number;
    if (!br.bit(probs[p + 2])) {
      v = 1;
      p = next + 11;
    } else {
      if (!br.bit(probs[p + 3])) {
        v = br.bit(probs[p + 4]) ? 3 + br.bit(probs[p + 5]) : 2;
      } else if (!br.bit(probs[p + 6])) {
        v = br.bit(probs[p + 7]) ? 7 + 2 * br.bit(165) + br.bit(145) : 5 + br.bit(159);
      } else {
        const bit1 = br.bit(probs[p + 8]);
        const cat = 2 * bit1 + br.bit(probs[p + 9 + bit1]);
        v = 0;
        for (const q of CAT_PROBS[cat]) v += v + br.bit(q);
        v += 3 + (8 << cat);
      }
      p = next + 22;
    }
    out[at + ZIGZAG[n]] = (br.bit(0x80) ? -v : v) * (n > 0 ? acq : dcq);
  }
  return 16;
}

function inverseWht(input: Int16Array, out: Int16Array, at: number): void {
  const t = new Int32Array(16);
  for (let i = 0; i < 4; i++) {
    const a0 = input[i] + input[12 + i];
    const a1 = input[4 + i] + input[8 + i];
    const a2 = input[4 + i] - input[8 + i];
    const a3 = input[i] - input[12 + i];
    t[i] = a0 + a1;
    t[8 + i] = a0 - a1;
    t[4 + i] = a3 + a2;
    t[12 + i] = a3 - a2;
  }
  for (let i = 0; i < 4; i++) {
    const dc = t[i * 4] + 3;
    const a0 = dc + t[3 + i * 4];
    const a1 = t[1 + i * 4] + t[2 + i * 4];
    const a2 = t[1 + i * 4] - t[2 + i * 4];
    const a3 = dc - t[3 + i * 4];
    out[at + 64 * i] = (a0 + a1) >> 3;
    out[at + 64 * i + 16] = (a3 + a2) >> 3;
    out[at + 64 * i + 32] = (a0 - a1) >> 3;
    out[at + 64 * i + 48] = (a3 - a2) >> 3;
  }
}

/** Decodes a VP8 key frame (the payload of a 'VP8 ' chunk at b[start..end)). */
export function decodeVp8(b: Uint8Array, start: number, end: number, checkSize: (w: number, h: number) => void): YuvPlanes {
  if (end - start < 10) throw new ImageDecodeError(F, start, 'VP8 frame header truncated');
  const tag = b[start] | (b[start + 1] << 8) | (b[start + 2] << 16);
  if (tag & 1) throw new ImageDecodeError(F, start, 'VP8 frame is not a key frame');
  if (((tag >> 1) & 7) > 3) throw new ImageDecodeError(F, start, 'incorrect VP8 keyframe parameters');
  if (!((tag >> 4) & 1)) throw new ImageDecodeError(F, start, 'VP8 frame not displayable');
  const part0Size = tag >>> 5;
  if (b[start + 3] !== 0x9d || b[start + 4] !== 0x01 || b[start + 5] !== 0x2a) {
    throw new ImageDecodeError(F, start + 3, 'bad VP8 start code');
  }
  const width = (b[start + 6] | (b[start + 7] << 8)) & 0x3fff;
  const height = (b[start + 8] | (b[start + 9] << 8)) & 0x3fff;
  checkSize(width, height);
  const p0 = start + 10;
  if (p0 + part0Size > end) throw new ImageDecodeError(F, p0, `first partition (${part0Size} bytes) runs past the chunk`);
  const br = new BoolDecoder(b, p0, p0 + part0Size);
  br.bit(0x80); // color space
  br.bit(0x80); // clamping type
  // Segment header.
  const useSegment = br.literal(1);
  let updateMap = 0;
  let absoluteDelta = 1;
  const segQuant = [0, 0, 0, 0];
  const segFilter = [0, 0, 0, 0];
  const segProbs = [255, 255, 255];
  if (useSegment) {
    updateMap = br.literal(1);
    if (br.literal(1)) {
      absoluteDelta = br.literal(1);
      for (let s = 0; s < 4; s++) segQuant[s] = br.literal(1) ? br.signed(7) : 0;
      for (let s = 0; s < 4; s++) segFilter[s] = br.literal(1) ? br.signed(6) : 0;
    }
    if (updateMap) for (let s = 0; s < 3; s++) segProbs[s] = br.literal(1) ? br.literal(8) : 255;
  }
  // Filter header.
  const simple = br.literal(1);
  const level = br.literal(6);
  const sharpness = br.literal(3);
  const useLfDelta = br.literal(1);
  const refDelta = [0, 0, 0, 0];
  const modeDelta = [0, 0, 0, 0];
  if (useLfDelta && br.literal(1)) {
    for (let i = 0; i < 4; i++) if (br.literal(1)) refDelta[i] = br.signed(6);
    for (let i = 0; i < 4; i++) if (br.literal(1)) modeDelta[i] = br.signed(6);
  }
  const filterType = level === 0 ? 0 : simple ? 1 : 2;
  // Token partitions.
  const numParts = 1 << br.literal(2);
  let q = p0 + part0Size;
  if (end - q < 3 * (numParts - 1)) throw new ImageDecodeError(F, q, 'cannot read partition sizes');
  const sizes = q;
  q += 3 * (numParts - 1);
  const parts: BoolDecoder[] = [];
  for (let i = 0; i < numParts; i++) {
    let size = i < numParts - 1 ? b[sizes + 3 * i] | (b[sizes + 3 * i + 1] << 8) | (b[sizes + 3 * i + 2] << 16) : end - q;
    if (size > end - q) size = end - q;
    parts.push(new BoolDecoder(b, q, q + size));
    q += size;
  }
  // Quantizers.
  const baseQ = br.literal(7);
  const dqY1dc = br.literal(1) ? br.signed(4) : 0;
  const dqY2dc = br.literal(1) ? br.signed(4) : 0;
  const dqY2ac = br.literal(1) ? br.signed(4) : 0;
  const dqUVdc = br.literal(1) ? br.signed(4) : 0;
  const dqUVac = br.literal(1) ? br.signed(4) : 0;
  const clip = (v: number, m: number): number => (v < 0 ? 0 : v > m ? m : v);
  const quant: number[][] = [];
  for (let s = 0; s < 4; s++) {
    let qs = baseQ;
    if (useSegment) qs = segQuant[s] + (absoluteDelta ? 0 : baseQ);
    else if (s > 0) {
      quant.push(quant[0]);
      continue;
    }
    const y2ac = (AC_QUANT[clip(qs + dqY2ac, 127)] * 101581) >> 16;
    quant.push([
      DC_QUANT[clip(qs + dqY1dc, 127)], AC_QUANT[clip(qs, 127)],
      DC_QUANT[clip(qs + dqY2dc, 127)] * 2, y2ac < 8 ? 8 : y2ac,
      DC_QUANT[clip(qs + dqUVdc, 117)], AC_QUANT[clip(qs + dqUVac, 127)],
    ]);
  }
  br.literal(1); // refresh entropy probs (ignored)
  const probs = new Uint8Array(COEF_PROBS.length);
  for (let i = 0; i < probs.length; i++) probs[i] = br.bit(COEF_UPDATE_PROBS[i]) ? br.literal(8) : COEF_PROBS[i];
  const useSkip = br.literal(1);
  const skipProb = useSkip ? br.literal(8) : 0;
  // Per-segment filter strengths for [i16, i4].
  const strengths: FilterInfo[][] = [];
  for (let s = 0; s < 4; s++) {
    let baseLevel = level;
    if (useSegment) baseLevel = segFilter[s] + (absoluteDelta ? 0 : level);
    const row: FilterInfo[] = [];
    for (let i4 = 0; i4 <= 1; i4++) {
      let lv = baseLevel;
      if (useLfDelta) lv += refDelta[0] + (i4 ? modeDelta[0] : 0);
      lv = lv < 0 ? 0 : lv > 63 ? 63 : lv;
      let ilevel = lv;
      if (sharpness > 0) {
        ilevel >>= sharpness > 4 ? 2 : 1;
        if (ilevel > 9 - sharpness) ilevel = 9 - sharpness;
      }
      if (ilevel < 1) ilevel = 1;
      row.push({ limit: lv > 0 ? 2 * lv + ilevel : 0, ilevel, hevThresh: lv >= 40 ? 2 : lv >= 15 ? 1 : 0, inner: i4 === 1 });
    }
    strengths.push(row);
  }

  const mbW = (width + 15) >> 4;
  const mbH = (height + 15) >> 4;
  const yStride = mbW * 16;
  const uvStride = mbW * 8;
  const Y = new Uint8Array(yStride * mbH * 16);
  const U = new Uint8Array(uvStride * mbH * 8);
  const V = new Uint8Array(uvStride * mbH * 8);
  const finfo: FilterInfo[] = new Array(mbW * mbH);
  const intraT = new Uint8Array(4 * mbW);
  const intraL = new Uint8Array(4);
  const nzTop = new Uint8Array(mbW); // bits 0-3 Y columns, 4-5 U, 6-7 V
  const nzDcTop = new Uint8Array(mbW);
  const coeffs = new Int16Array(384);
  const y2 = new Int16Array(16);
  const modes = new Uint8Array(16);
  for (let mby = 0; mby < mbH; mby++) {
    const tb = parts[mby & (numParts - 1)];
    intraL.fill(0);
    let nzLeft = 0;
    let nzDcLeft = 0;
    for (let mbx = 0; mbx < mbW; mbx++) {
      // Modes (first partition).
      const segment = updateMap ? (!br.bit(segProbs[0]) ? br.bit(segProbs[1]) : br.bit(segProbs[2]) + 2) : 0;
      const skipFlag = useSkip ? br.bit(skipProb) : 0;
      const isI4 = !br.bit(145);
      let ymode = 0;
      if (!isI4) {
        ymode = br.bit(156) ? (br.bit(128) ? 1 : 3) : br.bit(163) ? 2 : 0;
        intraT.fill(ymode, 4 * mbx, 4 * mbx + 4);
        intraL.fill(ymode);
      } else {
        for (let y = 0; y < 4; y++) {
          let m = intraL[y];
          for (let x = 0; x < 4; x++) {
            const pr = (intraT[4 * mbx + x] * 10 + m) * 9;
            m = !br.bit(BMODE_PROBS[pr]) ? 0
              : !br.bit(BMODE_PROBS[pr + 1]) ? 1
              : !br.bit(BMODE_PROBS[pr + 2]) ? 2
              : !br.bit(BMODE_PROBS[pr + 3])
                ? (!br.bit(BMODE_PROBS[pr + 4]) ? 3 : !br.bit(BMODE_PROBS[pr + 5]) ? 4 : 5)
                : !br.bit(BMODE_PROBS[pr + 6]) ? 6
                : !br.bit(BMODE_PROBS[pr + 7]) ? 7
                : !br.bit(BMODE_PROBS[pr + 8]) ? 8 : 9;
            intraT[4 * mbx + x] = m;
            modes[4 * y + x] = m;
          }
          intraL[y] = m;
        }
      }
      const uvmode = !br.bit(142) ? 0 : !br.bit(114) ? 2 : br.bit(183) ? 1 : 3;
      if (br.exhausted) throw new ImageDecodeError(F, p0, 'premature end of the first partition');
      // Residuals (token partition).
      coeffs.fill(0);
      let skip = skipFlag;
      const qm = quant[segment];
      if (!skip) {
        let nonZero = 0;
        let first = 0;
        let yType = 3;
        if (!isI4) {
          y2.fill(0);
          const nz = readCoeffs(tb, probs, 1, nzDcTop[mbx] + nzDcLeft, qm[2], qm[3], 0, y2, 0);
          nzDcTop[mbx] = nzDcLeft = nz > 0 ? 1 : 0;
          inverseWht(y2, coeffs, 0);
          first = 1;
          yType = 0;
        }
        let tnz = nzTop[mbx] & 0x0f;
        let lnz = nzLeft & 0x0f;
        let outT = 0;
        let outL = 0;
        for (let y = 0; y < 4; y++) {
          let l = (lnz >> y) & 1;
          for (let x = 0; x < 4; x++) {
            const ctx = l + ((tnz >> x) & 1);
            const at = (4 * y + x) * 16;
            const nz = readCoeffs(tb, probs, yType, ctx, qm[0], qm[1], first, coeffs, at);
            l = nz > first ? 1 : 0;
            tnz = (tnz & ~(1 << x)) | (l << x);
            if (nz > 1 || coeffs[at] !== 0) nonZero = 1;
          }
          outL |= l << y;
        }
        outT = tnz;
        for (let ch = 0; ch < 2; ch++) {
          let ctnz = (nzTop[mbx] >> (4 + 2 * ch)) & 3;
          let clnz = (nzLeft >> (4 + 2 * ch)) & 3;
          for (let y = 0; y < 2; y++) {
            let l = (clnz >> y) & 1;
            for (let x = 0; x < 2; x++) {
              const ctx = l + ((ctnz >> x) & 1);
              const at = 256 + ch * 64 + (2 * y + x) * 16;
              const nz = readCoeffs(tb, probs, 2, ctx, qm[4], qm[5], 0, coeffs, at);
              l = nz > 0 ? 1 : 0;
              ctnz = (ctnz & ~(1 << x)) | (l << x);
              if (nz > 1 || coeffs[at] !== 0) nonZero = 1;
            }
            clnz = (clnz & ~(1 << y)) | (l << y);
          }
          outT |= ctnz << (4 + 2 * ch);
          outL |= clnz << (4 + 2 * ch);
        }
        nzTop[mbx] = outT;
        nzLeft = outL;
        skip = nonZero ? 0 : 1;
        if (tb.exhausted) throw new ImageDecodeError(F, q, 'premature end of a token partition');
      } else {
        nzTop[mbx] = 0;
        nzLeft = 0;
        if (!isI4) {
          nzDcTop[mbx] = 0;
          nzDcLeft = 0;
        }
      }
      const fi = strengths[segment][isI4 ? 1 : 0];
      finfo[mby * mbW + mbx] = { limit: fi.limit, ilevel: fi.ilevel, hevThresh: fi.hevThresh, inner: fi.inner || !skip };
      // Reconstruction.
      if (isI4) predictLuma4(Y, yStride, mbx, mby, mbW, modes, coeffs);
      else predictLuma16(Y, yStride, mbx, mby, ymode, coeffs);
      predictChroma(U, uvStride, mbx, mby, uvmode, coeffs, 256);
      predictChroma(V, uvStride, mbx, mby, uvmode, coeffs, 320);
    }
  }
  if (filterType > 0) filterFrame(Y, U, V, yStride, uvStride, mbW, mbH, finfo, filterType === 1);
  return { width, height, y: Y, u: U, v: V, yStride, uvStride };
}
