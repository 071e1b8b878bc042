// The error function in double precision, without tables from elsewhere.
//
// erfAccurate: relative error around 1e-15, slow (a series of up to ~60 terms):
//   |x| < 3:  erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
//             a series of positive terms, so no cancellation.
//   3 <= |x| < 6: erf(x) = 1 - erfc(x), erfc from its continued fraction
//             erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))).
//   |x| >= 6: erfc(x) < 3e-17, so erf(x) = ±1 in double.
//
// erf (what the kernels call): the same function from polynomials made once, at load, out of
// erfAccurate. |x| < 1/16: seven terms of the Maclaurin series of erf(x)/x in x^2. Up to 6: one
// polynomial of degree 8 per interval of width 1/16, the interpolant through erfAccurate's
// values (from 3 on: of erfc's, and erf = 1 - erfc) at the interval's Chebyshev-Lobatto points
// (ends included, so neighbouring pieces meet at their common end). Nine multiply-adds and no exp or division per value, against up to ~60
// iterations with a division each (about 5x faster in V8); within 3e-15 of erfAccurate
// (test/props/elementwise-unary.test.ts checks both against numerical integration).

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const EPS = 1e-17;

function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * EPS) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(x) for x >= 3 by the modified Lentz method on the continued fraction. */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  // f = x + a1/(x + a2/(x + ...)), a_k = k/2.
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/** erf(x) by its series and continued fraction: accurate, slow; the tables below are made from it. */
export function erfAccurate(x: number): number {
  if (x !== x) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 3) r = a === 0 ? 0 : erfSeries(a);
  else if (a < 6) r = 1 - erfcContinuedFraction(a);
  else r = 1;
  return x < 0 ? -r : x === 0 ? x : r;
}

// ---- the tables -------------------------------------------------------------------------

/** |x| below this: the Maclaurin series. */
const SMALL = 1 / 16;
/** erf(x)/x = sum_n c_n x^(2n) for |x| < SMALL (the 8th term is below 1e-18 of the sum). */
const SERIES = new Float64Array(7);
{
  // c_n = 2/sqrt(pi) * (-1)^n / (n! (2n + 1))
  let factorial = 1;
  for (let n = 0; n < SERIES.length; n++) {
    if (n > 0) factorial *= n;
    SERIES[n] = (TWO_OVER_SQRT_PI * (n % 2 === 0 ? 1 : -1)) / (factorial * (2 * n + 1));
  }
}

/**
 * Pieces of width WIDTH over [0, LARGE), each a polynomial of DEGREE in t in [-1, 1]: of erf below
 * ERFC_FROM, of erfc = 1 - erf from there (erf is then 1 - erfc rounded once, which keeps it
 * monotone where erf moves by less than an ulp between far-apart arguments).
 */
const LARGE = 6;
const ERFC_FROM = 3;
const WIDTH = 1 / 16;
const DEGREE = 8;
const PIECES = LARGE / WIDTH;
/** Piece p's monomial coefficients (in t = 2 (x - lo) / WIDTH - 1), constant first, at p * (DEGREE + 1). */
const POLY = new Float64Array(PIECES * (DEGREE + 1));
{
  const n = DEGREE;
  const values = new Float64Array(n + 1);
  const cheb = new Float64Array(n + 1);
  for (let p = 0; p < PIECES; p++) {
    const mid = (p + 0.5) * WIDTH;
    // The interpolant through the Chebyshev-Lobatto points t_j = cos(pi j / n), as a Chebyshev
    // series: c_k = (2/n) sum_j'' f(t_j) cos(pi j k / n), end terms of both sums halved.
    const erfc = mid > ERFC_FROM;
    for (let j = 0; j <= n; j++) {
      const x = mid + (WIDTH / 2) * Math.cos((Math.PI * j) / n);
      values[j] = erfc ? erfcContinuedFraction(x) : erfAccurate(x);
    }
    for (let k = 0; k <= n; k++) {
      let sum = 0;
      for (let j = 0; j <= n; j++) sum += (j === 0 || j === n ? 0.5 : 1) * values[j]! * Math.cos((Math.PI * j * k) / n);
      cheb[k] = ((2 / n) * sum) / (k === 0 || k === n ? 2 : 1);
    }
    // ... then in monomials of t: T_0 = 1, T_1 = t, T_k = 2t T_(k-1) - T_(k-2).
    const base = p * (n + 1);
    let older = new Float64Array(n + 1);
    let old = new Float64Array(n + 1);
    older[0] = 1;
    old[1] = 1;
    POLY[base] = cheb[0]!;
    POLY[base + 1] = cheb[1]!;
    for (let k = 2; k <= n; k++) {
      const t = new Float64Array(n + 1);
      for (let i = 0; i < n; i++) t[i + 1] = 2 * old[i]!;
      for (let i = 0; i <= n; i++) {
        t[i]! -= older[i]!;
        POLY[base + i]! += cheb[k]! * t[i]!;
      }
      older = old;
      old = t;
    }
  }
}

