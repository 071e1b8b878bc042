// Unary math and activation functions. Float-only functions promote integer and bool
// inputs to float32 as PyTorch does (torch.sqrt(int tensor) is float32). relu, gelu and the
// softmax family call the kernels directly on float32 (relu_ writes into self's storage).

import { type ActivationOp, activationFloat } from '../../kernels/activation.js';
import { clipFloat } from '../../kernels/elementwise-unary.js';
import { logSoftmaxFloat, softmaxFloat } from '../../kernels/softmax.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { boolArg, dimArg, floatArg, intArg, isIntegral, optDtype, scalarArg, strArg, tensorArg } from './args.js';
import { aten, assignInPlace, withInPlace, wroteInPlace } from './define.js';
import { allocF32 } from './float32.js';
import { gemmEngine } from '../engine.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, isFloating, scalarTensor } from './promote.js';

/** activation(x) for a float32 x by the kernel: into x's own storage when `inPlace`. */
function activationF32(kind: ActivationOp, x: Tensor, op: string, inPlace = false): Tensor {
  const xd = x.data as Float32Array;
  if (inPlace) {
    activationFloat(kind, xd, xd);
    return wroteInPlace(x);
  }
  const out = allocF32(x.dims, op);
  activationFloat(kind, xd, out);
  return new Tensor('float32', out, x.dims);
}

/**
 * sigmoid(x) or silu(x) = x sigmoid(x) of a float32 x in one pass: on the session's engine where
 * it has the pass (wasm: SIMD, within 3 * 2^-24 relative of the float64 formula), else
 * activationFloat (float64, rounded once). Into x's own storage when `inPlace`.
 */
function sigmoidF32(kind: 'sigmoid' | 'silu', x: Tensor, op: string, inPlace = false): Tensor {
  const xd = x.data as Float32Array;
  const out = inPlace ? xd : allocF32(x.dims, op);
  if (!gemmEngine().activation?.(kind, xd, out)) activationFloat(kind === 'sigmoid' ? 'Sigmoid' : 'Swish', xd, out, 1);
  return inPlace ? wroteInPlace(x) : new Tensor('float32', out, x.dims);
}

/** Integer and bool tensors as float32 (PyTorch's int-to-float promotion for float ops). */
export function asFloat(x: Tensor): Tensor {
  return isFloating(x.type) ? x : castTo(x, 'float32');
}

function c(x: Tensor, v: number): Tensor {
  return scalarTensor(v, x.type);
}

function trunc(x: Tensor): Tensor {
  if (!isFloating(x.type)) return x;
  return onnx1('Mul', [onnx1('Sign', [x]), onnx1('Floor', [onnx1('Abs', [x])])]);
}

const FLOAT_UNARY: ReadonlyArray<[string, (x: Tensor) => Tensor]> = [
  ['sqrt', (x) => onnx1('Sqrt', [x])],
  ['rsqrt', (x) => onnx1('Reciprocal', [onnx1('Sqrt', [x])])],
  ['exp', (x) => onnx1('Exp', [x])],
  ['expm1', (x) => onnx1('Sub', [onnx1('Exp', [x]), c(x, 1)])],
  ['log', (x) => onnx1('Log', [x])],
  ['log1p', (x) => onnx1('Log', [onnx1('Add', [x, c(x, 1)])])],
  ['log2', (x) => onnx1('Div', [onnx1('Log', [x]), c(x, Math.LN2)])],
  ['log10', (x) => onnx1('Div', [onnx1('Log', [x]), c(x, Math.LN10)])],
  ['sin', (x) => onnx1('Sin', [x])], ['cos', (x) => onnx1('Cos', [x])], ['tan', (x) => onnx1('Tan', [x])],
  ['asin', (x) => onnx1('Asin', [x])], ['acos', (x) => onnx1('Acos', [x])], ['atan', (x) => onnx1('Atan', [x])],
  ['sinh', (x) => onnx1('Sinh', [x])], ['cosh', (x) => onnx1('Cosh', [x])],
  ['erf', (x) => onnx1('Erf', [x])],
  ['reciprocal', (x) => onnx1('Reciprocal', [x])],
  ['sigmoid', (x) => (x.type === 'float32' ? sigmoidF32('sigmoid', x, 'aten::sigmoid') : onnx1('Sigmoid', [x]))],
  ['tanh', (x) => onnx1('Tanh', [x])],
  ['hardswish', (x) => onnx1('HardSwish', [x])],
  ['hardsigmoid', (x) => onnx1('HardSigmoid', [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } })],
  ['silu', (x) => (x.type === 'float32' ? sigmoidF32('silu', x, 'aten::silu') : onnx1('Mul', [x, onnx1('Sigmoid', [x])]))],
  ['mish', (x) => onnx1('Mish', [x])],
  ['selu', (x) => onnx1('Selu', [x])],
  ['softsign', (x) => onnx1('Softsign', [x])],
];

