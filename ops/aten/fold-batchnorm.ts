// A conv's weight and bias with an eval-mode BatchNorm that follows it folded in, for the
// TorchScript interpreter's conv + batch_norm fusion (src/runtime/torchscript/fuse-conv-bn.ts):
//   a = gamma / sqrt(var + eps),  W' = W * a (per output channel),  b' = (b - mean) * a + beta
// computed in float64 and rounded once to float32 by kernels/batchnorm-fold.ts, the fold the ONNX
// rewrite uses (PyTorch's fuse_conv_bn_eval computes the same in float32); a None weight or bias
// of the norm is 1 or 0. Kept per weight tensor while it and the norm's tensors are the same objects at the
// same storage versions (versions.ts), so the conv's packed weights (prepared.ts, keyed by W')
// are made once.

import { foldBatchNormF32 } from '../../kernels/batchnorm-fold.js';
import { Tensor } from '../../src/tensor.js';
import type { TsValue } from './aten-op.js';
import { storageVersion } from './versions.js';

interface Held {
  readonly inputs: readonly (Tensor | null)[];
  readonly versions: readonly number[];
  readonly eps: number;
  readonly weight: Tensor;
  readonly bias: Tensor;
}

const held = new WeakMap<Tensor, Held>();

/** A float32 tensor of shape [m], null for None; undefined for anything else. */
function vector(v: TsValue, m: number): Tensor | null | undefined {
  if (v === null) return null;
  return v instanceof Tensor && v.type === 'float32' && v.rank === 1 && v.dims[0] === m ? v : undefined;
}

/**
 * The folded weight and bias, or null where the operands are not float32 tensors of matching
 * shapes (then the caller runs the conv and the norm as written).
 */
export function foldBatchNormIntoConv(
  w: TsValue, b: TsValue, gamma: TsValue, beta: TsValue, mean: TsValue, variance: TsValue, eps: TsValue,
): { weight: Tensor; bias: Tensor } | null {
  if (!(w instanceof Tensor) || w.type !== 'float32' || w.rank < 3) return null;
  const m = w.dims[0]!;
  const e = typeof eps === 'bigint' ? Number(eps) : eps;
  if (typeof e !== 'number' || !(e >= 0)) return null;
  const inputs = [vector(b, m), vector(gamma, m), vector(beta, m), vector(mean, m), vector(variance, m)];
  if (inputs.includes(undefined) || inputs[3] === null || inputs[4] === null) return null;
  const ts = inputs as (Tensor | null)[];
  const versions = [w, ...ts].map((t) => (t === null ? -1 : storageVersion(t.data)));
  const h = held.get(w);
  if (h !== undefined && h.eps === e && h.inputs.every((t, i) => t === ts[i]) && h.versions.every((v, i) => v === versions[i])) {
    return { weight: h.weight, bias: h.bias };
  }
  const [bt, gt, betat, mt, vt] = ts;
  const fw = new Float32Array(w.data.length);
  const fb = new Float32Array(m);
  foldBatchNormF32(
    w.data as Float32Array, bt === null ? null : (bt!.data as Float32Array),
    gt === null ? new Float32Array(m).fill(1) : (gt!.data as Float32Array), betat === null ? new Float32Array(m) : (betat!.data as Float32Array),
    mt!.data as Float32Array, vt!.data as Float32Array, e, fw, fb,
  );
  const out = { weight: new Tensor('float32', fw, w.dims), bias: new Tensor('float32', fb, [m]) };
  held.set(w, { inputs: ts, versions, eps: e, ...out });
  return out;
}