/** The error function erf(x). */
export function erf(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < SMALL) {
    if (a === 0) return x; // keeps -0
    const a2 = a * a;
    const c = SERIES;
    r = a * ((((((c[6]! * a2 + c[5]!) * a2 + c[4]!) * a2 + c[3]!) * a2 + c[2]!) * a2 + c[1]!) * a2 + c[0]!);
  } else if (a < LARGE) {
    const s = a * (1 / WIDTH);
    const p = s | 0;
    const t = 2 * (s - p) - 1;
    const b = p * (DEGREE + 1);
    const c = POLY;
    r = (((((((c[b + 8]! * t + c[b + 7]!) * t + c[b + 6]!) * t + c[b + 5]!) * t + c[b + 4]!) * t + c[b + 3]!) * t + c[b + 2]!) * t + c[b + 1]!) * t + c[b]!;
    if (a >= ERFC_FROM) r = 1 - r;
    else if (r > 1) r = 1;
  } else if (a >= LARGE) {
    r = 1;
  } else {
    return NaN;
  }
  return x < 0 ? -r : r;
}

// ---- GELU ----------------------------------------------------------------------------------

/**
 * erfc on the same pieces, for the GELU below: erfc's own polynomials from ERFC_FROM on, and
 * 1 - erf's below (erfc > 2e-5 there, so the subtraction costs at most ~5e-12 relative), then one
 * piece of zeros for |x| >= LARGE, where erf rounds to ±1 in double.
 */
const ERFC_POLY = new Float64Array((PIECES + 1) * (DEGREE + 1));
for (let p = 0; p < PIECES; p++) {
  const b = p * (DEGREE + 1);
  const erfcPiece = (p + 0.5) * WIDTH > ERFC_FROM;
  for (let i = 0; i <= DEGREE; i++) {
    const c = POLY[b + i]!;
    ERFC_POLY[b + i] = erfcPiece ? c : i === 0 ? 1 - c : -c;
  }
}

/**
 * GELU, v * Phi(v) = 0.5 v (1 + erf(v / sqrt 2)), for GEMM epilogues and activation passes.
 * h = erfc(|v| / sqrt 2) / 2 comes from ERFC_POLY with no interval branch (the piece index is
 * clamped, so |v| past 6 sqrt 2 and ±Inf read the zero piece; NaN reads piece 0 and stays NaN),
 * evaluated by Estrin's scheme (a shorter dependency chain than Horner's), and Phi(v) is h for
 * v < 0, 1 - h otherwise: the negative tail keeps erfc's relative accuracy, which
 * 0.5 v (1 + erf) loses to cancellation. Within ~2e-15 of 0.5 v (1 + erfAccurate(v / sqrt 2))
 * in Phi; -0 at -0 and for v <= -6 sqrt 2, +Inf at +Inf, NaN at -Inf and NaN, as that formula.
 * About twice as fast as that formula over erf() in V8.
 */
export function geluErf(v: number): number {
  const s = Math.min(Math.abs(v) * (Math.SQRT1_2 / WIDTH), PIECES);
  const p = s | 0;
  const t = 2 * (s - p) - 1;
  const b = p * (DEGREE + 1);
  const c = ERFC_POLY;
  const t2 = t * t;
  const t4 = t2 * t2;
  const erfc = (c[b]! + c[b + 1]! * t + (c[b + 2]! + c[b + 3]! * t) * t2)
    + (c[b + 4]! + c[b + 5]! * t + (c[b + 6]! + c[b + 7]! * t) * t2) * t4 + c[b + 8]! * (t4 * t4);
  const h = 0.5 * erfc;
  return v * (v < 0 ? h : 1 - h);
}
