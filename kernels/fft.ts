// Complex fast Fourier transform of any length, in float64, on split real/imaginary arrays.
// Power-of-two lengths use an iterative radix-2 Cooley-Tukey transform; other lengths use
// Bluestein's chirp-z algorithm (a convolution done with power-of-two FFTs of length >= 2n - 1),
// so every length costs O(n log n). A plan holds the tables and scratch space for one length;
// build it once and reuse it for every line of a tensor.
//
//   forward:  X[k] = sum_j x[j] e^(-2 pi i jk / n)
//   inverse:  x[j] = (1/n) sum_k X[k] e^(+2 pi i jk / n)

interface Radix2Tables {
  readonly m: number;
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  readonly rev: Uint32Array;
}

export interface FftPlan {
  readonly n: number;
  readonly radix2: Radix2Tables | null;
  /** Bluestein: the chirp w[j] = e^(-pi i j^2 / n) and the FFT of its conjugate's filter. */
  readonly chirpRe: Float64Array | null;
  readonly chirpIm: Float64Array | null;
  readonly filterRe: Float64Array | null;
  readonly filterIm: Float64Array | null;
  readonly scratchRe: Float64Array | null;
  readonly scratchIm: Float64Array | null;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function radix2Tables(m: number): Radix2Tables {
  const half = m >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    const a = (2 * Math.PI * k) / m;
    cos[k] = Math.cos(a);
    sin[k] = Math.sin(a);
  }
  const rev = new Uint32Array(m);
  let bits = 0;
  while (1 << bits < m) bits++;
  for (let i = 0; i < m; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  return { m, cos, sin, rev };
}

/** In-place forward radix-2 FFT of length t.m. */
function radix2Forward(t: Radix2Tables, re: Float64Array, im: Float64Array): void {
  const { m, cos, sin, rev } = t;
  for (let i = 0; i < m; i++) {
    const j = rev[i]!;
    if (j > i) {
      const tr = re[i]!; re[i] = re[j]!; re[j] = tr;
      const ti = im[i]!; im[i] = im[j]!; im[j] = ti;
    }
  }
  for (let size = 2; size <= m; size <<= 1) {
    const half = size >> 1;
    const step = m / size;
    for (let start = 0; start < m; start += size) {
      for (let j = 0; j < half; j++) {
        const wr = cos[j * step]!;
        const wi = -sin[j * step]!;
        const a = start + j;
        const b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** A reusable plan for transforms of length n (n >= 0). */
export function createFftPlan(n: number): FftPlan {
  if (n <= 1 || isPowerOfTwo(n)) {
    return {
      n, radix2: n > 1 ? radix2Tables(n) : null,
      chirpRe: null, chirpIm: null, filterRe: null, filterIm: null, scratchRe: null, scratchIm: null,
    };
  }
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const tables = radix2Tables(m);
  const chirpRe = new Float64Array(n);
  const chirpIm = new Float64Array(n);
  const twoN = 2 * n;
  for (let j = 0; j < n; j++) {
    // j^2 mod 2n keeps the angle small and exact
    const a = (Math.PI * ((j * j) % twoN)) / n;
    chirpRe[j] = Math.cos(a);
    chirpIm[j] = -Math.sin(a);
  }
  const filterRe = new Float64Array(m);
  const filterIm = new Float64Array(m);
  filterRe[0] = chirpRe[0]!;
  filterIm[0] = -chirpIm[0]!;
  for (let j = 1; j < n; j++) {
    filterRe[j] = filterRe[m - j] = chirpRe[j]!;
    filterIm[j] = filterIm[m - j] = -chirpIm[j]!;
  }
  radix2Forward(tables, filterRe, filterIm);
  return {
    n, radix2: tables, chirpRe, chirpIm, filterRe, filterIm,
    scratchRe: new Float64Array(m), scratchIm: new Float64Array(m),
  };
}

function forward(plan: FftPlan, re: Float64Array, im: Float64Array): void {
  const n = plan.n;
  if (n <= 1) return;
  const t = plan.radix2!;
  if (plan.chirpRe === null) {
    radix2Forward(t, re, im);
    return;
  }
  const cr = plan.chirpRe;
  const ci = plan.chirpIm!;
  const fr = plan.filterRe!;
  const fi = plan.filterIm!;
  const ar = plan.scratchRe!;
  const ai = plan.scratchIm!;
  const m = t.m;
  for (let j = 0; j < n; j++) {
    ar[j] = re[j]! * cr[j]! - im[j]! * ci[j]!;
    ai[j] = re[j]! * ci[j]! + im[j]! * cr[j]!;
  }
  ar.fill(0, n);
  ai.fill(0, n);
  radix2Forward(t, ar, ai);
  // pointwise product with the filter, then an inverse FFT via conjugation
  for (let k = 0; k < m; k++) {
    const pr = ar[k]! * fr[k]! - ai[k]! * fi[k]!;
    const pi = ar[k]! * fi[k]! + ai[k]! * fr[k]!;
    ar[k] = pr;
    ai[k] = -pi;
  }
  radix2Forward(t, ar, ai);
  const scale = 1 / m;
  for (let k = 0; k < n; k++) {
    const cr2 = ar[k]! * scale;
    const ci2 = -ai[k]! * scale;
    re[k] = cr2 * cr[k]! - ci2 * ci[k]!;
    im[k] = cr2 * ci[k]! + ci2 * cr[k]!;
  }
}

/**
 * In-place transform of the first plan.n entries of re/im. `inverse` computes the inverse
 * transform including the 1/n factor (as numpy.fft.ifft does).
 */
export function fftInPlace(plan: FftPlan, re: Float64Array, im: Float64Array, inverse: boolean): void {
  if (!inverse) {
    forward(plan, re, im);
    return;
  }
  const n = plan.n;
  for (let k = 0; k < n; k++) im[k] = -im[k]!;
  forward(plan, re, im);
  const scale = 1 / n;
  for (let k = 0; k < n; k++) {
    re[k] = re[k]! * scale;
    im[k] = -im[k]! * scale;
  }
}

/**
 * Plan for the spectrum of a real sequence of length n. Even n packs the samples into a complex
 * sequence of length n/2 (even samples real, odd imaginary), transforms that and untangles the
 * two halves: half the work of a complex transform. Odd n falls back to a complex transform.
 */
export interface RealFftPlan {
  readonly n: number;
  readonly inner: FftPlan;
  /** cos / sin of 2 pi k / n for k = 0..n/2 (even n only). */
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  readonly zRe: Float64Array;
  readonly zIm: Float64Array;
}

export function createRealFftPlan(n: number): RealFftPlan {
  const even = n % 2 === 0 && n > 0;
  const h = even ? n / 2 : n;
  const cos = new Float64Array(even ? h + 1 : 0);
  const sin = new Float64Array(even ? h + 1 : 0);
  for (let k = 0; k < cos.length; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  return { n, inner: createFftPlan(h), cos, sin, zRe: new Float64Array(h), zIm: new Float64Array(h) };
}

/**
 * Bins 0..floor(n/2) of the forward DFT of the real sequence x[0..n), written to re/im (each of
 * length >= floor(n/2) + 1). The other bins are the conjugates: X[n - k] = conj(X[k]).
 */
export function rfft(plan: RealFftPlan, x: Float64Array, re: Float64Array, im: Float64Array): void {
  const n = plan.n;
  const zr = plan.zRe;
  const zi = plan.zIm;
  if (n === 0) return;
  if (n % 2 !== 0) {
    for (let j = 0; j < n; j++) {
      zr[j] = x[j]!;
      zi[j] = 0;
    }
    forward(plan.inner, zr, zi);
    const bins = (n - 1) / 2 + 1;
    for (let k = 0; k < bins; k++) {
      re[k] = zr[k]!;
      im[k] = zi[k]!;
    }
    return;
  }
  const h = n / 2;
  for (let j = 0; j < h; j++) {
    zr[j] = x[2 * j]!;
    zi[j] = x[2 * j + 1]!;
  }
  forward(plan.inner, zr, zi);
  const cos = plan.cos;
  const sin = plan.sin;
  for (let k = 0; k <= h; k++) {
    const a = zr[k % h]!;
    const b = zi[k % h]!;
    const m = (h - k + h) % h;
    const c = zr[m]!;
    const d = zi[m]!;
    // even part E = (Z[k] + conj Z[h-k]) / 2, odd part O = (Z[k] - conj Z[h-k]) / 2i
    const er = (a + c) * 0.5;
    const ei = (b - d) * 0.5;
    const or = (b + d) * 0.5;
    const oi = (c - a) * 0.5;
    // X[k] = E + e^(-2 pi i k / n) O
    re[k] = er + or * cos[k]! + oi * sin[k]!;
    im[k] = ei + oi * cos[k]! - or * sin[k]!;
  }
}
