// Weights packed once. A TorchScript module passes the same parameter Tensor to its conv /
// linear on every call, so the layout the float32 kernels want (packed GEMM panels, per-group
// conv panels) is made once per tensor and kept in a WeakMap keyed by that Tensor (it dies with
// the tensor). An entry is used only while the tensor's storage version is the one it was
// packed at: an in-place write (`weight.mul_(2)`, `weight.copy_(w)`, or a write through a view
// of it) bumps the version and the next call packs again (see versions.ts).
// This is the TorchScript side of what the ONNX runtime keeps in OpContext.memo for initializers.

import { type PackedConvF32, packConvF32 } from '../../kernels/conv-f32.js';
import type { ConvGeometry } from '../../kernels/conv.js';
import { type PackedGemmB, packGemmB } from '../../kernels/gemm-f32.js';
import type { Tensor } from '../../src/tensor.js';
import { storageVersion } from './versions.js';

interface HeldGemmB {
  readonly version: number;
  readonly k: number;
  readonly n: number;
  readonly trans: boolean;
  readonly packed: PackedGemmB;
}

const gemmB = new WeakMap<Tensor, HeldGemmB>();

/**
 * op(B) of a k x n product packed for gemmPackedBF32, where `b` is a dense float32 tensor
 * (stored n x k when `trans`, as a Linear weight is). Packed on the first call and reused while
 * `b` is unchanged.
 */
export function packedGemmB(b: Tensor, k: number, n: number, trans: boolean): PackedGemmB {
  const version = storageVersion(b.data);
  const held = gemmB.get(b);
  if (held !== undefined && held.version === version && held.k === k && held.n === n && held.trans === trans) return held.packed;
  const packed = packGemmB(b.data as Float32Array, k, n, { trans });
  gemmB.set(b, { version, k, n, trans, packed });
  return packed;
}

interface HeldConv {
  readonly version: number;
  readonly group: number;
  readonly packed: PackedConvF32;
}

const conv = new WeakMap<Tensor, HeldConv>();

/** A float32 conv weight packed for convPackedF32 (it depends on W's dims and the group only). */
export function packedConvWeight(w: Tensor, g: ConvGeometry): PackedConvF32 {
  const version = storageVersion(w.data);
  const held = conv.get(w);
  if (held !== undefined && held.version === version && held.group === g.group) return held.packed;
  const packed = packConvF32(w.data as Float32Array, g);
  conv.set(w, { version, group: g.group, packed });
  return packed;
}

const metOnce = new WeakMap<Tensor, number>();

/**
 * op(B) = `b` (dense k x n) packed, when `b` is met unchanged for the second time (a weight,
 * not a per-call activation); null the first time, when the caller packs it on the fly.
 */
export function reusedGemmB(b: Tensor, k: number, n: number): PackedGemmB | null {
  if (gemmB.has(b)) return packedGemmB(b, k, n, false);
  const version = storageVersion(b.data);
  if (metOnce.get(b) === version) return packedGemmB(b, k, n, false);
  metOnce.set(b, version);
  return null;
}
