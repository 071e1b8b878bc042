// Round half to even (numpy.round / numpy.rint, C's nearbyint in the default mode), in one place.

/** Rounds to the nearest integer, ties to even, keeping the sign of zero; ±Inf and NaN pass through. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  const r = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return r === 0 ? v * 0 : r;
}
