// Scaled dot-product attention as exporters write it, run by one step of the attention kernel
// (ops/onnx/attention.ts stridedAttentionOp over kernels/attention.ts):
//
//   MatMul(Q [* c | / c], K^T) [* c | / c] [Where(mask, ., -inf) | + mask] -> Softmax(last axis)
//     -> MatMul(., V)
//
// with Q, K^T and V, and the output, reached through Transposes, Reshapes, Squeezes/Unsqueezes,
// Slices and Splits that only this attention reads: those are folded into the strides the kernel
// reads and writes with (nn.MultiheadAttention's [S, B*H, D] views, a GPT block's
// Split -> Reshape -> Transpose), so the step reads the Split/Slice input and writes the final
// Reshape's output. The layout of each operand comes from layout.ts (the chain's own ops run on
// element indices), fitted to offset + b*sb + h*sh + s*ss + d (feature stride 1), trying each
// split of a merged batch*heads axis; anything not affine is left alone. Float32 only, batch
// dims equal (no broadcasting), masks constant with at least one key kept in every row (there
// Where(-inf)+Softmax and the kernel agree: 0 weight for masked keys) and finite biases of at
// most 1e4 in magnitude.
//
// Exactness: the kernel keeps scores, softmax and the weighted sum in float64 and rounds once;
// the nodes round after each. They differ by a few ulp of max |V| * (1 + max |scaled score +
// mask bias|).

import { type StridedAttentionAttrs, type StridedOperand, stridedAttentionOp } from '../../../ops/onnx/attention.js';
import { Tensor } from '../../tensor.js';
import type { Step } from '../plan.js';
import { type RewriteContext, StepEdits, StepIndex, float32Dims, isOp, otherOperand, scalarOf } from './context.js';
import { LAYOUT_LIMIT, fitStrides, product, stridesOf, traceBack, traceForward } from './layout.js';
import { freshName } from './names.js';

/** Mask values at or below this give a key no weight, fused or not (exp underflows to 0). */
const MASKED = -1e9;
/** Larger finite mask values are not fused: the nodes would round score + mask to float32. */
const MAX_BIAS = 1e4;

/** A MatMul/Mul/Div by a constant scalar: the scale it applies, or undefined. */
function scaleBy(ctx: RewriteContext, s: Step, x: string): number | undefined {
  const c = otherOperand(s.node, x);
  const v = c === undefined ? undefined : scalarOf(ctx, c);
  if (v === undefined || !(v > 0) || !Number.isFinite(v) || !ctx.constants.has(c!) || ctx.constants.get(c!)!.type !== 'float32') return undefined;
  if (isOp(s, 'Mul')) return v;
  if (isOp(s, 'Div') && s.node.inputs[0] === x) return 1 / v;
  return undefined;
}

interface Pattern {
  /** Steps of the core (scales, MatMuls, mask, Softmax). */
  readonly core: number[];
  readonly q: string; readonly qReader: number;
  readonly k: string; readonly v: string; readonly mm1: number; readonly mm2: number;
  readonly scale: number;
  /** Additive mask: a constant of the scores' rank-aligned dims, or none. */
  readonly mask: { readonly name: string; readonly dims: readonly number[] } | null;
}

