// Linear algebra, normalisation, embedding and dropout (convolutions are in conv.ts). Float32
// linear / matmul call the GEMM kernel directly, with Linear weights packed once per weight
// tensor (prepared.ts); the rest composes the ONNX Gemm / MatMul / BatchNormalization /
// LayerNormalization ops and the shared group-norm kernel.

import { gatherOffsets, normalizeIndices } from '../../kernels/gather.js';
import { type GemmEpilogue, gemmF32, gemmPackedBF32 } from '../../kernels/gemm-f32.js';
import { batchNormFloat, groupNormFloat, layerNormRowsF32 } from '../../kernels/normalization.js';
import { bitView, takeBlocks } from '../../kernels/take.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { boolArg, floatArg, intArg, intList, optTensor, scalarArg, tensorArg } from './args.js';
import { aten, assignInPlace, shapeTensor } from './define.js';
import { checkTensorElements } from './budget.js';
import { convOps } from './conv.js';
import { allocF32, isF32 } from './float32.js';
import { newF32 } from './slabs.js';
import { onnx1, onnxOp } from './onnx-bridge.js';
import { planMatmul } from '../onnx/linear.js';
import { packedGemmB, reusedGemmB } from './prepared.js';
import { castTo, isFloating, scalarTensor } from './promote.js';
import { mul } from './elementwise.js';
import { withEngine } from '../engine.js';

const T = (v: TsValue, op: string, name = 'input'): Tensor => tensorArg(v, op, name);
const I = (v: TsValue, op: string, name: string): number => intArg(v, op, name);

/** input @ weight^T + bias over the last dim of input. */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null, op: string): Tensor {
  if (w.rank !== 2) throw new ShapeError(`${op}: weight must be 2-D, got [${w.dims.join(', ')}]`);
  const inF = w.dims[1]!;
  const outF = w.dims[0]!;
  if (x.rank === 0 || x.dims[x.rank - 1] !== inF) {
    throw new ShapeError(`${op}: input [${x.dims.join(', ')}] and weight [${w.dims.join(', ')}] cannot be multiplied`);
  }
  let rows = 1;
  for (let i = 0; i < x.rank - 1; i++) rows *= x.dims[i]!;
  const outDims = [...x.dims.slice(0, -1), outF];
  if (x.type === 'float32' && w.type === 'float32' && (bias === null || (bias.type === 'float32' && bias.rank === 1 && bias.dims[0] === outF))) {
    checkTensorElements(rows * outF, `${op} output of shape [${outDims.join(', ')}]`);
    const out = newF32(rows * outF);
    const epilogue = bias === null ? NO_EPILOGUE : { bias: bias.data as Float32Array, biasRowStride: 0, biasColStride: 1 };
    gemmPackedBF32(x.data as Float32Array, {}, packedGemmB(w, inF, outF, true), out, rows, withEngine({ epilogue }));
    return new Tensor('float32', out, outDims);
  }
  const x2 = x.reshape([rows, inF]);
  const y = onnx1('Gemm', bias === null ? [x2, w] : [x2, w, bias], { transB: 1 });
  return y.reshape(outDims);
}

const NO_EPILOGUE: GemmEpilogue = Object.freeze({});

/**
 * numpy-style matmul. Float32 operands call the GEMM directly; a B operand met a second time
 * unchanged (a weight: `x @ self.w`) is packed then and reused (prepared.ts).
 */
export function matmul(a: Tensor, b: Tensor, op = 'aten::matmul'): Tensor {
  if (a.type !== 'float32' || b.type !== 'float32') return onnx1('MatMul', [a, b]);
  const plan = planMatmul(a.dims, b.dims);
  const { m, n, k } = plan;
  let size = 1;
  for (const d of plan.outDims) size *= d;
  checkTensorElements(size, `${op} output of shape [${plan.outDims.join(', ')}]`);
  const out = newF32(size);
  const ad = a.data as Float32Array;
  if (plan.offsets.length === 1 && m > 1 && n >= 4) {
    const [aOffset, , cOffset] = plan.offsets[0]!;
    const packed = reusedGemmB(b, k, n);
    if (packed !== null) {
      gemmPackedBF32(ad, { offset: aOffset }, packed, out, m, withEngine({ cOffset }));
      return new Tensor('float32', out, plan.outDims);
    }
  }
  const bd = b.data as Float32Array;
  for (const [aOffset, bOffset, cOffset] of plan.offsets) gemmF32(ad, { offset: aOffset }, bd, { offset: bOffset }, out, m, n, k, withEngine({ cOffset }));
  return new Tensor('float32', out, plan.outDims);
}

