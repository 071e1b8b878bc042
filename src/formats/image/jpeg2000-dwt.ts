// Inverse wavelets: reversible 5/3 (ISO 15444-1 Annex F, 2D_SR: interleave, HOR_SR, VER_SR) with
// symmetric extension and coordinate-parity-aware lifting.

interface BandCoefs {
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  readonly coefs: Int32Array;
}

/** 1-D synthesis in place over x[0..n) whose first sample has absolute index i0. */
function sr1d(x: Int32Array, n: number, i0: number, tmp: Int32Array): void {
  if (n === 1) {
    if (i0 & 1) x[0] = Math.trunc(x[0] / 2);
    return;
  }
  const at = (i: number): number => {
    // symmetric extension of local index i into [0, n)
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return x[i];
  };
  for (let i = 0; i < n; i++) tmp[i] = x[i];
  // even absolute positions: X(2k) = Y(2k) - floor((Y(2k-1) + Y(2k+1) + 2) / 4)
  for (let i = 0; i < n; i++) {
    if (((i0 + i) & 1) === 0) tmp[i] = x[i] - Math.floor((at(i - 1) + at(i + 1) + 2) / 4);
  }
  for (let i = 0; i < n; i++) x[i] = tmp[i];
  // odd absolute positions: X(2k+1) = Y(2k+1) + floor((X(2k) + X(2k+2)) / 2)
  for (let i = 0; i < n; i++) {
    if (((i0 + i) & 1) === 1) tmp[i] = x[i] + Math.floor((at(i - 1) + at(i + 1)) / 2);
  }
  for (let i = 0; i < n; i++) x[i] = tmp[i];
}

/** Reconstructs a tile-component from its resolutions (res[0] = [LL], res[r] = [HL, LH, HH]). */
export function inverse53(res: BandCoefs[][], tx0: number, ty0: number, tx1: number, ty1: number, levels: number): Int32Array {
  const ll = res[0][0];
  let cur = ll.coefs;
  let cw = ll.w;
  for (let r = 1; r <= levels; r++) {
    const s = 2 ** (levels - r);
    const u0 = Math.ceil(tx0 / s), u1 = Math.ceil(tx1 / s);
    const v0 = Math.ceil(ty0 / s), v1 = Math.ceil(ty1 / s);
    const w = u1 - u0;
    const h = v1 - v0;
    const a = new Int32Array(w * h);
    const [hl, lh, hh] = res[r];
    const lx0 = Math.ceil(u0 / 2), hx0 = Math.floor(u0 / 2);
    const ly0 = Math.ceil(v0 / 2), hy0 = Math.floor(v0 / 2);
    for (let y = v0; y < v1; y++) {
      for (let x = u0; x < u1; x++) {
        const ex = (x & 1) === 0;
        const ey = (y & 1) === 0;
        let v: number;
        if (ex && ey) v = cur[(y / 2 - ly0) * cw + (x / 2 - lx0)];
        else if (!ex && ey) v = hl.coefs[(y / 2 - ly0) * hl.w + ((x - 1) / 2 - hx0)];
        else if (ex) v = lh.coefs[((y - 1) / 2 - hy0) * lh.w + (x / 2 - lx0)];
        else v = hh.coefs[((y - 1) / 2 - hy0) * hh.w + ((x - 1) / 2 - hx0)];
        a[(y - v0) * w + (x - u0)] = v;
      }
    }
    const line = new Int32Array(Math.max(w, h));
    const tmp = new Int32Array(Math.max(w, h));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) line[x] = a[y * w + x];
      sr1d(line, w, u0, tmp);
      for (let x = 0; x < w; x++) a[y * w + x] = line[x];
    }
    for (let x = 0; x < w; x++) {
      for (let y = 0; y < h; y++) line[y] = a[y * w + x];
      sr1d(line, h, v0, tmp);
      for (let y = 0; y < h; y++) a[y * w + x] = line[y];
    }
    cur = a;
    cw = w;
  }
  return cur;
}

// ---- Irreversible 9/7 (float32, OpenJPEG's lifting order and constants) ----

const f = Math.fround;
const ALPHA = f(1.586134342);
const BETA = f(0.052980118);
const GAMMA = f(-0.882911075);
const DELTA = f(-0.443506852);
const K = f(1.230174105);
/** OpenJPEG's opj_c13318 (about 2 / K): the high-pass gain of its 9/7 synthesis. */
const HIGH_SCALE = f(1.625732422);

