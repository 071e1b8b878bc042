// Graph rewrites made when a session is planned (off with graphOptimizationLevel 'disabled'),
// in this order, each a pass over the main graph's steps (src/runtime/rewrite/):
//
//   1. fold.ts        constant folding: nodes whose inputs are all constants, Shape/Size of
//                     values whose dims inference knows (shape chains feeding Reshape & co.)
//   2. batchnorm.ts   BatchNormalization folded into the Conv before it
//   3. patterns.ts    exporters' decompositions recognised: Gelu as Div/Erf/Add/Mul/Mul,
//                     LayerNormalization as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add
//   4. attention.ts   MatMul/Softmax/MatMul attention, with the Transposes/Reshapes/Slices around
//                     it, as one step of the attention kernel
//   5. epilogue.ts    MatMul + Add(bias)
//   6. row-order.ts   row reorderings (Transposes) between a fused attention and the products
//                     before and after it (batch_first nn.MultiheadAttention) read through strides
//   7. epilogue.ts    Conv/Gemm/MatMul + Add(residual)
//   8. activation.ts  an activation after a Conv/Gemm/MatMul runs in its store
//   9. constants.ts   the constants the passes made enter the run through Constant steps
//
// A rewrite only fires where it keeps what the graph computes: types and dims come from shape
// inference over the model as written, and values that are graph outputs are never fused away.

import type { Graph, ValueType } from '../ir/graph.js';
import type { Step } from './plan.js';
import { fuseActivations as fuseActivationSteps } from './rewrite/activation.js';
import { fuseAttention } from './rewrite/attention.js';
import { foldBatchNorms } from './rewrite/batchnorm.js';
import { materializeConstants } from './rewrite/constants.js';
import { rewriteContext } from './rewrite/context.js';
import { fuseMatMulBias, fuseResidualAdds } from './rewrite/epilogue.js';
import { foldConstants } from './rewrite/fold.js';
import { recognisePatterns } from './rewrite/patterns.js';
import { foldAttentionRowOrder } from './rewrite/row-order.js';

/** The steps with every rewrite applied; `types` are the graph's inferred value types. */
export function rewriteSteps(graph: Graph, steps: readonly Step[], types: ReadonlyMap<string, ValueType>): Step[] {
  const ctx = rewriteContext(graph, types);
  let out = foldConstants(ctx, steps);
  out = foldBatchNorms(ctx, out);
  out = recognisePatterns(ctx, out);
  out = fuseAttention(ctx, out);
  out = fuseMatMulBias(ctx, out);
  out = foldAttentionRowOrder(ctx, out);
  out = fuseResidualAdds(ctx, out);
  out = fuseActivationSteps(ctx, out);
  return materializeConstants(ctx, out);
}

/** The name plan.ts calls the rewrites by (they began as activation fusion). */
export const fuseActivations = rewriteSteps;
