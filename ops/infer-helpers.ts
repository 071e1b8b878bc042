// Shape inference building blocks shared by the op families: symbolic dims (numbers, names,
// null for unknown), broadcasting, reductions, conv/pool output sizes, and small `infer`
// builders so that most ops' inference is one line.

import { sliceRange } from '../kernels/slice.js';
import { type DataType, isIntegerType } from '../src/dtypes.js';
import type { Dim, ValueType } from '../src/ir/graph.js';
import type { Tensor } from '../src/tensor.js';
import { intValues } from './compute.js';
import type { InferFn, InferInput } from './op-def.js';

export type Shape = readonly Dim[];
type Inputs = readonly (InferInput | undefined)[];

export const UNKNOWN: ValueType = Object.freeze({ kind: 'unknown' });

/** A tensor type; `shape` undefined means unknown rank. */
export function tensorType(elemType: DataType | undefined, shape?: Shape): ValueType {
  return shape === undefined ? { kind: 'tensor', elemType } : { kind: 'tensor', elemType, shape: [...shape] };
}

export function elemOf(inp: InferInput | undefined): DataType | undefined {
  const t = inp?.type;
  return t && (t.kind === 'tensor' || t.kind === 'sparse_tensor') ? t.elemType : undefined;
}

export function shapeOf(inp: InferInput | undefined): Shape | undefined {
  const t = inp?.type;
  return t && (t.kind === 'tensor' || t.kind === 'sparse_tensor') ? t.shape : undefined;
}

export function rankOf(inp: InferInput | undefined): number | undefined {
  return shapeOf(inp)?.length;
}

/** True when every dim is a number. */
export function isConcrete(shape: Shape | undefined): shape is readonly number[] {
  return shape !== undefined && shape.every((d) => typeof d === 'number');
}

/** The integer values of an input whose value is known (any int type), else undefined. */
export function knownInts(inp: InferInput | undefined): number[] | undefined {
  const v = inp?.value;
  if (!v || !(isIntegerType(v.type) || v.type === 'bool')) return undefined;
  return intValues(v);
}

/** The float or int values of a known input as numbers. */
export function knownNumbers(inp: InferInput | undefined): number[] | undefined {
  const v: Tensor | undefined = inp?.value;
  if (!v || v.type === 'string') return undefined;
  try {
    return v.toNumbers();
  } catch {
    return undefined;
  }
}

/** The dims held by a shape-tensor input: its known value, or its symbolic `dims`. */
export function knownDims(inp: InferInput | undefined): Dim[] | undefined {
  const ints = knownInts(inp);
  if (ints) return ints;
  return inp?.dims ? [...inp.dims] : undefined;
}

/** An all-unknown shape of the given rank. */
export function unknownDims(rank: number): Dim[] {
  return new Array<Dim>(rank).fill(null);
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

// ---- Dim arithmetic ---------------------------------------------------------------------

export function dimMul(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === 0 || b === 0) return 0;
  return null;
}

export function dimProduct(dims: Shape): Dim {
  let p: Dim = 1;
  for (const d of dims) p = dimMul(p, d);
  return p;
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return null;
}

/** One output dim of numpy broadcasting over the dims at one position. */
export function broadcastDim(dims: readonly Dim[]): Dim {
  let num: number | undefined;
  const names = new Set<string>();
  let unknown = false;
  for (const d of dims) {
    if (typeof d === 'number') {
      if (d === 1) continue;
      if (num !== undefined && num !== d) return null; // invalid model: leave unknown
      num = d;
    } else if (typeof d === 'string') names.add(d);
    else unknown = true;
  }
  if (num !== undefined) return num;
  if (unknown) return null;
  if (names.size === 0) return 1;
  return names.size === 1 ? [...names][0]! : null;
}

