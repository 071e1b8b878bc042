// Spatial sampling: GridSample, AffineGrid, Col2Im, DeformConv, CenterCropPad, MaxUnpool.

import { col2im, scatterElements } from '../../kernels/col2im-ops.js';
import { deformConv2d } from '../../kernels/deform-conv.js';
import { affineGrid, type GridMode, type GridPadding, gridSample } from '../../kernels/grid-sample.js';
import { pad, padIndexMap } from '../../kernels/pad.js';
import { shapeSize } from '../../kernels/strides.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor, intValues } from '../compute.js';
import type { ValueType } from '../../src/ir/graph.js';
import { elemOf, knownInts, normAxis, shapeOf, targetDims, tensorType } from '../infer-helpers.js';
import type { InferInput } from '../op-def.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import { outputWords, tensorWords } from '../tensor-words.js';
import { checkedAxis, required } from '../op-inputs.js';

const dimsText = (d: readonly number[]): string => `[${d.join(', ')}]`;

function requireFloat(opName: string, t: Tensor, what: string): void {
  if (!isFloatType(t.type)) throw new InvalidNodeError(`${opName}: ${what} must be a float tensor, got ${t.type}`);
}

/** An optional ints attribute: a copy, or null when absent. */
function optionalInts(a: Attrs, name: string): number[] | null {
  return a.has(name) ? [...a.ints(name)] : null;
}

function checkLength(opName: string, name: string, v: readonly number[], n: number): void {
  if (v.length !== n) throw new InvalidNodeError(`${opName}: '${name}' has ${v.length} values, expected ${n}`);
}

// ---- GridSample ----

interface GridSampleAttrs {
  readonly mode: GridMode;
  readonly padding: GridPadding;
  readonly alignCorners: boolean;
  /** Opset 16 accepts only 4-D inputs. */
  readonly only2d: boolean;
}

const PADDINGS: readonly GridPadding[] = ['zeros', 'border', 'reflection'];

function parseGridSample(a: Attrs, modes: Readonly<Record<string, GridMode>>, defMode: string, only2d: boolean): GridSampleAttrs {
  const m = a.string('mode', defMode);
  const mode = modes[m];
  if (!mode) throw new InvalidNodeError(`GridSample: unknown mode '${m}' (expected ${Object.keys(modes).join(', ')})`);
  const padding = a.string('padding_mode', 'zeros') as GridPadding;
  if (!PADDINGS.includes(padding)) {
    throw new InvalidNodeError(`GridSample: unknown padding_mode '${padding}' (expected ${PADDINGS.join(', ')})`);
  }
  return Object.freeze({ mode, padding, alignCorners: a.int('align_corners', 0) !== 0, only2d });
}

function runGridSample(x: Tensor, grid: Tensor, a: GridSampleAttrs): Tensor {
  requireFloat('GridSample', x, 'X');
  requireFloat('GridSample', grid, 'grid');
  const r = x.dims.length - 2;
  if (r < 1 || (a.only2d && r !== 2)) {
    throw new ShapeError(`GridSample: X must be ${a.only2d ? '4-D' : 'at least 3-D'}, got dims ${dimsText(x.dims)}`);
  }
  if (grid.dims.length !== r + 2 || grid.dims[0] !== x.dims[0] || grid.dims[r + 1] !== r) {
    throw new ShapeError(
      `GridSample: grid dims ${dimsText(grid.dims)} do not fit X dims ${dimsText(x.dims)} ` +
        `(expected [${x.dims[0]}, ...${r} spatial dims, ${r}])`,
    );
  }
  const [N, C] = x.dims as [number, number];
  const outSpatial = grid.dims.slice(1, r + 1);
  const outDims = [N, C, ...outSpatial];
  const out = allocFloat(x.type, shapeSize(outDims));
  gridSample(floatData(x), floatData(grid), out, {
    batch: N, channels: C, inDims: x.dims.slice(2), outPoints: shapeSize(outSpatial),
    mode: a.mode, padding: a.padding, alignCorners: a.alignCorners,
  });
  return floatTensor(x.type, out, outDims);
}

// ---- AffineGrid ----

