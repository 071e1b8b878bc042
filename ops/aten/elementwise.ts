// Binary arithmetic and comparison ops with PyTorch's type promotion, where, masked_fill
// and clamp: each promotes its operands, then composes the ONNX elementwise op. Float32
// arithmetic and masked_fill call the kernels directly (float32.ts), and so does arithmetic on
// 0-dim int64 tensors (the sizes a traced model computes with: `torch.floor_divide(c, 4)`).

import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { type Scalar, isIntegral, scalarArg, strArg, tensorArg } from './args.js';
import { aten, assignInPlace, withInPlace, wroteInPlace } from './define.js';
import { binaryF32, f32Operands, f32Pair, maskedFillF32 } from './float32.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, isFloating, operand, resultType, scalarTensor, tensorOrScalar } from './promote.js';

type Operand = Tensor | Scalar;

function isOne(s: Scalar): boolean {
  return s === 1 || s === 1n || s === true;
}

/** The value of an int64 0-dim tensor or of a Python int; null for anything else. */
function int64Value(v: Operand): bigint | null {
  if (typeof v === 'bigint') return v;
  if (v instanceof Tensor && v.type === 'int64' && v.rank === 0) return (v.data as BigInt64Array)[0]!;
  return null;
}

/**
 * a (kind) b when both are 0-dim int64 tensors or one is an int: an int64 0-dim tensor,
 * wrapping as int64 does; null when the operands are anything else, or for a zero divisor
 * (left to the composed path).
 */
function int64Scalars(kind: 'Add' | 'Sub' | 'Mul' | 'trunc' | 'floor', a: Operand, b: Operand): Tensor | null {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) return null;
  const x = int64Value(a);
  const y = int64Value(b);
  if (x === null || y === null) return null;
  let r: bigint;
  switch (kind) {
    case 'Add': r = x + y; break;
    case 'Sub': r = x - y; break;
    case 'Mul': r = x * y; break;
    default:
      if (y === 0n) return null;
      r = x / y;
      if (kind === 'floor' && r * y !== x && (x < 0n) !== (y < 0n)) r -= 1n;
  }
  return new Tensor('int64', BigInt64Array.of(BigInt.asIntN(64, r)), []);
}

/** self + alpha * other (kind 'Add') or self - alpha * other ('Sub'), promoted. */
function addSub(kind: 'Add' | 'Sub', self: Operand, other: Operand, alpha: Scalar, op: string): Tensor {
  if (isOne(alpha)) {
    const f = f32Operands(self, other);
    if (f !== null) return binaryF32(kind, f[0], f[1], op);
    const r = int64Scalars(kind, self, other);
    if (r !== null) return r;
  }
  const t = resultType([self, other]);
  if (t === 'bool') {
    if (kind === 'Sub') throw new InvalidNodeError(`${op}: subtraction with two bool tensors is not supported`);
    return onnx1('Or', [operand(self, t), operand(other, t)]);
  }
  if (isIntegral(t) && typeof alpha === 'number' && !Number.isInteger(alpha)) {
    throw new InvalidNodeError(`${op}: for integral input tensors, argument alpha must not be a floating point number`);
  }
  let b = operand(other, t);
  if (!isOne(alpha)) b = onnx1('Mul', [b, scalarTensor(alpha, t)]);
  return onnx1(kind, [operand(self, t), b]);
}

export function mul(self: Operand, other: Operand): Tensor {
  const f = f32Operands(self, other);
  if (f !== null) return binaryF32('Mul', f[0], f[1], 'aten::mul');
  const r = int64Scalars('Mul', self, other);
  if (r !== null) return r;
  const t = resultType([self, other]);
  if (t === 'bool') return onnx1('And', [operand(self, t), operand(other, t)]);
  return onnx1('Mul', [operand(self, t), operand(other, t)]);
}

/** Floor division on integers: (a - mod(a, b)) / b with Python's mod. */
function floorDivInt(a: Tensor, b: Tensor): Tensor {
  const m = onnx1('Mod', [a, b], { fmod: 0 });
  return onnx1('Div', [onnx1('Sub', [a, m]), b]);
}

function truncFloat(x: Tensor): Tensor {
  return onnx1('Mul', [onnx1('Sign', [x]), onnx1('Floor', [onnx1('Abs', [x])])]);
}

