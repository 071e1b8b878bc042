// MatMul and Gemm, and the quantized MatMulInteger and QLinearMatMul.

import { broadcastIndexMap, broadcastShapes } from '../../kernels/broadcast.js';
import {
  type GemmActivation, type GemmEpilogue, type GemmOperandLayout, type GemmOptions, type PackedGemmB, gemmF32, gemmPackedBF32, packGemmB,
} from '../../kernels/gemm-f32.js';
import { matmulF64, type MatmulOptions } from '../../kernels/matmul.js';
import { type GpuProducts, gpuProducts, withEngine } from '../engine.js';
import {
  type ScalePrecision, centerF64, combineScales, matmulI32, matmulI64, requantize,
} from '../../kernels/matmul-int.js';
import { shapeSize } from '../../kernels/strides.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { type FloatArray, allocFloat, floatData, floatTensor } from '../compute.js';
import type { DataType } from '../../src/dtypes.js';
import type { Dim, ValueType } from '../../src/ir/graph.js';
import { type Shape, broadcast, elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpContext, type OpDef, op } from '../op-def.js';

const fmt = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

const MATMUL_TYPES = new Set(['float32', 'float64', 'float16', 'bfloat16', 'int32', 'uint32', 'int64', 'uint64']);

function requireTypes(opName: string, a: Tensor, b: Tensor): void {
  if (a.type !== b.type) throw new InvalidNodeError(`${opName}: A is ${a.type} but B is ${b.type}`);
  if (!MATMUL_TYPES.has(a.type)) throw new InvalidNodeError(`${opName}: element type ${a.type} is not supported`);
}

/** One matrix product of a batch: offsets of A, B and C in their flat arrays. */
export interface MatmulPlan {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Per batch entry: [aOffset, bOffset, cOffset]. */
  readonly offsets: readonly (readonly [number, number, number])[];
  readonly outDims: readonly number[];
}

/** numpy.matmul shape rules: 1-D promotion and broadcasting over batch dims (aten::matmul uses it too). */
export function planMatmul(aDims: readonly number[], bDims: readonly number[]): MatmulPlan {
  if (aDims.length === 0 || bDims.length === 0) {
    throw new ShapeError(`MatMul: inputs must have rank >= 1, got A ${fmt(aDims)} and B ${fmt(bDims)}`);
  }
  const aVec = aDims.length === 1;
  const bVec = bDims.length === 1;
  const m = aVec ? 1 : aDims[aDims.length - 2]!;
  const k = aDims[aDims.length - 1]!;
  const kb = bVec ? bDims[0]! : bDims[bDims.length - 2]!;
  const n = bVec ? 1 : bDims[bDims.length - 1]!;
  if (k !== kb) {
    throw new ShapeError(`MatMul: A ${fmt(aDims)} has ${k} columns but B ${fmt(bDims)} has ${kb} rows`);
  }
  const aBatch = aVec ? [] : aDims.slice(0, -2);
  const bBatch = bVec ? [] : bDims.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  if (batch === null) {
    throw new ShapeError(`MatMul: batch dims of A ${fmt(aDims)} and B ${fmt(bDims)} do not broadcast`);
  }
  const outDims = [...batch, ...(aVec ? [] : [m]), ...(bVec ? [] : [n])];
  const count = shapeSize(batch);
  // B shared by every batch entry and A dense over the batch: one tall product.
  if (shapeSize(bBatch) === 1 && shapeSize(aBatch) === count) {
    return { m: m * count, n, k, offsets: count === 0 ? [] : [[0, 0, 0]], outDims };
  }
  const aMap = broadcastIndexMap(aBatch, batch);
  const bMap = broadcastIndexMap(bBatch, batch);
  const offsets: [number, number, number][] = [];
  for (let i = 0; i < count; i++) offsets.push([aMap[i]! * m * k, bMap[i]! * k * n, i * m * n]);
  return { m, n, k, offsets, outDims };
}

/**
 * Every float32 MatMul and Gemm product goes through here. A constant B (an initializer:
 * isConstant(bInput)) is packed once per session into the node's memo, keyed by the tensor and
 * the layout it was packed with; anything else is packed per call.
 */