function runAffineGrid(theta: Tensor, size: Tensor, alignCorners: boolean): Tensor {
  requireFloat('AffineGrid', theta, 'theta');
  const sz = intValues(size);
  if (sz.length !== 4 && sz.length !== 5) {
    throw new ShapeError(`AffineGrid: size must hold 4 (N, C, H, W) or 5 (N, C, D, H, W) values, got ${sz.length}`);
  }
  const r = sz.length - 2;
  const N = sz[0]!;
  if (theta.dims.length !== 3 || theta.dims[0] !== N || theta.dims[1] !== r || theta.dims[2] !== r + 1) {
    throw new ShapeError(`AffineGrid: theta dims ${dimsText(theta.dims)}, expected [${N}, ${r}, ${r + 1}] for size ${dimsText(sz)}`);
  }
  const spatial = sz.slice(2);
  if (spatial.some((d) => d < 0)) throw new ShapeError(`AffineGrid: negative size ${dimsText(sz)}`);
  const outDims = [N, ...spatial, r];
  const out = allocFloat(theta.type, shapeSize(outDims));
  affineGrid(floatData(theta), out, N, spatial, alignCorners);
  return floatTensor(theta.type, out, outDims);
}

// ---- Col2Im ----

interface WindowAttrs {
  readonly dilations: readonly number[] | null;
  readonly pads: readonly number[] | null;
  readonly strides: readonly number[] | null;
}

const parseWindow = (a: Attrs): WindowAttrs => Object.freeze({
  dilations: optionalInts(a, 'dilations'),
  pads: optionalInts(a, 'pads'),
  strides: optionalInts(a, 'strides'),
});

function runCol2Im(x: Tensor, imageShape: Tensor, blockShape: Tensor, a: WindowAttrs): Tensor {
  requireFloat('Col2Im', x, 'input');
  const image = intValues(imageShape);
  const block = intValues(blockShape);
  const r = image.length;
  if (block.length !== r) throw new ShapeError(`Col2Im: image_shape ${dimsText(image)} and block_shape ${dimsText(block)} differ in length`);
  const dilations = a.dilations ?? new Array<number>(r).fill(1);
  const strides = a.strides ?? new Array<number>(r).fill(1);
  const pads = a.pads ?? new Array<number>(2 * r).fill(0);
  checkLength('Col2Im', 'dilations', dilations, r);
  checkLength('Col2Im', 'strides', strides, r);
  checkLength('Col2Im', 'pads', pads, 2 * r);
  if (x.dims.length !== 3) throw new ShapeError(`Col2Im: input must be 3-D [N, C * prod(block), L], got ${dimsText(x.dims)}`);
  const taps = shapeSize(block);
  const [N, CK, L] = x.dims as [number, number, number];
  if (taps <= 0 || CK % taps !== 0) {
    throw new ShapeError(`Col2Im: input dim 1 (${CK}) is not a multiple of prod(block_shape) = ${taps}`);
  }
  const grid = image.map((d, i) =>
    Math.floor((d + pads[i]! + pads[i + r]! - dilations[i]! * (block[i]! - 1) - 1) / strides[i]!) + 1);
  if (grid.some((b) => b < 1) || shapeSize(grid) !== L) {
    throw new ShapeError(
      `Col2Im: input dim 2 is ${L} but image ${dimsText(image)}, block ${dimsText(block)}, pads, strides and ` +
        `dilations give ${dimsText(grid)} block positions`,
    );
  }
  const C = CK / taps;
  const outDims = [N, C, ...image];
  const out = allocFloat(x.type, shapeSize(outDims));
  col2im(floatData(x), out, {
    planes: N * C, image, block, grid, strides, dilations, padsBegin: pads.slice(0, r),
  });
  return floatTensor(x.type, out, outDims);
}

// ---- DeformConv ----

interface DeformConvAttrs extends WindowAttrs {
  readonly group: number;
  readonly offsetGroup: number;
  readonly kernelShape: readonly number[] | null;
}

