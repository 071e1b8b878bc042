// BatchNormalization, InstanceNormalization, GroupNormalization, LayerNormalization,
// RMSNormalization, LpNormalization, MeanVarianceNormalization, LRN.

import { broadcastIndexMap, broadcastShapes } from '../../kernels/broadcast.js';
import {
  affineRowsFloat, batchNormFloat, channelMeanVarianceFloat, groupNormFloat, lpNormalizeFloat, lrnFloat,
  meanVarianceNormalizeFloat, rmsNormalizeRowsFloat, runningAverageFloat, standardizeRowsFloat, layerNormRowsF32,
} from '../../kernels/normalization.js';
import { normalizeAxis, shapeSize, sizeBetween } from '../../kernels/strides.js';
import { type DataType, dataTypeFromOnnx, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { type FloatArray, allocFloat, allocFloatOut, floatData, floatTensor } from '../compute.js';
import type { ValueType } from '../../src/ir/graph.js';
import { elemOf, normAxis, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpContext, type OpDef, op } from '../op-def.js';
import type { Value } from '../../src/value.js';

type Inputs = readonly (Tensor | undefined)[];

function floatInput(name: string, inputs: Inputs, i: number, what: string): Tensor {
  const t = inputs[i];
  if (!t) throw new ShapeError(`${name}: input ${what} is missing`);
  if (!isFloatType(t.type)) throw new ShapeError(`${name}: input ${what} must be a float tensor, got ${t.type}`);
  return t;
}

function optionalFloatInput(name: string, inputs: Inputs, i: number, what: string): Tensor | undefined {
  return inputs[i] ? floatInput(name, inputs, i, what) : undefined;
}

/** A per-channel parameter: must hold exactly `n` elements. */
function perChannel(name: string, t: Tensor, what: string, n: number): FloatArray {
  if (t.size !== n) {
    throw new ShapeError(`${name}: ${what} of shape [${t.dims.join(', ')}] should hold ${n} element(s)`);
  }
  return floatData(t);
}

function requireRank(name: string, x: Tensor, min: number): void {
  if (x.dims.length < min) throw new ShapeError(`${name}: input of shape [${x.dims.join(', ')}] needs rank >= ${min}`);
}

/** Number of outputs the node asks for (trailing omitted outputs do not count). */
function outputCount(ctx: OpContext): number {
  const outs = ctx.node.outputs;
  let n = outs.length;
  while (n > 1 && outs[n - 1] === '') n--;
  return n;
}

// ---------------------------------------------------------------- BatchNormalization

interface BatchNormAttrs { readonly epsilon: number; readonly momentum: number; readonly training: boolean; readonly spatial: boolean }

/** Input's tensor type, unchanged. */
function sameType(x: InferInput | undefined): ValueType | undefined {
  return x && tensorType(elemOf(x), shapeOf(x));
}

function batchNormRun(inputs: Inputs, at: BatchNormAttrs, ctx: OpContext): Value[] {
  const name = 'BatchNormalization';
  const x = floatInput(name, inputs, 0, 'X');
  requireRank(name, x, 2);
  const n = x.dims[0]!;
  // spatial = 0 (opset < 9): statistics per element of [C, D1, ...].
  const c = at.spatial ? x.dims[1]! : sizeBetween(x.dims, 1, x.dims.length);
  const spatial = at.spatial ? sizeBetween(x.dims, 2, x.dims.length) : 1;
  const scale = perChannel(name, floatInput(name, inputs, 1, 'scale'), 'scale', c);
  const bias = perChannel(name, floatInput(name, inputs, 2, 'B'), 'B', c);
  const meanT = floatInput(name, inputs, 3, 'input_mean');
  const varT = floatInput(name, inputs, 4, 'input_var');
  const mean = perChannel(name, meanT, 'input_mean', c);
  const variance = perChannel(name, varT, 'input_var', c);
  const out = allocFloat(x.type, x.size);
  const xd = floatData(x);
  if (!at.training) {
    if (outputCount(ctx) > 1) {
      throw new InvalidNodeError(`${name}: running statistics outputs need training_mode = 1`);
    }
    batchNormFloat(xd, out, scale, bias, mean, variance, at.epsilon, n, c, spatial);
    return [floatTensor(x.type, out, x.dims)];
  }
  const curMean = new Float64Array(c);
  const curVar = new Float64Array(c);
  channelMeanVarianceFloat(xd, curMean, curVar, n, c, spatial);
  batchNormFloat(xd, out, scale, bias, curMean, curVar, at.epsilon, n, c, spatial);
  const runMean = allocFloat(meanT.type, c);
  const runVar = allocFloat(varT.type, c);
  runningAverageFloat(mean, curMean, at.momentum, runMean);
  runningAverageFloat(variance, curVar, at.momentum, runVar);
  return [
    floatTensor(x.type, out, x.dims),
    floatTensor(meanT.type, runMean, meanT.dims),
    floatTensor(varT.type, runVar, varT.dims),
  ].slice(0, Math.max(1, outputCount(ctx)));
}

const batchNormalization = [
  op({
    name: 'BatchNormalization', since: 1,
    parse: (a: Attrs): BatchNormAttrs => Object.freeze({
      epsilon: a.float('epsilon', 1e-5), momentum: a.float('momentum', 0.9), training: false,
      spatial: a.int('spatial', 1) !== 0,
    }),
    infer: (inputs) => [sameType(inputs[0]), sameType(inputs[3]), sameType(inputs[4])],
    run: batchNormRun,
  }),
  op({
    name: 'BatchNormalization', since: 9,
    parse: (a: Attrs): BatchNormAttrs => Object.freeze({
      epsilon: a.float('epsilon', 1e-5), momentum: a.float('momentum', 0.9), training: false, spatial: true,
    }),
    infer: (inputs) => [sameType(inputs[0]), sameType(inputs[3]), sameType(inputs[4])],
    run: batchNormRun,
  }),
  op({
    name: 'BatchNormalization', since: 14,
    parse: (a: Attrs): BatchNormAttrs => Object.freeze({
      epsilon: a.float('epsilon', 1e-5), momentum: a.float('momentum', 0.9),
      training: a.int('training_mode', 0) !== 0, spatial: true,
    }),
    infer: (inputs) => [sameType(inputs[0]), sameType(inputs[3]), sameType(inputs[4])],
    run: batchNormRun,
  }),
];

// ---------------------------------------------- InstanceNormalization, GroupNormalization

const instanceNormalization = op({
  name: 'InstanceNormalization', since: 1,
  infer: (inputs: readonly (InferInput | undefined)[]) => [sameType(inputs[0])],
  parse: (a: Attrs) => Object.freeze({ epsilon: a.float('epsilon', 1e-5) }),
  run: (inputs, at: { readonly epsilon: number }) => {
    const name = 'InstanceNormalization';
    const x = floatInput(name, inputs, 0, 'input');
    requireRank(name, x, 2);
    const [n, c] = [x.dims[0]!, x.dims[1]!];
    const scale = perChannel(name, floatInput(name, inputs, 1, 'scale'), 'scale', c);
    const bias = perChannel(name, floatInput(name, inputs, 2, 'B'), 'B', c);
    const out = allocFloat(x.type, x.size);
    groupNormFloat(floatData(x), out, scale, bias, n, c, c, sizeBetween(x.dims, 2, x.dims.length), at.epsilon, true);
    return [floatTensor(x.type, out, x.dims)];
  },
});

interface GroupNormAttrs { readonly epsilon: number; readonly groups: number }

function groupNormalization(since: number, paramsPerChannel: boolean): OpDef {
  const name = 'GroupNormalization';
  return op({
    name, since,
  infer: (inputs: readonly (InferInput | undefined)[]) => [sameType(inputs[0])],
    parse: (a: Attrs): GroupNormAttrs => {
      const groups = a.int('num_groups');
      if (groups < 1) throw new InvalidNodeError(`${name}: num_groups must be positive, got ${groups}`);
      return Object.freeze({ epsilon: a.float('epsilon', 1e-5), groups });
    },
    run: (inputs, at: GroupNormAttrs) => {
      const x = floatInput(name, inputs, 0, 'X');
      requireRank(name, x, 2);
      const [n, c] = [x.dims[0]!, x.dims[1]!];
      if (c % at.groups !== 0) throw new ShapeError(`${name}: ${c} channels do not split into ${at.groups} groups`);
      const pn = paramsPerChannel ? c : at.groups;
      const what = paramsPerChannel ? 'channel' : 'group';
      const scale = perChannel(name, floatInput(name, inputs, 1, 'scale'), `scale (one per ${what})`, pn);
      const bias = perChannel(name, floatInput(name, inputs, 2, 'bias'), `bias (one per ${what})`, pn);
      const out = allocFloat(x.type, x.size);
      groupNormFloat(
        floatData(x), out, scale, bias, n, c, at.groups, sizeBetween(x.dims, 2, x.dims.length), at.epsilon,
        paramsPerChannel,
      );
      return [floatTensor(x.type, out, x.dims)];
    },
  });
}

// ------------------------------------------------- LayerNormalization, RMSNormalization

interface RowNormAttrs { readonly axis: number; readonly epsilon: number; readonly stashType: DataType }

function parseRowNorm(name: string, a: Attrs): RowNormAttrs {
  const code = a.int('stash_type', 1);
  const stashType = dataTypeFromOnnx(code);
  if (!stashType || !isFloatType(stashType)) throw new InvalidNodeError(`${name}: stash_type ${code} is not a float type`);
  return Object.freeze({ axis: a.int('axis', -1), epsilon: a.float('epsilon', 1e-5), stashType });
}

/** rows / cols of X split at `axis`, checked. */
function rowSplit(name: string, x: Tensor, axis: number): { a: number; rows: number; cols: number } {
  const a = normalizeAxis(axis, x.dims.length);
  if (a < 0) throw new InvalidNodeError(`${name}: axis ${axis} out of range [-${x.dims.length}, ${x.dims.length})`);
  return { a, rows: sizeBetween(x.dims, 0, a), cols: sizeBetween(x.dims, a, x.dims.length) };
}

/**
 * Index map reading a parameter broadcast (unidirectionally) to X: one entry per
 * normalised element when the parameter only spans the normalised dims, else one per
 * element of X.
 */
function paramIndex(name: string, what: string, p: Tensor, dims: readonly number[], axis: number): Int32Array {
  const b = broadcastShapes(p.dims, dims);
  if (!b || b.length !== dims.length || b.some((d, i) => d !== dims[i])) {
    throw new ShapeError(`${name}: ${what} of shape [${p.dims.join(', ')}] does not broadcast to X [${dims.join(', ')}]`);
  }
  const tail = dims.slice(axis);
  return p.dims.length <= tail.length ? broadcastIndexMap(p.dims, tail) : broadcastIndexMap(p.dims, dims);
}

/** Whether float32 `p` holds exactly one value per element of dims[axis:] (its dims, right-aligned, are those dims). */
function spansTail(p: Tensor, dims: readonly number[], axis: number): boolean {
  if (p.type !== 'float32' || p.dims.length > dims.length - axis) return false;
  const off = dims.length - p.dims.length;
  let n = 1;
  for (let i = 0; i < p.dims.length; i++) {
    if (p.dims[i] !== dims[off + i]) return false;
    n *= p.dims[i]!;
  }
  return n === sizeBetween(dims, axis, dims.length);
}

interface AffineIndex { readonly scaleIndex: Int32Array; readonly biasIndex: Int32Array | null }

/**
 * The index maps of Scale and B over X. Constant Scale and B (initializers) keep theirs in the
 * node's memo for the session, keyed by the tensors and X's dims: a small Transformer runs
 * LayerNormalization on the same dims every time.
 */
function affineIndex(name: string, scale: Tensor, bias: Tensor | undefined, dims: readonly number[], axis: number, ctx: OpContext): AffineIndex {
  const keep = ctx.memo !== undefined && ctx.isConstant?.(1) === true && (bias === undefined || ctx.isConstant?.(2) === true);
  type Held = AffineIndex & { readonly scale: Tensor; readonly bias: Tensor | undefined; readonly dims: string };
  const key = dims.join();
  const held = keep ? (ctx.memo!.value as Held | undefined) : undefined;
  if (held && held.scale === scale && held.bias === bias && held.dims === key) return held;
  const made: AffineIndex = {
    scaleIndex: paramIndex(name, 'Scale', scale, dims, axis),
    biasIndex: bias ? paramIndex(name, 'B', bias, dims, axis) : null,
  };
  if (keep) ctx.memo!.value = { ...made, scale, bias, dims: key } satisfies Held;
  return made;
}

const layerNormalization = op({
  name: 'LayerNormalization', since: 17,
  parse: (a: Attrs) => parseRowNorm('LayerNormalization', a),
  infer: (inputs, at: RowNormAttrs) => {
    const shape = shapeOf(inputs[0]);
    const a = shape ? normAxis(at.axis, shape.length) : 0;
    const stats = tensorType(at.stashType, shape?.map((d, i) => (i < a ? d : 1)));
    return [sameType(inputs[0]), stats, stats];
  },
  run: (inputs, at: RowNormAttrs, ctx) => {
    const name = 'LayerNormalization';
    const x = floatInput(name, inputs, 0, 'X');
    const scale = floatInput(name, inputs, 1, 'Scale');
    const bias = optionalFloatInput(name, inputs, 2, 'B');
    const { a, rows, cols } = rowSplit(name, x, at.axis);
    const nOut = outputCount(ctx);
    if (nOut === 1 && x.type === 'float32' && spansTail(scale, x.dims, a) && (bias === undefined || spansTail(bias, x.dims, a))) {
      // One value per normalised element, float32 throughout: the fused row kernel.
      const out = allocFloatOut('float32', x.size) as Float32Array;
      layerNormRowsF32(x.data as Float32Array, out, rows, cols, at.epsilon, scale.data as Float32Array, bias ? (bias.data as Float32Array) : null);
      return [floatTensor('float32', out, x.dims)];
    }
    const mean = nOut > 1 ? new Float64Array(rows) : null;
    const invStd = nOut > 2 ? new Float64Array(rows) : null;
    const out = allocFloat(x.type, x.size);
    standardizeRowsFloat(floatData(x), out, rows, cols, at.epsilon, mean, invStd);
    const { scaleIndex, biasIndex } = affineIndex(name, scale, bias, x.dims, a, ctx);
    affineRowsFloat(out, rows, cols, floatData(scale), scaleIndex, bias ? floatData(bias) : null, biasIndex);
    const statDims = x.dims.map((d, i) => (i < a ? d : 1));
    const results: Value[] = [floatTensor(x.type, out, x.dims)];
    if (mean) results.push(floatTensor(at.stashType, mean, statDims));
    if (invStd) results.push(floatTensor(at.stashType, invStd, statDims));
    return results;
  },
});

const rmsNormalization = op({
  name: 'RMSNormalization', since: 23,
  parse: (a: Attrs) => parseRowNorm('RMSNormalization', a),
  infer: (inputs) => [sameType(inputs[0])],
  run: (inputs, at: RowNormAttrs) => {
    const name = 'RMSNormalization';
    const x = floatInput(name, inputs, 0, 'X');
    const scale = floatInput(name, inputs, 1, 'scale');
    const { a, rows, cols } = rowSplit(name, x, at.axis);
    const out = allocFloat(x.type, x.size);
    rmsNormalizeRowsFloat(floatData(x), out, rows, cols, at.epsilon);
    affineRowsFloat(out, rows, cols, floatData(scale), paramIndex(name, 'scale', scale, x.dims, a), null, null);
    return [floatTensor(x.type, out, x.dims)];
  },
});

// ------------------------------------------- LpNormalization, MeanVarianceNormalization

const lpNormalization = op({
  name: 'LpNormalization', since: 1,
  infer: (inputs: readonly (InferInput | undefined)[]) => [sameType(inputs[0])],
  parse: (a: Attrs) => {
    const p = a.int('p', 2);
    if (p !== 1 && p !== 2) throw new InvalidNodeError(`LpNormalization: p must be 1 or 2, got ${p}`);
    return Object.freeze({ axis: a.int('axis', -1), p });
  },
  run: (inputs, at: { readonly axis: number; readonly p: number }) => {
    const name = 'LpNormalization';
    const x = floatInput(name, inputs, 0, 'input');
    const a = normalizeAxis(at.axis, x.dims.length);
    if (a < 0) throw new InvalidNodeError(`${name}: axis ${at.axis} out of range [-${x.dims.length}, ${x.dims.length})`);
    const out = allocFloat(x.type, x.size);
    lpNormalizeFloat(
      floatData(x), out, sizeBetween(x.dims, 0, a), x.dims[a]!, sizeBetween(x.dims, a + 1, x.dims.length), at.p,
    );
    return [floatTensor(x.type, out, x.dims)];
  },
});

const meanVarianceNormalization = op({
  name: 'MeanVarianceNormalization', since: 9,
  infer: (inputs: readonly (InferInput | undefined)[]) => [sameType(inputs[0])],
  parse: (a: Attrs) => Object.freeze({ axes: Object.freeze([...a.ints('axes', [0, 2, 3])]) }),
  run: (inputs, at: { readonly axes: readonly number[] }) => {
    const name = 'MeanVarianceNormalization';
    const x = floatInput(name, inputs, 0, 'X');
    const reduced = [...x.dims];
    for (const axis of at.axes) {
      const a = normalizeAxis(axis, x.dims.length);
      if (a < 0) throw new InvalidNodeError(`${name}: axis ${axis} out of range for rank ${x.dims.length}`);
      reduced[a] = 1;
    }
    const out = allocFloat(x.type, x.size);
    meanVarianceNormalizeFloat(floatData(x), out, broadcastIndexMap(reduced, x.dims), shapeSize(reduced), 1e-9);
    return [floatTensor(x.type, out, x.dims)];
  },
});

// ------------------------------------------------------------------------------ LRN

interface LrnAttrs { readonly size: number; readonly alpha: number; readonly beta: number; readonly bias: number }

const lrn = op({
  name: 'LRN', since: 1,
  infer: (inputs: readonly (InferInput | undefined)[]) => [sameType(inputs[0])],
  parse: (a: Attrs): LrnAttrs => {
    const size = a.int('size');
    if (size < 1) throw new InvalidNodeError(`LRN: size must be positive, got ${size}`);
    return Object.freeze({ size, alpha: a.float('alpha', 1e-4), beta: a.float('beta', 0.75), bias: a.float('bias', 1) });
  },
  run: (inputs, at: LrnAttrs) => {
    const x = floatInput('LRN', inputs, 0, 'X');
    requireRank('LRN', x, 2);
    const out = allocFloat(x.type, x.size);
    lrnFloat(
      floatData(x), out, x.dims[0]!, x.dims[1]!, sizeBetween(x.dims, 2, x.dims.length),
      at.size, at.alpha, at.beta, at.bias,
    );
    return [floatTensor(x.type, out, x.dims)];
  },
});

export const normalizationOps: OpDef[] = [
  ...batchNormalization,
  instanceNormalization,
  groupNormalization(18, false),
  groupNormalization(21, true),
  layerNormalization,
  rmsNormalization,
  lpNormalization,
  meanVarianceNormalization,
  lrn,
];