function gemmFloat32(
  a: Float32Array, aLayout: GemmOperandLayout, b: Tensor, bLayout: GemmOperandLayout,
  c: Float32Array, m: number, n: number, k: number, o: GemmOptions, ctx: OpContext | undefined, bInput: number,
): void {
  const bd = b.data as Float32Array;
  if (ctx?.memo && ctx.isConstant?.(bInput)) {
    const offset = bLayout.offset ?? 0;
    const trans = bLayout.trans ?? false;
    type Held = { b: Tensor; k: number; n: number; offset: number; trans: boolean; packed: PackedGemmB };
    const held = ctx.memo.value as Held | undefined;
    let packed: PackedGemmB;
    if (held && held.b === b && held.k === k && held.n === n && held.offset === offset && held.trans === trans) packed = held.packed;
    else {
      packed = packGemmB(bd, k, n, bLayout);
      ctx.memo.value = { b, k, n, offset, trans, packed } satisfies Held;
    }
    gemmPackedBF32(a, aLayout, packed, c, m, withEngine(o));
    return;
  }
  gemmF32(a, aLayout, bd, bLayout, c, m, n, k, withEngine(o));
}

/**
 * What the planner fused into a MatMul (src/runtime/rewrite/epilogue.ts, activation.ts), applied
 * in the GEMM's store: input 2 is a bias per output column, input 3 a residual of the output's
 * dims, then the activation. Absent (undefined attributes) for a MatMul as written.
 */
interface MatMulEpilogueAttrs {
  readonly bias?: boolean;
  readonly residual?: boolean;
  readonly activation?: GemmActivation;
}

/** The fused epilogue of a float32 MatMul over `outDims`, its inputs checked. */
function matmulEpilogue(
  inputs: readonly (Tensor | undefined)[], attrs: MatMulEpilogueAttrs, outDims: readonly number[], n: number,
): GemmEpilogue {
  const bias = attrs.bias ? inputs[2] : undefined;
  if (bias && (bias.type !== 'float32' || bias.size !== n)) {
    throw new ShapeError(`MatMul: the fused bias ${bias.type} ${fmt(bias.dims)} must be float32 with ${n} values (one per column)`);
  }
  const residual = attrs.residual ? fusedResidual('MatMul', inputs[3], outDims) : undefined;
  return { bias: bias?.data as Float32Array | undefined, biasRowStride: 0, biasColStride: 1, residual, activation: attrs.activation };
}

/** A fused residual input: float32 with exactly the output's dims. */
export function fusedResidual(opName: string, r: Tensor | undefined, outDims: readonly number[]): Float32Array {
  return checkedResidual(opName, r, outDims).data as Float32Array;
}

/** fusedResidual's check, returning the tensor (whose values may still be on the GPU). */
export function checkedResidual(opName: string, r: Tensor | undefined, outDims: readonly number[]): Tensor {
  if (!r || r.type !== 'float32' || r.dims.length !== outDims.length || r.dims.some((d, i) => d !== outDims[i])) {
    throw new ShapeError(
      `${opName}: the fused residual ${r ? `${r.type} ${fmt(r.dims)}` : '(missing)'} must be float32 ${fmt(outDims)} (planner bug)`,
    );
  }
  return r;
}

const notConstant = (): boolean => false;

/**
 * A float32 MatMul offered to the 'webgl' backend's GPU (null: it declined, or the batch
 * broadcast is not one fixed stride per operand; then the CPU kernel runs).
 */
function matmulOnGpu(
  gpu: GpuProducts, inputs: readonly (Tensor | undefined)[], fused: MatMulEpilogueAttrs | undefined, plan: MatmulPlan, ctx: OpContext | undefined,
): Tensor | null {
  const [a, b] = inputs as [Tensor, Tensor];
  if (a.type !== 'float32' || b.type !== 'float32' || !ctx) return null;
  const { m, n, k, offsets } = plan;
  const aBatch = offsets.length > 1 ? offsets[1]![0] : 0;
  const bBatch = offsets.length > 1 ? offsets[1]![1] : 0;
  for (let i = 0; i < offsets.length; i++) {
    const [ao, bo, co] = offsets[i]!;
    if (ao !== i * aBatch || bo !== i * bBatch || co !== i * m * n) return null;
  }
  const bias = fused?.bias ? inputs[2] : undefined;
  if (bias && (bias.type !== 'float32' || bias.size !== n)) {
    throw new ShapeError(`MatMul: the fused bias ${bias.type} ${fmt(bias.dims)} must be float32 with ${n} values (one per column)`);
  }
  const residual = fused?.residual ? checkedResidual('MatMul', inputs[3], plan.outDims) : undefined;
  return gpu.gemm(ctx.node, a, b, bias, residual, {
    batch: offsets.length, m, n, k, aBatch, aRow: k, aCol: 1, bBatch, bRow: n, bCol: 1, alpha: 1,
    ...(bias ? { bias: { scale: 1, row: 0, col: 1 } } : {}),
    residual: residual !== undefined, ...(fused?.activation ? { activation: fused.activation } : {}),
  }, plan.outDims, ctx.isConstant ?? notConstant);
}

