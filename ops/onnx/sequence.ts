// Sequences and optionals. A sequence is a JS array of values, an empty optional is null
// (src/value.ts). Sequences are never mutated: every op returns a new array. Splitting and
// concatenating tensors use the word-moving concat/split kernels, so every element type moves
// exactly.

import { concat, split } from '../../kernels/concat.js';
import type { WordArray } from '../../kernels/element-words.js';
import { sizeBetween } from '../../kernels/strides.js';
import { dataTypeFromOnnx } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Dim, Graph, ValueType } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import { int64Tensor, intValues } from '../compute.js';
import { elemOf, knownInts, mergeTypes, normAxis, rankOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import { asTensor, requiredGraph } from './control-flow.js';
import { outputWords, tensorWords } from '../tensor-words.js';
import { checkedAxis } from '../op-inputs.js';

const seqOf = (elem: ValueType | undefined): ValueType => ({ kind: 'sequence', elem });

/** The element type of a sequence (or optional) input. */
function elemTypeOf(s: InferInput | undefined): ValueType | undefined {
  return s?.type.kind === 'sequence' || s?.type.kind === 'optional' ? s.type.elem : undefined;
}

function dimsText(d: readonly number[]): string {
  return `[${d.join(', ')}]`;
}

/** The value as a sequence, or an error saying what it was instead. */
function asSequence(opName: string, v: Value | undefined, what: string): readonly Value[] {
  if (Array.isArray(v)) return v as readonly Value[];
  const got = v === undefined ? 'nothing' : v === null ? 'an empty optional' : 'a tensor';
  throw new InvalidNodeError(`${opName}: ${what} must be a sequence, got ${got}`);
}

/** A scalar (or one-element) integer position tensor as a number. */
function positionOf(opName: string, t: Tensor): number {
  if (t.size !== 1 || !['int32', 'int64'].includes(t.type)) {
    throw new InvalidNodeError(`${opName}: 'position' must be one int32/int64 value, got ${t.type} ${dimsText(t.dims)}`);
  }
  return intValues(t)[0]!;
}

/** Position in [0, n) (or [0, n] when `end` is allowed) from a possibly negative one. */
function checkedPosition(opName: string, pos: number, n: number, end: boolean): number {
  const hi = end ? n : n - 1;
  const p = pos < 0 ? pos + n : pos;
  if (p < 0 || p > hi) throw new InvalidNodeError(`${opName}: position ${pos} out of range [${-n}, ${hi}]`);
  return p;
}

/** Element types of tensors in one sequence must agree. */
function checkSameType(opName: string, seq: readonly Value[], t: Tensor): void {
  const other = seq.find((v): v is Tensor => v instanceof Tensor);
  if (other && other.type !== t.type) {
    throw new InvalidNodeError(`${opName}: the sequence holds ${other.type} tensors, cannot add a ${t.type} one`);
  }
}

function boolScalar(v: boolean): Tensor {
  return new Tensor('bool', Uint8Array.of(v ? 1 : 0), []);
}

// ---- construct, empty, at, insert, erase, length ----

const sequenceConstruct = op({
  name: 'SequenceConstruct', since: 11, values: true,
  infer: (inputs) => [seqOf(inputs.map((x) => x?.type).reduce((a, b) => mergeTypes(a, b)))],
  run: (inputs) => {
    const ts = inputs.map((v, i) => asTensor('SequenceConstruct', v, `input ${i}`));
    ts.forEach((t) => checkSameType('SequenceConstruct', ts, t));
    return [ts];
  },
});

const sequenceEmpty = op({
  name: 'SequenceEmpty', since: 11, values: true,
  // The element type is checked at load; an empty JS array carries no element type.
  parse: (a: Attrs) => {
    const code = a.int('dtype', 1);
    const type = dataTypeFromOnnx(code);
    if (!type) throw new InvalidNodeError(`SequenceEmpty: unsupported dtype ${code}`);
    return Object.freeze({ type });
  },
  infer: (_inputs, { type }) => [seqOf(tensorType(type))],
  run: () => [[]],
});

const sequenceAt = op({
  name: 'SequenceAt', since: 11, values: true,
  infer: ([s]) => [elemTypeOf(s)],
  run: ([s, p]) => {
    const seq = asSequence('SequenceAt', s, "input 'input_sequence'");
    const i = checkedPosition('SequenceAt', positionOf('SequenceAt', asTensor('SequenceAt', p, "'position'")), seq.length, false);
    return [seq[i]!];
  },
});

const sequenceInsert = op({
  name: 'SequenceInsert', since: 11, values: true,
  infer: ([s, x]) => [seqOf(mergeTypes(elemTypeOf(s), x?.type))],
  run: ([s, x, p]) => {
    const seq = asSequence('SequenceInsert', s, "input 'input_sequence'");
    const t = asTensor('SequenceInsert', x, "input 'tensor'");
    checkSameType('SequenceInsert', seq, t);
    const at = p === undefined ? seq.length
      : checkedPosition('SequenceInsert', positionOf('SequenceInsert', asTensor('SequenceInsert', p, "'position'")), seq.length, true);
    return [[...seq.slice(0, at), t, ...seq.slice(at)]];
  },
});

const sequenceErase = op({
  name: 'SequenceErase', since: 11, values: true,
  infer: ([s]) => [s?.type],
  run: ([s, p]) => {
    const seq = asSequence('SequenceErase', s, "input 'input_sequence'");
    const at = checkedPosition('SequenceErase', p === undefined ? -1 : positionOf('SequenceErase', asTensor('SequenceErase', p, "'position'")), seq.length, false);
    return [[...seq.slice(0, at), ...seq.slice(at + 1)]];
  },
});

const sequenceLength = op({
  name: 'SequenceLength', since: 11, values: true,
  infer: () => [tensorType('int64', [])],
  run: ([s]) => [int64Tensor([asSequence('SequenceLength', s, "input 'input_sequence'").length], [])],
});

// ---- SplitToSequence, ConcatFromSequence ----

function splitToSequence(x: Tensor, splitT: Tensor | undefined, axisAttr: number, keepdims: boolean): Tensor[] {
  const r = x.dims.length;
  const axis = checkedAxis('SplitToSequence', axisAttr, r);
  const dim = x.dims[axis]!;
  let parts: number[];
  if (splitT === undefined) {
    parts = new Array<number>(dim).fill(1);
  } else {
    const v = intValues(splitT);
    if (splitT.dims.length === 0) {
      const chunk = v[0]!;
      if (!(chunk > 0)) throw new InvalidNodeError(`SplitToSequence: split size ${chunk} must be positive`);
      const n = Math.ceil(dim / chunk);
      parts = new Array<number>(n).fill(chunk);
      if (n > 0) parts[n - 1] = dim - chunk * (n - 1);
    } else {
      if (splitT.dims.length !== 1) throw new InvalidNodeError(`SplitToSequence: 'split' must be a scalar or 1-D, got ${dimsText(splitT.dims)}`);
      parts = v;
      if (parts.some((p) => p < 0) || parts.reduce((a, b) => a + b, 0) !== dim) {
        throw new ShapeError(`SplitToSequence: split sizes [${parts.join(', ')}] do not add up to dim ${dim} of axis ${axis}`);
      }
    }
  }
  const { words, width } = tensorWords(x);
  const inner = sizeBetween(x.dims, axis + 1, r) * width;
  const outs = parts.map((p) => {
    const d = [...x.dims];
    d[axis] = p;
    return outputWords(x.type, d);
  });
  split(words, outs.map((o) => o.words), parts.map((p) => p * inner), sizeBetween(x.dims, 0, axis));
  // keepdims only applies when 'split' is absent (every part then has length 1 on the axis).
  const drop = splitT === undefined && !keepdims;
  return outs.map((o) => (drop ? o.tensor.reshape(x.dims.filter((_, i) => i !== axis)) : o.tensor));
}

const splitToSequenceOp = op({
  name: 'SplitToSequence', since: 11, values: true,
  parse: (a: Attrs) => Object.freeze({ axis: a.int('axis', 0), keepdims: a.int('keepdims', 1) !== 0 }),
  infer: ([x, split], { axis, keepdims }) => {
    const sh = shapeOf(x);
    if (!sh) return [seqOf(tensorType(elemOf(x)))];
    const a = normAxis(axis, sh.length);
    const sizes = knownInts(split);
    let part: Dim = null;
    if (!split) part = 1;
    else if (sizes && rankOf(split) === 0) {
      const d = sh[a];
      part = typeof d === 'number' && d % sizes[0]! === 0 ? sizes[0]! : null; // a scalar: chunks of that size
    } else if (sizes && sizes.length > 0 && sizes.every((v) => v === sizes[0])) part = sizes[0]!;
    if (!split && !keepdims) return [seqOf(tensorType(elemOf(x), sh.filter((_, i) => i !== a)))];
    return [seqOf(tensorType(elemOf(x), sh.map((d, i) => (i === a ? part : d))))];
  },
  run: ([x, s], { axis, keepdims }) => [splitToSequence(
    asTensor('SplitToSequence', x, "input 'input'"),
    s === undefined ? undefined : asTensor('SplitToSequence', s, "input 'split'"), axis, keepdims,
  )],
});

function concatFromSequence(seq: readonly Value[], axisAttr: number, newAxis: boolean): Tensor {
  const ts = seq.map((v, i) => asTensor('ConcatFromSequence', v, `sequence element ${i}`));
  const first = ts[0];
  if (!first) throw new InvalidNodeError('ConcatFromSequence: the sequence is empty');
  const r = first.dims.length;
  const axis = checkedAxis('ConcatFromSequence', axisAttr, newAxis ? r + 1 : r);
  // With new_axis every element gains a length-1 axis at `axis` first (stacking).
  const inDims = newAxis ? [...first.dims.slice(0, axis), 1, ...first.dims.slice(axis)] : first.dims;
  const outDims = [...inDims];
  outDims[axis] = 0;
  const srcs: WordArray[] = [];
  const blocks: number[] = [];
  for (const t of ts) {
    const dims = newAxis ? [...t.dims.slice(0, axis), 1, ...t.dims.slice(axis)] : t.dims;
    if (t.type !== first.type) throw new ShapeError(`ConcatFromSequence: elements mix ${first.type} and ${t.type}`);
    if (dims.length !== inDims.length || dims.some((d, i) => i !== axis && d !== inDims[i])) {
      throw new ShapeError(
        `ConcatFromSequence: element shapes ${dimsText(first.dims)} and ${dimsText(t.dims)} differ outside axis ${axis}`,
      );
    }
    outDims[axis]! += dims[axis]!;
    const { words, width } = tensorWords(t);
    srcs.push(words);
    blocks.push(sizeBetween(dims, axis, dims.length) * width);
  }
  const out = outputWords(first.type, outDims);
  concat(srcs, blocks, out.words, sizeBetween(inDims, 0, axis));
  return out.tensor;
}

const concatFromSequenceOp = op({
  name: 'ConcatFromSequence', since: 11, values: true,
  parse: (a: Attrs) => Object.freeze({ axis: a.int('axis'), newAxis: a.int('new_axis', 0) !== 0 }),
  infer: ([s], { axis, newAxis }) => {
    const e = elemTypeOf(s);
    const sh = e?.kind === 'tensor' ? e.shape : undefined;
    const elemType = e?.kind === 'tensor' ? e.elemType : undefined;
    if (!sh) return [tensorType(elemType)];
    const out: Dim[] = [...sh];
    if (newAxis) out.splice(normAxis(axis, sh.length + 1), 0, null);
    else out[normAxis(axis, sh.length)] = null;
    return [tensorType(elemType, out)];
  },
  run: ([s], { axis, newAxis }) => [
    concatFromSequence(asSequence('ConcatFromSequence', s, "input 'input_sequence'"), axis, newAxis),
  ],
});

// ---- SequenceMap ----

/** Runs the body once per position of the sequences; tensor inputs are passed whole every time. */
function sequenceMap(inputs: readonly (Value | undefined)[], body: Graph, run: (g: Graph, v: readonly Value[]) => Value[]): Value[][] {
  const first = asSequence('SequenceMap', inputs[0], "input 'input_sequence'");
  const n = first.length;
  inputs.forEach((v, i) => {
    if (Array.isArray(v) && v.length !== n) {
      throw new ShapeError(`SequenceMap: input ${i} has ${v.length} elements, input 0 has ${n}`);
    }
    if (v === undefined || v === null) throw new InvalidNodeError(`SequenceMap: input ${i} is missing`);
  });
  if (body.inputs.length !== inputs.length) {
    throw new InvalidNodeError(`SequenceMap: the body takes ${body.inputs.length} inputs, the node has ${inputs.length}`);
  }
  const outs: Value[][] = body.outputs.map(() => []);
  for (let i = 0; i < n; i++) {
    const args = inputs.map((v) => (Array.isArray(v) ? (v as readonly Value[])[i]! : v!));
    run(body, args).forEach((v, k) => outs[k]!.push(v));
  }
  return outs;
}

const sequenceMapOp = op({
  name: 'SequenceMap', since: 17, values: true,
  parse: (a: Attrs) => Object.freeze({ body: requiredGraph('SequenceMap', a, 'body') }),
  infer: (inputs, { body }, ctx) => {
    const args = inputs.map((x) => (x?.type.kind === 'sequence' ? { type: x.type.elem ?? { kind: 'unknown' } } : x && { type: x.type }));
    return ctx.inferSubgraph(body, args).map((o) => seqOf(o?.type));
  },
  run: (inputs, { body }, ctx) => sequenceMap(inputs as readonly (Value | undefined)[], body, (g, v) => ctx.runSubgraph(g, v)),
});

// ---- optionals ----

const optionalOp = op({
  name: 'Optional', since: 15, values: true,
  infer: ([x], _a, ctx) => {
    const declared = ctx.node.attributes.get('type');
    return [{ kind: 'optional', elem: x ? x.type : declared?.type === 'type_proto' ? declared.value : undefined }];
  },
  run: ([x]) => [x === undefined ? null : (x as Value)],
});

/** Opset 15 takes an optional; 18 also takes a plain tensor or sequence, or no input at all. */
const optionalHasElement = op({
  name: 'OptionalHasElement', since: 15, values: true,
  infer: () => [tensorType('bool', [])],
  run: ([x]) => [boolScalar(x !== undefined && x !== null)],
});

const optionalGetElement = op({
  name: 'OptionalGetElement', since: 15, values: true,
  infer: ([x]) => [x?.type.kind === 'optional' ? x.type.elem : x?.type],
  run: ([x]) => {
    if (x === undefined || x === null) throw new InvalidNodeError('OptionalGetElement: the optional is empty');
    return [x as Value];
  },
});

export const sequenceOps: OpDef[] = [
  sequenceConstruct, sequenceEmpty, sequenceAt, sequenceInsert, sequenceErase, sequenceLength,
  splitToSequenceOp, concatFromSequenceOp, sequenceMapOp, optionalOp, optionalHasElement, optionalGetElement,
];
