// Conv and ConvTranspose (1-D, 2-D, 3-D; groups, dilations, strides, pads, auto_pad),
// and the quantized ConvInteger and QLinearConv on the same geometry.

import {
  type ConvGeometry, convF64, convTransposeF32, convTransposeF64,
} from '../../kernels/conv.js';
import { type ConvEpilogueF32, type PackedConvF32, convPackedF32, packConvF32 } from '../../kernels/conv-f32.js';
import { type GemmActivation, jsGemmEngine } from '../../kernels/gemm-f32.js';
import { type GpuProducts, gemmEngine, gpuProducts } from '../engine.js';
import { type PackedWinogradF32, packWinogradF32, winogradConvF32, winogradPlanFor } from '../../kernels/winograd-f32.js';
import { combineScales } from '../../kernels/matmul-int.js';
import { shapeSize } from '../../kernels/strides.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { type FloatArray, allocFloat, allocFloatOut, floatData, floatTensor } from '../compute.js';
import type { DataType } from '../../src/dtypes.js';
import type { Dim, ValueType } from '../../src/ir/graph.js';
import { dimMul, elemOf, shapeOf, tensorType, unknownDims, windowDim } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpContext, type OpDef, op } from '../op-def.js';
import { centeredWith, checkedResidual, fusedResidual, paramIndex, quantizeOutput, scalePrecision } from './linear.js';

const fmt = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

interface ConvAttrs {
  readonly autoPad: AutoPad;
  readonly group: number;
  /** Empty when the attribute is absent (defaults depend on the input rank). */
  readonly kernelShape: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly pads: readonly number[];
  /** Set only by the planner's rewrites (src/runtime/rewrite/): applied in the kernel's store. */
  readonly activation?: GemmActivation;
  /** Set only by the planner's rewrites: input 3 (Y's dims) is added before the activation. */
  readonly residual?: boolean;
}

interface ConvTransposeAttrs extends ConvAttrs {
  readonly outputPadding: readonly number[];
  readonly outputShape: readonly number[];
}