/** Functions that keep integer types (rounding functions are identities on integers). */
const ANY_UNARY: ReadonlyArray<[string, (x: Tensor) => Tensor]> = [
  ['neg', (x) => onnx1('Neg', [x])],
  ['negative', (x) => onnx1('Neg', [x])],
  ['abs', (x) => onnx1('Abs', [x])],
  // PyTorch's sign(NaN) is 0.
  ['sign', (x) => (x.type === 'bool' ? x : isFloating(x.type)
    ? onnx1('Where', [onnx1('IsNaN', [x]), c(x, 0), onnx1('Sign', [x])]) : onnx1('Sign', [x]))],
  ['floor', (x) => (isFloating(x.type) ? onnx1('Floor', [x]) : x)],
  ['ceil', (x) => (isFloating(x.type) ? onnx1('Ceil', [x]) : x)],
  ['round', (x) => (isFloating(x.type) ? onnx1('Round', [x]) : x)],
  ['trunc', trunc],
  ['fix', trunc],
];

function relu(x: Tensor, op: string, inPlace: boolean): Tensor {
  if (x.type === 'float32') return activationF32('Relu', x, op, inPlace);
  const r = onnx1('Relu', [x]);
  return inPlace ? assignInPlace(x, r, op) : r;
}

/**
 * min(max(x, lo), hi) with the bounds in x's type. float32 in one pass of clipFloat (into x's own
 * storage for hardtanh_): the bounds are scalars, so nothing is broadcast; NaN stays NaN and
 * -0 stays -0, as in PyTorch. Other types through ONNX Max and Min.
 */
function hardtanh(x: Tensor, lo: TsValue, hi: TsValue, op: string, inPlace = false): Tensor {
  const l = scalarArg(lo, 'hardtanh', 'min_val');
  const h = scalarArg(hi, 'hardtanh', 'max_val');
  if (x.type === 'float32') {
    const xd = x.data as Float32Array;
    const out = inPlace ? xd : allocF32(x.dims, op);
    clipFloat(xd, out, Math.fround(Number(l)), Math.fround(Number(h)));
    return inPlace ? wroteInPlace(x) : new Tensor('float32', out, x.dims);
  }
  const r = onnx1('Min', [onnx1('Max', [x, scalarTensor(l, x.type)]), scalarTensor(h, x.type)]);
  return inPlace ? assignInPlace(x, r, op) : r;
}

function gelu(x: Tensor, approximate: string): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new InvalidNodeError(`aten::gelu: approximate must be 'none' or 'tanh', got '${approximate}'`);
  }
  if (x.type === 'float32') return activationF32(approximate === 'tanh' ? 'GeluTanh' : 'Gelu', x, 'aten::gelu');
  return onnx1('Gelu', [x], { approximate });
}

