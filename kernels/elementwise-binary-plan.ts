// How elementwise kernels walk broadcast operands: the output is cut into rows of `inner`
// contiguous elements; along a row every input either advances by one (step 1) or repeats
// one element (step 0). Dimensions that broadcast the same way are merged first, so
// same-shape and scalar operands become a single row and the row loops are the fast paths.

import { broadcastStrides } from './broadcast.js';
import { shapeSize } from './strides.js';

export interface BroadcastPlan {
  /** Number of output elements. */
  readonly size: number;
  /** Number of rows (0 when the output is empty). */
  readonly rows: number;
  /** Elements per row; row r covers output [r * inner, (r + 1) * inner). */
  readonly inner: number;
  /** Per input: 1 when it advances along a row, 0 when one element is repeated. */
  readonly steps: readonly number[];
  /** Per input: flat offset of each row's first element. */
  readonly offsets: readonly Int32Array[];
}

/**
 * Recent plans, newest first: a model runs the same few shape combinations on every run, and a
 * plan is immutable, so it is reused instead of rebuilt (its offset arrays are the only
 * allocations an elementwise op makes besides its output).
 */
const recent: { inputs: (readonly number[])[]; out: readonly number[]; plan: BroadcastPlan }[] = [];
const RECENT = 64;

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The row plan reading contiguous inputs of shapes `inputs` as if broadcast to `outDims`.
 * Every input shape must broadcast to `outDims` (the caller checks with broadcastShapes).
 * The result is shared with later calls for the same shapes: do not modify it.
 */
export function broadcastPlan(
  inputs: readonly (readonly number[])[], outDims: readonly number[],
): BroadcastPlan {
  search: for (let r = 0; r < recent.length; r++) {
    const e = recent[r]!;
    if (e.inputs.length !== inputs.length || !sameDims(e.out, outDims)) continue;
    for (let i = 0; i < inputs.length; i++) if (!sameDims(e.inputs[i]!, inputs[i]!)) continue search;
    if (r > 0) { recent.splice(r, 1); recent.unshift(e); }
    return e.plan;
  }
  const plan = buildPlan(inputs, outDims);
  recent.unshift({ inputs: inputs.map((d) => d.slice()), out: outDims.slice(), plan: Object.freeze(plan) });
  if (recent.length > RECENT) recent.pop();
  return plan;
}

/**
 * `outDims` with size-1 dims dropped and a dim merged into the previous one wherever every input
 * continues contiguously (or keeps repeating) across the boundary, with each input's strides over
 * the merged dims (0 where it repeats): the fewest dims that read the same elements in the same
 * order. Shared by the CPU row plan here and the GPU elementwise shaders (kernels/gpujs).
 */
export function collapseBroadcast(
  inputs: readonly (readonly number[])[], outDims: readonly number[],
): { dims: number[]; strides: number[][] } {
  const full = inputs.map((d) => broadcastStrides(d, outDims));
  const dims: number[] = [];
  const strides: number[][] = inputs.map(() => []);
  for (let d = 0; d < outDims.length; d++) {
    const n = outDims[d]!;
    if (n === 1) continue;
    const last = dims.length - 1;
    let merge = last >= 0;
    for (let i = 0; i < inputs.length && merge; i++) merge = strides[i]![last] === full[i]![d]! * n;
    if (merge) {
      dims[last] = dims[last]! * n;
      for (let i = 0; i < inputs.length; i++) strides[i]![last] = full[i]![d]!;
    } else {
      dims.push(n);
      for (let i = 0; i < inputs.length; i++) strides[i]!.push(full[i]![d]!);
    }
  }
  return { dims, strides };
}

function buildPlan(
  inputs: readonly (readonly number[])[], outDims: readonly number[],
): BroadcastPlan {
  const k = inputs.length;
  const size = shapeSize(outDims);
  const { dims, strides } = collapseBroadcast(inputs, outDims);
  if (size === 0) {
    return { size, rows: 0, inner: 0, steps: inputs.map(() => 1), offsets: inputs.map(() => new Int32Array(0)) };
  }
  if (dims.length === 0) {
    return { size, rows: 1, inner: 1, steps: inputs.map(() => 1), offsets: inputs.map(() => new Int32Array(1)) };
  }
  const r = dims.length - 1;
  const inner = dims[r]!;
  const steps = strides.map((s) => (s[r] === 0 ? 0 : 1));
  const rows = size / inner;
  const offsets = inputs.map(() => new Int32Array(rows));
  // Odometer over the outer dims.
  const idx = new Array<number>(r).fill(0);
  const off = new Array<number>(k).fill(0);
  for (let row = 0; row < rows; row++) {
    for (let i = 0; i < k; i++) offsets[i]![row] = off[i]!;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      for (let i = 0; i < k; i++) off[i]! += strides[i]![d]!;
      if (idx[d]! < dims[d]!) break;
      for (let i = 0; i < k; i++) off[i]! -= strides[i]![d]! * dims[d]!;
      idx[d] = 0;
    }
  }
  return { size, rows, inner, steps, offsets };
}

/** Row mode of a two-input plan: both advance, only the second advances, only the first. */
export const BOTH = 0;
export const FIRST_REPEATS = 1;
export const SECOND_REPEATS = 2;

export function rowMode(plan: BroadcastPlan): number {
  const s0 = plan.steps[0]!;
  const s1 = plan.steps[1]!;
  if (s0 === s1) return BOTH; // equal steps: both advance, or a one-element row
  return s0 === 0 ? FIRST_REPEATS : SECOND_REPEATS;
}

type Indexed<T> = { [i: number]: T; readonly length: number };

/** Copies `src` broadcast into `out` (a one-input plan), for any element type. */
export function broadcastCopy<T>(src: Indexed<T>, out: Indexed<T>, plan: BroadcastPlan): void {
  const { rows, inner } = plan;
  const offs = plan.offsets[0]!;
  const step = plan.steps[0]!;
  for (let r = 0; r < rows; r++) {
    const o = r * inner;
    const s = offs[r]!;
    if (step === 1) {
      for (let i = 0; i < inner; i++) out[o + i] = src[s + i]!;
    } else {
      const v = src[s]!;
      for (let i = 0; i < inner; i++) out[o + i] = v;
    }
  }
}
