// Seeded pseudo-random numbers for the ONNX random operators.
//
// Generator: xoshiro128** (Blackman & Vigna, 2018), 128-bit state, period 2^128 - 1, seeded by
// running splitmix32 over the 32-bit seed. Uniform doubles take 53 bits from two outputs; normals
// use the Box-Muller transform; Multinomial samples by inverse CDF over softmax(logits).
//
// The streams are deterministic for a given seed but are NOT numpy's (MT19937 with numpy's
// distribution algorithms), so tests whose expected output is a particular numpy draw cannot match.

export type RandomState = Uint32Array;

/** A generator state from a 32-bit seed (any number; its low 32 bits are used). */
export function createRandomState(seed: number): RandomState {
  const s = new Uint32Array(4);
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    // splitmix32
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1; // the all-zero state is a fixed point
  return s;
}

/** Next 32-bit output (xoshiro128**). */
export function nextUint32(s: RandomState): number {
  const r = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
  const t = (s[1]! << 9) >>> 0;
  s[2] = s[2]! ^ s[0]!;
  s[3] = s[3]! ^ s[1]!;
  s[1] = s[1]! ^ s[2]!;
  s[0] = s[0]! ^ s[3]!;
  s[2] = s[2]! ^ t;
  s[3] = rotl(s[3]!, 11);
  return r;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A uniform double in [0, 1) with 53 random bits. */
export function nextDouble(s: RandomState): number {
  const a = nextUint32(s) >>> 5; // 27 bits
  const b = nextUint32(s) >>> 6; // 26 bits
  return (a * 67108864 + b) / 9007199254740992;
}

/** out[i] = low + (high - low) * U[0, 1). */
export function fillUniform(s: RandomState, low: number, high: number, out: Float32Array | Float64Array): void {
  const range = high - low;
  for (let i = 0; i < out.length; i++) out[i] = low + range * nextDouble(s);
}

/** out[i] = mean + scale * N(0, 1), Box-Muller with both outputs of each pair used. */
export function fillNormal(s: RandomState, mean: number, scale: number, out: Float32Array | Float64Array): void {
  const n = out.length;
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - nextDouble(s); // (0, 1]: log stays finite
    const u2 = nextDouble(s);
    const r = Math.sqrt(-2 * Math.log(u1));
    const t = 2 * Math.PI * u2;
    out[i] = mean + scale * r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = mean + scale * r * Math.sin(t);
  }
}

/** out[i] = 1 when U[0, 1) < p[i], else 0 (p outside [0, 1] behaves as clamped; NaN gives 0). */
export function fillBernoulli(s: RandomState, p: ArrayLike<number>, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = nextDouble(s) < p[i]! ? 1 : 0;
}

/**
 * Multinomial: for each of `batch` rows of unnormalized log-probabilities (classes wide), draws
 * `samples` class indices from softmax(row) into out ([batch, samples]). `cdf` is scratch space of
 * length `classes`. Rows whose probabilities are all zero or NaN give class index `classes - 1`.
 */
export function sampleMultinomial(
  s: RandomState, logits: ArrayLike<number>, batch: number, classes: number, samples: number,
  cdf: Float64Array, out: Int32Array,
): void {
  for (let b = 0; b < batch; b++) {
    const row = b * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (logits[row + c]! > max) max = logits[row + c]!;
    let total = 0;
    for (let c = 0; c < classes; c++) {
      const v = logits[row + c]!;
      total += v === -Infinity ? 0 : Math.exp(v - max);
      cdf[c] = total;
    }
    for (let k = 0; k < samples; k++) {
      const u = nextDouble(s) * total;
      // first class whose cumulative weight exceeds u (binary search)
      let lo = 0;
      let hi = classes - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      out[b * samples + k] = lo;
    }
  }
}

/** Widens int32 class indices to int64. */
export function widenToInt64(src: Int32Array, dst: BigInt64Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = BigInt(src[i]!);
}
