// Row permutations around a fused attention, folded into its strides. nn.MultiheadAttention with
// batch_first=True (every nn.TransformerEncoderLayer(batch_first=True)) exports as
//
//   x [B, S, E] -> Transpose(1, 0, 2) -> MatMul(W_in^T) + b_in -> (attention over [S, B, ...])
//     -> [S*B, E] -> Gemm(W_out, b_out, transB) -> Reshape [S, B, E] -> Transpose(1, 0, 2) -> Add(x)
//
// A product with a constant right operand acts on each row (all axes but the last) alone, so it
// commutes with any reordering of rows. Two rewrites use that, after attention fusion:
//
//  - in: a MatMul whose left operand comes through layout steps that only reorder rows of X (last
//    axis kept) reads X itself, when every reader of its output is a fused attention: the
//    attention's operand strides absorb the reordering;
//  - out: a Gemm (alpha = beta = 1, no transA, bias per column or none) or MatMul with a constant
//    right operand, reading a fused attention's output, whose output only reaches Z through layout
//    steps that reorder its rows, becomes a MatMul (Gemm's transB: by the transposed constant)
//    that writes Z directly: the attention writes its rows in Z's order.
//
// The layout steps go away, and the residual Add after the out-projection can then fuse into the
// product's store (epilogue.ts). Every product and attention computes the same numbers at other
// addresses, so the outputs are bit-identical to the plan without this pass.

import { type StridedAttentionAttrs, type StridedOperand, stridedAttentionOp } from '../../../ops/onnx/attention.js';
import { linearOps } from '../../../ops/onnx/linear.js';
import { Tensor } from '../../tensor.js';
import type { Step } from '../plan.js';
import { type RewriteContext, StepEdits, StepIndex, float32Dims, isOp, rewritten } from './context.js';
import { fitStrides, product, traceBack, traceForward } from './layout.js';
import { freshName } from './names.js';

const MATMUL = linearOps.find((d) => d.name === 'MatMul')!;

const isAttention = (s: Step | undefined): boolean => s?.def === stridedAttentionOp;

interface Fused { readonly bias?: boolean; readonly residual?: boolean; readonly activation?: unknown }

/**
 * For a table mapping each element of a value with rows of `width` to an element of another
 * value with rows of the same width: the row each row maps to, when whole rows map to whole rows
 * in order (a reordering of rows); else undefined.
 */
function rowMap(table: ArrayLike<number>, width: number): Int32Array | undefined {
  if (width <= 0 || table.length % width !== 0) return undefined;
  const rows = table.length / width;
  const map = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = table[r * width]!;
    if (start % width !== 0) return undefined;
    for (let c = 1; c < width; c++) if (table[r * width + c] !== start + c) return undefined;
    map[r] = start / width;
  }
  return map;
}

/** Whether `rows` maps `count` rows one to one onto 0..count-1. */
function isPermutation(rows: Int32Array, count: number): boolean {
  if (rows.length !== count) return false;
  const seen = new Uint8Array(count);
  for (const r of rows) {
    if (r < 0 || r >= count || seen[r]) return false;
    seen[r] = 1;
  }
  return true;
}

/** An operand view over a value with rows of `width`, its rows moved by `move` (old row -> new row). */
function moveRows(
  v: StridedOperand, dims: readonly [number, number, number, number], width: number, move: Int32Array,
): StridedOperand | undefined {
  const [sb, sh, ss] = v.strides;
  const fit = fitStrides(dims, (b, h, s, d) => {
    const e = v.offset + b * sb + h * sh + s * ss + d;
    const r = Math.floor(e / width);
    return move[r]! * width + (e - r * width);
  });
  return fit && { ...fit, size: v.size };
}

function setType(ctx: RewriteContext, name: string, dims: readonly number[]): void {
  ctx.types.set(name, { kind: 'tensor', elemType: 'float32', shape: dims });
}

/** The rows a constant 2-D float32 right operand of a product maps: [K, N], or undefined. */
function constantMatrix(ctx: RewriteContext, name: string | undefined): Tensor | undefined {
  const t = name === undefined ? undefined : ctx.constants.get(name);
  return t && t.type === 'float32' && t.dims.length === 2 ? t : undefined;
}

const transposes = new WeakMap<RewriteContext, Map<string, string>>();

/** The name of a made constant holding the transpose of constant matrix `name` (one per name). */
function transposedConstant(ctx: RewriteContext, name: string, c: Tensor): string {
  let made = transposes.get(ctx);
  if (!made) transposes.set(ctx, (made = new Map()));
  const hit = made.get(name);
  if (hit !== undefined) return hit;
  const [n, k] = c.dims as [number, number];
  const cd = c.data as Float32Array;
  const t = new Float32Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) t[i * n + j] = cd[j * k + i]!;
  const out = freshName(ctx, `${name}:transposed`);
  const tensor = new Tensor('float32', t, [k, n]);
  ctx.constants.set(out, tensor);
  ctx.made.set(out, tensor);
  made.set(name, out);
  return out;
}