function runMatmul(inputs: readonly (Tensor | undefined)[], fused: MatMulEpilogueAttrs | undefined, ctx?: OpContext): Tensor {
  const [a, b] = inputs;
  if (!a || !b) throw new InvalidNodeError('MatMul: inputs A and B are required');
  requireTypes('MatMul', a, b);
  const plan = planMatmul(a.dims, b.dims);
  const { m, n, k } = plan;
  const size = shapeSize(plan.outDims);
  const gpu = gpuProducts();
  if (gpu !== null && plan.offsets.length > 0) {
    const y = matmulOnGpu(gpu, inputs, fused, plan, ctx);
    if (y !== null) return y;
  }
  if (isFloatType(a.type)) {
    const ad = floatData(a);
    const bd = floatData(b);
    const out = allocFloat(a.type, size);
    if (fused && !(out instanceof Float32Array && a.type === 'float32')) {
      throw new InvalidNodeError(`MatMul: a fused epilogue needs float32 data, got ${a.type} (planner bug)`);
    }
    const epilogue = fused ? matmulEpilogue(inputs, fused, plan.outDims, n) : undefined;
    for (const [aOffset, bOffset, cOffset] of plan.offsets) {
      if (out instanceof Float64Array) matmulF64(ad as Float64Array, bd as Float64Array, out, m, n, k, { aOffset, bOffset, cOffset });
      else {
        const ep = epilogue?.residual && cOffset !== 0 ? { ...epilogue, residualOffset: cOffset } : epilogue;
        const o = ep ? { cOffset, epilogue: ep } : { cOffset };
        if (b.type === 'float32' && plan.offsets.length === 1) {
          gemmFloat32(ad as Float32Array, { offset: aOffset }, b, { offset: bOffset }, out, m, n, k, o, ctx, 1);
        } else gemmF32(ad as Float32Array, { offset: aOffset }, bd as Float32Array, { offset: bOffset }, out, m, n, k, withEngine(o));
      }
    }
    return floatTensor(a.type, out, plan.outDims);
  }
  if (fused) throw new InvalidNodeError(`MatMul: a fused epilogue needs float32 data, got ${a.type} (planner bug)`);
  const out = Tensor.zeros(a.type, plan.outDims);
  for (const [aOffset, bOffset, cOffset] of plan.offsets) {
    const o = { aOffset, bOffset, cOffset };
    if (out.data instanceof BigInt64Array || out.data instanceof BigUint64Array) {
      matmulI64(a.data as BigInt64Array, b.data as BigInt64Array, out.data, m, n, k, o);
    } else {
      matmulI32(a.data as Int32Array, b.data as Int32Array, out.data as Int32Array, m, n, k, o);
    }
  }
  return out;
}

interface GemmAttrs {
  readonly alpha: number;
  readonly beta: number;
  readonly transA: boolean;
  readonly transB: boolean;
  /** Gemm-1/6: whether C may broadcast; always true from Gemm-7. */
  readonly broadcast: boolean;
  /** Set only by the planner's rewrites (src/runtime/rewrite/): applied in the kernel's store. */
  readonly activation?: GemmActivation;
  /** Set only by the planner's rewrites: input 3 (the output's dims) is added before the activation. */
  readonly residual?: boolean;
}

function parseGemm(a: Attrs, broadcastDefault: boolean | undefined): GemmAttrs {
  return Object.freeze({
    alpha: a.float('alpha', 1),
    beta: a.float('beta', 1),
    transA: a.int('transA', 0) !== 0,
    transB: a.int('transB', 0) !== 0,
    broadcast: broadcastDefault ?? a.int('broadcast', 0) !== 0,
  });
}

/** How C reads as an M x N matrix: [rowStride, colStride], 0 where it broadcasts. */
function biasStrides(cDims: readonly number[], m: number, n: number, broadcast: boolean): [number, number] {
  const bad = (): never => {
    throw new ShapeError(`Gemm: C ${fmt(cDims)} cannot be broadcast to the output [${m}, ${n}]`);
  };
  if (cDims.length > 2) bad();
  const rows = cDims.length === 2 ? cDims[0]! : 1;
  const cols = cDims.length >= 1 ? cDims[cDims.length - 1]! : 1;
  if ((rows !== m && rows !== 1) || (cols !== n && cols !== 1)) bad();
  if (!broadcast && (cDims.length !== 2 || rows !== m || cols !== n)) {
    throw new ShapeError(`Gemm: C ${fmt(cDims)} must be [${m}, ${n}] when broadcast is 0`);
  }
  return [rows === 1 ? 0 : cols, cols === 1 ? 0 : 1];
}

