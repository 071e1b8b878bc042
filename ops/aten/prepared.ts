// Weights packed once. A TorchScript module passes the same parameter Tensor to its conv /
// linear on every call, so the layout the float32 kernels want (packed GEMM panels, per-group
// conv panels) is made once per tensor and kept in a WeakMap keyed by that Tensor (it dies with
// the tensor). An entry is used only while the tensor's storage version is the one it was
// packed at: an in-place write (`weight.mul_(2)`, `weight.copy_(w)`, or a write through a view
// of it) bumps the version and the next call packs again (see versions.ts).
// This is the TorchScript side of what the ONNX runtime keeps in OpContext.memo for initializers.

import { type ConvEpilogueF32, type PackedConvF32, convPackedF32, packConvF32 } from '../../kernels/conv-f32.js';
import type { ConvGeometry } from '../../kernels/conv.js';
import { type PackedGemmB, jsGemmEngine, packGemmB } from '../../kernels/gemm-f32.js';
import { gemmEngine } from '../engine.js';
import { type PackedWinogradF32, packWinogradF32, winogradConvF32, winogradPlanFor } from '../../kernels/winograd-f32.js';
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

/** A conv weight's packings, each made on first use (as ops/onnx/conv.ts keeps them in its memo). */
interface HeldConv {
  readonly version: number;
  readonly group: number;
  direct?: PackedConvF32;
  winograd?: PackedWinogradF32;
}

const conv = new WeakMap<Tensor, HeldConv>();

function heldConv(w: Tensor, g: ConvGeometry): HeldConv {
  const version = storageVersion(w.data);
  let held = conv.get(w);
  if (held === undefined || held.version !== version || held.group !== g.group) conv.set(w, (held = { version, group: g.group }));
  return held;
}

/**
 * y = conv(x, w) with the epilogue `ep`, for float32 data, choosing the kernel as the ONNX Conv
 * does: Winograd where winogradPlanFor says it is faster for a weight packed once, else im2col.
 * The weight is packed (or transformed) once per tensor and storage version.
 */
export function convWithPackedWeight(x: Float32Array, w: Tensor, y: Float32Array, g: ConvGeometry, ep: ConvEpilogueF32): void {
  const engine = gemmEngine();
  if (engine !== jsGemmEngine && ep.engine === undefined) ep = { ...ep, engine };
  const held = heldConv(w, g);
  const plan = winogradPlanFor(g, false, engine);
  if (plan !== null) {
    let packed = held.winograd;
    if (!packed || packed.tile !== plan.tile || packed.tilesAsRows !== plan.tilesAsRows) {
      held.winograd = packed = packWinogradF32(w.data as Float32Array, g, plan);
    }
    winogradConvF32(x, packed, y, g, ep);
    return;
  }
  convPackedF32(x, held.direct ??= packConvF32(w.data as Float32Array, g), y, g, ep);
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
