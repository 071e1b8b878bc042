// Elementwise unary ONNX operators: math functions, activations, Clip, IsNaN/IsInf, Not.
// Float16/bfloat16 are computed in float32 and rounded back; integer inputs are accepted by the
// ops whose spec allows them (Abs, Neg, Sign, Relu, Clip).

import {
  type ActivationOp, activationFloat,
} from '../../kernels/activation.js';
import { type CastData, type CastType, castElements } from '../../kernels/cast.js';
import {
  type BigIntArray, type IntArray, type UnaryFloatOp, type UnaryIntOp,
  clipBigInt, clipFloat, clipInt, isInfFloat, isNaNFloat, notBool, unaryBigInt, unaryFloat, unaryInt,
} from '../../kernels/elementwise-unary.js';
import { elementwiseSpec, gpuUnarySupported } from '../../kernels/gpujs/elementwise.js';
import { allocate, isBigIntType, isFloatType, isIntegerType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloatOut, floatData, floatTensor } from '../compute.js';
import { gpuProducts } from '../engine.js';
import { type Attrs, type OpContext, type OpDef, op } from '../op-def.js';
import { sameAs } from '../infer-helpers.js';

function input(name: string, inputs: readonly (Tensor | undefined)[], index: number): Tensor {
  const t = inputs[index];
  if (t === undefined) throw new InvalidNodeError(`${name}: input ${index} is required`);
  return t;
}

function floatInput(name: string, inputs: readonly (Tensor | undefined)[]): Tensor {
  const x = input(name, inputs, 0);
  if (!isFloatType(x.type)) {
    throw new InvalidNodeError(`${name}: expected a float16/bfloat16/float32/float64 input, got ${x.type}`);
  }
  return x;
}

/** A float tensor through a float kernel; float16/bfloat16 go through float32. */
function mapFloat(x: Tensor, kernel: (src: Float32Array | Float64Array, dst: Float32Array | Float64Array) => void): Tensor {
  const out = allocFloatOut(x.type, x.size);
  kernel(floatData(x), out);
  return floatTensor(x.type, out, x.dims);
}

const notConstant = (): boolean => false;

/**
 * A float32 unary op offered to the 'webgl' backend's GPU (null: no GPU, no shader for `opName`,
 * or it declined). Clip passes its bounds as alpha (min) and beta (max).
 */
function unaryOnGpu(opName: string, x: Tensor, ctx: OpContext | undefined, alpha = 0, beta = 0, gamma = 0): Tensor | null {
  const gpu = gpuProducts();
  if (gpu === null || ctx === undefined || x.type !== 'float32' || !gpuUnarySupported(opName)) return null;
  return gpu.elementwise(ctx.node, elementwiseSpec(opName, [x.dims], x.dims, alpha, beta, gamma), [x], x.dims, ctx.isConstant ?? notConstant);
}

/** Runs an integer op on an int tensor of any width. */
function mapInt(name: string, opName: UnaryIntOp, x: Tensor): Tensor {
  if (!isIntegerType(x.type)) {
    throw new InvalidNodeError(`${name}: unsupported input type ${x.type}`);
  }
  const out = allocate(x.type, x.size);
  if (isBigIntType(x.type)) unaryBigInt(opName, x.data as BigIntArray, out as BigIntArray);
  else unaryInt(opName, x.data as IntArray, out as IntArray);
  return new Tensor(x.type, out, x.dims);
}

/** A parameterless math op on floats (and, for `intOp`, on integers too). */
function mathOp(name: UnaryFloatOp, since: number, intOp?: UnaryIntOp): OpDef {
  return op({
    name,
    since,
    infer: sameAs(0),
    run: (inputs, _attrs, ctx) => {
      const x = input(name, inputs, 0);
      if (intOp !== undefined && !isFloatType(x.type)) return [mapInt(name, intOp, x)];
      const f = floatInput(name, inputs);
      const y = unaryOnGpu(name, f, ctx);
      if (y !== null) return [y];
      return [mapFloat(f, (src, dst) => unaryFloat(name, src, dst))];
    },
  });
}

interface ActivationAttrs {
  readonly op: ActivationOp;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
}

