// Einsum (opset 12): equation parsing and label resolution; the contraction is kernels/einsum.

import { contiguousStrides } from '../../kernels/strides.js';
import { type EinsumPlan, type IntArray, einsumBigInt, einsumFloat, einsumInt, labelOffsets } from '../../kernels/einsum.js';
import { allocate, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { Dim, ValueType } from '../../src/ir/graph.js';
import { broadcastDim, elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';

/** One side of an equation term: letters, with the ellipsis position (or -1). */
interface Term {
  readonly letters: readonly string[];
  /** Index into `letters` where '...' stands (letters before it come first), or -1. */
  readonly ellipsisAt: number;
}

interface EinsumAttrs {
  readonly equation: string;
  readonly inputs: readonly Term[];
  /** null: implicit output (labels seen once, sorted, after the broadcast dims). */
  readonly output: Term | null;
}

function parseTerm(text: string, equation: string): Term {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '.') {
      if (text.slice(i, i + 3) !== '...' || ellipsisAt >= 0) {
        throw new InvalidNodeError(`Einsum: malformed ellipsis in term '${text}' of equation '${equation}'`);
      }
      ellipsisAt = letters.length;
      i += 2;
    } else if (/^[A-Za-z]$/.test(ch)) {
      letters.push(ch);
    } else {
      throw new InvalidNodeError(`Einsum: unexpected character '${ch}' in equation '${equation}'`);
    }
  }
  return Object.freeze({ letters, ellipsisAt });
}

function parseEquation(equation: string): EinsumAttrs {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const inputs = lhs.split(',').map((t) => parseTerm(t, equation));
  let output: Term | null = null;
  if (arrow >= 0) {
    output = parseTerm(eq.slice(arrow + 2), equation);
    const seen = new Set<string>();
    for (const l of output.letters) {
      if (seen.has(l)) throw new InvalidNodeError(`Einsum: output label '${l}' repeated in '${equation}'`);
      if (!inputs.some((t) => t.letters.includes(l))) {
        throw new InvalidNodeError(`Einsum: output label '${l}' does not appear in any input of '${equation}'`);
      }
      seen.add(l);
    }
  }
  return Object.freeze({ equation, inputs, output });
}

/** Broadcast dims are labelled by their position from the right: '.0' is the last one. */
const ellipsisLabel = (fromRight: number): string => `.${fromRight}`;

/** The labels of each input dimension, in order. */
function inputLabels(term: Term, rank: number, eq: string, k: number): string[] {
  const explicit = term.letters.length;
  if (term.ellipsisAt < 0) {
    if (rank !== explicit) {
      throw new ShapeError(`Einsum: input ${k} has rank ${rank} but its term in '${eq}' names ${explicit} dims`);
    }
    return term.letters.slice();
  }
  const e = rank - explicit;
  if (e < 0) throw new ShapeError(`Einsum: input ${k} has rank ${rank}, fewer than the ${explicit} labels in '${eq}'`);
  const labels = term.letters.slice(0, term.ellipsisAt);
  for (let i = e - 1; i >= 0; i--) labels.push(ellipsisLabel(i));
  labels.push(...term.letters.slice(term.ellipsisAt));
  return labels;
}

function einsumPlan(a: EinsumAttrs, xs: readonly Tensor[]): { plan: EinsumPlan; outDims: number[] } {
  const eq = a.equation;
  if (xs.length !== a.inputs.length) {
    throw new InvalidNodeError(`Einsum: equation '${eq}' has ${a.inputs.length} input terms but the node has ${xs.length} inputs`);
  }
  const labelsPer = xs.map((x, k) => inputLabels(a.inputs[k]!, x.dims.length, eq, k));
  // Label sizes; broadcast dims of size 1 stretch to the other operands' size.
  const sizes = new Map<string, number>();
  let ellipsisRank = 0;
  labelsPer.forEach((labels, k) => {
    labels.forEach((l, d) => {
      const size = xs[k]!.dims[d]!;
      if (l.startsWith('.')) ellipsisRank = Math.max(ellipsisRank, Number(l.slice(1)) + 1);
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1 && l.startsWith('.')) sizes.set(l, size);
      else if (prev !== size && !(size === 1 && l.startsWith('.'))) {
        const what = l.startsWith('.') ? 'broadcast dim' : `label '${l}'`;
        throw new ShapeError(`Einsum: ${what} has sizes ${prev} and ${size} in '${eq}' (input ${k}, dims [${xs[k]!.dims.join(', ')}])`);
      }
    });
  });
  const ellipsis: string[] = [];
  for (let i = ellipsisRank - 1; i >= 0; i--) ellipsis.push(ellipsisLabel(i));
  let outLabels: string[];
  if (a.output) {
    const t = a.output;
    outLabels = t.ellipsisAt < 0
      ? t.letters.slice()
      : [...t.letters.slice(0, t.ellipsisAt), ...ellipsis, ...t.letters.slice(t.ellipsisAt)];
  } else {
    const counts = new Map<string, number>();
    for (const t of a.inputs) for (const l of t.letters) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts.keys()].filter((l) => counts.get(l) === 1).sort();
    outLabels = [...ellipsis, ...once];
  }
  const outSet = new Set(outLabels);
  const sumLabels = [...sizes.keys()].filter((l) => !outSet.has(l));
  const outSizes = outLabels.map((l) => sizes.get(l)!);
  const sumSizes = sumLabels.map((l) => sizes.get(l)!);
  const outOffsets: Int32Array[] = [];
  const sumOffsets: Int32Array[] = [];
  labelsPer.forEach((labels, k) => {
    const dims = xs[k]!.dims;
    const strides = contiguousStrides(dims);
    const strideOf = new Map<string, number>();
    labels.forEach((l, d) => {
      if (dims[d] === 1 && sizes.get(l) !== 1) return; // broadcast: stride 0
      strideOf.set(l, (strideOf.get(l) ?? 0) + strides[d]!); // repeated label: diagonal
    });
    outOffsets.push(labelOffsets(outSizes, outLabels.map((l) => strideOf.get(l) ?? 0)));
    sumOffsets.push(labelOffsets(sumSizes, sumLabels.map((l) => strideOf.get(l) ?? 0)));
  });
  return { plan: { outOffsets, sumOffsets }, outDims: outSizes };
}