function runGemm(inputs: readonly (Tensor | undefined)[], attrs: GemmAttrs, ctx?: OpContext): Tensor {
  const [a, b, c] = inputs;
  if (!a || !b) throw new InvalidNodeError('Gemm: inputs A and B are required');
  requireTypes('Gemm', a, b);
  if (!isFloatType(a.type)) throw new InvalidNodeError(`Gemm: element type ${a.type} is not supported yet`);
  if (a.dims.length !== 2 || b.dims.length !== 2) {
    throw new ShapeError(`Gemm: A and B must be 2-D, got A ${fmt(a.dims)} and B ${fmt(b.dims)}`);
  }
  const [m, k] = attrs.transA ? [a.dims[1]!, a.dims[0]!] : [a.dims[0]!, a.dims[1]!];
  const [kb, n] = attrs.transB ? [b.dims[1]!, b.dims[0]!] : [b.dims[0]!, b.dims[1]!];
  if (k !== kb) {
    throw new ShapeError(
      `Gemm: op(A) is [${m}, ${k}] but op(B) is [${kb}, ${n}] (transA=${+attrs.transA}, transB=${+attrs.transB})`,
    );
  }
  const gpu = gpuProducts();
  if (gpu !== null && a.type === 'float32' && b.type === 'float32' && ctx && (!c || c.type === 'float32')) {
    const [biasRow, biasCol] = c ? biasStrides(c.dims, m, n, attrs.broadcast) : [0, 0];
    const residual = attrs.residual ? checkedResidual('Gemm', inputs[3], [m, n]) : undefined;
    const y = gpu.gemm(ctx.node, a, b, c, residual, {
      batch: 1, m, n, k, aBatch: 0, bBatch: 0,
      aRow: attrs.transA ? 1 : k, aCol: attrs.transA ? m : 1, bRow: attrs.transB ? 1 : n, bCol: attrs.transB ? k : 1,
      alpha: attrs.alpha, ...(c ? { bias: { scale: attrs.beta, row: biasRow, col: biasCol } } : {}),
      residual: residual !== undefined, ...(attrs.activation ? { activation: attrs.activation } : {}),
    }, [m, n], ctx.isConstant ?? notConstant);
    if (y !== null) return y;
  }
  const o: { -readonly [K in keyof MatmulOptions]: MatmulOptions[K] } = {
    transA: attrs.transA,
    transB: attrs.transB,
    alpha: attrs.alpha,
  };
  if (c) {
    if (c.type !== a.type) throw new InvalidNodeError(`Gemm: C is ${c.type} but A is ${a.type}`);
    const [biasRowStride, biasColStride] = biasStrides(c.dims, m, n, attrs.broadcast);
    o.bias = floatData(c) as FloatArray;
    o.biasRowStride = biasRowStride;
    o.biasColStride = biasColStride;
    o.beta = attrs.beta;
  }
  const out = allocFloat(a.type, m * n);
  const ad = floatData(a);
  const bd = floatData(b);
  if ((attrs.activation || attrs.residual) && a.type !== 'float32') {
    throw new InvalidNodeError(`Gemm: a fused epilogue needs float32 data, got ${a.type} (planner bug)`);
  }
  if (out instanceof Float64Array) {
    matmulF64(ad as Float64Array, bd as Float64Array, out, m, n, k, o);
  } else {
    const bias = o.bias as Float32Array | undefined;
    const epilogue = {
      ...(bias === undefined ? {} : { bias, biasRowStride: o.biasRowStride!, biasColStride: o.biasColStride!, biasScale: attrs.beta }),
      ...(attrs.residual ? { residual: fusedResidual('Gemm', inputs[3], [m, n]) } : {}),
      ...(attrs.activation ? { activation: attrs.activation } : {}),
    };
    const opts = { alpha: attrs.alpha, epilogue };
    if (b.type === 'float32') gemmFloat32(ad as Float32Array, { trans: attrs.transA }, b, { trans: attrs.transB }, out, m, n, k, opts, ctx, 1);
    else gemmF32(ad as Float32Array, { trans: attrs.transA }, bd as Float32Array, { trans: attrs.transB }, out, m, n, k, withEngine(opts));
  }
  return floatTensor(a.type, out, [m, n]);
}

