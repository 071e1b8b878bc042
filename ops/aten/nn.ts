// Convolution, linear algebra, normalisation, embedding and dropout, composed from the
// ONNX Conv / ConvTranspose / Gemm / MatMul / BatchNormalization / LayerNormalization ops
// and the shared group-norm kernel.

import { groupNormFloat } from '../../kernels/normalization.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import type { AtenOp, TsValue } from './aten-op.js';
import {
  boolArg, floatArg, intArg, intList, optTensor, scalarArg, strArg, tensorArg,
} from './args.js';
import { aten, assignInPlace, shapeTensor } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, isFloating, scalarTensor } from './promote.js';
import { mul } from './elementwise.js';

const T = (v: TsValue, op: string, name = 'input'): Tensor => tensorArg(v, op, name);
const I = (v: TsValue, op: string, name: string): number => intArg(v, op, name);

interface ConvArgs {
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly transposed: boolean;
  readonly outputPadding: number[];
}

/** PyTorch convolution over N x C x spatial (or unbatched C x spatial) input. */
export function convolution(x: Tensor, w: Tensor, bias: Tensor | null, a: ConvArgs, op: string): Tensor {
  const spatial = w.rank - 2;
  if (spatial < 1) throw new ShapeError(`${op}: weight must have at least 3 dimensions, got [${w.dims.join(', ')}]`);
  const unbatched = x.rank === spatial + 1;
  if (!unbatched && x.rank !== spatial + 2) {
    throw new ShapeError(`${op}: expected a ${spatial + 1}D or ${spatial + 2}D input for weight [${w.dims.join(', ')}], got [${x.dims.join(', ')}]`);
  }
  const xin = unbatched ? x.reshape([1, ...x.dims]) : x;
  const fit = (v: readonly number[]) => (v.length === 1 && spatial > 1 ? new Array<number>(spatial).fill(v[0]!) : [...v]);
  const stride = fit(a.stride);
  const dilation = fit(a.dilation);
  const kernel = w.dims.slice(2);
  let begin: number[];
  let end: number[];
  if (a.padding === 'valid') begin = end = new Array<number>(spatial).fill(0);
  else if (a.padding === 'same') {
    begin = kernel.map((k, i) => Math.floor((dilation[i]! * (k - 1)) / 2));
    end = kernel.map((k, i) => dilation[i]! * (k - 1) - begin[i]!);
  } else begin = end = fit(a.padding);
  const attrs = { strides: stride, dilations: dilation, pads: [...begin, ...end], group: a.groups, kernel_shape: kernel };
  const inputs = bias === null ? [xin, w] : [xin, w, bias];
  const y = a.transposed
    ? onnx1('ConvTranspose', inputs, { ...attrs, output_padding: fit(a.outputPadding) })
    : onnx1('Conv', inputs, attrs);
  return unbatched ? y.reshape(y.dims.slice(1)) : y;
}

