// Adds fused into the store of the product before them (the GEMM epilogue: bias, residual,
// then activation, one pass over the output):
//
//  - MatMul + Add(bias): Add(MatMul(A, B), c) with c one value per output column ([N], or
//    [1, ..., 1, N]) becomes MatMul(A, B, c) with `bias` set in its attributes. Exporters write
//    every Linear layer with a 2-D or 3-D input this way (GPT decoder, Transformer encoder).
//  - Add of a residual: Add(P, r) with P a float32 Conv, Gemm or MatMul output that only the Add
//    reads, and r of exactly P's dims (no broadcasting), becomes P with r as input 3 and
//    `residual` set: ResNet and MobileNetV2 blocks, a Transformer's Linear + skip connection.
//    The fused step runs where P ran when r is available there, else where the Add ran.
//
// Each sum is rounded to float32 once per term, as the Add it replaces did (the epilogue adds
// bias and residual to the float32 product in float32 storage), so the outputs are the same
// up to the order of the two float32 additions: at most 1 ulp of |P| + |bias| + |r|.

import type { Step } from '../plan.js';
import { type RewriteContext, StepEdits, StepIndex, float32Dims, isOp, otherOperand, rewritten, sameDims } from './context.js';

const PRODUCTS = ['Conv', 'Gemm', 'MatMul'];

interface EpilogueAttrs { readonly bias?: boolean; readonly residual?: boolean; readonly activation?: unknown }

const attrsOf = (s: Step): EpilogueAttrs => (s.attrs ?? {}) as EpilogueAttrs;

/** MatMul + Add(bias per column) -> MatMul with a bias input. */
export function fuseMatMulBias(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const edits = new StepEdits();
  steps.forEach((s, i) => {
    if (!isOp(s, 'MatMul') || s.node.inputs.length !== 2 || s.attrs !== undefined) return;
    const y = s.node.outputs[0]!;
    const dims = float32Dims(ctx, y);
    const at = index.onlyReader(y);
    if (!dims || dims.length === 0 || at === undefined) return;
    const add = steps[at]!;
    const c = isOp(add, 'Add') ? otherOperand(add.node, y) : undefined;
    if (c === undefined || !index.availableBefore(c, i) || edits.touched(i, at)) return;
    const cDims = float32Dims(ctx, c);
    const z = add.node.outputs[0]!;
    const zDims = float32Dims(ctx, z);
    const n = dims[dims.length - 1]!;
    if (!cDims || !zDims || !sameDims(zDims, dims) || cDims.length > dims.length) return;
    if (cDims.length === 0 || cDims[cDims.length - 1] !== n || cDims.slice(0, -1).some((d) => d !== 1)) return;
    edits.replace(i, rewritten(s, { inputs: [...s.node.inputs, c], outputs: [z] }, { bias: true }));
    edits.remove(at);
  });
  return edits.size === 0 ? [...steps] : edits.apply(steps);
}

/** Conv / Gemm / MatMul + Add(residual of the same dims) -> the product with the residual as input 3. */
export function fuseResidualAdds(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const edits = new StepEdits();
  steps.forEach((add, at) => {
    if (!isOp(add, 'Add') || add.node.inputs.length !== 2 || add.node.outputs.length !== 1) return;
    const z = add.node.outputs[0]!;
    const zDims = float32Dims(ctx, z);
    if (!zDims) return;
    // The later of the two producers: its other operand is then computed before it.
    let best: { p: number; y: string; r: string } | undefined;
    for (const y of add.node.inputs) {
      const p = index.producer.get(y);
      const r = otherOperand(add.node, y);
      if (p === undefined || r === undefined || index.onlyReader(y) !== at) continue;
      const s = steps[p]!;
      if (!PRODUCTS.some((t) => isOp(s, t)) || s.node.outputs.length !== 1) continue;
      const a = attrsOf(s);
      if (a.activation || a.residual) continue;
      const yDims = float32Dims(ctx, y);
      const rDims = float32Dims(ctx, r);
      if (!yDims || !rDims || !sameDims(yDims, zDims) || !sameDims(rDims, zDims)) continue;
      if (!best || p > best.p) best = { p, y, r };
    }
    if (!best || edits.touched(best.p, at)) return;
    const s = steps[best.p]!;
    const ins = [...s.node.inputs];
    while (ins.length < 3) ins.push('');
    const fused = rewritten(s, { inputs: [...ins, best.r], outputs: [z] }, { ...attrsOf(s), residual: true });
    if (index.availableBefore(best.r, best.p)) {
      edits.replace(best.p, fused);
      edits.remove(at);
    } else {
      edits.remove(best.p);
      edits.replace(at, fused);
    }
  });
  return edits.size === 0 ? [...steps] : edits.apply(steps);
}