// ---- quantized products ------------------------------------------------------------------

const QUANT_TYPES = new Set(['int8', 'uint8']);

/**
 * How a per-row (A side) or per-column (B side) quantization parameter reads against the
 * operand: a 1-D [M] vector for A means [M, 1]; anything else broadcasts numpy-style.
 */
function paramDims(param: Tensor, operand: readonly number[], perRow: boolean): number[] {
  if (perRow && param.dims.length === 1 && param.size > 1 && operand.length >= 2) return [param.dims[0]!, 1];
  return [...param.dims];
}

/** An index map from every element of `dims` into `param`, or null for a single value. */
export function paramIndex(opName: string, what: string, pDims: readonly number[], size: number, dims: readonly number[]): Int32Array | null {
  if (size === 1) return null;
  const out = broadcastShapes(pDims, dims);
  if (out === null || out.length !== dims.length || out.some((d, i) => d !== dims[i])) {
    throw new ShapeError(`${opName}: ${what} ${fmt(pDims)} does not fit ${fmt(dims)}`);
  }
  return broadcastIndexMap(pDims, dims);
}

/** A quantized operand minus its zero point, as float64 (`zpDims`: how the zero point broadcasts). */
export function centeredWith(
  opName: string, name: string, x: Tensor, zp: Tensor | undefined, zpDims: readonly number[],
): Float64Array {
  if (!QUANT_TYPES.has(x.type)) throw new InvalidNodeError(`${opName}: ${name} must be int8 or uint8, got ${x.type}`);
  const out = new Float64Array(x.size);
  if (!zp) {
    centerF64(x.data as Uint8Array, null, null, out);
    return out;
  }
  if (zp.type !== x.type) throw new InvalidNodeError(`${opName}: the zero point of ${name} is ${zp.type}, ${name} is ${x.type}`);
  const index = paramIndex(opName, `zero point of ${name}`, zpDims, zp.size, x.dims);
  centerF64(x.data as Uint8Array, zp.data as Uint8Array, index, out);
  return out;
}

function centered(opName: string, name: string, x: Tensor, zp: Tensor | undefined, perRow: boolean): Float64Array {
  return centeredWith(opName, name, x, zp, zp ? paramDims(zp, x.dims, perRow) : []);
}

/** The exact integer product of centered operands (as float64) with numpy.matmul shapes. */
function centeredProduct(a: Float64Array, aDims: readonly number[], b: Float64Array, bDims: readonly number[]) {
  const plan = planMatmul(aDims, bDims);
  const acc = new Float64Array(shapeSize(plan.outDims));
  for (const [aOffset, bOffset, cOffset] of plan.offsets) {
    matmulF64(a, b, acc, plan.m, plan.n, plan.k, { aOffset, bOffset, cOffset });
  }
  return { acc, dims: plan.outDims };
}

function runMatmulInteger(inputs: readonly (Tensor | undefined)[]): Tensor {
  const [a, b, aZero, bZero] = inputs;
  if (!a || !b) throw new InvalidNodeError('MatMulInteger: inputs A and B are required');
  const { acc, dims } = centeredProduct(
    centered('MatMulInteger', 'A', a, aZero, true), a.dims, centered('MatMulInteger', 'B', b, bZero, false), b.dims,
  );
  return new Tensor('int32', new Int32Array(acc), dims);
}

const SCALE_TYPES: Readonly<Record<string, ScalePrecision>> = {
  float16: 'float16', bfloat16: 'bfloat16', float32: 'float32', float64: 'float64',
};

/** Scale precision, checking the scale tensors share one float type. */
export function scalePrecision(opName: string, scales: readonly Tensor[]): ScalePrecision {
  const p = SCALE_TYPES[scales[0]!.type];
  if (p === undefined || scales.some((s) => s.type !== scales[0]!.type)) {
    throw new InvalidNodeError(`${opName}: scales must share one float type, got ${scales.map((s) => s.type).join(', ')}`);
  }
  return p;
}