/** The output type over symbolic dims: each label's size from the inputs (broadcast for '...'). */
function inferEinsum(inputs: readonly (InferInput | undefined)[], a: EinsumAttrs): ValueType[] {
  const elemType = elemOf(inputs[0]);
  const shapes = inputs.map(shapeOf);
  if (shapes.some((s) => !s) || shapes.length !== a.inputs.length) return [tensorType(elemType)];
  const seen = new Map<string, Dim[]>();
  let ellipsisRank = 0;
  shapes.forEach((s, k) => {
    inputLabels(a.inputs[k]!, s!.length, a.equation, k).forEach((l, d) => {
      if (l.startsWith('.')) ellipsisRank = Math.max(ellipsisRank, Number(l.slice(1)) + 1);
      seen.set(l, [...(seen.get(l) ?? []), s![d]!]);
    });
  });
  const ellipsis: string[] = [];
  for (let i = ellipsisRank - 1; i >= 0; i--) ellipsis.push(ellipsisLabel(i));
  let outLabels: string[];
  if (a.output) {
    const t = a.output;
    outLabels = t.ellipsisAt < 0 ? t.letters.slice() : [...t.letters.slice(0, t.ellipsisAt), ...ellipsis, ...t.letters.slice(t.ellipsisAt)];
  } else {
    const counts = new Map<string, number>();
    for (const t of a.inputs) for (const l of t.letters) counts.set(l, (counts.get(l) ?? 0) + 1);
    outLabels = [...ellipsis, ...[...counts.keys()].filter((l) => counts.get(l) === 1).sort()];
  }
  return [tensorType(elemType, outLabels.map((l) => broadcastDim(seen.get(l) ?? [null])))];
}

const NUMBER_INT_TYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

function einsum(a: EinsumAttrs, inputs: readonly (Tensor | undefined)[]): Tensor {
  const xs = inputs.map((x, k) => {
    if (x === undefined) throw new InvalidNodeError(`Einsum: input ${k} is missing`);
    return x;
  });
  if (xs.length === 0) throw new InvalidNodeError('Einsum: needs at least one input');
  const type = xs[0]!.type;
  for (const x of xs) {
    if (x.type !== type) throw new InvalidNodeError(`Einsum: inputs mix types ${type} and ${x.type}`);
  }
  const { plan, outDims } = einsumPlan(a, xs);
  const n = plan.outOffsets[0]!.length;
  if (isFloatType(type)) {
    const out = allocFloat(type, n);
    einsumFloat(xs.map(floatData), out, plan);
    return floatTensor(type, out, outDims);
  }
  if (NUMBER_INT_TYPES.has(type)) {
    const out = allocate(type, n) as IntArray;
    einsumInt(xs.map((x) => x.data as IntArray), out, plan);
    return new Tensor(type, out, outDims);
  }
  if (type === 'int64' || type === 'uint64') {
    const out = allocate(type, n) as BigInt64Array | BigUint64Array;
    einsumBigInt(xs.map((x) => x.data as BigInt64Array | BigUint64Array), out, plan);
    return new Tensor(type, out, outDims);
  }
  throw new InvalidNodeError(`Einsum: unsupported input type ${type}`);
}

export const einsumOps: OpDef[] = [
  op<EinsumAttrs>({
    name: 'Einsum',
    since: 12,
    parse: (a: Attrs) => parseEquation(a.string('equation')),
    infer: inferEinsum,
    run: (inputs, a) => [einsum(a, inputs)],
  }),
];