export function div(self: Operand, other: Operand, mode: string | null, op: string): Tensor {
  const f = mode === null ? f32Operands(self, other) : null;
  if (f !== null) return binaryF32('Div', f[0], f[1], op);
  if (mode === 'trunc' || mode === 'floor') {
    const r = int64Scalars(mode, self, other);
    if (r !== null) return r;
  }
  let t = resultType([self, other]);
  if (mode === null) {
    if (!isFloating(t)) t = 'float32';
    return onnx1('Div', [operand(self, t), operand(other, t)]);
  }
  if (t === 'bool') t = 'int64';
  const a = operand(self, t);
  const b = operand(other, t);
  if (mode === 'trunc') return isFloating(t) ? truncFloat(onnx1('Div', [a, b])) : onnx1('Div', [a, b]);
  if (mode === 'floor') return isFloating(t) ? onnx1('Floor', [onnx1('Div', [a, b])]) : floorDivInt(a, b);
  throw new InvalidNodeError(`${op}: rounding_mode must be 'trunc', 'floor' or None, got '${mode}'`);
}

/** Python's modulo: the result takes the sign of the divisor. */
function remainder(self: Operand, other: Operand): Tensor {
  const t = resultType([self, other]);
  const a = operand(self, t);
  const b = operand(other, t);
  if (!isFloating(t)) return onnx1('Mod', [a, b], { fmod: 0 });
  const m = onnx1('Mod', [a, b], { fmod: 1 });
  const zero = scalarTensor(0, t);
  const fix = onnx1('And', [
    onnx1('Not', [onnx1('Equal', [m, zero])]),
    onnx1('Xor', [onnx1('Less', [b, zero]), onnx1('Less', [m, zero])]),
  ]);
  return onnx1('Where', [fix, onnx1('Add', [m, b]), m]);
}

function fmod(self: Operand, other: Operand): Tensor {
  const t = resultType([self, other]);
  return onnx1('Mod', [operand(self, t), operand(other, t)], { fmod: 1 });
}

function pow(self: Operand, exponent: Operand): Tensor {
  const t = resultType([self, exponent]);
  return onnx1('Pow', [operand(self, t), operand(exponent, t)]);
}

type Compare = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const COMPARE_ONNX: Record<Compare, string> = {
  eq: 'Equal', ne: 'Equal', lt: 'Less', le: 'LessOrEqual', gt: 'Greater', ge: 'GreaterOrEqual',
};

export function compare(kind: Compare, self: Operand, other: Operand): Tensor {
  const t = resultType([self, other]);
  const r = onnx1(COMPARE_ONNX[kind], [operand(self, t), operand(other, t)]);
  return kind === 'ne' ? onnx1('Not', [r]) : r;
}

function minMax(kind: 'Min' | 'Max', self: Tensor, other: Tensor): Tensor {
  const t = resultType([self, other]);
  return onnx1(kind, [castTo(self, t), castTo(other, t)]);
}

function logical(kind: 'And' | 'Or' | 'Xor', self: Tensor, other: Tensor): Tensor {
  return onnx1(kind, [toBool(self), toBool(other)]);
}

export function toBool(t: Tensor): Tensor {
  return t.type === 'bool' ? t : onnx1('Not', [onnx1('Equal', [t, scalarTensor(0, t.type)])]);
}

function bitwise(kind: 'And' | 'Or' | 'Xor', self: Operand, other: Operand, op: string): Tensor {
  const t = resultType([self, other]);
  const a = operand(self, t);
  const b = operand(other, t);
  if (t === 'bool') return onnx1(kind, [a, b]);
  if (!isIntegral(t)) throw new InvalidNodeError(`${op}: bitwise ops need integral or bool tensors, got ${t}`);
  return onnx1(`Bitwise${kind}`, [a, b]);
}

/** torch.where(condition, self, other) with promotion between self and other. */
export function where(cond: Tensor, self: Operand, other: Operand): Tensor {
  const t = resultType([self, other]);
  return onnx1('Where', [toBool(cond), operand(self, t), operand(other, t)]);
}

function maskedFill(self: Tensor, mask: Tensor, value: Operand, op: string): Tensor {
  if (mask.type !== 'bool') throw new InvalidNodeError(`${op}: expected a bool mask, got ${mask.type}`);
  if (value instanceof Tensor && value.rank !== 0) {
    throw new InvalidNodeError(`${op}: only supports a 0-dimensional value tensor, got ${value.rank} dimension(s)`);
  }
  if (self.type === 'float32' && !(value instanceof Tensor)) {
    return maskedFillF32(self, mask, typeof value === 'boolean' ? (value ? 1 : 0) : Number(value), op);
  }
  const v = value instanceof Tensor ? castTo(value, self.type) : scalarTensor(value, self.type);
  return onnx1('Where', [mask, v, self]);
}