/** The core of an attention ending at Softmax `at`, or undefined. */
function coreAt(ctx: RewriteContext, steps: readonly Step[], index: StepIndex, at: number): Pattern | undefined {
  const sm = steps[at]!;
  const x = sm.node.inputs[0]!;
  const xDims = float32Dims(ctx, x);
  const axis = (sm.attrs as { axis: number }).axis;
  if (!xDims || (axis < 0 ? axis + xDims.length : axis) !== xDims.length - 1) return undefined;
  const mm2 = index.onlyReader(sm.node.outputs[0]!);
  if (mm2 === undefined || !isOp(steps[mm2], 'MatMul') || steps[mm2]!.attrs !== undefined || steps[mm2]!.node.inputs[0] !== sm.node.outputs[0]) return undefined;
  const core = [at, mm2];
  let cur = x;
  let reader = at;
  let scale = 1;
  let mask: Pattern['mask'] = null;
  // Mask (Where with a constant condition and -inf, or Add of a constant).
  const p0 = index.producer.get(cur);
  const ms = p0 === undefined ? undefined : steps[p0];
  if (p0 !== undefined && index.onlyReader(cur) === reader && (isOp(ms, 'Where') || isOp(ms, 'Add'))) {
    const m = maskOf(ctx, ms, xDims);
    if (m) {
      mask = m.mask;
      core.push(p0);
      cur = m.scores;
      reader = p0;
    }
  }
  // Scale of the scores.
  const p1 = index.producer.get(cur);
  if (p1 !== undefined && index.onlyReader(cur) === reader && (isOp(steps[p1], 'Mul') || isOp(steps[p1], 'Div'))) {
    const s = steps[p1]!;
    const operand = s.node.inputs.find((n) => scaleBy(ctx, s, n) !== undefined && !ctx.constants.has(n));
    if (operand !== undefined) {
      scale *= scaleBy(ctx, s, operand)!;
      core.push(p1);
      cur = operand;
      reader = p1;
    }
  }
  const mm1 = index.producer.get(cur);
  if (mm1 === undefined || index.onlyReader(cur) !== reader || !isOp(steps[mm1], 'MatMul') || steps[mm1]!.attrs !== undefined) return undefined;
  core.push(mm1);
  let [q, k] = steps[mm1]!.node.inputs as [string, string];
  let qReader = mm1;
  // Scale of Q.
  const pq = index.producer.get(q);
  if (pq !== undefined && index.onlyReader(q) === mm1 && (isOp(steps[pq], 'Mul') || isOp(steps[pq], 'Div'))) {
    const s = steps[pq]!;
    const operand = s.node.inputs.find((n) => scaleBy(ctx, s, n) !== undefined && !ctx.constants.has(n));
    if (operand !== undefined) {
      scale *= scaleBy(ctx, s, operand)!;
      core.push(pq);
      q = operand;
      qReader = pq;
    }
  }
  const v = steps[mm2]!.node.inputs[1]!;
  if (q === k || k === v || q === v) return undefined;
  return { core, q, qReader, k, v, mm1, mm2, scale, mask };
}

/** The additive mask a Where/Add on the scores applies, when it is a constant we can run. */
function maskOf(ctx: RewriteContext, s: Step, scoreDims: readonly number[]): { mask: NonNullable<Pattern['mask']>; scores: string } | undefined {
  const T = scoreDims[scoreDims.length - 1]!;
  const fits = (dims: readonly number[]) => dims.length >= 1 && dims.length <= scoreDims.length && dims[dims.length - 1] === T
    && dims.every((d, i) => d === 1 || d === scoreDims[scoreDims.length - dims.length + i]);
  // Each entry masks (<= MASKED: no weight either way) or is a bias of moderate size (the nodes
  // round score + bias to float32, the kernel does not); every row keeps a key.
  const usable = (m: Float32Array) => {
    for (let r = 0; r < m.length; r += T) {
      let kept = false;
      for (let j = 0; j < T; j++) {
        const v = m[r + j]!;
        if (v > MASKED && !(Math.abs(v) <= MAX_BIAS)) return false;
        kept ||= v > MASKED;
      }
      if (!kept) return false;
    }
    return true;
  };
  const sameScores = (scores: string) => float32Dims(ctx, scores)?.join() === scoreDims.join();
  if (isOp(s, 'Where')) {
    const [c, a, b] = s.node.inputs as [string, string, string];
    const cond = ctx.constants.get(c);
    const fa = ctx.constants.has(a) ? scalarOf(ctx, a) : undefined;
    const fb = ctx.constants.has(b) ? scalarOf(ctx, b) : undefined;
    const fill = fa ?? fb;
    const scores = fa === undefined ? a : b;
    if (!cond || cond.type !== 'bool' || (fa === undefined) === (fb === undefined) || !fits(cond.dims)) return undefined;
    if (fill === undefined || !(fill <= MASKED) || !sameScores(scores)) return undefined;
    const keepWhenTrue = fa === undefined;
    const cd = cond.data as Uint8Array;
    const m = new Float32Array(cd.length);
    for (let i = 0; i < m.length; i++) m[i] = (cd[i] !== 0) === keepWhenTrue ? 0 : -Infinity;
    if (!usable(m)) return undefined;
    const name = freshName(ctx, `${s.node.outputs[0]}:additive-mask`);
    const t = new Tensor('float32', m, cond.dims);
    ctx.constants.set(name, t);
    ctx.made.set(name, t);
    return { mask: { name, dims: cond.dims }, scores };
  }
  if (isOp(s, 'Add')) {
    for (const scores of s.node.inputs) {
      const other = otherOperand(s.node, scores);
      const t = other === undefined ? undefined : ctx.constants.get(other);
      if (!t || t.type !== 'float32' || !fits(t.dims) || !usable(t.data as Float32Array)) continue;
      if (ctx.constants.has(scores) || !sameScores(scores)) continue;
      return { mask: { name: other!, dims: t.dims }, scores };
    }
  }
  return undefined;
}