/** Multidirectional broadcasting of symbolic shapes; undefined when a rank is unknown. */
export function broadcast(shapes: readonly (Shape | undefined)[]): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const ss = shapes as readonly Shape[];
  const rank = Math.max(0, ...ss.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    out.push(broadcastDim(ss.map((s) => (i < rank - s.length ? 1 : s[i - (rank - s.length)]!))));
  }
  return out;
}

/** Two types of one value seen on two paths (If branches, loop iterations): what both agree on. */
export function mergeTypes(a: ValueType | undefined, b: ValueType | undefined): ValueType | undefined {
  if (!a || !b) return undefined;
  if (a.kind !== b.kind) return undefined;
  if (a.kind === 'tensor' && b.kind === 'tensor') {
    const elemType = a.elemType === b.elemType ? a.elemType : undefined;
    if (!a.shape || !b.shape || a.shape.length !== b.shape.length) return tensorType(elemType);
    return tensorType(elemType, a.shape.map((d, i) => (d === b.shape![i] ? d : null)));
  }
  if ((a.kind === 'sequence' && b.kind === 'sequence') || (a.kind === 'optional' && b.kind === 'optional')) {
    return { kind: a.kind, elem: mergeTypes(a.elem, b.elem) };
  }
  return JSON.stringify(a) === JSON.stringify(b) ? a : undefined;
}

// ---- Reductions, windows ------------------------------------------------------------------

/** Shape after reducing `axes` (empty: all, unless `noopWithEmptyAxes`). */
export function reduceShape(shape: Shape, axes: readonly number[], keepdims: boolean, noopWithEmptyAxes = false): Dim[] {
  const r = shape.length;
  const flags = new Array<boolean>(r).fill(axes.length === 0 && !noopWithEmptyAxes);
  for (const a of axes) flags[normAxis(a, r)] = true;
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!flags[i]) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/**
 * Output size of a sliding window (Conv, pool): `effKernel` = (k - 1) * dilation + 1, pads on
 * each side. `autoPad` SAME_* gives ceil(in / stride); VALID ignores pads.
 */
export function windowDim(
  input: Dim, effKernel: number, stride: number, padBegin: number, padEnd: number, ceil = false, autoPad = 'NOTSET',
): Dim {
  if (typeof input !== 'number') return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(input / stride);
  if (autoPad === 'VALID') return Math.max(0, Math.ceil((input - effKernel + 1) / stride));
  const span = (input + padBegin + padEnd - effKernel) / stride;
  let n = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  // ceil_mode: the last window must start inside the input or the left padding.
  if (ceil && (n - 1) * stride >= input + padBegin) n--;
  return Math.max(n, 0);
}

// ---- Builders -------------------------------------------------------------------------------

/** Output i has input `from`'s type (optionally with another element type). */
export function sameAs(from = 0, elemType?: DataType): InferFn<unknown> {
  return (inputs) => {
    const inp = inputs[from];
    if (!inp) return [];
    if (inp.type.kind !== 'tensor' && inp.type.kind !== 'unknown') return [inp.type];
    return [tensorType(elemType ?? elemOf(inp), shapeOf(inp))];
  };
}

/** Broadcast of every present input (or of `which`), element type of input 0 or `elemType`. */
export function broadcastOf(elemType?: DataType, which?: readonly number[]): InferFn<unknown> {
  return (inputs) => {
    const ins = (which ? which.map((i) => inputs[i]) : inputs).filter((x): x is InferInput => x !== undefined);
    return [tensorType(elemType ?? elemOf(ins[0]), broadcast(ins.map(shapeOf)))];
  };
}

/** Concatenation of shapes along `axis` (Concat): dims off the axis must agree. */
export function concatShapes(shapes: readonly (Shape | undefined)[], axis: number): Dim[] | undefined {
  const known = shapes.filter((s): s is Shape => s !== undefined);
  if (known.length === 0) return undefined;
  const r = known[0]!.length;
  const a = normAxis(axis, r);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    if (i === a) {
      if (known.length !== shapes.length) { out.push(null); continue; }
      let sum: Dim = 0;
      for (const s of known) sum = dimAdd(sum, s[i] ?? null);
      out.push(sum);
    } else {
      out.push(broadcastDim(known.map((s) => s[i] ?? null)));
    }
  }
  return out;
}

