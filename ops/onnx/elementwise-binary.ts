// Elementwise binary and variadic operators with numpy broadcasting: arithmetic, Pow, Mod,
// Min/Max/Sum/Mean, comparisons, logical and bitwise ops, Where and PRelu.
// Opsets before 7 broadcast only with the `broadcast` / `axis` attributes; those definitions
// align the second operand at `axis` and then use the same kernels.
// Integer Div and Mod (both fmod modes) by zero raise InvalidNodeError naming the node, as
// onnxruntime and PyTorch do; the spec is silent and numpy (onnx.reference) returns 0 with a
// warning. An empty output divides nothing and does not raise. Float division stays IEEE.

import { broadcastShapes } from '../../kernels/broadcast.js';
import { type BigArray, binaryBig, bitwiseNotBig } from '../../kernels/elementwise-binary-bigint.js';
import { type CompareOp, compareBig, compareNumber, compareString } from '../../kernels/elementwise-binary-compare.js';
import { broadcastCopy, broadcastPlan } from '../../kernels/elementwise-binary-plan.js';
import { powKernel, type PowArray } from '../../kernels/elementwise-binary-pow.js';
import { elementwiseSpec, gpuBinarySupported } from '../../kernels/gpujs/elementwise.js';
import { whereKernel } from '../../kernels/elementwise-binary-where.js';
import {
  type FloatBinaryOp, type IntArray, type IntBinaryOp,
  binaryFloat, binaryInt, bitwiseNotInt,
} from '../../kernels/elementwise-binary.js';
import { DATA_TYPES, type DataType, allocate, isBigIntType, isFloatType, isIntegerType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloatOut, floatData, floatTensor } from '../compute.js';
import { gpuProducts } from '../engine.js';
import { type Attrs, type OpContext, type OpDef, op } from '../op-def.js';
import { broadcast, broadcastOf, elemOf, sameAs, shapeOf, tensorType } from '../infer-helpers.js';

// ---- Type classes ----------------------------------------------------------------------

type TypeClass = 'numeric' | 'float' | 'integer' | 'unsigned' | 'bool' | 'any';

const UNSIGNED = new Set<DataType>(['uint8', 'uint16', 'uint32', 'uint64']);

function inClass(t: DataType, c: TypeClass): boolean {
  switch (c) {
    case 'numeric': return isFloatType(t) || isIntegerType(t);
    case 'float': return isFloatType(t);
    case 'integer': return isIntegerType(t);
    case 'unsigned': return UNSIGNED.has(t);
    case 'bool': return t === 'bool';
    case 'any': return true;
  }
}

const CLASS_NAMES: Record<TypeClass, string> = {
  numeric: 'numeric', float: 'float', integer: 'integer', unsigned: 'unsigned integer', bool: 'bool', any: 'any',
};

function checkType(name: string, t: Tensor, c: TypeClass, which: string): void {
  if (!inClass(t.type, c)) {
    throw new InvalidNodeError(`${name}: ${which} has type ${t.type}, expected a ${CLASS_NAMES[c]} type`);
  }
}

function sameType(name: string, ts: readonly Tensor[]): void {
  for (let i = 1; i < ts.length; i++) {
    if (ts[i]!.type !== ts[0]!.type) {
      throw new InvalidNodeError(`${name}: input ${i} has type ${ts[i]!.type} but input 0 has ${ts[0]!.type}`);
    }
  }
}