/** in: MatMul(rows of X reordered, C) read only by attentions -> MatMul(X, C), strides moved. */
function foldInput(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const edits = new StepEdits();
  steps.forEach((m, at) => {
    if (!isOp(m, 'MatMul') || m.node.outputs.length !== 1 || (m.attrs as Fused | undefined)?.residual) return;
    const p = m.node.outputs[0]!;
    const readers = index.readers.get(p) ?? [];
    if (ctx.outputs.has(p) || readers.length === 0 || !readers.every((r) => isAttention(steps[r]))) return;
    const c = constantMatrix(ctx, m.node.inputs[1]);
    const pDims = float32Dims(ctx, p);
    if (!c || !pDims) return;
    const [k, n] = c.dims as [number, number];
    const from = traceBack(ctx, steps, index, m.node.inputs[0]!, at, false);
    if (!from || from.absorbed.length === 0 || from.baseDims[from.baseDims.length - 1] !== k) return;
    const rows = rowMap(from.table, k);
    // A reordering only: the product of X computes every row of X, so a Slice that drops rows
    // (VOLO's class attention reads q(x[:, :1])) would hand the attention a larger Q than it reads.
    if (!rows || !isPermutation(rows, product(from.baseDims) / k)) return;
    if (edits.touched(at, ...from.absorbed, ...readers)) return;
    // Row r of the product as written is row rows[r] of the product of the base.
    const moved = new Map<number, Step>();
    for (const r of readers) {
      const s = steps[r]!;
      const a = s.attrs as StridedAttentionAttrs;
      const view = (which: 0 | 1 | 2, v: StridedOperand, len: number, width: number) => (
        s.node.inputs[which] === p ? moveRows(v, [a.batch, a.heads, len, width], n, rows) : v);
      const q = view(0, a.q, a.qSeq, a.headSize);
      const kk = view(1, a.k, a.kvSeq, a.headSize);
      const v = view(2, a.v, a.kvSeq, a.vHeadSize);
      if (!q || !kk || !v) return;
      moved.set(r, { ...s, attrs: Object.freeze({ ...a, q, k: kk, v }) });
    }
    edits.replace(at, rewritten(m, { inputs: [from.base, ...m.node.inputs.slice(1)] }, m.attrs));
    edits.remove(...from.absorbed);
    for (const [r, s] of moved) edits.replace(r, s);
    setType(ctx, p, [...from.baseDims.slice(0, -1), n]);
  });
  return edits.size === 0 ? [...steps] : edits.apply(steps);
}

/** out: attention -> Gemm/MatMul(., C) -> rows reordered to Z  =>  attention (rows in Z's order) -> MatMul -> Z. */
function foldOutput(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const edits = new StepEdits();
  steps.forEach((s, at) => {
    if (!isAttention(s)) return;
    const a = s.attrs as StridedAttentionAttrs;
    const o = s.node.outputs[0]!;
    const g = index.onlyReader(o);
    const prod = g === undefined ? undefined : steps[g];
    if (g === undefined || !prod || prod.node.inputs[0] !== o || prod.node.outputs.length !== 1) return;
    let right: string;
    let bias: string | undefined;
    let transposed = false;
    if (isOp(prod, 'Gemm')) {
      const ga = prod.attrs as { alpha: number; beta: number; transA: boolean; transB: boolean } & Fused;
      if (ga.alpha !== 1 || ga.transA || ga.residual || ga.activation || a.outDims.length !== 2) return;
      right = prod.node.inputs[1]!;
      transposed = ga.transB;
      const cName = prod.node.inputs[2];
      if (cName) {
        const cT = ctx.constants.get(cName);
        const cols = constantMatrix(ctx, right)?.dims[transposed ? 0 : 1];
        // A bias per column: [N] or [1, N], added once (beta 1).
        if (ga.beta !== 1 || !cT || cT.type !== 'float32' || cT.size !== cols || cT.dims.some((d, i) => i < cT.dims.length - 1 && d !== 1)) return;
        bias = cName;
      }
    } else if (isOp(prod, 'MatMul')) {
      const fa = prod.attrs as Fused | undefined;
      if (fa?.residual || fa?.activation) return;
      right = prod.node.inputs[1]!;
      if (fa?.bias) bias = prod.node.inputs[2];
    } else return;
    const c = constantMatrix(ctx, right);
    const y = prod.node.outputs[0]!;
    const yDims = float32Dims(ctx, y);
    if (!c || !yDims) return;
    const [k, n] = (transposed ? [c.dims[1], c.dims[0]] : c.dims) as [number, number];
    if (a.outDims[a.outDims.length - 1] !== k || yDims[yDims.length - 1] !== n) return;
    const to = traceForward(ctx, steps, index, y);
    if (!to || to.absorbed.length === 0 || to.finalDims[to.finalDims.length - 1] !== n || edits.touched(at, g, ...to.absorbed)) return;
    // place[e] = where element e of the product lands in Z: row r of the product is row rows[r] of Z.
    const rows = rowMap(to.place, n);
    if (!rows) return;
    const out = moveRows(a.out, [a.batch, a.heads, a.qSeq, a.vHeadSize], k, rows);
    if (!out) return;
    const outDims = [...to.finalDims.slice(0, -1), k];
    const rightName = transposed ? transposedConstant(ctx, right, c) : right;
    edits.replace(at, { ...s, attrs: Object.freeze({ ...a, out, outDims }) });
    edits.replace(g, {
      ...prod,
      node: { ...prod.node, opType: 'MatMul', inputs: [o, rightName, ...(bias ? [bias] : [])], outputs: [to.final], attributes: new Map() },
      def: MATMUL, attrs: bias ? Object.freeze({ bias: true }) : undefined, memo: {},
    });
    edits.remove(...to.absorbed);
    setType(ctx, o, outDims);
  });
  return edits.size === 0 ? [...steps] : edits.apply(steps);
}

/** Both rewrites, each until it changes nothing (a few rounds at most: one per attention operand). */
export function foldAttentionRowOrder(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  let out = [...steps];
  for (const pass of [foldInput, foldOutput]) {
    for (let round = 0; round < 4; round++) {
      const next = pass(ctx, out);
      const same = next.length === out.length && next.every((x, i) => x === out[i]);
      out = next;
      if (same) break;
    }
  }
  return out;
}