function elu(x: Tensor, alpha: number, scale: number, inputScale: number): Tensor {
  const xs = inputScale === 1 ? x : onnx1('Mul', [x, c(x, inputScale)]);
  // PyTorch: x > 0 ? scale * x : scale * alpha * (exp(x * input_scale) - 1)
  const neg = onnx1('Elu', [xs], { alpha: { float: alpha } });
  const y = onnx1('Where', [onnx1('Greater', [x, c(x, 0)]), x, neg]);
  return scale === 1 ? y : onnx1('Mul', [y, c(x, scale)]);
}

function softplus(x: Tensor, beta: number, threshold: number): Tensor {
  const bx = beta === 1 ? x : onnx1('Mul', [x, c(x, beta)]);
  let sp = onnx1('Softplus', [bx]);
  if (beta !== 1) sp = onnx1('Div', [sp, c(x, beta)]);
  return onnx1('Where', [onnx1('Greater', [bx, c(x, threshold)]), x, sp]);
}

/** softmax / log_softmax along `dim`, optionally casting the input to `dtype` first. */
export function softmax(kind: 'Softmax' | 'LogSoftmax', x: Tensor, dim: number, dtype: TsValue, op: string): Tensor {
  const t = optDtype(dtype, op);
  const xin = t !== null ? castTo(x, t) : asFloatChecked(x, op);
  const axis = dimArg(dim, x.rank, op);
  if (xin.type === 'float32' && x.rank > 0) {
    let outer = 1;
    let inner = 1;
    for (let i = 0; i < axis; i++) outer *= x.dims[i]!;
    for (let i = axis + 1; i < x.rank; i++) inner *= x.dims[i]!;
    const out = allocF32(x.dims, op);
    (kind === 'Softmax' ? softmaxFloat : logSoftmaxFloat)(xin.data as Float32Array, out, outer, x.dims[axis]!, inner);
    return new Tensor('float32', out, x.dims);
  }
  return onnx1(kind, [xin], { axis: axis - (x.rank === 0 ? 1 : 0) });
}

function asFloatChecked(x: Tensor, op: string): Tensor {
  if (isIntegral(x.type) || x.type === 'bool') throw new InvalidNodeError(`${op}: "softmax" not implemented for '${x.type}'`);
  return x;
}

const T = (v: TsValue, op: string): Tensor => tensorArg(v, op);