/** The value as a folded int64 tensor shape description, for messages. */
export function formatShape(shape: Shape | undefined): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[?]';
}

// ---- Dims-moving ops over symbolic dims -----------------------------------------------------

/**
 * Reshape's output over symbolic dims: 0 copies the input dim (unless allowzero), one -1 takes
 * what is left, found by cancelling equal dims of input and target (so [N, 32, 7, 7] into
 * [N, -1] gives [N, 1568]).
 */
export function reshapeShape(input: Shape | undefined, target: readonly Dim[], allowZero: boolean): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (input?.[i] ?? null) : d));
  const hole = out.indexOf(-1);
  if (hole < 0) return out;
  if (!input) {
    out[hole] = null;
    return out;
  }
  const rest = [...input];
  let unresolved = false;
  out.forEach((d, i) => {
    if (i === hole || d === 1) return;
    const k = rest.findIndex((x) => x === d && x !== null);
    if (k >= 0) rest.splice(k, 1);
    else unresolved = true;
  });
  if (!unresolved) {
    out[hole] = dimProduct(rest);
    return out;
  }
  // Numeric fallback: everything known.
  if (isConcrete(input) && out.every((d, i) => i === hole || typeof d === 'number')) {
    const size = input.reduce((a, b) => a * b, 1);
    const known = out.reduce<number>((a, d, i) => (i === hole ? a : a * (d as number)), 1);
    out[hole] = known === 0 ? null : size / known;
  } else out[hole] = null;
  return out;
}

/** Squeeze: drop `axes` (or, without axes, every dim known to be 1; undefined if unsure). */
export function squeezeShape(shape: Shape, axes: readonly number[] | undefined): Dim[] | undefined {
  if (!axes) {
    if (shape.some((d) => typeof d !== 'number')) return undefined;
    return shape.filter((d) => d !== 1);
  }
  const drop = new Set(axes.map((a) => normAxis(a, shape.length)));
  return shape.filter((_, i) => !drop.has(i));
}

/** Unsqueeze: insert 1s at `axes` of the output. */
export function unsqueezeShape(shape: Shape, axes: readonly number[]): Dim[] {
  const r = shape.length + axes.length;
  const ones = new Set(axes.map((a) => normAxis(a, r)));
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(ones.has(i) ? 1 : shape[j++]!);
  return out;
}

/** A target-shape input's dims: its known or symbolic values, else unknowns of its length. */
export function targetDims(inp: InferInput | undefined): Dim[] | undefined {
  const known = knownDims(inp);
  if (known) return known;
  const s = shapeOf(inp);
  return s?.length === 1 && typeof s[0] === 'number' ? unknownDims(s[0]) : undefined;
}

/** Slice over symbolic dims; undefined `starts`/`ends` (unknown) make the sliced axes unknown. */
export function sliceShape(
  shape: Shape, starts: readonly number[] | undefined, ends: readonly number[] | undefined,
  axes: readonly number[] | undefined, steps: readonly number[] | undefined,
): Dim[] {
  const r = shape.length;
  const out = [...shape];
  if (!starts || !ends) {
    if (!axes) return unknownDims(r);
    for (const a of axes) out[normAxis(a, r)] = null;
    return out;
  }
  starts.forEach((st, i) => {
    const a = normAxis(axes?.[i] ?? i, r);
    const step = steps?.[i] ?? 1;
    const d = shape[a]!;
    if (typeof d === 'number') out[a] = sliceRange(d, st, ends[i]!, step).count;
    else out[a] = st === 0 && step === 1 && ends[i]! >= 2 ** 31 - 1 ? d : null;
  });
  return out;
}