function required(name: string, inputs: readonly (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (t === undefined) throw new InvalidNodeError(`${name}: input ${i} is required`);
  return t;
}

const fmt = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

function broadcastOrThrow(name: string, dims: readonly (readonly number[])[]): number[] {
  const out = broadcastShapes(...dims);
  if (out === null) throw new ShapeError(`${name}: shapes ${dims.map(fmt).join(', ')} do not broadcast`);
  return out;
}

// ---- Legacy (opset < 7) broadcasting -----------------------------------------------------

interface LegacyAttrs { readonly broadcast: boolean; readonly axis: number | null }

function parseLegacy(a: Attrs): LegacyAttrs {
  return Object.freeze({ broadcast: a.int('broadcast', 0) !== 0, axis: a.has('axis') ? a.int('axis') : null });
}

/** B's dims as seen by numpy broadcasting under the opset-1..6 `broadcast` / `axis` rule. */
function legacyDims(name: string, a: Tensor, b: Tensor, attrs: LegacyAttrs): readonly number[] {
  if (!attrs.broadcast || attrs.axis === null) return b.dims;
  const axis = attrs.axis < 0 ? attrs.axis + a.rank : attrs.axis;
  const trailing = a.rank - axis - b.rank;
  if (axis < 0 || trailing < 0) {
    throw new ShapeError(`${name}: broadcast axis ${attrs.axis} does not fit ${fmt(b.dims)} into ${fmt(a.dims)}`);
  }
  return [...b.dims, ...new Array<number>(trailing).fill(1)];
}

// ---- Arithmetic ------------------------------------------------------------------------

const DIVISIONS: ReadonlySet<IntBinaryOp> = new Set(['Div', 'Mod', 'Fmod']);

/**
 * Integer Div and Mod by zero fail the run, naming the node (the runtime adds it): the spec says
 * nothing, numpy (so onnx.reference) returns 0 with a warning, onnxruntime and PyTorch raise. A
 * silent 0 hides the bug, so tessera raises too. Called only when the output is not empty, so
 * every element of the divisor is used (onnxruntime also raises for an empty output).
 */
function refuseZeroDivisor(name: string, b: Tensor): void {
  const zero = isBigIntType(b.type) ? (b.data as BigArray).includes(0n) : (b.data as IntArray).includes(0);
  if (zero) throw new InvalidNodeError(`${name}: integer division by zero (the divisor, input 1 of type ${b.type}, holds 0)`);
}

/** out = a (op) b for two tensors of one type; `bDims` overrides b's dims (legacy axis). */
function arithmetic(
  name: string, kind: IntBinaryOp, a: Tensor, b: Tensor, bDims: readonly number[] = b.dims,
): Tensor {
  const dims = broadcastOrThrow(name, [a.dims, bDims]);
  const plan = broadcastPlan([a.dims, bDims], dims);
  const type = a.type;
  if (isFloatType(type)) {
    const out = allocFloatOut(type, plan.size);
    binaryFloat(kind as FloatBinaryOp, floatData(a), floatData(b), out, plan);
    return floatTensor(type, out, dims);
  }
  if (DIVISIONS.has(kind) && plan.size > 0) refuseZeroDivisor(name, b);
  const out = allocate(type, plan.size);
  if (isBigIntType(type)) binaryBig(kind, a.data as BigArray, b.data as BigArray, out as BigArray, plan);
  else binaryInt(kind, a.data as IntArray, b.data as IntArray, out as IntArray, plan);
  return new Tensor(type, out, dims);
}

const notConstant = (): boolean => false;

/** Float32 Add/Sub/Mul/Div offered to the 'webgl' backend's GPU (null: no GPU, or it declined). */
function arithmeticOnGpu(name: string, kind: IntBinaryOp, a: Tensor, b: Tensor, ctx: OpContext | undefined): Tensor | null {
  const gpu = gpuProducts();
  if (gpu === null || ctx === undefined || a.type !== 'float32' || !gpuBinarySupported(kind)) return null;
  const dims = broadcastOrThrow(name, [a.dims, b.dims]);
  return gpu.elementwise(ctx.node, elementwiseSpec(kind, [a.dims, b.dims], dims), [a, b], dims, ctx.isConstant ?? notConstant);
}

function binaryOps(name: string, kind: IntBinaryOp, cls: TypeClass, since: number, legacySince?: number): OpDef[] {
  const check = (inputs: readonly (Tensor | undefined)[]): [Tensor, Tensor] => {
    const a = required(name, inputs, 0);
    const b = required(name, inputs, 1);
    checkType(name, a, cls, 'input 0');
    sameType(name, [a, b]);
    return [a, b];
  };
  const defs: OpDef[] = [
    op({
      name, since, infer: broadcastOf(),
      run: (inputs, _attrs, ctx) => {
        const [a, b] = check(inputs);
        return [arithmeticOnGpu(name, kind, a, b, ctx) ?? arithmetic(name, kind, a, b)];
      },
    }),
  ];
  if (legacySince !== undefined) {
    defs.push(op({
      name, since: legacySince, parse: parseLegacy, infer: sameAs(0),
      run: (inputs, attrs) => {
        const [a, b] = check(inputs);
        return [arithmetic(name, kind, a, b, legacyDims(name, a, b, attrs))];
      },
    }));
  }
  return defs;
}

// ---- Mod -------------------------------------------------------------------------------

interface ModAttrs { readonly fmod: boolean }

const modOp = op<ModAttrs>({
  name: 'Mod', since: 10, infer: broadcastOf(),
  parse: (a) => Object.freeze({ fmod: a.int('fmod', 0) !== 0 }),
  run: (inputs, attrs) => {
    const a = required('Mod', inputs, 0);
    const b = required('Mod', inputs, 1);
    checkType('Mod', a, 'numeric', 'input 0');
    sameType('Mod', [a, b]);
    if (isFloatType(a.type) && !attrs.fmod) {
      throw new InvalidNodeError(`Mod: fmod must be 1 for floating-point inputs (got ${a.type} with fmod=0)`);
    }
    return [arithmetic('Mod', attrs.fmod ? 'Fmod' : 'Mod', a, b)];
  },
});

// ---- Pow -------------------------------------------------------------------------------

/** Pow(T, T1) -> T: the exponent may have another numeric type than the base. */
function pow(a: Tensor, b: Tensor, bDims: readonly number[] = b.dims): Tensor {
  checkType('Pow', a, 'numeric', 'base');
  checkType('Pow', b, 'numeric', 'exponent');
  const dims = broadcastOrThrow('Pow', [a.dims, bDims]);
  const plan = broadcastPlan([a.dims, bDims], dims);
  const base = isFloatType(a.type) ? floatData(a) : (a.data as PowArray);
  const exponent = isFloatType(b.type) ? floatData(b) : (b.data as PowArray);
  if (isFloatType(a.type)) {
    const out = allocFloatOut(a.type, plan.size);
    powKernel(base, exponent, out, plan);
    return floatTensor(a.type, out, dims);
  }
  const out = allocate(a.type, plan.size) as PowArray;
  powKernel(base, exponent, out, plan);
  return new Tensor(a.type, out, dims);
}

const powOps: OpDef[] = [
  op({ name: 'Pow', since: 7, infer: broadcastOf(), run: (inputs) => [pow(required('Pow', inputs, 0), required('Pow', inputs, 1))] }),
  op({
    name: 'Pow', since: 1, parse: parseLegacy, infer: sameAs(0),
    run: (inputs, attrs) => {
      const a = required('Pow', inputs, 0);
      const b = required('Pow', inputs, 1);
      return [pow(a, b, legacyDims('Pow', a, b, attrs))];
    },
  }),
];

// ---- Variadic: Min, Max, Sum, Mean -------------------------------------------------------

function variadic(
  name: string, kind: 'Min' | 'Max' | 'Add', cls: TypeClass, inputs: readonly (Tensor | undefined)[], mean: boolean,
): Tensor {
  const ts = inputs.filter((t): t is Tensor => t !== undefined);
  if (ts.length === 0) throw new InvalidNodeError(`${name}: needs at least one input`);
  checkType(name, ts[0]!, cls, 'input 0');
  sameType(name, ts);
  const dims = broadcastOrThrow(name, ts.map((t) => t.dims));
  const type = ts[0]!.type;
  const firstPlan = broadcastPlan([ts[0]!.dims], dims);
  if (isFloatType(type)) {
    const out = allocFloatOut(type, firstPlan.size);
    broadcastCopy(floatData(ts[0]!), out, firstPlan);
    for (let k = 1; k < ts.length; k++) {
      binaryFloat(kind, out, floatData(ts[k]!), out, broadcastPlan([dims, ts[k]!.dims], dims));
    }
    if (mean && ts.length > 1) {
      const n = type === 'float64' ? Float64Array.of(ts.length) : Float32Array.of(ts.length);
      binaryFloat('Div', out, n, out, broadcastPlan([dims, []], dims));
    }
    return floatTensor(type, out, dims);
  }
  const out = allocate(type, firstPlan.size) as IntArray | BigArray;
  broadcastCopy<number | bigint>(ts[0]!.data as IntArray | BigArray, out, firstPlan);
  for (let k = 1; k < ts.length; k++) {
    const plan = broadcastPlan([dims, ts[k]!.dims], dims);
    if (isBigIntType(type)) binaryBig(kind, out as BigArray, ts[k]!.data as BigArray, out as BigArray, plan);
    else binaryInt(kind, out as IntArray, ts[k]!.data as IntArray, out as IntArray, plan);
  }
  return new Tensor(type, out, dims);
}

const variadicOps: OpDef[] = [
  op({ name: 'Min', since: 1, infer: broadcastOf(), run: (inputs) => [variadic('Min', 'Min', 'numeric', inputs, false)] }),
  op({ name: 'Max', since: 1, infer: broadcastOf(), run: (inputs) => [variadic('Max', 'Max', 'numeric', inputs, false)] }),
  op({ name: 'Sum', since: 1, infer: broadcastOf(), run: (inputs) => [variadic('Sum', 'Add', 'numeric', inputs, false)] }),
  op({ name: 'Mean', since: 1, infer: broadcastOf(), run: (inputs) => [variadic('Mean', 'Add', 'float', inputs, true)] }),
];

// ---- Comparisons -------------------------------------------------------------------------

function compare(name: CompareOp, a: Tensor, b: Tensor, bDims: readonly number[] = b.dims): Tensor {
  sameType(name, [a, b]);
  const dims = broadcastOrThrow(name, [a.dims, bDims]);
  const plan = broadcastPlan([a.dims, bDims], dims);
  const out = new Uint8Array(plan.size);
  if (a.type === 'string') {
    if (name !== 'Equal') throw new InvalidNodeError(`${name}: string inputs are not supported`);
    compareString(name, a.data as string[], b.data as string[], out, plan);
  } else if (isBigIntType(a.type)) {
    compareBig(name, a.data as BigArray, b.data as BigArray, out, plan);
  } else if (isFloatType(a.type) || isIntegerType(a.type) || a.type === 'bool') {
    const x = isFloatType(a.type) ? floatData(a) : (a.data as IntArray);
    const y = isFloatType(b.type) ? floatData(b) : (b.data as IntArray);
    compareNumber(name, x, y, out, plan);
  } else {
    throw new InvalidNodeError(`${name}: type ${a.type} is not supported`);
  }
  return new Tensor('bool', out, dims);
}

function compareOps(name: CompareOp, since: number, legacySince?: number): OpDef[] {
  const defs: OpDef[] = [
    op({ name, since, infer: broadcastOf('bool'), run: (inputs) => [compare(name, required(name, inputs, 0), required(name, inputs, 1))] }),
  ];
  if (legacySince !== undefined) {
    defs.push(op({
      name, since: legacySince, parse: parseLegacy, infer: sameAs(0, 'bool'),
      run: (inputs, attrs) => {
        const a = required(name, inputs, 0);
        const b = required(name, inputs, 1);
        return [compare(name, a, b, legacyDims(name, a, b, attrs))];
      },
    }));
  }
  return defs;
}

// ---- BitShift, BitwiseNot ------------------------------------------------------------------

interface BitShiftAttrs { readonly left: boolean }

const bitShiftOp = op<BitShiftAttrs>({
  name: 'BitShift', since: 11, infer: broadcastOf(),
  parse: (a) => {
    const direction = a.string('direction');
    if (direction !== 'LEFT' && direction !== 'RIGHT') {
      throw new InvalidNodeError(`BitShift: direction must be 'LEFT' or 'RIGHT', got '${direction}'`);
    }
    return Object.freeze({ left: direction === 'LEFT' });
  },
  run: (inputs, attrs) => {
    const a = required('BitShift', inputs, 0);
    const b = required('BitShift', inputs, 1);
    checkType('BitShift', a, 'unsigned', 'input 0');
    sameType('BitShift', [a, b]);
    return [arithmetic('BitShift', attrs.left ? 'ShiftLeft' : 'ShiftRight', a, b)];
  },
});

const bitwiseNotOp = op({
  name: 'BitwiseNot', since: 18, infer: sameAs(0),
  run: (inputs) => {
    const a = required('BitwiseNot', inputs, 0);
    checkType('BitwiseNot', a, 'integer', 'input 0');
    const out = allocate(a.type, a.size);
    if (isBigIntType(a.type)) bitwiseNotBig(a.data as BigArray, out as BigArray);
    else bitwiseNotInt(a.data as IntArray, out as IntArray);
    return [new Tensor(a.type, out, a.dims)];
  },
});

// ---- Where -----------------------------------------------------------------------------

const whereOp = op({
  name: 'Where', since: 9,
  infer: (inputs) => [tensorType(elemOf(inputs[1]), broadcast([inputs[0], inputs[1], inputs[2]].map(shapeOf)))],
  run: (inputs) => {
    const cond = required('Where', inputs, 0);
    const x = required('Where', inputs, 1);
    const y = required('Where', inputs, 2);
    checkType('Where', cond, 'bool', 'condition');
    if (x.type !== y.type) throw new InvalidNodeError(`Where: X has type ${x.type} but Y has ${y.type}`);
    if (DATA_TYPES[x.type].slots !== 1) throw new InvalidNodeError(`Where: type ${x.type} is not supported`);
    const dims = broadcastOrThrow('Where', [cond.dims, x.dims, y.dims]);
    const plan = broadcastPlan([cond.dims, x.dims, y.dims], dims);
    const out = allocate(x.type, plan.size);
    if (Array.isArray(out)) {
      whereKernel<string>(cond.data as Uint8Array, x.data as string[], y.data as string[], out, plan);
    } else {
      // Copies element slots as stored: half-float bit patterns need no conversion.
      whereKernel<number | bigint>(cond.data as Uint8Array, x.data as IntArray, y.data as IntArray, out as IntArray, plan);
    }
    return [new Tensor(x.type, out, dims)];
  },
});

// ---- PRelu -----------------------------------------------------------------------------

/** Slope dims for unidirectional broadcasting to X, checked. */
function preluSlopeDims(x: Tensor, slopeDims: readonly number[]): readonly number[] {
  const dims = broadcastShapes(x.dims, slopeDims);
  if (dims === null || dims.length !== x.rank || dims.some((d, i) => d !== x.dims[i])) {
    throw new ShapeError(`PRelu: slope shape ${fmt(slopeDims)} does not broadcast to X shape ${fmt(x.dims)}`);
  }
  return slopeDims;
}

function prelu(x: Tensor, slope: Tensor, slopeDims: readonly number[]): Tensor {
  checkType('PRelu', x, 'numeric', 'X');
  sameType('PRelu', [x, slope]);
  return arithmetic('PRelu', 'PRelu', x, slope, preluSlopeDims(x, slopeDims));
}

const preluOps: OpDef[] = [
  op({
    name: 'PRelu', since: 7, infer: sameAs(0),
    run: (inputs) => {
      const x = required('PRelu', inputs, 0);
      const slope = required('PRelu', inputs, 1);
      return [prelu(x, slope, slope.dims)];
    },
  }),
  op({
    // Opset 1-6: the slope has X's shape, one element, or (as exporters wrote it) one value
    // per channel along axis 1.
    name: 'PRelu', since: 1, infer: sameAs(0),
    run: (inputs) => {
      const x = required('PRelu', inputs, 0);
      const slope = required('PRelu', inputs, 1);
      let dims = slope.dims;
      if (slope.rank === 1 && x.rank >= 2 && slope.dims[0] === x.dims[1] && slope.dims[0] !== 1) {
        dims = [slope.dims[0]!, ...new Array<number>(x.rank - 2).fill(1)];
      }
      return [prelu(x, slope, dims)];
    },
  }),
];

// ---- The list --------------------------------------------------------------------------

export const elementwiseBinaryOps: OpDef[] = [
  ...binaryOps('Add', 'Add', 'numeric', 7, 1),
  ...binaryOps('Sub', 'Sub', 'numeric', 7, 1),
  ...binaryOps('Mul', 'Mul', 'numeric', 7, 1),
  ...binaryOps('Div', 'Div', 'numeric', 7, 1),
  ...binaryOps('And', 'BitwiseAnd', 'bool', 7, 1),
  ...binaryOps('Or', 'BitwiseOr', 'bool', 7, 1),
  ...binaryOps('Xor', 'BitwiseXor', 'bool', 7, 1),
  ...binaryOps('BitwiseAnd', 'BitwiseAnd', 'integer', 18),
  ...binaryOps('BitwiseOr', 'BitwiseOr', 'integer', 18),
  ...binaryOps('BitwiseXor', 'BitwiseXor', 'integer', 18),
  modOp,
  ...powOps,
  ...variadicOps,
  ...compareOps('Equal', 7, 1),
  ...compareOps('Less', 7, 1),
  ...compareOps('Greater', 7, 1),
  ...compareOps('LessOrEqual', 12),
  ...compareOps('GreaterOrEqual', 12),
  bitShiftOp,
  bitwiseNotOp,
  whereOp,
  ...preluOps,
];