/** beta * self + alpha * (m1 @ m2), for addmm / baddbmm / addmv. */
function addProduct(self: Tensor, m1: Tensor, m2: Tensor, beta: TsValue, alpha: TsValue, op: string): Tensor {
  const b = scalarArg(beta, op, 'beta');
  const al = scalarArg(alpha, op, 'alpha');
  let p = matmul(m1, m2, op);
  if (Number(al) !== 1) p = mul(p, al);
  if (Number(b) === 0) return p;
  const s = Number(b) === 1 ? self : mul(self, b);
  return onnx1('Add', [p, castTo(s, p.type)]);
}

function linearOps(): AtenOp[] {
  const two = (n: string, check?: (a: Tensor, b: Tensor) => void) => aten(n, '(Tensor self, Tensor mat2)', (a) => {
    const x = T(a[0]!, n, 'self');
    const y = T(a[1]!, n, 'mat2');
    check?.(x, y);
    return matmul(x, y, `aten::${n}`);
  });
  return [
    aten('linear', '(Tensor input, Tensor weight, Tensor? bias=None)', (a) =>
      linear(T(a[0]!, 'linear'), T(a[1]!, 'linear', 'weight'), optTensor(a[2]!, 'linear', 'bias'), 'aten::linear')),
    aten('matmul', '(Tensor self, Tensor other)', (a) => matmul(T(a[0]!, 'matmul', 'self'), T(a[1]!, 'matmul', 'other'))),
    two('mm', (x, y) => {
      if (x.rank !== 2 || y.rank !== 2) throw new ShapeError(`aten::mm: expects 2-D tensors, got [${x.dims.join(', ')}] and [${y.dims.join(', ')}]`);
    }),
    two('bmm', (x, y) => {
      if (x.rank !== 3 || y.rank !== 3) throw new ShapeError(`aten::bmm: expects 3-D tensors, got [${x.dims.join(', ')}] and [${y.dims.join(', ')}]`);
    }),
    aten('mv', '(Tensor self, Tensor vec)', (a) => matmul(T(a[0]!, 'mv', 'self'), T(a[1]!, 'mv', 'vec'))),
    aten('dot', '(Tensor self, Tensor tensor)', (a) => matmul(T(a[0]!, 'dot', 'self'), T(a[1]!, 'dot', 'tensor'))),
    aten('addmm', '(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1)', (a) =>
      addProduct(T(a[0]!, 'addmm', 'self'), T(a[1]!, 'addmm', 'mat1'), T(a[2]!, 'addmm', 'mat2'), a[3]!, a[4]!, 'aten::addmm')),
    aten('baddbmm', '(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1)', (a) =>
      addProduct(T(a[0]!, 'baddbmm', 'self'), T(a[1]!, 'baddbmm', 'batch1'), T(a[2]!, 'baddbmm', 'batch2'), a[3]!, a[4]!, 'aten::baddbmm')),
    aten('addmv', '(Tensor self, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1)', (a) =>
      addProduct(T(a[0]!, 'addmv', 'self'), T(a[1]!, 'addmv', 'mat'), T(a[2]!, 'addmv', 'vec'), a[3]!, a[4]!, 'aten::addmv')),
  ];
}

function ones(n: number, type: Tensor['type']): Tensor {
  return onnx1('Expand', [scalarTensor(1, type), shapeTensor([n])]);
}
function zeros(n: number, type: Tensor['type']): Tensor {
  return Tensor.zeros(type, [n]);
}

/** Per-channel mean and (population) variance over every axis but 1, kept as [C]. */
function channelStats(x: Tensor): [Tensor, Tensor] {
  const axes = x.dims.map((_, i) => i).filter((i) => i !== 1);
  const axesT = shapeTensor(axes);
  const mean = onnx1('ReduceMean', [x, axesT], { keepdims: 1 });
  const d = onnx1('Sub', [x, mean]);
  const v = onnx1('ReduceMean', [onnx1('Mul', [d, d]), axesT], { keepdims: 0 });
  return [mean.reshape([x.dims[1]!]), v];
}

/** A float32 tensor of `c` elements (one per channel); false for null. */
function perChannelF32(t: Tensor | null, c: number): boolean {
  return t !== null && t.type === 'float32' && t.size === c;
}