/** The dims of a 1-D shape-value sliced like Slice does (for symbolic data propagation). */
export function sliceValues(
  values: readonly Dim[], starts: readonly number[], ends: readonly number[], steps: readonly number[] | undefined,
): Dim[] {
  const range = sliceRange(values.length, starts[0]!, ends[0]!, steps?.[0] ?? 1);
  const out: Dim[] = [];
  for (let i = 0, k = range.start; i < range.count; i++, k += range.step) out.push(values[k]!);
  return out;
}

/** Split: `n` output shapes, each with its part of `axis`. */
export function splitShapes(shape: Shape, axis: number, sizes: readonly number[] | undefined, n: number): Dim[][] {
  const a = normAxis(axis, shape.length);
  const d = shape[a]!;
  let parts: Dim[];
  if (sizes) parts = [...sizes];
  else if (typeof d === 'number') {
    const chunk = Math.ceil(d / n);
    parts = new Array<Dim>(n).fill(chunk);
    parts[n - 1] = d - chunk * (n - 1);
  } else parts = new Array<Dim>(n).fill(n === 1 ? d : null);
  return parts.map((p) => shape.map((x, i) => (i === a ? p : x)));
}

/** Pad: each dim grows by its begin and end pads (`axes` selects the padded dims). */
export function padShape(shape: Shape, pads: readonly number[] | undefined, axes?: readonly number[]): Dim[] {
  const r = shape.length;
  const ax = axes ? axes.map((a) => normAxis(a, r)) : shape.map((_, i) => i);
  if (!pads) {
    const out = [...shape];
    for (const a of ax) out[a] = null;
    return out;
  }
  const out = [...shape];
  ax.forEach((a, i) => {
    out[a] = dimAdd(shape[a]!, pads[i]! + pads[i + ax.length]!);
  });
  return out;
}

/** f(shape) when the input's shape is known. */
export function mapShape(x: InferInput | undefined, f: (s: Shape) => Dim[] | undefined): Dim[] | undefined {
  const s = shapeOf(x);
  return s && f(s);
}

/** Split sizes from a `split` input: known values, undefined (absent or empty), or [] (unknown). */
export function splitSizesOf(s: InferInput | undefined): number[] | undefined {
  if (!s) return undefined;
  const v = knownInts(s);
  if (v) return v.length > 0 ? v : undefined;
  return shapeOf(s)?.[0] === 0 ? undefined : [];
}

/** Split's output types; `sizes` = [] means "given but unknown". */
export function splitTypes(x: InferInput | undefined, axis: number, sizes: readonly number[] | undefined, n: number): ValueType[] {
  const s = shapeOf(x);
  if (!s) return new Array<ValueType>(n).fill(tensorType(elemOf(x)));
  const a = normAxis(axis, s.length);
  if (sizes?.length === 0) return new Array<ValueType>(n).fill(tensorType(elemOf(x), s.map((d, i) => (i === a ? null : d))));
  return splitShapes(s, axis, sizes, n).map((d) => tensorType(elemOf(x), d));
}

/** Slice of a 1-D shape-value (symbolic data propagation): Slice(Shape(x), [1], [3]). */
export function sliceDims(
  x: InferInput | undefined, starts: readonly number[], ends: readonly number[], axes: readonly number[] | undefined,
  steps: readonly number[] | undefined,
): Dim[] | undefined {
  const v = knownDims(x);
  if (!v || rankOf(x) !== 1 || starts.length !== 1 || (axes && normAxis(axes[0]!, 1) !== 0)) return undefined;
  return sliceValues(v, starts, ends, steps);
}

/** Concatenated 1-D shape-values (Concat of Shape / Gather results feeding a Reshape). */
export function concatDims(inputs: Inputs): (Dim[] | undefined)[] {
  const parts = inputs.filter((x) => x !== undefined).map((x) => (rankOf(x) === 1 ? knownDims(x) : undefined));
  return [parts.every((p) => p !== undefined) ? parts.flat() : undefined];
}