/** OpenJPEG step2: w[wi + 2i] += (l_prev + w[wi + 2i + 1]) * c over the low or high samples. */
function liftStep(a: Float32Array, lowStart: number, lStart: number, end: number, m: number, c: number): void {
  // a[lowStart + 2i] is the sample updated; neighbours are a[lowStart + 2i - 1] and a[lowStart + 2i + 1]
  let tmp1 = a[lStart];
  const imax = Math.min(end, m);
  let i = 0;
  for (; i < imax; i++) {
    const idx = lowStart + 2 * i;
    const tmp3 = a[idx + 1];
    a[idx] = f(a[idx] + f(f(tmp1 + tmp3) * c));
    tmp1 = tmp3;
  }
  if (m < end) {
    const idx = lowStart + 2 * i;
    a[idx] = f(a[idx] + f(a[idx - 1] * f(c + c)));
  }
}

function sr1d97(a: Float32Array, sn: number, dn: number, cas: number): void {
  if (cas === 0 ? !(dn > 0 || sn > 1) : !(sn > 0 || dn > 1)) return;
  const lo = cas;
  const hi = 1 - cas;
  for (let i = 0; i < sn; i++) a[lo + 2 * i] = f(a[lo + 2 * i] * K);
  for (let i = 0; i < dn; i++) a[hi + 2 * i] = f(a[hi + 2 * i] * HIGH_SCALE);
  liftStep(a, lo, hi, sn, Math.min(sn, dn - lo), DELTA);
  liftStep(a, hi, lo, dn, Math.min(dn, sn - hi), GAMMA);
  liftStep(a, lo, hi, sn, Math.min(sn, dn - lo), BETA);
  liftStep(a, hi, lo, dn, Math.min(dn, sn - hi), ALPHA);
}

interface FloatBand {
  readonly w: number;
  readonly h: number;
  readonly fcoefs: Float32Array;
}

/** Irreversible counterpart of inverse53, in float32 like OpenJPEG's opj_dwt_decode_tile_97. */
export function inverse97(res: FloatBand[][], tx0: number, ty0: number, tx1: number, ty1: number, levels: number): Float32Array {
  let cur = res[0][0].fcoefs;
  let cw = res[0][0].w;
  let chh = res[0][0].h;
  for (let r = 1; r <= levels; r++) {
    const s = 2 ** (levels - r);
    const u0 = Math.ceil(tx0 / s), u1 = Math.ceil(tx1 / s);
    const v0 = Math.ceil(ty0 / s), v1 = Math.ceil(ty1 / s);
    const w = u1 - u0;
    const h = v1 - v0;
    const [hl, lh, hh] = res[r];
    // Deinterleaved layout as OpenJPEG keeps it: low columns first (cw), then high (hl.w); same for rows.
    const a = new Float32Array(w * h);
    for (let y = 0; y < chh; y++) for (let x = 0; x < cw; x++) a[y * w + x] = cur[y * cw + x];
    for (let y = 0; y < hl.h; y++) for (let x = 0; x < hl.w; x++) a[y * w + cw + x] = hl.fcoefs[y * hl.w + x];
    for (let y = 0; y < lh.h; y++) for (let x = 0; x < lh.w; x++) a[(chh + y) * w + x] = lh.fcoefs[y * lh.w + x];
    for (let y = 0; y < hh.h; y++) for (let x = 0; x < hh.w; x++) a[(chh + y) * w + cw + x] = hh.fcoefs[y * hh.w + x];
    const line = new Float32Array(Math.max(w, h) + 2);
    const casX = u0 & 1;
    const casY = v0 & 1;
    for (let y = 0; y < h; y++) {
      for (let i = 0; i < cw; i++) line[casX + 2 * i] = a[y * w + i];
      for (let i = 0; i < w - cw; i++) line[1 - casX + 2 * i] = a[y * w + cw + i];
      sr1d97(line, cw, w - cw, casX);
      for (let x = 0; x < w; x++) a[y * w + x] = line[x];
    }
    for (let x = 0; x < w; x++) {
      for (let i = 0; i < chh; i++) line[casY + 2 * i] = a[i * w + x];
      for (let i = 0; i < h - chh; i++) line[1 - casY + 2 * i] = a[(chh + i) * w + x];
      sr1d97(line, chh, h - chh, casY);
      for (let y = 0; y < h; y++) a[y * w + x] = line[y];
    }
    cur = a;
    cw = w;
    chh = h;
  }
  return cur;
}