/** An activation on floats; `parse` reads its parameters into alpha/beta/gamma. */
function activation(
  name: string, since: number, parse: (a: Attrs) => ActivationAttrs, intOp?: UnaryIntOp,
): OpDef {
  return op<ActivationAttrs>({
    name,
    since,
    parse: (a) => Object.freeze(parse(a)),
    infer: sameAs(0),
    run: (inputs, attrs, ctx) => {
      const x = input(name, inputs, 0);
      if (intOp !== undefined && !isFloatType(x.type)) return [mapInt(name, intOp, x)];
      const f = floatInput(name, inputs);
      const y = unaryOnGpu(attrs.op, f, ctx, attrs.alpha, attrs.beta, attrs.gamma);
      if (y !== null) return [y];
      return [mapFloat(f, (src, dst) => activationFloat(attrs.op, src, dst, attrs.alpha, attrs.beta, attrs.gamma))];
    },
  });
}

const plain = (opName: ActivationOp) => (): ActivationAttrs => ({ op: opName, alpha: 0, beta: 0, gamma: 0 });
const withAlpha = (opName: ActivationOp, alpha: number) => (a: Attrs): ActivationAttrs =>
  ({ op: opName, alpha: a.float('alpha', alpha), beta: 0, gamma: 0 });

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;
const FLT_MAX = 3.4028234663852886e38;

function parseGelu(a: Attrs): ActivationAttrs {
  const approximate = a.string('approximate', 'none');
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new InvalidNodeError(`Gelu: approximate must be 'none' or 'tanh', got '${approximate}'`);
  }
  return { op: approximate === 'tanh' ? 'GeluTanh' : 'Gelu', alpha: 0, beta: 0, gamma: 0 };
}

// ---- Clip ----

interface ClipAttrs {
  readonly min: number;
  readonly max: number;
}

/** A Clip bound given as an optional scalar input (opset 11+). */
function bound(x: Tensor, t: Tensor | undefined, which: string): Tensor | undefined {
  if (t === undefined) return undefined;
  if (t.size !== 1) throw new ShapeError(`Clip: ${which} must be a scalar, got shape [${t.dims.join(', ')}]`);
  if (t.type !== x.type) throw new InvalidNodeError(`Clip: ${which} has type ${t.type} but input has type ${x.type}`);
  return t;
}

function clipTensor(x: Tensor, lo: Tensor | undefined, hi: Tensor | undefined, ctx: OpContext | undefined): Tensor {
  if (isFloatType(x.type)) {
    const l = lo ? floatData(lo)[0]! : -Infinity;
    const h = hi ? floatData(hi)[0]! : Infinity;
    return clipOnGpu(x, l, h, ctx) ?? mapFloat(x, (src, dst) => clipFloat(src, dst, l, h));
  }
  if (!isIntegerType(x.type)) throw new InvalidNodeError(`Clip: unsupported input type ${x.type}`);
  const out = allocate(x.type, x.size);
  if (isBigIntType(x.type)) {
    const l = lo ? (lo.data as BigIntArray)[0]! : -(2n ** 64n);
    const h = hi ? (hi.data as BigIntArray)[0]! : 2n ** 64n;
    clipBigInt(x.data as BigIntArray, out as BigIntArray, l, h);
  } else {
    const l = lo ? (lo.data as IntArray)[0]! : -Infinity;
    const h = hi ? (hi.data as IntArray)[0]! : Infinity;
    clipInt(x.data as IntArray, out as IntArray, l, h);
  }
  return new Tensor(x.type, out, x.dims);
}

/** Clip on the GPU (bounds baked into the shader; a NaN bound stays on the CPU). */
function clipOnGpu(x: Tensor, lo: number, hi: number, ctx: OpContext | undefined): Tensor | null {
  return Number.isNaN(lo) || Number.isNaN(hi) ? null : unaryOnGpu('Clip', x, ctx, lo, hi);
}

const clip6 = op<ClipAttrs>({
  name: 'Clip',
  since: 1,
  infer: sameAs(0),
  parse: (a) => Object.freeze({ min: a.float('min', -FLT_MAX), max: a.float('max', FLT_MAX) }),
  run: (inputs, attrs, ctx) => {
    const x = floatInput('Clip', inputs);
    return [clipOnGpu(x, attrs.min, attrs.max, ctx) ?? mapFloat(x, (src, dst) => clipFloat(src, dst, attrs.min, attrs.max))];
  },
});

const clip11 = op({
  name: 'Clip',
  since: 11,
  infer: sameAs(0),
  run: (inputs, _attrs, ctx) => {
    const x = input('Clip', inputs, 0);
    return [clipTensor(x, bound(x, inputs[1], 'min'), bound(x, inputs[2], 'max'), ctx)];
  },
});

// ---- Predicates ----

interface IsInfAttrs {
  readonly positive: boolean;
  readonly negative: boolean;
}