function convOps(): AtenOp[] {
  const ops: AtenOp[] = [];
  for (const n of [1, 2, 3]) {
    const name = `conv${n}d`;
    const run = (a: readonly TsValue[], padding: ConvArgs['padding']) => convolution(
      T(a[0]!, name), T(a[1]!, name, 'weight'), optTensor(a[2]!, name, 'bias'),
      { stride: intList(a[3]!, name, 'stride', n), padding, dilation: intList(a[5]!, name, 'dilation', n),
        groups: I(a[6]!, name, 'groups'), transposed: false, outputPadding: [0] }, `aten::${name}`);
    ops.push(
      aten(name, `(Tensor input, Tensor weight, Tensor? bias=None, int[${n}] stride=1, int[${n}] padding=0, int[${n}] dilation=1, int groups=1)`,
        (a) => run(a, intList(a[4]!, name, 'padding', n))),
      aten(name, `(Tensor input, Tensor weight, Tensor? bias=None, int[${n}] stride=1, str padding="valid", int[${n}] dilation=1, int groups=1)`,
        (a) => {
          const p = strArg(a[4]!, name, 'padding');
          if (p !== 'same' && p !== 'valid') throw new InvalidNodeError(`aten::${name}: padding must be 'same' or 'valid', got '${p}'`);
          return run(a, p);
        }),
    );
    const tname = `conv_transpose${n}d`;
    ops.push(aten(tname,
      `(Tensor input, Tensor weight, Tensor? bias=None, int[${n}] stride=1, int[${n}] padding=0, int[${n}] output_padding=0, int groups=1, int[${n}] dilation=1)`,
      (a) => convolution(T(a[0]!, tname), T(a[1]!, tname, 'weight'), optTensor(a[2]!, tname, 'bias'), {
        stride: intList(a[3]!, tname, 'stride', n), padding: intList(a[4]!, tname, 'padding', n),
        outputPadding: intList(a[5]!, tname, 'output_padding', n), groups: I(a[6]!, tname, 'groups'),
        dilation: intList(a[7]!, tname, 'dilation', n), transposed: true,
      }, `aten::${tname}`)));
  }
  const general = (name: string) => (a: readonly TsValue[]) => convolution(
    T(a[0]!, name), T(a[1]!, name, 'weight'), optTensor(a[2]!, name, 'bias'), {
      stride: intList(a[3]!, name, 'stride'), padding: intList(a[4]!, name, 'padding'),
      dilation: intList(a[5]!, name, 'dilation'), transposed: boolArg(a[6]!, name, 'transposed'),
      outputPadding: intList(a[7]!, name, 'output_padding'), groups: I(a[8]!, name, 'groups'),
    }, `aten::${name}`);
  const head = 'Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, bool transposed, int[] output_padding, int groups';
  ops.push(
    aten('_convolution', `(${head}, bool benchmark, bool deterministic, bool cudnn_enabled, bool allow_tf32)`, general('_convolution')),
    aten('_convolution', `(${head}, bool benchmark, bool deterministic, bool cudnn_enabled)`, general('_convolution')),
    aten('convolution', `(${head})`, general('convolution')),
  );
  return ops;
}

/** input @ weight^T + bias over the last dim of input. */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null, op: string): Tensor {
  if (w.rank !== 2) throw new ShapeError(`${op}: weight must be 2-D, got [${w.dims.join(', ')}]`);
  const inF = w.dims[1]!;
  if (x.dims[x.rank - 1] !== inF) {
    throw new ShapeError(`${op}: input [${x.dims.join(', ')}] and weight [${w.dims.join(', ')}] cannot be multiplied`);
  }
  const rows = x.size / Math.max(inF, 1);
  const x2 = x.reshape([rows, inF]);
  const y = onnx1('Gemm', bias === null ? [x2, w] : [x2, w, bias], { transB: 1 });
  return y.reshape([...x.dims.slice(0, -1), w.dims[0]!]);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  return onnx1('MatMul', [a, b]);
}

/** beta * self + alpha * (m1 @ m2), for addmm / baddbmm / addmv. */
function addProduct(self: Tensor, m1: Tensor, m2: Tensor, beta: TsValue, alpha: TsValue, op: string): Tensor {
  const b = scalarArg(beta, op, 'beta');
  const al = scalarArg(alpha, op, 'alpha');
  let p = matmul(m1, m2);
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
    return matmul(x, y);
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

export function batchNorm(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, mean: Tensor | null, variance: Tensor | null,
  training: boolean, momentum: number, eps: number, op: string,
): Tensor {
  if (x.rank < 2) throw new ShapeError(`${op}: expected an input with at least 2 dims, got [${x.dims.join(', ')}]`);
  const c = x.dims[1]!;
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

function miscOps(): AtenOp[] {
  return [
    aten('embedding', '(Tensor weight, Tensor indices, int padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False)', (a) =>
      onnx1('Gather', [T(a[0]!, 'embedding', 'weight'), T(a[1]!, 'embedding', 'indices')], { axis: 0 })),
    ...['dropout', 'feature_dropout', 'alpha_dropout', 'feature_alpha_dropout'].flatMap((n) => [dropout(n, false), dropout(`${n}_`, true)]),
  ];
}

export const nnOps: readonly AtenOp[] = [...convOps(), ...linearOps(), ...normOps(), ...miscOps()];