export function batchNorm(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, mean: Tensor | null, variance: Tensor | null,
  training: boolean, momentum: number, eps: number, op: string,
): Tensor {
  if (x.rank < 2) throw new ShapeError(`${op}: expected an input with at least 2 dims, got [${x.dims.join(', ')}]`);
  const c = x.dims[1]!;
  if (!training && x.type === 'float32' && perChannelF32(mean, c) && perChannelF32(variance, c)
    && (weight === null || perChannelF32(weight, c)) && (bias === null || perChannelF32(bias, c))) {
    const n = x.dims[0]!;
    const spatial = c === 0 || n === 0 ? 0 : x.size / (n * c);
    const out = allocF32(x.dims, op);
    batchNormFloat(x.data as Float32Array, out, weight === null ? new Float32Array(c).fill(1) : (weight.data as Float32Array),
      bias === null ? new Float32Array(c) : (bias.data as Float32Array), mean!.data as Float32Array, variance!.data as Float32Array, eps, n, c, spatial);
    return new Tensor('float32', out, x.dims);
  }
  let m = mean;
  let v = variance;
  if (training || m === null || v === null) {
    const [bm, bv] = channelStats(x);
    if (training && mean !== null && variance !== null) {
      const count = x.size / c;
      const unbiased = onnx1('Mul', [bv, scalarTensor(count / Math.max(count - 1, 1), bv.type)]);
      const keep = scalarTensor(1 - momentum, bv.type);
      const take = scalarTensor(momentum, bv.type);
      assignInPlace(mean, onnx1('Add', [onnx1('Mul', [mean, keep]), onnx1('Mul', [bm, take])]), op);
      assignInPlace(variance, onnx1('Add', [onnx1('Mul', [variance, keep]), onnx1('Mul', [unbiased, take])]), op);
    }
    m = bm;
    v = bv;
  }
  const y = onnx1('BatchNormalization', [
    x.rank === 2 ? x.reshape([...x.dims, 1]) : x, weight ?? ones(c, x.type), bias ?? zeros(c, x.type), m, v,
  ], { epsilon: { float: eps } });
  return x.rank === 2 ? y.reshape(x.dims) : y;
}

export function layerNorm(x: Tensor, shape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps: number, op: string): Tensor {
  const k = shape.length;
  if (k > x.rank || shape.some((d, i) => d !== x.dims[x.rank - k + i])) {
    throw new ShapeError(`${op}: normalized_shape [${shape.join(', ')}] does not match the input's trailing dims [${x.dims.join(', ')}]`);
  }
  const n = shape.reduce((p, d) => p * d, 1);
  if (x.type === 'float32' && n > 0 && (weight === null ? bias === null : isF32(weight) && weight.size === n)
    && (bias === null || (isF32(bias) && bias.size === n))) {
    const rows = x.size / n;
    const out = allocF32(x.dims, op);
    layerNormRowsF32(x.data as Float32Array, out, rows, n, eps, weight === null ? null : (weight.data as Float32Array), bias === null ? null : (bias.data as Float32Array));
    return new Tensor('float32', out, x.dims);
  }
  const scale = (weight ?? ones(n, x.type)).reshape(shape);
  const b = (bias ?? zeros(n, x.type)).reshape(shape);
  return onnx1('LayerNormalization', [x, scale, b], { axis: x.rank - k, epsilon: { float: eps } });
}

export function groupNorm(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number, op: string): Tensor {
  if (!isFloating(x.type)) throw new InvalidNodeError(`${op}: expected a float input, got ${x.type}`);
  const n = x.dims[0]!;
  const c = x.dims[1] ?? 1;
  if (groups <= 0 || c % groups !== 0) throw new ShapeError(`${op}: expected ${c} channels to be divisible by num_groups=${groups}`);
  const spatial = x.size / Math.max(n * c, 1);
  const w = floatData(weight ?? ones(c, x.type));
  const b = floatData(bias ?? zeros(c, x.type));
  const out = allocFloat(x.type, x.size);
  groupNormFloat(floatData(x), out, w, b, n, c, groups, spatial, eps, true);
  return floatTensor(x.type, out, x.dims);
}