/** clamp(self, min, max): min/max may be scalars, tensors or None; NaN propagates. */
export function clamp(self: Tensor, lo: Operand | null, hi: Operand | null, op: string): Tensor {
  if (lo === null && hi === null) throw new InvalidNodeError(`${op}: at least one of 'min' or 'max' must not be None`);
  const t = resultType([self, ...(lo === null ? [] : [lo]), ...(hi === null ? [] : [hi])]);
  let r = castTo(self, t);
  // PyTorch: min(max(x, lo), hi); NaN in x stays NaN (ONNX Max/Min propagate NaN).
  if (lo !== null) r = onnx1('Max', [r, operand(lo, t)]);
  if (hi !== null) r = onnx1('Min', [r, operand(hi, t)]);
  return r;
}

function optOperand(v: TsValue, op: string, name: string): Operand | null {
  return v === null ? null : tensorOrScalar(v, op, name);
}

const T = (v: TsValue, op: string, name = 'self'): Tensor => tensorArg(v, op, name);
const S = (v: TsValue, op: string, name: string): Scalar => scalarArg(v, op, name);
const O = (v: TsValue, op: string, name: string): Operand => tensorOrScalar(v, op, name);

function binary(name: string, fn: (a: Operand, b: Operand) => Tensor, scalarSelf = false): AtenOp[] {
  const ops = [
    aten(name, '(Tensor self, Tensor other)', (a) => fn(T(a[0]!, name), O(a[1]!, name, 'other'))),
    aten(name, '(Tensor self, Scalar other)', (a) => fn(T(a[0]!, name), S(a[1]!, name, 'other'))),
  ];
  if (scalarSelf) ops.push(aten(name, '(Scalar self, Tensor other)', (a) => fn(S(a[0]!, name, 'self'), T(a[1]!, name, 'other'))));
  return ops;
}

/** An in-place binary op: computes out of place, then writes into self. */
function binaryInPlace(name: string, fn: (a: Operand, b: Operand) => Tensor): AtenOp[] {
  return binary(name, fn).map((o) => aten(name, o.schema, (a) => assignInPlace(T(a[0]!, name), o.run(a) as Tensor, `aten::${name}`)));
}