const SMALL_FLOATS: ReadonlySet<string> = new Set([
  'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
]);

/** The values of a float tensor of any width (float8 included, opset 20) as a float array. */
function predicateValues(name: string, x: Tensor): Float32Array | Float64Array {
  if (isFloatType(x.type)) return floatData(x);
  if (!SMALL_FLOATS.has(x.type)) throw new InvalidNodeError(`${name}: expected a float input, got ${x.type}`);
  const out = new Float32Array(x.size);
  castElements(x.data as CastData, x.type as CastType, out, 'float32', { saturate: true, roundMode: 'up' });
  return out;
}

const isNaNOp = op({
  name: 'IsNaN',
  infer: sameAs(0, 'bool'),
  since: 9,
  run: (inputs) => {
    const x = input('IsNaN', inputs, 0);
    const out = new Uint8Array(x.size);
    isNaNFloat(predicateValues('IsNaN', x), out);
    return [new Tensor('bool', out, x.dims)];
  },
});

const isInf = op<IsInfAttrs>({
  name: 'IsInf',
  infer: sameAs(0, 'bool'),
  since: 10,
  parse: (a) => Object.freeze({
    positive: a.int('detect_positive', 1) !== 0,
    negative: a.int('detect_negative', 1) !== 0,
  }),
  run: (inputs, attrs) => {
    const x = input('IsInf', inputs, 0);
    const out = new Uint8Array(x.size);
    isInfFloat(predicateValues('IsInf', x), out, attrs.positive, attrs.negative);
    return [new Tensor('bool', out, x.dims)];
  },
});

const not = op({
  name: 'Not',
  infer: sameAs(0, 'bool'),
  since: 1,
  run: (inputs) => {
    const x = input('Not', inputs, 0);
    if (x.type !== 'bool') throw new InvalidNodeError(`Not: expected a bool input, got ${x.type}`);
    const out = new Uint8Array(x.size);
    notBool(x.data as Uint8Array, out);
    return [new Tensor('bool', out, x.dims)];
  },
});

export const elementwiseUnaryOps: OpDef[] = [
  mathOp('Abs', 1, 'Abs'),
  mathOp('Neg', 1, 'Neg'),
  mathOp('Sign', 9, 'Sign'),
  mathOp('Reciprocal', 1),
  mathOp('Sqrt', 1),
  mathOp('Exp', 1),
  mathOp('Log', 1),
  mathOp('Erf', 9),
  mathOp('Sin', 7),
  mathOp('Cos', 7),
  mathOp('Tan', 7),
  mathOp('Asin', 7),
  mathOp('Acos', 7),
  mathOp('Atan', 7),
  mathOp('Sinh', 9),
  mathOp('Cosh', 9),
  mathOp('Asinh', 9),
  mathOp('Acosh', 9),
  mathOp('Atanh', 9),
  mathOp('Floor', 1),
  mathOp('Ceil', 1),
  mathOp('Round', 11),
  activation('Relu', 1, plain('Relu'), 'Relu'),
  activation('LeakyRelu', 1, withAlpha('LeakyRelu', 0.01)),
  activation('Elu', 1, withAlpha('Elu', 1)),
  activation('Selu', 1, (a) => ({
    op: 'Selu', alpha: a.float('alpha', SELU_ALPHA), beta: 0, gamma: a.float('gamma', SELU_GAMMA),
  })),
  activation('Celu', 12, withAlpha('Celu', 1)),
  activation('Gelu', 20, parseGelu),
  activation('Sigmoid', 1, plain('Sigmoid')),
  activation('HardSigmoid', 1, (a) => ({
    op: 'HardSigmoid', alpha: a.float('alpha', 0.2), beta: a.float('beta', 0.5), gamma: 0,
  })),
  activation('HardSwish', 14, () => ({ op: 'HardSwish', alpha: 1 / 6, beta: 0.5, gamma: 0 })),
  activation('Tanh', 1, plain('Tanh')),
  activation('Softplus', 1, plain('Softplus')),
  activation('Softsign', 1, plain('Softsign')),
  activation('Mish', 18, plain('Mish')),
  activation('ThresholdedRelu', 10, withAlpha('ThresholdedRelu', 1)),
  activation('Shrink', 9, (a) => ({
    op: 'Shrink', alpha: a.float('lambd', 0.5), beta: a.float('bias', 0), gamma: 0,
  })),
  activation('Swish', 24, withAlpha('Swish', 1)),
  clip6,
  clip11,
  isNaNOp,
  isInf,
  not,
];