function parseAutoPad(opName: string, a: Attrs): AutoPad {
  const v = a.string('auto_pad', 'NOTSET');
  if (v !== 'NOTSET' && v !== 'SAME_UPPER' && v !== 'SAME_LOWER' && v !== 'VALID') {
    throw new InvalidNodeError(`${opName}: auto_pad '${v}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  return v;
}

function parseConv(opName: string, a: Attrs): ConvAttrs {
  const group = a.int('group', 1);
  if (group < 1) throw new InvalidNodeError(`${opName}: group must be >= 1, got ${group}`);
  return Object.freeze({
    autoPad: parseAutoPad(opName, a),
    group,
    kernelShape: a.ints('kernel_shape', []),
    strides: a.ints('strides', []),
    dilations: a.ints('dilations', []),
    pads: a.ints('pads', []),
  });
}

/** An attribute list of `n` values per spatial axis, or its default when absent. */
function perAxis(opName: string, attr: string, v: readonly number[], n: number, def: number, min: number): number[] {
  if (v.length === 0) return new Array<number>(n).fill(def);
  if (v.length !== n) {
    throw new InvalidNodeError(`${opName}: ${attr} has ${v.length} values, expected ${n} for this input rank`);
  }
  for (const x of v) {
    if (!Number.isInteger(x) || x < min) throw new InvalidNodeError(`${opName}: ${attr} ${fmt(v)} must be >= ${min}`);
  }
  return [...v];
}

interface Common {
  readonly spatial: number;
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  /** Explicit pads [begins..., ends...] (zeros when absent). */
  readonly pads: number[];
}

/** Checks X and W and resolves the per-axis attributes shared by Conv and ConvTranspose. */
function common(opName: string, x: Tensor, w: Tensor, attrs: ConvAttrs): Common {
  const spatial = x.dims.length - 2;
  if (spatial < 1 || spatial > 3) {
    throw new ShapeError(`${opName}: X ${fmt(x.dims)} must be N x C x D1 [x D2 [x D3]] (1 to 3 spatial axes)`);
  }
  if (w.dims.length !== x.dims.length) {
    throw new ShapeError(`${opName}: W ${fmt(w.dims)} must have the same rank as X ${fmt(x.dims)}`);
  }
  const wKernel = w.dims.slice(2);
  const kernel = perAxis(opName, 'kernel_shape', attrs.kernelShape, spatial, 1, 1);
  if (attrs.kernelShape.length > 0 && kernel.some((k, i) => k !== wKernel[i])) {
    throw new ShapeError(`${opName}: kernel_shape ${fmt(kernel)} does not match W ${fmt(w.dims)}`);
  }
  return {
    spatial,
    kernel: [...wKernel],
    strides: perAxis(opName, 'strides', attrs.strides, spatial, 1, 1),
    dilations: perAxis(opName, 'dilations', attrs.dilations, spatial, 1, 1),
    pads: perAxis(opName, 'pads', attrs.pads, 2 * spatial, 0, opName === 'Conv' ? 0 : -Infinity),
  };
}

function checkBias(opName: string, b: Tensor | undefined, x: Tensor, m: number): FloatArray | null {
  if (!b) return null;
  if (b.type !== x.type) throw new InvalidNodeError(`${opName}: B is ${b.type} but X is ${x.type}`);
  if (b.dims.length !== 1 || b.dims[0] !== m) {
    throw new ShapeError(`${opName}: B ${fmt(b.dims)} must be [${m}] (one value per output channel)`);
  }
  return floatData(b);
}

/** Output shape and kernel geometry of a Conv-like node (Conv, ConvInteger, QLinearConv). */
function convGeometry(opName: string, x: Tensor, w: Tensor, attrs: ConvAttrs): { g: ConvGeometry; outDims: number[] } {
  const c = common(opName, x, w, attrs);
  const [batch, inChannels] = [x.dims[0]!, x.dims[1]!];
  const outChannels = w.dims[0]!;
  const group = attrs.group;
  if (inChannels !== w.dims[1]! * group || outChannels % group !== 0) {
    throw new ShapeError(
      `${opName}: X ${fmt(x.dims)} and W ${fmt(w.dims)} do not fit group=${group} ` +
        `(need C = W[1] * group and W[0] divisible by group)`,
    );
  }
  const inSize = x.dims.slice(2);
  const padsBegin: number[] = [];
  const outSize: number[] = [];
  for (let i = 0; i < c.spatial; i++) {
    const [n, k, s, d] = [inSize[i]!, c.kernel[i]!, c.strides[i]!, c.dilations[i]!];
    const extent = (k - 1) * d + 1;
    let pb = c.pads[i]!;
    let pe = c.pads[i + c.spatial]!;
    if (attrs.autoPad === 'VALID') {
      pb = pe = 0;
    } else if (attrs.autoPad === 'SAME_UPPER' || attrs.autoPad === 'SAME_LOWER') {
      const total = Math.max(0, (Math.ceil(n / s) - 1) * s + extent - n);
      const small = Math.floor(total / 2);
      pb = attrs.autoPad === 'SAME_UPPER' ? small : total - small;
      pe = total - pb;
    }
    if (n + pb + pe < extent) {
      throw new ShapeError(
        `${opName}: spatial axis ${i} of X ${fmt(x.dims)} (${n} + pads ${pb}+${pe}) is smaller than the dilated kernel (${extent})`,
      );
    }
    padsBegin.push(pb);
    outSize.push(Math.floor((n + pb + pe - extent) / s) + 1);
  }
  const g: ConvGeometry = {
    batch, inChannels, outChannels, group, inSize, outSize,
    kernel: c.kernel, strides: c.strides, dilations: c.dilations, padsBegin,
  };
  return { g, outDims: [batch, outChannels, ...outSize] };
}

/**
 * The float32 conv. A constant W (an initializer: isConstant(1)) is packed once per session and
 * kept in the node's memo; otherwise it is packed per call. `ep` is the fused epilogue: the bias,
 * and the residual and activation the planner fused into this node (see src/runtime/rewrite/). 3x3
 * stride-1 convs run as Winograd F(2x2) or F(4x4) when kernels/winograd-f32.ts measures that faster
 * (`winogradPlanFor`: by channel counts and output size, and whether W is packed once or per call;
 * the memo keeps the latest plan's packing).
 */
function convFloat32(x: Float32Array, w: Tensor, y: Float32Array, g: ConvGeometry, ep: ConvEpilogueF32, ctx?: OpContext): void {
  const wd = w.data as Float32Array;
  let held: ConvMemo | undefined;
  if (ctx?.memo && ctx.isConstant?.(1)) {
    held = ctx.memo.value as ConvMemo | undefined;
    if (!held || held.w !== w || held.group !== g.group) ctx.memo.value = held = { w, group: g.group };
  }
  const plan = winogradPlanFor(g, held === undefined, ep.engine ?? jsGemmEngine);
  if (plan !== null) {
    let packed = held?.winograd;
    if (!packed || packed.tile !== plan.tile || packed.tilesAsRows !== plan.tilesAsRows) {
      packed = packWinogradF32(wd, g, plan);
      if (held) held.winograd = packed;
    }
    winogradConvF32(x, packed, y, g, ep);
    return;
  }
  let packed = held?.direct;
  if (!packed) {
    packed = packConvF32(wd, g);
    if (held) held.direct = packed;
  }
  convPackedF32(x, packed, y, g, ep);
}

/** What convFloat32 keeps for a constant W: each packing made on first use. */
interface ConvMemo {
  readonly w: Tensor;
  readonly group: number;
  direct?: PackedConvF32;
  winograd?: PackedWinogradF32;
}

const notConstant = (): boolean => false;

/** A float32 1-D or 2-D Conv offered to the 'webgl' backend's GPU (null: it declined; then the CPU kernel runs). */
function convOnGpu(
  gpu: GpuProducts, inputs: readonly (Tensor | undefined)[], attrs: ConvAttrs, g: ConvGeometry, outDims: readonly number[], ctx: OpContext,
): Tensor | null {
  const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
  const r = g.inSize.length;
  if (x.type !== 'float32' || (r !== 1 && r !== 2)) return null;
  if (b && (b.type !== 'float32' || b.dims.length !== 1 || b.dims[0] !== g.outChannels)) {
    throw new ShapeError(`Conv: B ${fmt(b.dims)} must be [${g.outChannels}] (one value per output channel)`);
  }
  const residual = attrs.residual ? checkedResidual('Conv', inputs[3], outDims) : undefined;
  const at = (v: readonly number[], i: number, def: number): number => (r === 2 ? v[i]! : i === 0 ? def : v[0]!);
  return gpu.conv2d(ctx.node, x, w, b, residual, {
    batch: g.batch, inChannels: g.inChannels, outChannels: g.outChannels, group: g.group,
    inH: at(g.inSize, 0, 1), inW: at(g.inSize, 1, 1), outH: at(g.outSize, 0, 1), outW: at(g.outSize, 1, 1),
    kH: at(g.kernel, 0, 1), kW: at(g.kernel, 1, 1), strideH: at(g.strides, 0, 1), strideW: at(g.strides, 1, 1),
    dilationH: at(g.dilations, 0, 1), dilationW: at(g.dilations, 1, 1), padH: at(g.padsBegin, 0, 0), padW: at(g.padsBegin, 1, 0),
    bias: b !== undefined, residual: residual !== undefined, ...(attrs.activation ? { activation: attrs.activation } : {}),
  }, outDims, ctx.isConstant ?? notConstant);
}

function runConv(inputs: readonly (Tensor | undefined)[], attrs: ConvAttrs, ctx?: OpContext): Tensor {
  const [x, w, b] = inputs;
  if (!x || !w) throw new InvalidNodeError('Conv: inputs X and W are required');
  if (w.type !== x.type) throw new InvalidNodeError(`Conv: W is ${w.type} but X is ${x.type}`);
  const { g, outDims } = convGeometry('Conv', x, w, attrs);
  const gpu = gpuProducts();
  if (gpu !== null && ctx) {
    const y = convOnGpu(gpu, inputs, attrs, g, outDims, ctx);
    if (y !== null) return y;
  }
  const bias = checkBias('Conv', b, x, g.outChannels);
  const y = allocFloatOut(x.type, shapeSize(outDims));
  const xd = floatData(x);
  if ((attrs.activation || attrs.residual) && x.type !== 'float32') {
    throw new InvalidNodeError(`Conv: a fused epilogue needs float32 data, got ${x.type} (planner bug)`);
  }
  const engine = gemmEngine();
  const ep: ConvEpilogueF32 = {
    bias: bias as Float32Array | null,
    ...(engine === jsGemmEngine ? {} : { engine }),
    ...(attrs.activation ? { activation: attrs.activation } : {}),
    ...(attrs.residual ? { residual: fusedResidual('Conv', inputs[3], outDims) } : {}),
  };
  if (y instanceof Float64Array) {
    convF64(xd as Float64Array, floatData(w) as Float64Array, bias as Float64Array | null, y, g);
  } else if (x.type === 'float32') {
    convFloat32(xd as Float32Array, w, y, g, ep, ctx);
  } else {
    // float16 / bfloat16: computed in float32 from a converted copy (nothing to keep across runs).
    convPackedF32(xd as Float32Array, packConvF32(floatData(w) as Float32Array, g), y, g, ep);
  }
  return floatTensor(x.type, y, outDims);
}

function runConvTranspose(inputs: readonly (Tensor | undefined)[], attrs: ConvTransposeAttrs): Tensor {
  const [x, w, b] = inputs;
  if (!x || !w) throw new InvalidNodeError('ConvTranspose: inputs X and W are required');
  if (w.type !== x.type) throw new InvalidNodeError(`ConvTranspose: W is ${w.type} but X is ${x.type}`);
  const c = common('ConvTranspose', x, w, attrs);
  const [batch, inChannels] = [x.dims[0]!, x.dims[1]!];
  const group = attrs.group;
  const outChannels = w.dims[1]! * group;
  if (w.dims[0] !== inChannels || inChannels % group !== 0) {
    throw new ShapeError(
      `ConvTranspose: X ${fmt(x.dims)} and W ${fmt(w.dims)} do not fit group=${group} ` +
        `(need W[0] = C and C divisible by group)`,
    );
  }
  const outputPadding = perAxis('ConvTranspose', 'output_padding', attrs.outputPadding, c.spatial, 0, 0);
  // output_shape may list the spatial sizes only or the full N, C, spatial shape.
  const outputShape = attrs.outputShape.length === c.spatial + 2 ? attrs.outputShape.slice(2) : attrs.outputShape;
  if (outputShape.length !== 0 && outputShape.length !== c.spatial) {
    throw new InvalidNodeError(`ConvTranspose: output_shape ${fmt(attrs.outputShape)} does not fit X ${fmt(x.dims)}`);
  }
  const inSize = x.dims.slice(2);
  const padsBegin: number[] = [];
  const outSize: number[] = [];
  for (let i = 0; i < c.spatial; i++) {
    const [n, k, s, d] = [inSize[i]!, c.kernel[i]!, c.strides[i]!, c.dilations[i]!];
    const full = s * (n - 1) + outputPadding[i]! + (k - 1) * d + 1;
    let out: number;
    let pb: number;
    if (outputShape.length > 0 || attrs.autoPad === 'SAME_UPPER' || attrs.autoPad === 'SAME_LOWER') {
      out = outputShape.length > 0 ? outputShape[i]! : n * s;
      const total = full - out;
      const half = Math.floor(total / 2);
      pb = attrs.autoPad === 'SAME_UPPER' ? half : total - half;
    } else {
      pb = attrs.autoPad === 'VALID' ? 0 : c.pads[i]!;
      const pe = attrs.autoPad === 'VALID' ? 0 : c.pads[i + c.spatial]!;
      out = full - pb - pe;
    }
    if (out < 0) {
      throw new ShapeError(`ConvTranspose: the output size along spatial axis ${i} would be ${out}`);
    }
    padsBegin.push(pb);
    outSize.push(out);
  }
  const bias = checkBias('ConvTranspose', b, x, outChannels);
  const outDims = [batch, outChannels, ...outSize];
  const y = allocFloat(x.type, shapeSize(outDims));
  const g: ConvGeometry = {
    batch, inChannels, outChannels, group, inSize, outSize,
    kernel: c.kernel, strides: c.strides, dilations: c.dilations, padsBegin,
  };
  const xd = floatData(x);
  const wd = floatData(w);
  if (y instanceof Float64Array) {
    convTransposeF64(xd as Float64Array, wd as Float64Array, bias as Float64Array | null, y, g);
  } else {
    convTransposeF32(xd as Float32Array, wd as Float32Array, bias as Float32Array | null, y, g);
  }
  return floatTensor(x.type, y, outDims);
}

// ---- quantized convolutions ------------------------------------------------------------

/** A per-output-channel parameter ([M]) read against a tensor of `rank` with channels on axis `axis`. */
function channelDims(p: Tensor, rank: number, axis: number): number[] {
  if (p.dims.length === 1 && p.size > 1) return [p.dims[0]!, ...new Array<number>(rank - axis - 1).fill(1)];
  return [...p.dims];
}

/** conv(X - x_zero_point, W - w_zero_point) + B, exactly, as float64. */
function centeredConv(
  opName: string, x: Tensor, xZero: Tensor | undefined, w: Tensor, wZero: Tensor | undefined,
  b: Tensor | undefined, attrs: ConvAttrs,
): { acc: Float64Array; outDims: number[] } {
  if (xZero && xZero.size !== 1) throw new ShapeError(`${opName}: the zero point of X must hold one value`);
  const { g, outDims } = convGeometry(opName, x, w, attrs);
  const xc = centeredWith(opName, 'X', x, xZero, xZero ? [...xZero.dims] : []);
  const wc = centeredWith(opName, 'W', w, wZero, wZero ? channelDims(wZero, w.dims.length, 0) : []);
  let bias: Float64Array | null = null;
  if (b) {
    if (b.type !== 'int32' || b.dims.length !== 1 || b.dims[0] !== g.outChannels) {
      throw new ShapeError(`${opName}: B must be int32 [${g.outChannels}], got ${b.type} ${fmt(b.dims)}`);
    }
    bias = Float64Array.from(b.data as Int32Array);
  }
  const acc = new Float64Array(shapeSize(outDims));
  convF64(xc, wc, bias, acc, g);
  return { acc, outDims };
}

function runConvInteger(inputs: readonly (Tensor | undefined)[], attrs: ConvAttrs): Tensor {
  const [x, w, xZero, wZero] = inputs;
  if (!x || !w) throw new InvalidNodeError('ConvInteger: inputs x and w are required');
  const { acc, outDims } = centeredConv('ConvInteger', x, xZero, w, wZero, undefined, attrs);
  return new Tensor('int32', new Int32Array(acc), outDims);
}

function runQLinearConv(inputs: readonly (Tensor | undefined)[], attrs: ConvAttrs): Tensor {
  const [x, xScale, xZero, w, wScale, wZero, yScale, yZero, b] = inputs;
  if (!x || !xScale || !w || !wScale || !yScale) {
    throw new InvalidNodeError('QLinearConv: x, x_scale, w, w_scale and y_scale are required');
  }
  if (xScale.size !== 1 || yScale.size !== 1 || (yZero && yZero.size !== 1)) {
    throw new ShapeError('QLinearConv: x_scale, y_scale and y_zero_point must hold one value (per-tensor)');
  }
  const { acc, outDims } = centeredConv('QLinearConv', x, xZero, w, wZero, b, attrs);
  const precision = scalePrecision('QLinearConv', [xScale, wScale, yScale]);
  const wIndex = paramIndex('QLinearConv', 'w_scale', channelDims(wScale, outDims.length, 1), wScale.size, outDims);
  const scale = new Float64Array(acc.length);
  combineScales(floatData(xScale), null, floatData(wScale), wIndex, floatData(yScale)[0]!, precision, scale);
  return quantizeOutput(acc, scale, yZero, outDims);
}

// ---- inference --------------------------------------------------------------------------

/** Conv-like output type over symbolic dims: [N, M, windows...]. */
function inferConv(x: InferInput | undefined, w: InferInput | undefined, attrs: ConvAttrs, elemType: DataType | undefined): ValueType[] {
  const xs = shapeOf(x);
  const ws = shapeOf(w);
  if (!xs) return [tensorType(elemType)];
  const spatial = xs.length - 2;
  const kernel: readonly Dim[] = attrs.kernelShape.length ? attrs.kernelShape : ws?.slice(2) ?? unknownDims(spatial);
  const out: Dim[] = [xs[0]!, ws ? ws[0]! : null];
  for (let i = 0; i < spatial; i++) {
    const k = kernel[i];
    const d = attrs.dilations[i] ?? 1;
    out.push(typeof k === 'number'
      ? windowDim(xs[i + 2]!, (k - 1) * d + 1, attrs.strides[i] ?? 1, attrs.pads[i] ?? 0, attrs.pads[i + spatial] ?? 0, false, attrs.autoPad)
      : null);
  }
  return [tensorType(elemType, out)];
}

function inferConvTranspose(inputs: readonly (InferInput | undefined)[], attrs: ConvTransposeAttrs): ValueType[] {
  const xs = shapeOf(inputs[0]);
  const ws = shapeOf(inputs[1]);
  const elemType = elemOf(inputs[0]);
  if (!xs) return [tensorType(elemType)];
  const spatial = xs.length - 2;
  const kernel: readonly Dim[] = attrs.kernelShape.length ? attrs.kernelShape : ws?.slice(2) ?? unknownDims(spatial);
  const given = attrs.outputShape.length === spatial + 2 ? attrs.outputShape.slice(2) : attrs.outputShape;
  const out: Dim[] = [xs[0]!, dimMul(ws ? ws[1]! : null, attrs.group)];
  for (let i = 0; i < spatial; i++) {
    const n = xs[i + 2]!;
    const k = kernel[i];
    const s = attrs.strides[i] ?? 1;
    if (given.length > 0) out.push(given[i] ?? null);
    else if (typeof n !== 'number' || typeof k !== 'number') out.push(null);
    else if (attrs.autoPad === 'SAME_UPPER' || attrs.autoPad === 'SAME_LOWER') out.push(n * s);
    else {
      const full = s * (n - 1) + (attrs.outputPadding[i] ?? 0) + (k - 1) * (attrs.dilations[i] ?? 1) + 1;
      const pads = attrs.autoPad === 'VALID' ? 0 : (attrs.pads[i] ?? 0) + (attrs.pads[i + spatial] ?? 0);
      out.push(full - pads);
    }
  }
  return [tensorType(elemType, out)];
}

export const convOps: OpDef[] = [
  op({
    name: 'Conv',
    since: 1,
    parse: (a: Attrs) => parseConv('Conv', a),
    infer: (inputs, attrs: ConvAttrs) => inferConv(inputs[0], inputs[1], attrs, elemOf(inputs[0])),
    run: (inputs, attrs: ConvAttrs, ctx) => [runConv(inputs, attrs, ctx)],
  }),
  op({
    name: 'ConvTranspose',
    since: 1,
    parse: (a: Attrs): ConvTransposeAttrs => Object.freeze({
      ...parseConv('ConvTranspose', a),
      outputPadding: a.ints('output_padding', []),
      outputShape: a.ints('output_shape', []),
    }),
    infer: inferConvTranspose,
    run: (inputs, attrs: ConvTransposeAttrs) => [runConvTranspose(inputs, attrs)],
  }),
  op({
    name: 'ConvInteger',
    since: 10,
    parse: (a: Attrs) => parseConv('ConvInteger', a),
    infer: (inputs, attrs: ConvAttrs) => inferConv(inputs[0], inputs[1], attrs, 'int32'),
    run: (inputs, attrs: ConvAttrs) => [runConvInteger(inputs, attrs)],
  }),
  op({
    name: 'QLinearConv',
    since: 10,
    parse: (a: Attrs) => parseConv('QLinearConv', a),
    infer: (inputs, attrs: ConvAttrs) => inferConv(inputs[0], inputs[3], attrs, elemOf(inputs[7]) ?? elemOf(inputs[0])),
    run: (inputs, attrs: ConvAttrs) => [runQLinearConv(inputs, attrs)],
  }),
];