function runDeformConv(inputs: readonly (Tensor | undefined)[], a: DeformConvAttrs): Tensor {
  const x = required('DeformConv', inputs[0], 'X');
  const w = required('DeformConv', inputs[1], 'W');
  const offset = required('DeformConv', inputs[2], 'offset');
  const b = inputs[3];
  const mask = inputs[4];
  for (const [t, name] of [[x, 'X'], [w, 'W'], [offset, 'offset'], [b, 'B'], [mask, 'mask']] as const) {
    if (t) requireFloat('DeformConv', t, name);
  }
  if (x.dims.length !== 4) throw new ShapeError(`DeformConv: only 2-D convolution is supported; X dims ${dimsText(x.dims)}`);
  const [N, C, H, W] = x.dims as [number, number, number, number];
  if (w.dims.length !== 4) throw new ShapeError(`DeformConv: W must be 4-D, got ${dimsText(w.dims)}`);
  const [OC, CG, KH, KW] = w.dims as [number, number, number, number];
  const ks = a.kernelShape ?? [KH, KW];
  if (ks[0] !== KH || ks[1] !== KW) throw new ShapeError(`DeformConv: kernel_shape ${dimsText(ks)} differs from W dims ${dimsText(w.dims)}`);
  const { group, offsetGroup } = a;
  if (group < 1 || C !== CG * group || OC % group !== 0) {
    throw new ShapeError(`DeformConv: X has ${C} channels and W dims ${dimsText(w.dims)}, which do not fit group = ${group}`);
  }
  if (offsetGroup < 1 || C % offsetGroup !== 0) {
    throw new ShapeError(`DeformConv: ${C} input channels are not divisible by offset_group = ${offsetGroup}`);
  }
  const dil = a.dilations ?? [1, 1];
  const st = a.strides ?? [1, 1];
  const pads = a.pads ?? [0, 0, 0, 0];
  checkLength('DeformConv', 'dilations', dil, 2);
  checkLength('DeformConv', 'strides', st, 2);
  checkLength('DeformConv', 'pads', pads, 4);
  const OH = Math.floor((H + pads[0]! + pads[2]! - ((KH - 1) * dil[0]! + 1)) / st[0]!) + 1;
  const OW = Math.floor((W + pads[1]! + pads[3]! - ((KW - 1) * dil[1]! + 1)) / st[1]!) + 1;
  if (OH < 0 || OW < 0) throw new ShapeError(`DeformConv: the kernel does not fit X dims ${dimsText(x.dims)}`);
  const taps = KH * KW;
  const offDims = [N, offsetGroup * taps * 2, OH, OW];
  if (offset.dims.join() !== offDims.join()) {
    throw new ShapeError(`DeformConv: offset dims ${dimsText(offset.dims)}, expected ${dimsText(offDims)}`);
  }
  const maskDims = [N, offsetGroup * taps, OH, OW];
  if (mask && mask.dims.join() !== maskDims.join()) {
    throw new ShapeError(`DeformConv: mask dims ${dimsText(mask.dims)}, expected ${dimsText(maskDims)}`);
  }
  if (b && b.size !== OC) throw new ShapeError(`DeformConv: B has ${b.size} values, expected ${OC}`);
  const outDims = [N, OC, OH, OW];
  const y = allocFloat(x.type, shapeSize(outDims));
  deformConv2d(floatData(x), floatData(w), floatData(offset), b ? floatData(b) : null, mask ? floatData(mask) : null, y, {
    batch: N, inChannels: C, outChannels: OC, height: H, width: W, outHeight: OH, outWidth: OW,
    kernel: [KH, KW], strides: [st[0]!, st[1]!], dilations: [dil[0]!, dil[1]!], pads: [pads[0]!, pads[1]!],
    group, offsetGroup,
  });
  return floatTensor(x.type, y, outDims);
}

// ---- CenterCropPad ----

/**
 * Crops or zero-pads each listed axis to the requested size around the centre. When the
 * difference is odd the extra element is cropped from / padded at the end.
 */
function runCenterCropPad(x: Tensor, shape: Tensor, axesAttr: readonly number[] | null): Tensor {
  const rank = x.dims.length;
  const target = intValues(shape);
  const axes = axesAttr ? axesAttr.map((ax) => checkedAxis('CenterCropPad', ax, rank)) : x.dims.map((_, i) => i);
  if (target.length !== axes.length) {
    throw new ShapeError(`CenterCropPad: shape has ${target.length} values for ${axes.length} axes`);
  }
  if (new Set(axes).size !== axes.length) throw new InvalidNodeError(`CenterCropPad: repeated axis in ${dimsText(axesAttr ?? [])}`);
  const before = x.dims.map(() => 0);
  const after = x.dims.map(() => 0);
  axes.forEach((ax, i) => {
    const want = target[i]!;
    if (want < 0) throw new ShapeError(`CenterCropPad: negative size ${want} for axis ${ax}`);
    const dim = x.dims[ax]!;
    const diff = Math.abs(want - dim);
    const half = Math.floor(diff / 2);
    const sign = want >= dim ? 1 : -1;
    before[ax] = sign * half;
    after[ax] = sign * (diff - half);
  });
  const maps = x.dims.map((d, ax) => padIndexMap(d, before[ax]!, after[ax]!, 'constant')!);
  const { words } = tensorWords(x);
  const out = outputWords(x.type, maps.map((m) => m.length));
  const fill = tensorWords(Tensor.zeros(x.type, [1])).words;
  pad(words, out.words, x.dims, maps, fill);
  return out.tensor;
}

