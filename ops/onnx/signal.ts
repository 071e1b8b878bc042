// Signal operators: DFT (opset 17 `axis` attribute, opset 20 `axis` input), STFT,
// HannWindow, HammingWindow, BlackmanWindow and MelWeightMatrix (opset 17).
// Signals carry a trailing dimension of 1 (real) or 2 (complex re, im). Transforms run in float64
// with an O(n log n) FFT for every length (kernels/fft.ts) and round to the input's type.

import { type CastData, type CastType, castElements } from '../../kernels/cast.js';
import {
  type SignalArray, type WindowKind, cosineWindow, dftAlongAxis, irfftAlongAxis, melWeightMatrix, stftFrames,
} from '../../kernels/signal.js';
import { sizeBetween } from '../../kernels/strides.js';
import { type DataType, allocate, dataTypeFromOnnx, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import { elemOf, knownDims, knownInts, normAxis, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import type { Dim, ValueType } from '../../src/ir/graph.js';

function scalarInt(name: string, t: Tensor | undefined, what: string): number {
  if (t === undefined || t.size !== 1 || !(t.type.startsWith('int') || t.type.startsWith('uint'))) {
    throw new InvalidNodeError(`${name}: ${what} must be an integer scalar`);
  }
  return t.toNumbers()[0]!;
}

function scalarFloat(name: string, t: Tensor | undefined, what: string): number {
  if (t === undefined || t.size !== 1) throw new InvalidNodeError(`${name}: ${what} must be a scalar`);
  return t.toNumbers()[0]!;
}

function signalInput(name: string, x: Tensor | undefined): Tensor {
  if (x === undefined) throw new InvalidNodeError(`${name}: input signal is required`);
  if (!isFloatType(x.type)) throw new InvalidNodeError(`${name}: signal must be a float tensor, got ${x.type}`);
  const c = x.dims[x.rank - 1];
  if (x.rank < 2 || (c !== 1 && c !== 2)) {
    throw new ShapeError(`${name}: signal must end in a dimension of 1 (real) or 2 (complex), got [${x.dims.join(', ')}]`);
  }
  return x;
}

/** Output data of `type` from float64 values: floats round, other numeric types cast as Cast does. */
function typedTensor(type: DataType, data: Float64Array, dims: readonly number[]): Tensor {
  if (isFloatType(type)) return floatTensor(type, data, dims);
  if (type === 'string' || type === 'complex64' || type === 'complex128') {
    throw new InvalidNodeError(`output_datatype ${type} is not a numeric real type`);
  }
  const out = allocate(type, data.length) as CastData;
  castElements(data, 'float64', out, type as CastType, { saturate: true, roundMode: 'up' });
  return new Tensor(type, out, dims);
}

function parseOutputType(name: string, a: Attrs): DataType {
  const code = a.int('output_datatype', 1);
  const t = dataTypeFromOnnx(code);
  if (t === undefined) throw new InvalidNodeError(`${name}: unknown output_datatype ${code}`);
  return t;
}

// ---- DFT ----

interface DftAttrs {
  readonly axis: number | undefined;
  readonly inverse: boolean;
  readonly onesided: boolean;
}

function dft(x: Tensor, dftLength: Tensor | undefined, axisValue: number, attrs: DftAttrs): Tensor {
  const name = 'DFT';
  const rank = x.rank;
  const axis = axisValue < 0 ? axisValue + rank : axisValue;
  if (axis < 0 || axis > rank - 2) {
    throw new InvalidNodeError(`${name}: axis ${axisValue} out of range [-${rank}, -2] ∪ [0, ${rank - 2}] for rank ${rank}`);
  }
  const cIn = x.dims[rank - 1]!;
  const axisLen = x.dims[axis]!;
  const layout = { outer: sizeBetween(x.dims, 0, axis), axisLen, inner: sizeBetween(x.dims, axis + 1, rank - 1) };
  const irfft = attrs.inverse && attrs.onesided;
  let n: number;
  if (dftLength !== undefined) n = scalarInt(name, dftLength, 'dft_length');
  else n = irfft ? 2 * (axisLen - 1) : axisLen;
  if (n < 1) throw new InvalidNodeError(`${name}: dft_length must be positive, got ${n}`);
  const data = floatData(x);
  if (irfft) {
    const dims = x.dims.map((d, i) => (i === axis ? n : i === rank - 1 ? 1 : d));
    const out = allocFloat(x.type, layout.outer * n * layout.inner);
    irfftAlongAxis(data, cIn, layout, n, out);
    return floatTensor(x.type, out, dims);
  }
  const outLen = attrs.onesided ? Math.floor(n / 2) + 1 : n;
  const dims = x.dims.map((d, i) => (i === axis ? outLen : i === rank - 1 ? 2 : d));
  const out = allocFloat(x.type, layout.outer * outLen * layout.inner * 2);
  dftAlongAxis(data, cIn, layout, n, attrs.inverse, outLen, out);
  return floatTensor(x.type, out, dims);
}

function parseDft(a: Attrs, withAxis: boolean): DftAttrs {
  const inverse = a.int('inverse', 0);
  const onesided = a.int('onesided', 0);
  return Object.freeze({ axis: withAxis ? a.int('axis', 1) : undefined, inverse: inverse !== 0, onesided: onesided !== 0 });
}

/** The single value of a known integer scalar input, else undefined. */
function knownScalar(inp: InferInput | undefined): number | undefined {
  const v = knownInts(inp);
  return v?.length === 1 ? v[0] : undefined;
}

/** A scalar input's value as a dim: a number, a symbolic dim it holds, or null. */
function knownDim(inp: InferInput | undefined): Dim {
  const v = knownDims(inp);
  return v?.length === 1 ? v[0]! : null;
}

/** DFT's output type; `axis` undefined means given as an input whose value is unknown. */
function inferDft(x: InferInput | undefined, dftLength: InferInput | undefined, axisValue: number | undefined, attrs: DftAttrs): ValueType {
  const shape = shapeOf(x);
  if (!shape || shape.length < 2) return tensorType(elemOf(x));
  const rank = shape.length;
  const irfft = attrs.inverse && attrs.onesided;
  const last = irfft ? 1 : 2;
  if (axisValue === undefined) {
    // Axis unknown: a full-length complex transform keeps every dim but the last.
    const keep = dftLength === undefined && !attrs.onesided;
    return tensorType(elemOf(x), shape.map((d, i) => (i === rank - 1 ? last : keep ? d : null)));
  }
  const axis = normAxis(axisValue, rank);
  const axisLen = shape[axis]!;
  let n: Dim;
  if (dftLength !== undefined) n = knownScalar(dftLength) ?? null;
  else if (irfft) n = typeof axisLen === 'number' ? 2 * (axisLen - 1) : null;
  else n = axisLen;
  let outLen: Dim = n;
  if (!irfft && attrs.onesided) outLen = typeof n === 'number' ? Math.floor(n / 2) + 1 : null;
  return tensorType(elemOf(x), shape.map((d, i) => (i === axis ? outLen : i === rank - 1 ? last : d)));
}

function inferStft(inputs: readonly (InferInput | undefined)[], onesided: boolean): ValueType {
  const [x, stepIn, window, lengthIn] = inputs;
  const shape = shapeOf(x);
  if (!shape || shape.length !== 3) return tensorType(elemOf(x), shape && [null, null, null, 2]);
  const [batch, length] = shape as [Dim, Dim];
  const step = knownScalar(stepIn);
  let frameLength: Dim;
  if (lengthIn !== undefined) frameLength = knownScalar(lengthIn) ?? null;
  else if (window !== undefined) frameLength = shapeOf(window)?.[0] ?? null;
  else frameLength = length;
  const frames = typeof length === 'number' && typeof frameLength === 'number' && step !== undefined && step > 0
    ? Math.floor((length - frameLength) / step) + 1 : null;
  let bins: Dim = frameLength;
  if (onesided) bins = typeof frameLength === 'number' ? Math.floor(frameLength / 2) + 1 : null;
  return tensorType(elemOf(x), [batch, frames, bins, 2]);
}

// ---- STFT ----

function stft(inputs: readonly (Tensor | undefined)[], onesided: boolean): Tensor {
  const name = 'STFT';
  const x = signalInput(name, inputs[0]);
  if (x.rank !== 3) throw new ShapeError(`${name}: signal must be [batch, length, 1 or 2], got [${x.dims.join(', ')}]`);
  const step = scalarInt(name, inputs[1], 'frame_step');
  if (step < 1) throw new InvalidNodeError(`${name}: frame_step must be positive, got ${step}`);
  const window = inputs[2];
  if (window !== undefined && window.rank !== 1) {
    throw new ShapeError(`${name}: window must be 1-D, got [${window.dims.join(', ')}]`);
  }
  const [batch, length, cIn] = x.dims as [number, number, number];
  let frameLength: number;
  if (inputs[3] !== undefined) frameLength = scalarInt(name, inputs[3], 'frame_length');
  else frameLength = window !== undefined ? window.dims[0]! : length;
  if (window !== undefined && window.dims[0] !== frameLength) {
    throw new ShapeError(`${name}: window length ${window.dims[0]} differs from frame_length ${frameLength}`);
  }
  if (frameLength < 1 || frameLength > length) {
    throw new InvalidNodeError(`${name}: frame_length ${frameLength} must be in [1, ${length}]`);
  }
  const frames = Math.floor((length - frameLength) / step) + 1;
  const bins = onesided ? Math.floor(frameLength / 2) + 1 : frameLength;
  const out = allocFloat(x.type, batch * frames * bins * 2);
  const w = window === undefined ? null : floatData(window);
  stftFrames(floatData(x), cIn, batch, length, step, frames, frameLength, w, bins, out as SignalArray);
  return floatTensor(x.type, out, [batch, frames, bins, 2]);
}

// ---- windows and mel filters ----

interface WindowAttrs {
  readonly outputType: DataType;
  readonly periodic: boolean;
}

function windowOp(name: string, kind: WindowKind): OpDef {
  return op<WindowAttrs>({
    name, since: 17,
    parse: (a) => Object.freeze({ outputType: parseOutputType(name, a), periodic: a.int('periodic', 1) !== 0 }),
    run: (inputs, attrs) => {
      const size = scalarInt(name, inputs[0], 'size');
      if (size < 0) throw new InvalidNodeError(`${name}: size must be >= 0, got ${size}`);
      const out = new Float64Array(size);
      cosineWindow(kind, attrs.periodic, out);
      return [typedTensor(attrs.outputType, out, [size])];
    },
    infer: ([size], attrs) => [tensorType(attrs.outputType, [knownDim(size)])],
  });
}

export const signalOps: OpDef[] = [
  op<DftAttrs>({
    name: 'DFT', since: 17,
    parse: (a) => parseDft(a, true),
    run: (inputs, attrs) => [dft(signalInput('DFT', inputs[0]), inputs[1], attrs.axis!, attrs)],
    infer: ([x, n], attrs) => [inferDft(x, n, attrs.axis!, attrs)],
  }),
  op<DftAttrs>({
    name: 'DFT', since: 20,
    parse: (a) => parseDft(a, false),
    run: (inputs, attrs) => {
      const axis = inputs[2] === undefined ? -2 : scalarInt('DFT', inputs[2], 'axis');
      return [dft(signalInput('DFT', inputs[0]), inputs[1], axis, attrs)];
    },
    infer: ([x, n, axis], attrs) => [inferDft(x, n, axis === undefined ? -2 : knownScalar(axis), attrs)],
  }),
  op<{ readonly onesided: boolean }>({
    name: 'STFT', since: 17,
    parse: (a) => Object.freeze({ onesided: a.int('onesided', 1) !== 0 }),
    run: (inputs, attrs) => [stft(inputs, attrs.onesided)],
    infer: (inputs, attrs) => [inferStft(inputs, attrs.onesided)],
  }),
  windowOp('HannWindow', 'hann'),
  windowOp('HammingWindow', 'hamming'),
  windowOp('BlackmanWindow', 'blackman'),
  op<{ readonly outputType: DataType }>({
    name: 'MelWeightMatrix', since: 17,
    parse: (a) => Object.freeze({ outputType: parseOutputType('MelWeightMatrix', a) }),
    run: (inputs, attrs) => {
      const name = 'MelWeightMatrix';
      const bins = scalarInt(name, inputs[0], 'num_mel_bins');
      const dftLength = scalarInt(name, inputs[1], 'dft_length');
      const sampleRate = scalarInt(name, inputs[2], 'sample_rate');
      const lower = scalarFloat(name, inputs[3], 'lower_edge_hertz');
      const upper = scalarFloat(name, inputs[4], 'upper_edge_hertz');
      if (bins < 1 || dftLength < 1 || sampleRate < 1) {
        throw new InvalidNodeError(`${name}: num_mel_bins, dft_length and sample_rate must be positive`);
      }
      const rows = Math.floor(dftLength / 2) + 1;
      const out = new Float64Array(rows * bins);
      melWeightMatrix(bins, dftLength, sampleRate, lower, upper, out);
      return [typedTensor(attrs.outputType, out, [rows, bins])];
    },
    infer: ([bins, dftLength], attrs) => {
      const n = knownScalar(dftLength);
      return [tensorType(attrs.outputType, [n === undefined ? null : Math.floor(n / 2) + 1, knownDim(bins)])];
    },
  }),
];