function normOps(): AtenOp[] {
  const bn = 'batch_norm';
  return [
    aten(bn, '(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, bool cudnn_enabled)',
      (a) => batchNorm(T(a[0]!, bn), optTensor(a[1]!, bn, 'weight'), optTensor(a[2]!, bn, 'bias'), optTensor(a[3]!, bn, 'running_mean'),
        optTensor(a[4]!, bn, 'running_var'), boolArg(a[5]!, bn, 'training'), floatArg(a[6]!, bn, 'momentum'), floatArg(a[7]!, bn, 'eps'), `aten::${bn}`)),
    aten('instance_norm', '(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool use_input_stats, float momentum, float eps, bool cudnn_enabled)',
      (a) => {
        const x = T(a[0]!, 'instance_norm');
        if (!boolArg(a[5]!, 'instance_norm', 'use_input_stats')) {
          return batchNorm(x, optTensor(a[1]!, 'instance_norm', 'weight'), optTensor(a[2]!, 'instance_norm', 'bias'),
            optTensor(a[3]!, 'instance_norm', 'running_mean'), optTensor(a[4]!, 'instance_norm', 'running_var'), false, 0, floatArg(a[7]!, 'instance_norm', 'eps'), 'aten::instance_norm');
        }
        return groupNorm(x, x.dims[1]!, optTensor(a[1]!, 'instance_norm', 'weight'), optTensor(a[2]!, 'instance_norm', 'bias'), floatArg(a[7]!, 'instance_norm', 'eps'), 'aten::instance_norm');
      }),
    aten('layer_norm', '(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True)',
      (a) => layerNorm(T(a[0]!, 'layer_norm'), intList(a[1]!, 'layer_norm', 'normalized_shape'), optTensor(a[2]!, 'layer_norm', 'weight'),
        optTensor(a[3]!, 'layer_norm', 'bias'), floatArg(a[4]!, 'layer_norm', 'eps'), 'aten::layer_norm')),
    aten('group_norm', '(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enabled=True)',
      (a) => groupNorm(T(a[0]!, 'group_norm'), I(a[1]!, 'group_norm', 'num_groups'), optTensor(a[2]!, 'group_norm', 'weight'),
        optTensor(a[3]!, 'group_norm', 'bias'), floatArg(a[4]!, 'group_norm', 'eps'), 'aten::group_norm')),
  ];
}

function dropout(name: string, inPlace: boolean): AtenOp {
  return aten(name, `(Tensor ${inPlace ? 'self' : 'input'}, float p, bool train)`, (a) => {
    const x = T(a[0]!, name);
    if (boolArg(a[2]!, name, 'train') && floatArg(a[1]!, name, 'p') > 0) {
      throw new InvalidNodeError(`aten::${name}: training-mode dropout (random) is not supported; run the model in eval mode`);
    }
    return x;
  });
}

const GATHER_ROWS = Object.freeze({ axis: 0 });

/** Rows of a float32 [V, D] weight picked by int64 / int32 indices (negative ones wrap, as Gather's). */
function embedding(w: Tensor, indices: Tensor): Tensor {
  if (w.type !== 'float32' || w.rank !== 2 || (indices.type !== 'int64' && indices.type !== 'int32')) {
    return onnxOp('Gather', GATHER_ROWS).run1([w, indices]);
  }
  const [rows, d] = w.dims as [number, number];
  const idx = new Int32Array(indices.size);
  const bad = normalizeIndices(indices.data as BigInt64Array | Int32Array, [rows], idx);
  if (bad >= 0) throw new InvalidNodeError(`aten::embedding: index ${String(indices.data[bad])} out of range [${-rows}, ${rows})`);
  const dims = [...indices.dims, d];
  const out = allocF32(dims, 'aten::embedding');
  const offsets = new Int32Array(idx.length);
  gatherOffsets(1, rows, d, idx, offsets);
  takeBlocks(bitView(w.data as Float32Array).bits, bitView(out).bits, offsets, d, 1);
  return new Tensor('float32', out, dims);
}

function miscOps(): AtenOp[] {
  return [
    aten('embedding', '(Tensor weight, Tensor indices, int padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False)', (a) =>
      embedding(T(a[0]!, 'embedding', 'weight'), T(a[1]!, 'embedding', 'indices'))),
    ...['dropout', 'feature_dropout', 'alpha_dropout', 'feature_alpha_dropout'].flatMap((n) => [dropout(n, false), dropout(`${n}_`, true)]),
  ];
}

export const nnOps: readonly AtenOp[] = [...convOps(), ...linearOps(), ...normOps(), ...miscOps()];