function activations(): AtenOp[] {
  const ops: AtenOp[] = [];
  for (const [n, fn] of FLOAT_UNARY) ops.push(aten(n, '(Tensor self)', (a) => fn(asFloat(T(a[0]!, n)))));
  for (const [n, fn] of ANY_UNARY) ops.push(aten(n, '(Tensor self)', (a) => fn(T(a[0]!, n))));
  ops.push(
    aten('relu', '(Tensor self)', (a) => relu(T(a[0]!, 'relu'), 'aten::relu', false)),
    aten('relu6', '(Tensor self)', (a) => hardtanh(T(a[0]!, 'relu6'), 0n, 6n, 'aten::relu6')),
    aten('hardtanh', '(Tensor self, Scalar min_val=-1, Scalar max_val=1)', (a) => hardtanh(T(a[0]!, 'hardtanh'), a[1]!, a[2]!, 'aten::hardtanh')),
    aten('gelu', "(Tensor self, *, str approximate='none')", (a) => gelu(asFloat(T(a[0]!, 'gelu')), strArg(a[1]!, 'gelu', 'approximate'))),
    aten('leaky_relu', '(Tensor self, Scalar negative_slope=0.01)', (a) =>
      onnx1('LeakyRelu', [T(a[0]!, 'leaky_relu')], { alpha: { float: floatArg(a[1]!, 'leaky_relu', 'negative_slope') } })),
    aten('elu', '(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1)', (a) =>
      elu(T(a[0]!, 'elu'), floatArg(a[1]!, 'elu', 'alpha'), floatArg(a[2]!, 'elu', 'scale'), floatArg(a[3]!, 'elu', 'input_scale'))),
    aten('celu', '(Tensor self, Scalar alpha=1.0)', (a) => onnx1('Celu', [T(a[0]!, 'celu')], { alpha: { float: floatArg(a[1]!, 'celu', 'alpha') } })),
    aten('softplus', '(Tensor self, Scalar beta=1, Scalar threshold=20)', (a) =>
      softplus(T(a[0]!, 'softplus'), floatArg(a[1]!, 'softplus', 'beta'), floatArg(a[2]!, 'softplus', 'threshold'))),
    aten('threshold', '(Tensor self, Scalar threshold, Scalar value)', (a) => {
      const x = T(a[0]!, 'threshold');
      const th = scalarTensor(scalarArg(a[1]!, 'threshold', 'threshold'), x.type);
      return onnx1('Where', [onnx1('Greater', [x, th]), x, scalarTensor(scalarArg(a[2]!, 'threshold', 'value'), x.type)]);
    }),
    aten('prelu', '(Tensor self, Tensor weight)', (a) => {
      const x = T(a[0]!, 'prelu');
      let w = tensorArg(a[1]!, 'prelu', 'weight');
      if (w.size > 1 && x.rank >= 2) w = w.reshape([w.size, ...new Array<number>(x.rank - 2).fill(1)]);
      return onnx1('PRelu', [x, w]);
    }),
  );
  const own = new Set(['aten::relu_', 'aten::relu6_', 'aten::hardtanh_']);
  const inPlace = withInPlace(ops).filter((o) => !own.has(o.name)).map((o) => {
    // sigmoid_ and silu_ of a float32 tensor write its storage in one pass (others: computed, then assigned).
    const kind = o.name === 'aten::sigmoid_' ? 'sigmoid' : o.name === 'aten::silu_' ? 'silu' : null;
    if (kind === null) return o;
    return aten(o.name.slice('aten::'.length), o.schema, (a) => {
      const x = T(a[0]!, o.name.slice('aten::'.length));
      return x.type === 'float32' ? sigmoidF32(kind, x, o.name, true) : o.run(a);
    });
  });
  inPlace.push(
    aten('relu_', '(Tensor self)', (a) => relu(T(a[0]!, 'relu_'), 'aten::relu_', true)),
    aten('relu6_', '(Tensor self)', (a) => hardtanh(T(a[0]!, 'relu6_'), 0n, 6n, 'aten::relu6_', true)),
    aten('hardtanh_', '(Tensor self, Scalar min_val=-1, Scalar max_val=1)', (a) => hardtanh(T(a[0]!, 'hardtanh_'), a[1]!, a[2]!, 'aten::hardtanh_', true)),
  );
  // `silu_` etc. come from withInPlace; the softmax family has no in-place form.
  inPlace.push(
    aten('softmax', '(Tensor self, int dim, ScalarType? dtype=None)', (a) => softmax('Softmax', T(a[0]!, 'softmax'), intArg(a[1]!, 'softmax', 'dim'), a[2]!, 'aten::softmax')),
    aten('log_softmax', '(Tensor self, int dim, ScalarType? dtype=None)', (a) => softmax('LogSoftmax', T(a[0]!, 'log_softmax'), intArg(a[1]!, 'log_softmax', 'dim'), a[2]!, 'aten::log_softmax')),
    aten('_softmax', '(Tensor self, int dim, bool half_to_float)', (a) =>
      softmax('Softmax', T(a[0]!, '_softmax'), intArg(a[1]!, '_softmax', 'dim'), boolArg(a[2]!, '_softmax', 'half_to_float') ? 6n : null, 'aten::_softmax')),
    aten('_log_softmax', '(Tensor self, int dim, bool half_to_float)', (a) =>
      softmax('LogSoftmax', T(a[0]!, '_log_softmax'), intArg(a[1]!, '_log_softmax', 'dim'), boolArg(a[2]!, '_log_softmax', 'half_to_float') ? 6n : null, 'aten::_log_softmax')),
  );
  return inPlace;
}

export const activationOps: readonly AtenOp[] = activations();
