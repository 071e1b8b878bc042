// The error function in double precision (relative error around 1e-15), without tables.
//   |x| < 3:  erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
//             a series of positive terms, so no cancellation.
//   3 <= |x| < 6: erf(x) = 1 - erfc(x), erfc from its continued fraction
//             erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))).
//   |x| >= 6: erfc(x) < 3e-17, so erf(x) = ±1 in double.

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

/** The error function erf(x). */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 3) r = a === 0 ? 0 : erfSeries(a);
  else if (a < 6) r = 1 - erfcContinuedFraction(a);
  else r = 1;
  return x < 0 ? -r : x === 0 ? x : r;
}
