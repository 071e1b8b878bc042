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

/**
 * softmax(q k^T * scale (or / scale) + mask) v for float32 q [..., S, D], k [..., T, D],
 * v [..., T, Dv] of equal batch dims, mask a bool [..., S, T] (True = masked) whose batch dims
 * are all 1 or equal to q's; None when that is not the case or a row is fully masked.
 */
function fusedAttention(q: TsValue, k: TsValue, v: TsValue, mask: TsValue, scaleArg: TsValue, divide: boolean): TsValue {
  if (!isF32(q) || !isF32(k) || !isF32(v) || q.rank < 3 || k.rank !== q.rank || v.rank !== q.rank) return null;
  const r = q.rank;
  const batchDims = q.dims.slice(0, r - 2);
  if (!sameDims(k.dims.slice(0, r - 2), batchDims) || !sameDims(v.dims.slice(0, r - 2), batchDims)) return null;
  const [S, D] = [q.dims[r - 2]!, q.dims[r - 1]!];
  const [T, Dv] = [v.dims[r - 2]!, v.dims[r - 1]!];
  if (k.dims[r - 2] !== T || k.dims[r - 1] !== D || T === 0) return null;
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
  const out = allocF32([...batchDims, S, Dv], 'tessera::fused_attention');
  attentionStridedF32(
    {
      batch: B, heads: H, qSeq: S, kvSeq: T, headSize: D, vHeadSize: Dv, scale: divide ? 1 / scale : scale,
      q: view(0, H * S * D, S * D, D), k: view(0, H * T * D, T * D, D), v: view(0, H * T * Dv, T * Dv, Dv),
      mask: maskView, out: view(0, H * S * Dv, S * Dv, Dv),
    },
    q.data as Float32Array, k.data as Float32Array, v.data as Float32Array, maskData, out,
  );
  return new Tensor('float32', out, [...batchDims, S, Dv]);
}

export const attentionOps: readonly AtenOp[] = [
  {
    ...aten('fused_attention', '(Tensor q, Tensor k, Tensor v, Tensor? mask, Any scale, bool divide) -> Tensor?',
      (a) => fusedAttention(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5] === true)),
    name: 'tessera::fused_attention',
  },
];