// ---- MaxUnpool ----

interface MaxUnpoolAttrs {
  readonly kernelShape: readonly number[];
  readonly pads: readonly number[] | null;
  readonly strides: readonly number[] | null;
}

/**
 * Scatters X into a zero tensor of the default shape ((in - 1) * stride - pads + kernel) at the
 * flat indices I (as MaxPool produced them for that shape); with output_shape, that result is
 * placed at the origin of a zero tensor of the requested shape (as the ONNX reference does).
 */
function runMaxUnpool(x: Tensor, indices: Tensor, outputShape: Tensor | undefined, a: MaxUnpoolAttrs): Tensor {
  const r = x.dims.length - 2;
  if (r < 1) throw new ShapeError(`MaxUnpool: X must be at least 3-D, got ${dimsText(x.dims)}`);
  const k = a.kernelShape;
  checkLength('MaxUnpool', 'kernel_shape', k, r);
  const strides = a.strides ?? new Array<number>(r).fill(1);
  const pads = a.pads ?? new Array<number>(2 * r).fill(0);
  checkLength('MaxUnpool', 'strides', strides, r);
  checkLength('MaxUnpool', 'pads', pads, 2 * r);
  if (indices.dims.join() !== x.dims.join()) {
    throw new ShapeError(`MaxUnpool: I dims ${dimsText(indices.dims)} differ from X dims ${dimsText(x.dims)}`);
  }
  if (indices.type !== 'int64') throw new InvalidNodeError(`MaxUnpool: I must be int64, got ${indices.type}`);
  const inferred = [x.dims[0]!, x.dims[1]!,
    ...x.dims.slice(2).map((d, i) => (d - 1) * strides[i]! - (pads[i]! + pads[i + r]!) + k[i]!)];
  if (inferred.some((d) => d < 0)) throw new ShapeError(`MaxUnpool: attributes give a negative output shape ${dimsText(inferred)}`);
  const { words, width } = tensorWords(x);
  const scattered = outputWords(x.type, inferred);
  const bad = scatterElements(words as Uint32Array, scattered.words as Uint32Array, indices.data as BigInt64Array, width);
  if (bad >= 0) {
    throw new ShapeError(`MaxUnpool: index ${indices.data[bad]} out of range [0, ${shapeSize(inferred)}) for output ${dimsText(inferred)}`);
  }
  if (!outputShape) return scattered.tensor;
  const target = intValues(outputShape);
  if (target.length !== inferred.length || target.some((d) => d < 0)) {
    throw new ShapeError(`MaxUnpool: output_shape ${dimsText(target)} does not fit X dims ${dimsText(x.dims)}`);
  }
  const maps = inferred.map((d, i) => padIndexMap(d, 0, target[i]! - d, 'constant')!);
  const out = outputWords(x.type, target);
  pad(scattered.words, out.words, inferred, maps, tensorWords(Tensor.zeros(x.type, [1])).words);
  return out.tensor;
}

const GRID_MODES_16: Readonly<Record<string, GridMode>> = { bilinear: 'linear', nearest: 'nearest', bicubic: 'cubic' };
const GRID_MODES_20: Readonly<Record<string, GridMode>> = { linear: 'linear', nearest: 'nearest', cubic: 'cubic' };

/** [N, C, grid spatial dims...]. */
function inferGridSample(inputs: readonly (InferInput | undefined)[]): ValueType[] {
  const [xs, gs] = [shapeOf(inputs[0]), shapeOf(inputs[1])];
  return [tensorType(elemOf(inputs[0]), xs && gs && [xs[0]!, xs[1]!, ...gs.slice(1, -1)])];
}