function arithmetic(): AtenOp[] {
  const out: AtenOp[] = [];
  for (const [name, kind] of [['add', 'Add'], ['sub', 'Sub']] as const) {
    for (const suffix of ['', '_']) {
      const n = name + suffix;
      const make = (schema: string) => aten(n, schema, (a) => {
        const self = T(a[0]!, n);
        const other = O(a[1]!, n, 'other');
        const alpha = S(a[2]!, n, 'alpha');
        if (suffix === '_' && isOne(alpha) && f32Pair(self, other)) {
          const r = binaryF32(kind, self, other, `aten::${n}`, self);
          return r === self ? wroteInPlace(self) : assignInPlace(self, r, `aten::${n}`);
        }
        const r = addSub(kind, self, other, alpha, `aten::${n}`);
        return suffix === '' ? r : assignInPlace(self, r, `aten::${n}`);
      });
      out.push(make('(Tensor self, Tensor other, *, Scalar alpha=1)'), make('(Tensor self, Scalar other, Scalar alpha=1)'));
    }
  }
  out.push(
    aten('rsub', '(Tensor self, Tensor other, *, Scalar alpha=1)', (a) => addSub('Sub', O(a[1]!, 'rsub', 'other'), T(a[0]!, 'rsub'), S(a[2]!, 'rsub', 'alpha'), 'aten::rsub')),
    aten('rsub', '(Tensor self, Scalar other, Scalar alpha=1)', (a) => addSub('Sub', O(a[1]!, 'rsub', 'other'), T(a[0]!, 'rsub'), S(a[2]!, 'rsub', 'alpha'), 'aten::rsub')),
  );
  const divMode = (n: string) => (a: readonly TsValue[]) =>
    div(T(a[0]!, n), O(a[1]!, n, 'other'), a[2] === null ? null : strArg(a[2]!, n, 'rounding_mode'), `aten::${n}`);
  const truediv = (x: Operand, y: Operand) => div(x, y, null, 'aten::div');
  const floorDiv = (x: Operand, y: Operand) => div(x, y, 'floor', 'aten::floor_divide');
  out.push(
    ...binary('mul', mul), ...binaryInPlace('mul_', mul),
    ...binary('multiply', mul),
    ...binary('div', truediv), ...binaryInPlace('div_', truediv),
    ...binary('true_divide', truediv), ...binary('divide', truediv),
    aten('div', '(Tensor self, Tensor other, *, str? rounding_mode)', divMode('div')),
    aten('div', '(Tensor self, Scalar other, *, str? rounding_mode)', divMode('div')),
    aten('div_', '(Tensor self, Tensor other, *, str? rounding_mode)', (a) => assignInPlace(T(a[0]!, 'div_'), divMode('div_')(a), 'aten::div_')),
    ...binary('floor_divide', floorDiv), ...binaryInPlace('floor_divide_', floorDiv),
    ...binary('remainder', remainder, true), ...binaryInPlace('remainder_', remainder),
    ...binary('fmod', fmod), ...binaryInPlace('fmod_', fmod),
    aten('pow', '(Tensor self, Tensor exponent)', (a) => pow(T(a[0]!, 'pow'), O(a[1]!, 'pow', 'exponent'))),
    aten('pow', '(Tensor self, Scalar exponent)', (a) => pow(T(a[0]!, 'pow'), S(a[1]!, 'pow', 'exponent'))),
    aten('pow', '(Scalar self, Tensor exponent)', (a) => pow(S(a[0]!, 'pow', 'self'), T(a[1]!, 'pow', 'exponent'))),
    aten('pow_', '(Tensor self, Scalar exponent)', (a) => assignInPlace(T(a[0]!, 'pow_'), pow(a[0] as Tensor, S(a[1]!, 'pow_', 'exponent')), 'aten::pow_')),
    aten('pow_', '(Tensor self, Tensor exponent)', (a) => assignInPlace(T(a[0]!, 'pow_'), pow(a[0] as Tensor, T(a[1]!, 'pow_', 'exponent')), 'aten::pow_')),
  );
  return out;
}

function comparisons(): AtenOp[] {
  const out: AtenOp[] = [];
  for (const k of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
    const fn = (a: Operand, b: Operand) => compare(k, a, b);
    out.push(...binary(k, fn), ...binaryInPlace(`${k}_`, fn));
  }
  const alias: [string, Compare][] = [['greater', 'gt'], ['less', 'lt'], ['greater_equal', 'ge'], ['less_equal', 'le'], ['not_equal', 'ne']];
  for (const [n, k] of alias) out.push(...binary(n, (a, b) => compare(k, a, b)));
  const tensor2 = (n: string, fn: (a: Tensor, b: Tensor) => Tensor) =>
    aten(n, '(Tensor self, Tensor other)', (a) => fn(T(a[0]!, n), T(a[1]!, n, 'other')));
  out.push(
    tensor2('maximum', (a, b) => minMax('Max', a, b)), tensor2('minimum', (a, b) => minMax('Min', a, b)),
    tensor2('max', (a, b) => minMax('Max', a, b)), tensor2('min', (a, b) => minMax('Min', a, b)),
    tensor2('fmax', (a, b) => minMax('Max', a, b)), tensor2('fmin', (a, b) => minMax('Min', a, b)),
    tensor2('logical_and', (a, b) => logical('And', a, b)),
    tensor2('logical_or', (a, b) => logical('Or', a, b)),
    tensor2('logical_xor', (a, b) => logical('Xor', a, b)),
    aten('logical_not', '(Tensor self)', (a) => onnx1('Not', [toBool(T(a[0]!, 'logical_not'))])),
    aten('bitwise_not', '(Tensor self)', (a) => {
      const x = T(a[0]!, 'bitwise_not');
      return x.type === 'bool' ? onnx1('Not', [x]) : onnx1('BitwiseNot', [x]);
    }),
  );
  for (const [n, k] of [['and', 'And'], ['or', 'Or'], ['xor', 'Xor']] as const) {
    const fn = (a: Operand, b: Operand) => bitwise(k, a, b, `aten::bitwise_${n}`);
    out.push(...binary(`bitwise_${n}`, fn), ...binary(`__${n}__`, fn), ...binaryInPlace(`__i${n}__`, fn));
  }
  return out;
}

