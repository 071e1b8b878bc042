// Where the elements of a value live in another value, when only layout steps lie between them
// (Transpose, Reshape, Squeeze, Unsqueeze, Flatten, Identity, Slice, Split): found by running
// those steps' own ops on a tensor of element indices ("iota"), so the answer follows each op's
// exact semantics (Slice clamping, Split sizes, default perms) without restating them here.
// Rewrites use it to read an operand in place through strides instead of materialising it.

import { Tensor } from '../../tensor.js';
import type { Step } from '../plan.js';
import { type RewriteContext, type StepIndex, float32Dims, isOp } from './context.js';

/** Largest value (elements) whose layout is worked out element by element. */
export const LAYOUT_LIMIT = 1 << 18;

const RESHAPES = ['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity'];

export const product = (d: readonly number[]): number => d.reduce((p, q) => p * q, 1);

/** A value read from `base`: element i (row-major in the value's dims) is base element `table[i]`. */
export interface Layout {
  readonly base: string;
  readonly baseDims: readonly number[];
  readonly table: Int32Array;
  /** The layout steps between, which nothing else reads. */
  readonly absorbed: readonly number[];
  readonly splits: boolean;
}

function isLayoutStep(ctx: RewriteContext, s: Step, allowSplit: boolean): boolean {
  const layout = isOp(s, 'Transpose') || isOp(s, 'Slice') || (allowSplit && isOp(s, 'Split')) || RESHAPES.some((t) => isOp(s, t));
  // Shapes, starts, axes, split sizes: constants, so the op does the same on every run.
  return layout && s.node.inputs.slice(1).every((n) => n === '' || ctx.constants.has(n));
}

function iota(dims: readonly number[]): Tensor {
  const n = product(dims);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new Tensor('int32', data, dims);
}

/** Runs a layout step's op on `x` in place of its data input; the output that is `out`. */
function runOn(ctx: RewriteContext, s: Step, x: Tensor, out: string): Tensor | undefined {
  const inputs = s.node.inputs.map((n, i) => (i === 0 ? x : n === '' ? undefined : ctx.constants.get(n)));
  try {
    const outs = s.def!.run(inputs, s.attrs, { node: s.node, opset: s.opset, runSubgraph: () => { throw new Error('no subgraphs'); } });
    const t = outs[s.node.outputs.indexOf(out)];
    return t instanceof Tensor && t.type === 'int32' ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `name` followed back through layout steps that nothing but the chain reads (the first read
 * only by step `reader`), up to a value that is not one; undefined when a dims or size is unknown.
 */
export function traceBack(
  ctx: RewriteContext, steps: readonly Step[], index: StepIndex, name: string, reader: number, allowSplit: boolean,
): Layout | undefined {
  const chain: { step: Step; out: string }[] = [];
  const absorbed: number[] = [];
  let cur = name;
  let consumer = reader;
  for (let depth = 0; depth < 16; depth++) {
    const p = index.producer.get(cur);
    if (p === undefined || index.onlyReader(cur) !== consumer) break;
    const s = steps[p]!;
    const input = s.node.inputs[0];
    if (!input || !isLayoutStep(ctx, s, allowSplit) || !float32Dims(ctx, input)) break;
    chain.push({ step: s, out: cur });
    absorbed.push(p);
    cur = input;
    consumer = p;
  }
  const baseDims = float32Dims(ctx, cur);
  const dims = float32Dims(ctx, name);
  if (!baseDims || !dims || product(baseDims) > LAYOUT_LIMIT) return undefined;
  let t = iota(baseDims);
  for (let k = chain.length - 1; k >= 0; k--) {
    const next = runOn(ctx, chain[k]!.step, t, chain[k]!.out);
    if (!next) return undefined;
    t = next;
  }
  if (t.dims.join() !== dims.join()) return undefined;
  return { base: cur, baseDims, table: t.data as Int32Array, absorbed, splits: chain.some((c) => c.step.node.opType === 'Split') };
}

/** `name` followed forward through reshape-like steps and Transposes that are its only reader. */
export function traceForward(
  ctx: RewriteContext, steps: readonly Step[], index: StepIndex, name: string,
): { final: string; finalDims: readonly number[]; place: Int32Array; absorbed: number[] } | undefined {
  const dims = float32Dims(ctx, name);
  if (!dims || product(dims) > LAYOUT_LIMIT) return undefined;
  let cur = name;
  let t = iota(dims);
  const absorbed: number[] = [];
  for (let depth = 0; depth < 16; depth++) {
    const next = index.onlyReader(cur);
    const s = next === undefined ? undefined : steps[next];
    if (next === undefined || !s || s.node.inputs[0] !== cur || s.node.outputs.length !== 1) break;
    if (!(isOp(s, 'Transpose') || RESHAPES.some((op) => isOp(s, op))) || !isLayoutStep(ctx, s, false)) break;
    const y = s.node.outputs[0]!;
    const moved = runOn(ctx, s, t, y);
    if (!moved || moved.size !== t.size || moved.dims.join() !== float32Dims(ctx, y)?.join()) break;
    t = moved;
    absorbed.push(next);
    cur = y;
  }
  // t[f] = the element of `name` at position f of the final value; invert it.
  const place = new Int32Array(t.size).fill(-1);
  const src = t.data as Int32Array;
  for (let f = 0; f < src.length; f++) {
    if (place[src[f]!] !== -1) return undefined;
    place[src[f]!] = f;
  }
  return { final: cur, finalDims: t.dims, place, absorbed };
}

/** Row-major strides of `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  let s = 1;
  for (let k = dims.length - 1; k >= 0; k--) {
    out[k] = s;
    s *= dims[k]!;
  }
  return out;
}

/**
 * offset + b*sb + h*sh + s*ss + d for every [b, h, s, d] < dims (addr gives the address), or
 * undefined when the layout is not that.
 */
export function fitStrides(
  dims: readonly [number, number, number, number], addr: (b: number, h: number, s: number, d: number) => number,
): { offset: number; strides: [number, number, number] } | undefined {
  const [B, H, S, D] = dims;
  const offset = addr(0, 0, 0, 0);
  if (D > 1 && addr(0, 0, 0, 1) - offset !== 1) return undefined;
  const sb = B > 1 ? addr(1, 0, 0, 0) - offset : 0;
  const sh = H > 1 ? addr(0, 1, 0, 0) - offset : 0;
  const ss = S > 1 ? addr(0, 0, 1, 0) - offset : 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let s = 0; s < S; s++) {
        const row = offset + b * sb + h * sh + s * ss;
        for (let d = 0; d < D; d++) if (addr(b, h, s, d) !== row + d) return undefined;
      }
    }
  }
  return { offset, strides: [sb, sh, ss] };
}
