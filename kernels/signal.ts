// Signal processing over tensors viewed as [outer, axisLen, inner, components]: DFT along one
// axis (complex or real input, zero padding / truncation to the DFT length, one-sided output),
// the inverse of a one-sided spectrum (irfft), STFT frames, and window / mel filter generators.
// Complex values are interleaved (re, im) in the last dimension; arithmetic is float64.

import { type FftPlan, createFftPlan, createRealFftPlan, fftInPlace, rfft } from './fft.js';

export type SignalArray = Float32Array | Float64Array;

export interface AxisLayout {
  readonly outer: number;
  readonly axisLen: number;
  readonly inner: number;
}

/**
 * DFT of each line along the axis. Input components cIn (1 real, 2 complex); n is the DFT length
 * (lines are truncated or zero padded to n); the first outLen bins are written as complex pairs
 * into `out`, viewed as [outer, outLen, inner, 2].
 */
export function dftAlongAxis(
  x: SignalArray, cIn: number, layout: AxisLayout, n: number, inverse: boolean, outLen: number, out: SignalArray,
): void {
  const { outer, axisLen, inner } = layout;
  if (cIn === 1) {
    realDftAlongAxis(x, layout, n, inverse, outLen, out);
    return;
  }
  const plan = createFftPlan(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const copy = Math.min(axisLen, n);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      re.fill(0);
      im.fill(0);
      if (cIn === 2) {
        for (let k = 0; k < copy; k++) {
          const src = ((o * axisLen + k) * inner + r) * 2;
          re[k] = x[src]!;
          im[k] = x[src + 1]!;
        }
      } else {
        for (let k = 0; k < copy; k++) re[k] = x[(o * axisLen + k) * inner + r]!;
      }
      fftInPlace(plan, re, im, inverse);
      for (let k = 0; k < outLen; k++) {
        const dst = ((o * outLen + k) * inner + r) * 2;
        out[dst] = re[k]!;
        out[dst + 1] = im[k]!;
      }
    }
  }
}

/**
 * dftAlongAxis for real input: a real FFT gives bins 0..n/2, the rest are their conjugates.
 * The inverse transform of a real line is conj(forward) / n.
 */
function realDftAlongAxis(
  x: SignalArray, layout: AxisLayout, n: number, inverse: boolean, outLen: number, out: SignalArray,
): void {
  const { outer, axisLen, inner } = layout;
  const plan = createRealFftPlan(n);
  const line = new Float64Array(n);
  const half = Math.floor(n / 2);
  const re = new Float64Array(half + 1);
  const im = new Float64Array(half + 1);
  const copy = Math.min(axisLen, n);
  const scale = inverse ? 1 / n : 1;
  const sign = inverse ? -scale : 1;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      line.fill(0);
      for (let k = 0; k < copy; k++) line[k] = x[(o * axisLen + k) * inner + r]!;
      rfft(plan, line, re, im);
      for (let k = 0; k < outLen; k++) {
        const dst = ((o * outLen + k) * inner + r) * 2;
        if (k <= half) {
          out[dst] = re[k]! * scale;
          out[dst + 1] = im[k]! * sign;
        } else {
          out[dst] = re[n - k]! * scale;
          out[dst + 1] = -im[n - k]! * sign;
        }
      }
    }
  }
}

/**
 * Inverse of a one-sided spectrum (numpy.fft.irfft): each line holds bins 0..axisLen-1 of a
 * Hermitian spectrum (complex when cIn = 2, real when 1); the real signal of length n is written
 * into `out` viewed as [outer, n, inner]. Bins past n/2 are ignored, missing ones are zero, and the
 * imaginary parts of bin 0 (and of bin n/2 for even n) are dropped, as numpy does.
 */
export function irfftAlongAxis(
  x: SignalArray, cIn: number, layout: AxisLayout, n: number, out: SignalArray,
): void {
  const { outer, axisLen, inner } = layout;
  const plan = createFftPlan(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const halfBins = Math.floor(n / 2) + 1;
  const copy = Math.min(axisLen, halfBins, n);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      re.fill(0);
      im.fill(0);
      for (let k = 0; k < copy; k++) {
        const src = ((o * axisLen + k) * inner + r) * cIn;
        re[k] = x[src]!;
        im[k] = cIn === 2 ? x[src + 1]! : 0;
      }
      if (n > 0) im[0] = 0;
      if (n % 2 === 0 && n > 0) im[n / 2] = 0;
      for (let k = halfBins; k < n; k++) {
        re[k] = re[n - k]!;
        im[k] = -im[n - k]!;
      }
      fftInPlace(plan, re, im, true);
      for (let k = 0; k < n; k++) out[(o * n + k) * inner + r] = re[k]!;
    }
  }
}

/**
 * STFT of x viewed as [batch, length, cIn]: frame f starts at f * step, is multiplied by `window`
 * (null = ones) and transformed with a DFT of length frameLength; the first `bins` bins go to
 * `out` viewed as [batch, frames, bins, 2].
 */
