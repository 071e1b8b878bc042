// JPEG 2000 tier-1: the MQ arithmetic decoder (ISO 15444-1 Annex C) and EBCOT code-block
// decoding (Annex D) with OpenJPEG's reconstruction (values kept with one extra fraction bit,
// newly significant coefficients placed mid-interval), for code-block styles without bypass/termall.

import { ImageDecodeError } from './image-error.js';

const QE = [
  0x5601, 0x3401, 0x1801, 0x0ac1, 0x0521, 0x0221, 0x5601, 0x5401, 0x4801, 0x3801, 0x3001, 0x2401, 0x1c01, 0x1601,
  0x5601, 0x5401, 0x5101, 0x4801, 0x3801, 0x3401, 0x3001, 0x2801, 0x2401, 0x2201, 0x1c01, 0x1801, 0x1601, 0x1401,
  0x1201, 0x1101, 0x0ac1, 0x09c1, 0x08a1, 0x0521, 0x0441, 0x02a1, 0x0221, 0x0141, 0x0111, 0x0085, 0x0049, 0x0025,
  0x0015, 0x0009, 0x0005, 0x0001, 0x5601,
];
const NMPS = [
  1, 2, 3, 4, 5, 38, 7, 8, 9, 10, 11, 12, 13, 29, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
  32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 45, 46,
];
const NLPS = [
  1, 6, 9, 12, 29, 33, 6, 14, 14, 14, 17, 18, 20, 21, 14, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 23, 24, 25, 26, 27,
  28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 46,
];
const SWITCH = [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];

const CTX_RL = 17;
const CTX_UNI = 18;

class MqDecoder {
  private a = 0x8000;
  private c = 0;
  private ct = 0;
  private bp = 0;
  readonly state = new Uint8Array(19);
  readonly mps = new Uint8Array(19);
  constructor(private readonly data: Uint8Array) {
    this.resetContexts();
    this.c = (data[0] << 16) >>> 0;
    this.byteIn();
    this.c = (this.c << 7) >>> 0;
    this.ct -= 7;
  }
  resetContexts(): void {
    this.state.fill(0);
    this.mps.fill(0);
    this.state[0] = 4;
    this.state[CTX_RL] = 3;
    this.state[CTX_UNI] = 46;
  }
  private byteIn(): void {
    const d = this.data;
    if (d[this.bp] === 0xff) {
      if (d[this.bp + 1] > 0x8f) {
        this.c = (this.c + 0xff00) >>> 0;
        this.ct = 8;
      } else {
        this.bp++;
        this.c = (this.c + (d[this.bp] << 9)) >>> 0;
        this.ct = 7;
      }
    } else {
      this.bp++;
      this.c = (this.c + (d[this.bp] << 8)) >>> 0;
      this.ct = 8;
    }
  }
  decode(cx: number): number {
    const s = this.state[cx];
    const qe = QE[s];
    let d: number;
    this.a -= qe;
    if (this.c >>> 16 < qe) {
      if (this.a < qe) {
        d = this.mps[cx];
        this.state[cx] = NMPS[s];
      } else {
        d = 1 - this.mps[cx];
        if (SWITCH[s]) this.mps[cx] = 1 - this.mps[cx];
        this.state[cx] = NLPS[s];
      }
      this.a = qe;
    } else {
      this.c = (this.c - (qe << 16)) >>> 0;
      if ((this.a & 0x8000) !== 0) return this.mps[cx];
      if (this.a < qe) {
        d = 1 - this.mps[cx];
        if (SWITCH[s]) this.mps[cx] = 1 - this.mps[cx];
        this.state[cx] = NLPS[s];
      } else {
        d = this.mps[cx];
        this.state[cx] = NMPS[s];
      }
    }
    do {
      if (this.ct === 0) this.byteIn();
      this.a <<= 1;
      this.c = (this.c << 1) >>> 0;
      this.ct--;
    } while (this.a < 0x8000);
    return d;
  }
}

/** Zero-coding context from neighbour significance counts, per subband orientation (0 LL, 1 HL, 2 LH, 3 HH). */
function zcContext(h: number, v: number, d: number, orient: number): number {
  if (orient === 1) {
    const t = h;
    h = v;
    v = t;
  }
  if (orient !== 3) {
    if (h === 2) return 8;
    if (h === 1) return v ? 7 : d ? 6 : 5;
    if (v) return v === 2 ? 4 : 3;
    return d >= 2 ? 2 : d;
  }
  const hv = h + v;
  if (d >= 3) return 8;
  if (d === 2) return hv ? 7 : 6;
  if (d === 1) return hv >= 2 ? 5 : hv === 1 ? 4 : 3;
  return hv >= 2 ? 2 : hv;
}

/** zcContext for every orientation and packed neighbour count (h | v << 2 | d << 4). */
const ZC_TABLE = (() => {
  const t = new Uint8Array(4 * 128);
  for (let o = 0; o < 4; o++) {
    for (let n = 0; n < 128; n++) t[o * 128 + n] = zcContext(n & 3, (n >> 2) & 3, n >> 4, o);
  }
  return t;
})();

/**
 * Decodes `passes` coding passes of a w x h code-block starting at bit-plane numbps - 1 and
 * writes the reconstructed (integer, reversible) coefficients into out[oy*stride + ox ...].
 */
