// tessera::fused_attention: the attention a traced model writes as
//
//   matmul|bmm(softmax([masked_fill](([mul|div](matmul|bmm(q, k.transpose(-2, -1)), c)), m, -inf), -1), v)
//
// in one float32 kernel call (kernels/attention-strided-f32.ts). The TorchScript runtime's
// rewrite (src/runtime/torchscript/fuse-attention.ts) calls it in place of those ops and keeps
// them as the fallback: the op returns None whenever it cannot give what they give (another
// dtype, broadcast batch dims, a mask of another shape, a query row with every key masked,
// where softmax gives NaN and the kernel would give 0; a non-finite q or k, where masked_fill
// would overwrite a NaN score the kernel keeps), and the interpreter then runs them.
//
// Numbers: scores, softmax and the weighted sum are float64 and rounded once to float32; the ops
// round after each step. They differ by a few float32 ulps of max |v| (the ONNX attention
// fusion has the same bound, src/runtime/rewrite/attention.ts).

import { type StridedView, additiveMaskF32, allFiniteF32, attentionStridedF32 } from '../../kernels/attention-strided-f32.js';
import { contiguousStrides } from '../../kernels/strides.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { aten } from './define.js';
import { allocF32, isF32 } from './float32.js';

/** The additive mask (0 kept, -inf masked) a bool mask gives, reused between calls. */
let additive = new Float32Array(0);

/** A scale argument: None (1), a number, or a one-element float tensor. */
function scaleOf(v: TsValue): number | undefined {
  if (v === null) return 1;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Tensor && v.size === 1 && (v.type === 'float32' || v.type === 'float64')) return (v.data as Float32Array | Float64Array)[0]!;
  return undefined;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const view = (offset: number, sb: number, sh: number, ss: number): StridedView => ({ offset, strides: [sb, sh, ss] });

/** A tensor's dims and element strides as read through a transpose of two axes (or as stored). */
interface Logical { readonly dims: number[]; readonly strides: number[] }

function swapAxes(dims: readonly number[], swap: TsValue): Logical | undefined {
  const d = [...dims];
  const st = contiguousStrides(d);
  if (swap === null) return { dims: d, strides: st };
  if (!Array.isArray(swap) || swap.length !== 2) return undefined;
  const r = d.length;
  const [a, b] = swap.map((x) => (typeof x === 'bigint' ? Number(x) : NaN)).map((x) => (x < 0 ? x + r : x)) as [number, number];
  if (!(a >= 0 && a < r && b >= 0 && b < r)) return undefined;
  [d[a], d[b]] = [d[b]!, d[a]!];
  [st[a], st[b]] = [st[b]!, st[a]!];
  return { dims: d, strides: st };
}

/**
 * The kernel's [B, H, row, feature] view of a logical rank >= 3 tensor: H its last batch axis, B
 * the others flattened (which their strides must allow), features contiguous.
 */
function headView(l: Logical): StridedView | undefined {
  const r = l.dims.length;
  if (l.dims[r - 1]! > 1 && l.strides[r - 1] !== 1) return undefined;
  let sB = 0;
  let inner = -1; // the innermost batch axis of more than one element, besides H
  for (let t = r - 4; t >= 0; t--) {
    if (l.dims[t] === 1) continue;
    if (inner < 0) sB = l.strides[t]!;
    else if (l.strides[t] !== l.strides[inner]! * l.dims[inner]!) return undefined;
    inner = t;
  }
  return view(0, sB, l.dims[r - 3]! > 1 ? l.strides[r - 3]! : 0, l.dims[r - 2]! > 1 ? l.strides[r - 2]! : 0);
}

/**
 * softmax(q k^T * scale (or / scale) + mask) v for float32 q [..., S, D], k [..., T, D],
 * v [..., T, Dv] of equal batch dims, each possibly read through a transpose of two of its axes
 * (`*Swap`, as the code wrote before the product), the result written transposed when `outSwap`
 * is given; mask a bool [..., S, T] (True = masked) whose batch dims are all 1, only heads, or
 * q's; None when that is not the case, a row is fully masked or q or k is not finite.
 */