/** Quantizes accumulated values to the type of `yZero` (uint8 when absent). */
export function quantizeOutput(acc: Float64Array, scale: Float64Array, yZero: Tensor | undefined, dims: readonly number[]): Tensor {
  const type = yZero ? yZero.type : 'uint8';
  if (!QUANT_TYPES.has(type)) throw new InvalidNodeError(`output zero point must be int8 or uint8, got ${type}`);
  const zp = yZero ? Number((yZero.data as Uint8Array)[0]) : 0;
  const out = type === 'int8' ? new Int8Array(acc.length) : new Uint8Array(acc.length);
  requantize(acc, scale, zp, type === 'int8' ? -128 : 0, type === 'int8' ? 127 : 255, out);
  return new Tensor(type, out, dims);
}

function runQLinearMatmul(inputs: readonly (Tensor | undefined)[]): Tensor {
  const [a, aScale, aZero, b, bScale, bZero, yScale, yZero] = inputs;
  if (!a || !aScale || !b || !bScale || !yScale) {
    throw new InvalidNodeError('QLinearMatMul: a, a_scale, b, b_scale and y_scale are required');
  }
  const { acc, dims } = centeredProduct(
    centered('QLinearMatMul', 'a', a, aZero, true), a.dims, centered('QLinearMatMul', 'b', b, bZero, false), b.dims,
  );
  if (yScale.size !== 1 || (yZero && yZero.size !== 1)) {
    throw new ShapeError('QLinearMatMul: y_scale and y_zero_point must hold one value (per-tensor)');
  }
  const precision = scalePrecision('QLinearMatMul', [aScale, bScale, yScale]);
  const aIndex = paramIndex('QLinearMatMul', 'a_scale', paramDims(aScale, a.dims, true), aScale.size, dims);
  const bIndex = paramIndex('QLinearMatMul', 'b_scale', paramDims(bScale, b.dims, false), bScale.size, dims);
  const scale = new Float64Array(acc.length);
  combineScales(floatData(aScale), aIndex, floatData(bScale), bIndex, floatData(yScale)[0]!, precision, scale);
  return quantizeOutput(acc, scale, yZero, dims);
}

/** MatMul's output shape over symbolic dims (numpy matmul: 1-D operands promoted then dropped). */
function matmulShape(a: Shape | undefined, b: Shape | undefined): Dim[] | undefined {
  if (!a || !b || a.length === 0 || b.length === 0) return undefined;
  const batch = broadcast([a.length === 1 ? [] : a.slice(0, -2), b.length === 1 ? [] : b.slice(0, -2)])!;
  return [...batch, ...(a.length === 1 ? [] : [a[a.length - 2]!]), ...(b.length === 1 ? [] : [b[b.length - 1]!])];
}

function inferMatmul(a: InferInput | undefined, b: InferInput | undefined, elemType: DataType | undefined): ValueType[] {
  return [tensorType(elemType, matmulShape(shapeOf(a), shapeOf(b)))];
}

function inferGemm(inputs: readonly (InferInput | undefined)[], attrs: GemmAttrs): ValueType[] {
  const a = shapeOf(inputs[0]);
  const b = shapeOf(inputs[1]);
  const m = a?.length === 2 ? a[attrs.transA ? 1 : 0]! : null;
  const n = b?.length === 2 ? b[attrs.transB ? 0 : 1]! : null;
  return [tensorType(elemOf(inputs[0]), [m, n])];
}

export const linearOps: OpDef[] = [
  op({
    name: 'MatMul',
    since: 1,
    infer: (inputs) => inferMatmul(inputs[0], inputs[1], elemOf(inputs[0])),
    run: (inputs, attrs: MatMulEpilogueAttrs | undefined, ctx) => [runMatmul(inputs, attrs, ctx)],
  }),
  op({
    name: 'Gemm',
    since: 1,
    parse: (a: Attrs) => parseGemm(a, undefined),
    infer: inferGemm,
    run: (inputs, attrs: GemmAttrs, ctx) => [runGemm(inputs, attrs, ctx)],
  }),
  op({
    name: 'Gemm',
    since: 7,
    parse: (a: Attrs) => parseGemm(a, true),
    infer: inferGemm,
    run: (inputs, attrs: GemmAttrs, ctx) => [runGemm(inputs, attrs, ctx)],
  }),
  op({
    name: 'MatMulInteger', since: 10, infer: (inputs) => inferMatmul(inputs[0], inputs[1], 'int32'),
    run: (inputs) => [runMatmulInteger(inputs)],
  }),
  op({
    name: 'QLinearMatMul', since: 10, infer: (inputs) => inferMatmul(inputs[0], inputs[3], elemOf(inputs[7]) ?? elemOf(inputs[0])),
    run: (inputs) => [runQLinearMatmul(inputs)],
  }),
];