export function stftFrames(
  x: SignalArray, cIn: number, batch: number, length: number, step: number, frames: number, frameLength: number,
  window: ArrayLike<number> | null, bins: number, out: SignalArray,
): void {
  if (cIn === 1) {
    realStftFrames(x, batch, length, step, frames, frameLength, window, bins, out);
    return;
  }
  const plan: FftPlan = createFftPlan(frameLength);
  const re = new Float64Array(frameLength);
  const im = new Float64Array(frameLength);
  for (let b = 0; b < batch; b++) {
    for (let f = 0; f < frames; f++) {
      const start = f * step;
      for (let k = 0; k < frameLength; k++) {
        const w = window === null ? 1 : window[k]!;
        const pos = start + k;
        if (pos < length) {
          const src = (b * length + pos) * cIn;
          re[k] = x[src]! * w;
          im[k] = cIn === 2 ? x[src + 1]! * w : 0;
        } else {
          re[k] = 0;
          im[k] = 0;
        }
      }
      fftInPlace(plan, re, im, false);
      for (let k = 0; k < bins; k++) {
        const dst = ((b * frames + f) * bins + k) * 2;
        out[dst] = re[k]!;
        out[dst + 1] = im[k]!;
      }
    }
  }
}

function realStftFrames(
  x: SignalArray, batch: number, length: number, step: number, frames: number, frameLength: number,
  window: ArrayLike<number> | null, bins: number, out: SignalArray,
): void {
  const plan = createRealFftPlan(frameLength);
  const frame = new Float64Array(frameLength);
  const half = Math.floor(frameLength / 2);
  const re = new Float64Array(half + 1);
  const im = new Float64Array(half + 1);
  for (let b = 0; b < batch; b++) {
    for (let f = 0; f < frames; f++) {
      const start = b * length + f * step;
      const avail = Math.min(frameLength, length - f * step);
      frame.fill(0);
      if (window === null) for (let k = 0; k < avail; k++) frame[k] = x[start + k]!;
      else for (let k = 0; k < avail; k++) frame[k] = x[start + k]! * window[k]!;
      rfft(plan, frame, re, im);
      for (let k = 0; k < bins; k++) {
        const dst = ((b * frames + f) * bins + k) * 2;
        if (k <= half) {
          out[dst] = re[k]!;
          out[dst + 1] = im[k]!;
        } else {
          out[dst] = re[frameLength - k]!;
          out[dst + 1] = -im[frameLength - k]!;
        }
      }
    }
  }
}

export type WindowKind = 'hann' | 'hamming' | 'blackman';

/**
 * Generalized cosine windows, w[j] = a0 - a1 cos(2 pi j / N) + a2 cos(4 pi j / N) with
 * N = size (periodic) or size - 1 (symmetric):
 *   hann a0 = a1 = 0.5;  hamming a0 = 25/46, a1 = 21/46;  blackman 0.42, 0.5, 0.08.
 * A symmetric window of size 1 is [1] (N = 0 would divide by zero).
 */
export function cosineWindow(kind: WindowKind, periodic: boolean, out: Float64Array): void {
  const size = out.length;
  const N = periodic ? size : size - 1;
  let a0 = 0.5;
  let a1 = 0.5;
  let a2 = 0;
  if (kind === 'hamming') {
    a0 = 25 / 46;
    a1 = 21 / 46;
  } else if (kind === 'blackman') {
    a0 = 0.42;
    a1 = 0.5;
    a2 = 0.08;
  }
  if (N === 0) {
    out.fill(1);
    return;
  }
  for (let j = 0; j < size; j++) {
    const t = (2 * Math.PI * j) / N;
    out[j] = a0 - a1 * Math.cos(t) + a2 * Math.cos(2 * t);
  }
}

/**
 * Triangular mel filter bank, written into `out` viewed as [dftLength / 2 + 1, numMelBins], using
 * the ONNX reference's construction: numMelBins + 2 points equally spaced on the mel scale
 * mel(f) = 2595 log10(1 + f / 700) from the lower to the upper edge (step = range / (bins + 2)),
 * mapped to spectrogram bins floor((dftLength + 1) * hz / sampleRate).
 */
export function melWeightMatrix(
  numMelBins: number, dftLength: number, sampleRate: number, lowerHz: number, upperHz: number, out: Float64Array,
): void {
  const lowMel = 2595 * Math.log10(1 + lowerHz / 700);
  const highMel = 2595 * Math.log10(1 + upperHz / 700);
  const points = numMelBins + 2;
  const step = (highMel - lowMel) / points;
  const bins = new Int32Array(points);
  for (let i = 0; i < points; i++) {
    const hz = 700 * (10 ** ((i * step + lowMel) / 2595) - 1);
    bins[i] = Math.trunc(Math.floor(((dftLength + 1) * hz) / sampleRate));
  }
  const rows = Math.floor(dftLength / 2) + 1;
  out.fill(0);
  for (let i = 0; i < numMelBins; i++) {
    const lo = bins[i]!;
    const center = bins[i + 1]!;
    const hi = bins[i + 2]!;
    const up = center - lo;
    if (up === 0) {
      if (center >= 0 && center < rows) out[center * numMelBins + i] = 1;
    } else {
      for (let j = Math.max(lo, 0); j <= center && j < rows; j++) out[j * numMelBins + i] = (j - lo) / up;
    }
    const down = hi - center;
    if (down > 0) {
      for (let j = Math.max(center, 0); j < hi && j < rows; j++) out[j * numMelBins + i] = (hi - j) / down;
    }
  }
}