function fusedAttention(
  q: TsValue, k: TsValue, v: TsValue, mask: TsValue, scaleArg: TsValue, divide: boolean,
  qSwap: TsValue, kSwap: TsValue, vSwap: TsValue, outSwap: TsValue,
): TsValue {
  if (!isF32(q) || !isF32(k) || !isF32(v) || q.rank < 3 || k.rank !== q.rank || v.rank !== q.rank) return null;
  const ql = swapAxes(q.dims, qSwap), kl = swapAxes(k.dims, kSwap), vl = swapAxes(v.dims, vSwap);
  if (!ql || !kl || !vl) return null;
  const r = q.rank;
  const batchDims = ql.dims.slice(0, r - 2);
  if (!sameDims(kl.dims.slice(0, r - 2), batchDims) || !sameDims(vl.dims.slice(0, r - 2), batchDims)) return null;
  const [S, D] = [ql.dims[r - 2]!, ql.dims[r - 1]!];
  const [T, Dv] = [vl.dims[r - 2]!, vl.dims[r - 1]!];
  if (kl.dims[r - 2] !== T || kl.dims[r - 1] !== D || T === 0) return null;
  const outLogical = [...batchDims, S, Dv];
  const ol = swapAxes(outLogical, outSwap);
  if (!ol) return null;
  // The result is stored contiguous in its final (swapped) dims: read back through the same swap,
  // that storage has the logical [..., S, Dv] dims and the strides the kernel writes with.
  const back = swapAxes(ol.dims, outSwap)!;
  const qv = headView(ql), kv = headView(kl), vv = headView(vl), ov = headView(back);
  if (!qv || !kv || !vv || !ov) return null;
  // masked_fill writes -inf over whatever the score was (NaN too); the kernel adds -inf: equal
  // only for finite scores, so non-finite q or k take the ops' path.
  if (!allFiniteF32(q.data as Float32Array, q.size) || !allFiniteF32(k.data as Float32Array, k.size)) return null;
  const scale = scaleOf(scaleArg);
  if (scale === undefined || !Number.isFinite(scale) || (divide && scale === 0)) return null;
  // Batch dims as [B, H]: H the last of them.
  const H = batchDims[batchDims.length - 1]!;
  const B = batchDims.slice(0, -1).reduce((p, d) => p * d, 1);
  let maskView: StridedView | null = null;
  let maskData: Float32Array | null = null;
  if (mask !== null) {
    if (!(mask instanceof Tensor) || mask.type !== 'bool' || mask.rank < 2 || mask.rank > r) return null;
    const md = mask.dims;
    if (md[md.length - 2] !== S || md[md.length - 1] !== T) return null;
    // Mask batch dims (right-aligned to q's): all 1 (shared), or only the last one is not 1
    // (per head, shared over the rest), or all equal to q's.
    const mb = md.slice(0, -2);
    const lead = batchDims.length - mb.length;
    const ones = mb.every((d) => d === 1);
    const perHead = mb.length >= 1 && mb[mb.length - 1] === H && mb.slice(0, -1).every((d) => d === 1);
    const full = lead === 0 && sameDims(mb, batchDims);
    if (!ones && !perHead && !full) return null;
    const n = S * T * (ones ? 1 : perHead && !full ? H : B * H);
    if (additive.length < n) additive = new Float32Array(n);
    if (!additiveMaskF32(mask.data as Uint8Array, additive, n / T, T)) return null; // softmax over all -inf is NaN
    maskData = additive;
    maskView = ones ? view(0, 0, 0, T) : perHead && !full ? view(0, 0, S * T, T) : view(0, H * S * T, S * T, T);
  }
  const out = allocF32(ol.dims, 'tessera::fused_attention');
  attentionStridedF32(
    { batch: B, heads: H, qSeq: S, kvSeq: T, headSize: D, vHeadSize: Dv, scale: divide ? 1 / scale : scale, q: qv, k: kv, v: vv, mask: maskView, out: ov },
    q.data as Float32Array, k.data as Float32Array, v.data as Float32Array, maskData, out,
  );
  return new Tensor('float32', out, ol.dims);
}

export const attentionOps: readonly AtenOp[] = [
  {
    ...aten('fused_attention', '(Tensor q, Tensor k, Tensor v, Tensor? mask, Any scale, bool divide, Any q_swap, Any k_swap, Any v_swap, Any out_swap) -> Tensor?',
      (a) => fusedAttention(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5] === true, a[6]!, a[7]!, a[8]!, a[9]!)),
    name: 'tessera::fused_attention',
  },
];