export const spatialOps: OpDef[] = [
  op<GridSampleAttrs>({
    name: 'GridSample',
    since: 16,
    parse: (a) => parseGridSample(a, GRID_MODES_16, 'bilinear', true),
    infer: inferGridSample,
    run: (inputs, a) => [runGridSample(required('GridSample', inputs[0], 'X'), required('GridSample', inputs[1], 'grid'), a)],
  }),
  op<GridSampleAttrs>({
    name: 'GridSample',
    since: 20,
    parse: (a) => parseGridSample(a, GRID_MODES_20, 'linear', false),
    infer: inferGridSample,
    run: (inputs, a) => [runGridSample(required('GridSample', inputs[0], 'X'), required('GridSample', inputs[1], 'grid'), a)],
  }),
  op<{ alignCorners: boolean }>({
    name: 'AffineGrid',
    since: 20,
    parse: (a) => Object.freeze({ alignCorners: a.int('align_corners', 0) !== 0 }),
    infer: ([theta, size]) => {
      const sz = targetDims(size);
      return [tensorType(elemOf(theta), sz && [sz[0]!, ...sz.slice(2), sz.length - 2])];
    },
    run: (inputs, a) => [runAffineGrid(required('AffineGrid', inputs[0], 'theta'), required('AffineGrid', inputs[1], 'size'), a.alignCorners)],
  }),
  op<WindowAttrs>({
    name: 'Col2Im',
    since: 18,
    parse: parseWindow,
    infer: ([x, image, block]) => {
      const [xs, im, bl] = [shapeOf(x), knownInts(image), knownInts(block)];
      const taps = bl?.reduce((p, d) => p * d, 1);
      const c = typeof xs?.[1] === 'number' && taps ? xs[1] / taps : null;
      return [tensorType(elemOf(x), im ? [xs?.[0] ?? null, c, ...im] : undefined)];
    },
    run: (inputs, a) => [runCol2Im(
      required('Col2Im', inputs[0], 'input'), required('Col2Im', inputs[1], 'image_shape'),
      required('Col2Im', inputs[2], 'block_shape'), a,
    )],
  }),
  op<DeformConvAttrs>({
    name: 'DeformConv',
    since: 19,
    parse: (a) => Object.freeze({
      ...parseWindow(a),
      group: a.int('group', 1),
      offsetGroup: a.int('offset_group', 1),
      kernelShape: optionalInts(a, 'kernel_shape'),
    }),
    infer: ([x, w, offset]) => {
      const [xs, ws, os] = [shapeOf(x), shapeOf(w), shapeOf(offset)];
      return [tensorType(elemOf(x), xs && os && [xs[0]!, ws?.[0] ?? null, ...os.slice(2)])];
    },
    run: (inputs, a) => [runDeformConv(inputs, a)],
  }),
  op<{ axes: readonly number[] | null }>({
    name: 'CenterCropPad',
    since: 18,
    parse: (a) => Object.freeze({ axes: optionalInts(a, 'axes') }),
    infer: ([x, shape], a) => {
      const [xs, target] = [shapeOf(x), knownInts(shape)];
      if (!xs) return [tensorType(elemOf(x))];
      const axes = a.axes ? a.axes.map((ax) => normAxis(ax, xs.length)) : xs.map((_, i) => i);
      return [tensorType(elemOf(x), xs.map((d, i) => (axes.includes(i) ? (target?.[axes.indexOf(i)] ?? null) : d)))];
    },
    run: (inputs, a) => [runCenterCropPad(
      required('CenterCropPad', inputs[0], 'input_data'), required('CenterCropPad', inputs[1], 'shape'), a.axes,
    )],
  }),
  op<MaxUnpoolAttrs>({
    name: 'MaxUnpool',
    since: 9,
    parse: (a) => Object.freeze({
      kernelShape: [...a.ints('kernel_shape')],
      pads: optionalInts(a, 'pads'),
      strides: optionalInts(a, 'strides'),
    }),
    infer: ([x, , outputShape], a) => {
      const xs = shapeOf(x);
      if (outputShape) return [tensorType(elemOf(x), targetDims(outputShape))];
      if (!xs) return [tensorType(elemOf(x))];
      const r = xs.length - 2;
      return [tensorType(elemOf(x), [xs[0]!, xs[1]!, ...xs.slice(2).map((d, i) => (typeof d === 'number'
        ? (d - 1) * (a.strides?.[i] ?? 1) - ((a.pads?.[i] ?? 0) + (a.pads?.[i + r] ?? 0)) + a.kernelShape[i]!
        : null))])];
    },
    run: (inputs, a) => [runMaxUnpool(required('MaxUnpool', inputs[0], 'X'), required('MaxUnpool', inputs[1], 'I'), inputs[2], a)],
  }),
];