export function fuseAttention(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const edits = new StepEdits();
  steps.forEach((s, at) => {
    if (!isOp(s, 'Softmax')) return;
    const p = coreAt(ctx, steps, index, at);
    if (!p) return;
    const fused = build(ctx, steps, index, p, true) ?? build(ctx, steps, index, p, false);
    if (!fused || edits.touched(...fused.remove)) return;
    edits.replace(fused.at, fused.step);
    edits.remove(...fused.remove.filter((i) => i !== fused.at));
  });
  return edits.size === 0 ? [...steps] : edits.apply(steps);
}

function build(ctx: RewriteContext, steps: readonly Step[], index: StepIndex, p: Pattern, allowSplit: boolean): { at: number; step: Step; remove: number[] } | undefined {
  const qDims = float32Dims(ctx, p.q);
  const kDims = float32Dims(ctx, p.k);
  const vDims = float32Dims(ctx, p.v);
  const o = steps[p.mm2]!.node.outputs[0]!;
  const oDims = float32Dims(ctx, o);
  if (!qDims || !kDims || !vDims || !oDims) return undefined;
  const r = qDims.length;
  if ((r !== 3 && r !== 4) || kDims.length !== r || vDims.length !== r || oDims.length !== r) return undefined;
  const batchDims = qDims.slice(0, r - 2);
  if (![kDims, vDims, oDims].every((d) => d.slice(0, r - 2).join() === batchDims.join())) return undefined;
  const [S, D] = qDims.slice(r - 2) as [number, number];
  const T = kDims[r - 1]!;
  const Dv = vDims[r - 1]!;
  if (kDims[r - 2] !== D || vDims[r - 2] !== T || oDims[r - 2] !== S || oDims[r - 1] !== Dv) return undefined;
  if (S * T * product(batchDims) > LAYOUT_LIMIT) return undefined;

  const qs = traceBack(ctx, steps, index, p.q, p.qReader, allowSplit);
  const ks = traceBack(ctx, steps, index, p.k, p.mm1, allowSplit);
  const vs = traceBack(ctx, steps, index, p.v, p.mm2, allowSplit);
  const out = traceForward(ctx, steps, index, o);
  if (!qs || !ks || !vs || !out) return undefined;
  if (!allowSplit && [qs, ks, vs].some((x) => x.splits)) return undefined;

  // Element [b, h, x, y] of a rank-r value whose batch axes hold b*H + h: its row-major index.
  const qSt = stridesOf(qDims);
  const kSt = stridesOf(kDims);
  const vSt = stridesOf(vDims);
  const oSt = stridesOf(oDims);
  const head = (st: readonly number[]) => st[r - 3]!;
  const batchCandidates: [number, number][] = r === 4
    ? [[batchDims[0]!, batchDims[1]!]]
    : divisorsDescending(batchDims[0]!).map((h) => [batchDims[0]! / h, h]);
  for (const [B, H] of batchCandidates) {
    const q = fitStrides([B, H, S, D], (b, h, s, d) => qs.table[(b * H + h) * head(qSt) + s * qSt[r - 2]! + d]!);
    const k = q && fitStrides([B, H, T, D], (b, h, t, d) => ks.table[(b * H + h) * head(kSt) + d * kSt[r - 2]! + t]!);
    const v = k && fitStrides([B, H, T, Dv], (b, h, t, d) => vs.table[(b * H + h) * head(vSt) + t * vSt[r - 2]! + d]!);
    const w = v && fitStrides([B, H, S, Dv], (b, h, s, d) => out.place[(b * H + h) * head(oSt) + s * oSt[r - 2]! + d]!);
    if (!q || !k || !v || !w) continue;
    let maskOperand: StridedOperand | null = null;
    if (p.mask) {
      // The mask's dims align with the scores' [.., S, T] from the right; dims of 1 broadcast.
      const md = p.mask.dims;
      const ms = stridesOf(md);
      const along = (axis: number) => { // stride of scores axis `axis` (rank r) in the mask
        const k2 = axis - (r - md.length);
        return k2 < 0 || md[k2] === 1 ? 0 : ms[k2]!;
      };
      const [sB, sH] = r === 4 ? [along(0), along(1)] : [along(0) * H, along(0)];
      const sS = along(r - 2);
      const sT = along(r - 1);
      const m = fitStrides([B, H, S, T], (b, h, s, t) => b * sB + h * sH + s * sS + t * sT);
      if (!m) continue;
      maskOperand = { ...m, size: product(md) };
    }
    const remove = [...new Set([...p.core, ...qs.absorbed, ...ks.absorbed, ...vs.absorbed, ...out.absorbed])];
    if (!selfContained(ctx, steps, index, remove, out.final)) return undefined;
    const attrs: StridedAttentionAttrs = Object.freeze({
      batch: B, heads: H, qSeq: S, kvSeq: T, headSize: D, vHeadSize: Dv, scale: p.scale,
      q: { ...q, size: product(qs.baseDims) }, k: { ...k, size: product(ks.baseDims) }, v: { ...v, size: product(vs.baseDims) },
      mask: maskOperand, out: { ...w, size: product(out.finalDims) }, outDims: out.finalDims,
    });
    const at = out.absorbed.length ? out.absorbed[out.absorbed.length - 1]! : p.mm2;
    const mm2 = steps[p.mm2]!.node;
    const step: Step = {
      node: {
        name: `${mm2.name || o} (Attention)`, domain: '', opType: 'Attention',
        inputs: [qs.base, ks.base, vs.base, ...(p.mask ? [p.mask.name] : [])], outputs: [out.final], attributes: new Map(),
      },
      opset: 1, def: stridedAttentionOp, attrs, release: [], checkSizes: true, memo: {},
    };
    return { at, step, remove };
  }
  return undefined;
}

function divisorsDescending(n: number): number[] {
  const out: number[] = [];
  for (let h = n; h >= 1; h--) if (n % h === 0) out.push(h);
  return out;
}

/** Every value the removed steps make (but `out`) is read only by removed steps and is no graph output. */
function selfContained(ctx: RewriteContext, steps: readonly Step[], index: StepIndex, remove: readonly number[], out: string): boolean {
  const gone = new Set(remove);
  for (const i of remove) {
    for (const o of steps[i]!.node.outputs) {
      if (!o || o === out) continue;
      if (ctx.outputs.has(o) || (index.readers.get(o) ?? []).some((r) => !gone.has(r))) return false;
    }
  }
  return true;
}