export function decodeCodeBlock(
  data: Uint8Array, w: number, h: number, numbps: number, passes: number, orient: number, style: number,
  out: Int32Array, outAt: number, stride: number, step = 0, fout?: Float32Array,
): void {
  if (passes === 0 || w === 0 || h === 0 || numbps < 0) return;
  if (numbps > 30) throw new ImageDecodeError('JPEG 2000', 0, `code-block has ${numbps} bit-planes`);
  const buf = new Uint8Array(data.length + 2);
  buf.set(data);
  buf[data.length] = 0xff;
  buf[data.length + 1] = 0xff;
  const mq = new MqDecoder(buf);
  const W = w + 2;
  const sig = new Uint8Array(W * (h + 2)); // significance with a zero border
  const neg = new Uint8Array(W * (h + 2));
  const visited = new Uint8Array(W * (h + 2));
  const refined = new Uint8Array(W * (h + 2));
  const val = new Int32Array(W * (h + 2));
  const at = (x: number, y: number): number => (y + 1) * W + x + 1;
  // Neighbour significance packed as h | v << 2 | d << 4 (no allocation per coefficient).
  const neighbours = (i: number): number =>
    (sig[i - 1] + sig[i + 1]) | ((sig[i - W] + sig[i + W]) << 2) |
    ((sig[i - W - 1] + sig[i - W + 1] + sig[i + W - 1] + sig[i + W + 1]) << 4);
  const zc = (n: number): number => ZC_TABLE[orient * 128 + n];
  const decodeSign = (i: number): number => {
    const hc = Math.max(-1, Math.min(1, (sig[i - 1] ? (neg[i - 1] ? -1 : 1) : 0) + (sig[i + 1] ? (neg[i + 1] ? -1 : 1) : 0)));
    const vc = Math.max(-1, Math.min(1, (sig[i - W] ? (neg[i - W] ? -1 : 1) : 0) + (sig[i + W] ? (neg[i + W] ? -1 : 1) : 0)));
    let hh = hc;
    let vv = vc;
    if (hh < 0) {
      hh = -hh;
      vv = -vv;
    }
    const ctx = 9 + (hh === 0 ? (vv === 0 ? 0 : 1) : vv === -1 ? 2 : vv === 0 ? 3 : 4);
    const xor = hc === 0 && vc === 0 ? 0 : hc > 0 || (hc === 0 && vc > 0) ? 0 : 1;
    return mq.decode(ctx) ^ xor;
  };
  let bpno = numbps; // OpenJPEG's bpno_plus_one
  let type = 2;
  for (let pass = 0; pass < passes; pass++) {
    const one = 1 << bpno;
    const half = one >> 1;
    const oneHalf = one | half;
    if (type === 0) {
      for (let k = 0; k < h; k += 4) {
        for (let x = 0; x < w; x++) {
          for (let y = k; y < k + 4 && y < h; y++) {
            const i = at(x, y);
            if (sig[i]) continue;
            const nb = neighbours(i);
            if (nb === 0) continue;
            visited[i] = 1;
            if (mq.decode(zc(nb))) {
              const s = decodeSign(i);
              val[i] = s ? -oneHalf : oneHalf;
              neg[i] = s;
              sig[i] = 1;
            }
          }
        }
      }
    } else if (type === 1) {
      const pos = half;
      const negHalf = bpno > 0 ? -half : -1;
      for (let k = 0; k < h; k += 4) {
        for (let x = 0; x < w; x++) {
          for (let y = k; y < k + 4 && y < h; y++) {
            const i = at(x, y);
            if (!sig[i] || visited[i]) continue;
            let ctx = 16;
            if (!refined[i]) {
              ctx = neighbours(i) ? 15 : 14;
            }
            const t = mq.decode(ctx) ? pos : negHalf;
            val[i] += val[i] < 0 ? -t : t;
            refined[i] = 1;
          }
        }
      }
    } else {
      for (let k = 0; k < h; k += 4) {
        for (let x = 0; x < w; x++) {
          let y = k;
          if (k + 3 < h) {
            let quiet = true;
            for (let r = 0; r < 4 && quiet; r++) {
              const i = at(x, k + r);
              if (sig[i] || visited[i] || neighbours(i)) quiet = false;
            }
            if (quiet) {
              if (!mq.decode(CTX_RL)) continue;
              const r = (mq.decode(CTX_UNI) << 1) | mq.decode(CTX_UNI);
              const i = at(x, k + r);
              const s = decodeSign(i);
              val[i] = s ? -oneHalf : oneHalf;
              neg[i] = s;
              sig[i] = 1;
              y = k + r + 1;
            }
          }
          for (; y < k + 4 && y < h; y++) {
            const i = at(x, y);
            if (sig[i] || visited[i]) continue;
            if (mq.decode(zc(neighbours(i)))) {
              const s = decodeSign(i);
              val[i] = s ? -oneHalf : oneHalf;
              neg[i] = s;
              sig[i] = 1;
            }
          }
        }
      }
      visited.fill(0);
      if (style & 0x20) {
        for (let b = 0; b < 4; b++) mq.decode(CTX_UNI);
      }
    }
    if (style & 0x02) mq.resetContexts();
    if (++type === 3) {
      type = 0;
      bpno--;
      if (bpno < 0) break;
    }
  }
  if (fout) {
    // Irreversible: OpenJPEG scales the value (with its extra fraction bit) by the step size in float32.
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) fout[outAt + y * stride + x] = Math.fround(val[at(x, y)] * step);
    }
    return;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[outAt + y * stride + x] = Math.trunc(val[at(x, y)] / 2);
  }
}