function selection(): AtenOp[] {
  const w = 'where';
  return [
    aten(w, '(Tensor condition, Tensor self, Tensor other)', (a) => where(T(a[0]!, w, 'condition'), O(a[1]!, w, 'self'), O(a[2]!, w, 'other'))),
    aten(w, '(Tensor condition, Scalar self, Tensor other)', (a) => where(T(a[0]!, w, 'condition'), O(a[1]!, w, 'self'), O(a[2]!, w, 'other'))),
    aten(w, '(Tensor condition, Tensor self, Scalar other)', (a) => where(T(a[0]!, w, 'condition'), O(a[1]!, w, 'self'), O(a[2]!, w, 'other'))),
    aten(w, '(Tensor condition, Scalar self, Scalar other)', (a) => where(T(a[0]!, w, 'condition'), O(a[1]!, w, 'self'), O(a[2]!, w, 'other'))),
    ...withInPlace([
      aten('masked_fill', '(Tensor self, Tensor mask, Scalar value)', (a) => maskedFill(T(a[0]!, 'masked_fill'), T(a[1]!, 'masked_fill', 'mask'), O(a[2]!, 'masked_fill', 'value'), 'aten::masked_fill')),
      aten('masked_fill', '(Tensor self, Tensor mask, Tensor value)', (a) => maskedFill(T(a[0]!, 'masked_fill'), T(a[1]!, 'masked_fill', 'mask'), O(a[2]!, 'masked_fill', 'value'), 'aten::masked_fill')),
    ]),
    ...withInPlace([
      aten('clamp', '(Tensor self, Scalar? min=None, Scalar? max=None)', (a) => clamp(T(a[0]!, 'clamp'), optOperand(a[1]!, 'clamp', 'min'), optOperand(a[2]!, 'clamp', 'max'), 'aten::clamp')),
      aten('clamp', '(Tensor self, Tensor? min=None, Tensor? max=None)', (a) => clamp(T(a[0]!, 'clamp'), optOperand(a[1]!, 'clamp', 'min'), optOperand(a[2]!, 'clamp', 'max'), 'aten::clamp')),
      aten('clip', '(Tensor self, Scalar? min=None, Scalar? max=None)', (a) => clamp(T(a[0]!, 'clip'), optOperand(a[1]!, 'clip', 'min'), optOperand(a[2]!, 'clip', 'max'), 'aten::clip')),
      aten('clamp_min', '(Tensor self, Scalar min)', (a) => clamp(T(a[0]!, 'clamp_min'), O(a[1]!, 'clamp_min', 'min'), null, 'aten::clamp_min')),
      aten('clamp_max', '(Tensor self, Scalar max)', (a) => clamp(T(a[0]!, 'clamp_max'), null, O(a[1]!, 'clamp_max', 'max'), 'aten::clamp_max')),
    ]),
  ];
}

/**
 * addcmul / addcdiv: self + value * (tensor1 op tensor2), composed (timm's ResMLP Affine layer is
 * an addcmul). The product or quotient is taken first, as PyTorch's kernels do.
 */
function pointwiseAccumulate(): AtenOp[] {
  const out: AtenOp[] = [];
  for (const [name, combine] of [['addcmul', (x: Tensor, y: Tensor) => mul(x, y)], ['addcdiv', (x: Tensor, y: Tensor) => div(x, y, null, 'aten::addcdiv')]] as const) {
    const run = (a: readonly TsValue[], n: string) => {
      const self = T(a[0]!, n);
      const t1 = T(a[1]!, n, 'tensor1');
      const t2 = T(a[2]!, n, 'tensor2');
      if (name === 'addcdiv' && isIntegral(t1.type) && isIntegral(t2.type)) {
        throw new InvalidNodeError(`aten::${n}: integer division with addcdiv is no longer supported; divide tensor1 by tensor2 with true_divide first`);
      }
      return addSub('Add', self, combine(t1, t2), S(a[3]!, n, 'value'), `aten::${n}`);
    };
    const schema = '(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1)';
    out.push(
      aten(name, schema, (a) => run(a, name)),
      aten(`${name}_`, schema, (a) => assignInPlace(T(a[0]!, `${name}_`), run(a, `${name}_`), `aten::${name}_`)),
    );
  }
  return out;
}

export const elementwiseOps: readonly AtenOp[] = [...arithmetic(), ...comparisons(), ...selection(), ...pointwiseAccumulate()];
