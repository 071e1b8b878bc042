// BatchNormalization folded into the Conv before it, when everything it needs is a constant of
// the session: Conv(X, W[, B]) -> BatchNormalization(scale, bias, mean, var) becomes
// Conv(X, W', B') with W' = W * s and B' = (B - mean) * s + bias, s = scale / sqrt(var + eps)
// per output channel (kernels/batchnorm-fold.ts). Only the inference form (training_mode 0,
// one output, per-channel statistics) of a float32 Conv that nothing else reads.
//
// Exactness: W' and B' are each rounded to float32 once, so for an output y (float32 unit
// roundoff u = 2^-24) the fused and unfused results differ by at most about
//     (g + 2u) * |s| * sum_i |W_i x_i| + 2u * (|s (B - mean)| + |bias|) + u |y|
// where g is the GEMM's own bound (kernels/gemm-f32.ts: ceil(k / 256) u for depth k): the
// unfused path rounds conv + B, then BN rounds once; the fused path rounds W * s per weight.

import { foldBatchNormF32 } from '../../../kernels/batchnorm-fold.js';
import { Tensor } from '../../tensor.js';
import type { Step } from '../plan.js';
import { type RewriteContext, StepEdits, StepIndex, isFloat32, isOp, rewritten } from './context.js';
import { freshName } from './names.js';

interface BatchNormAttrs { readonly epsilon: number; readonly training: boolean; readonly spatial: boolean }
interface ConvEpilogue { readonly activation?: unknown; readonly residual?: boolean }

export function foldBatchNorms(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const edits = new StepEdits();
  steps.forEach((bn, at) => {
    if (!isOp(bn, 'BatchNormalization')) return;
    const a = bn.attrs as BatchNormAttrs;
    if (a.training || !a.spatial || bn.node.outputs.slice(1).some((o) => o !== '')) return;
    const y = bn.node.inputs[0]!;
    const i = index.producer.get(y);
    const conv = i === undefined ? undefined : steps[i];
    if (i === undefined || !isOp(conv, 'Conv') || index.onlyReader(y) !== at || !isFloat32(ctx, y)) return;
    const ca = conv.attrs as ConvEpilogue;
    if (ca.activation || ca.residual || conv.node.inputs.length > 3 || edits.touched(i, at)) return;
    const w = ctx.constants.get(conv.node.inputs[1]!);
    const bName = conv.node.inputs[2] ?? '';
    const b = bName === '' ? null : ctx.constants.get(bName);
    if (w?.type !== 'float32' || w.dims.length < 3 || b === undefined || (b !== null && b.type !== 'float32')) return;
    const m = w.dims[0]!;
    const params = bn.node.inputs.slice(1, 5).map((name) => ctx.constants.get(name));
    if (params.length !== 4 || params.some((p) => p?.type !== 'float32' || p.size !== m) || (b && b.size !== m)) return;
    const [scale, bias, mean, variance] = params.map((p) => p!.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const wOut = new Float32Array(w.size);
    const bOut = new Float32Array(m);
    foldBatchNormF32(w.data as Float32Array, b ? (b.data as Float32Array) : null, scale, bias, mean, variance, a.epsilon, wOut, bOut);
    const wName = freshName(ctx, `${conv.node.inputs[1]}:bn-folded`);
    const bFolded = freshName(ctx, `${bn.node.outputs[0]}:bn-folded-bias`);
    for (const [name, t] of [[wName, new Tensor('float32', wOut, w.dims)], [bFolded, new Tensor('float32', bOut, [m])]] as const) {
      ctx.constants.set(name, t);
      ctx.made.set(name, t);
    }
    edits.replace(i, rewritten(conv, { inputs: [conv.node.inputs[0]!, wName, bFolded], outputs: [bn.node.outputs[0]!] }, conv.attrs));
    edits.remove(at);
  });
  return edits.size === 0 ? [...steps] : edits.apply(steps);
}
