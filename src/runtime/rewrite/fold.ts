// Constant folding when the session is planned: a node whose inputs are all constants of the
// session (initializers no feed can replace, Constant nodes, earlier folds) runs once, here,
// and its outputs become constants; so does Shape (and Size) of a value whose dims inference
// knows. That resolves the Shape -> Gather -> Unsqueeze -> Concat chains exporters write in
// front of Reshape, Expand, Slice and friends, and the Identity nodes that rename weights.
//
// What is not folded: nondeterministic ops, ops with subgraphs, sequence-valued outputs, graph
// outputs (a caller may write into what a run returns), and computed outputs over FOLD_LIMIT
// elements (a fold keeps its result for the session's life; Identity and Constant make nothing
// new and have no bound). A node whose op throws is left in place: it throws when run.
// The folded value is what the node's own op computes, so the outputs are bit for bit the same.

import { type InferInput } from '../../../ops/op-def.js';
import { Attrs } from '../../../ops/attrs.js';
import { isIntegerType } from '../../dtypes.js';
import type { ValueType } from '../../ir/graph.js';
import { Tensor } from '../../tensor.js';
import type { Step } from '../plan.js';
import { type RewriteContext, StepIndex, isOp } from './context.js';

/** Largest computed output (elements) a fold may keep. */
export const FOLD_LIMIT = 1 << 16;

const NONDETERMINISTIC = /^(Random(Normal|Uniform)(Like)?|Multinomial|Bernoulli|Dropout)$/;

/** Steps with every foldable node removed; its outputs go into ctx.constants (and ctx.made). */
export function foldConstants(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const out: Step[] = [];
  // Identity of a constant names the same tensor: readers are renamed to the original.
  const alias = new Map<string, string>();
  for (const s of steps) {
    const values = foldStep(ctx, s);
    if (!values) {
      out.push(s);
      continue;
    }
    s.node.outputs.forEach((name, i) => {
      if (!name) return;
      const v = values[i]!;
      ctx.constants.set(name, v);
      const from = s.node.opType === 'Identity' ? s.node.inputs[0]! : undefined;
      if (from !== undefined && ctx.constants.get(from) === v) alias.set(name, alias.get(from) ?? from);
      else ctx.made.set(name, v);
    });
  }
  return alias.size === 0 ? out : renameReads(ctx, out, alias);
}

function foldStep(ctx: RewriteContext, s: Step): Tensor[] | undefined {
  const n = s.node;
  if (!isOp(s, n.opType) || NONDETERMINISTIC.test(n.opType)) return undefined;
  if (n.outputs.some((o) => ctx.outputs.has(o)) || n.outputs.every((o) => !o)) return undefined;
  if ((n.opType === 'Shape' || n.opType === 'Size') && n.inputs.length === 1) return shapeOf(ctx, s);
  if (n.inputs.length === 0 && n.opType !== 'Constant') return undefined;
  const inputs = n.inputs.map((name) => (name === '' ? undefined : ctx.constants.get(name)));
  if (inputs.some((t, i) => t === undefined && n.inputs[i] !== '')) return undefined;
  const unbounded = n.opType === 'Identity' || n.opType === 'Constant';
  if (!unbounded && !n.outputs.every((o) => !o || smallEnough(ctx.types.get(o)))) return undefined;
  let values;
  try {
    values = s.def.run(inputs, s.attrs, { node: n, opset: s.opset, runSubgraph: () => { throw new Error('no subgraphs while folding'); } });
  } catch {
    return undefined;
  }
  if (values.length < n.outputs.length) return undefined;
  for (const v of values) {
    if (!(v instanceof Tensor) || (!unbounded && v.size > FOLD_LIMIT)) return undefined;
  }
  return values as Tensor[];
}

/** Whether inference predicts a tensor of at most FOLD_LIMIT elements (unknown sizes are not folded). */
function smallEnough(t: ValueType | undefined): boolean {
  if (t?.kind !== 'tensor' || !t.shape) return false;
  let n = 1;
  for (const d of t.shape) {
    if (typeof d !== 'number') return false;
    n *= d;
  }
  return n <= FOLD_LIMIT;
}

/**
 * Shape or Size of a value whose dims inference knows, from the op's own inferDims. A 0 dim is
 * not trusted: a feed's declared 0 is not checked against what is fed.
 */
function shapeOf(ctx: RewriteContext, s: Step & { def: NonNullable<Step['def']> }): Tensor[] | undefined {
  const x = ctx.types.get(s.node.inputs[0]!);
  if (x?.kind !== 'tensor' || !x.shape || !x.shape.every((d) => typeof d === 'number' && d > 0)) return undefined;
  const input: InferInput = { type: x };
  const ictx = { node: s.node, opset: s.opset, inferSubgraph: () => [], dataDim: (l: string) => l };
  try {
    const [type] = s.def.infer?.([input], s.attrs, ictx) ?? [];
    const [dims] = s.def.inferDims?.([input], s.attrs, ictx) ?? [];
    if (type?.kind !== 'tensor' || !type.elemType || !isIntegerType(type.elemType) || !dims) return undefined;
    if (!dims.every((d) => typeof d === 'number')) return undefined;
    const rank = type.shape?.length;
    if (rank !== 0 && rank !== 1) return undefined;
    const data = type.elemType === 'int64' ? BigInt64Array.from(dims as number[], BigInt) : (dims as number[]);
    return [new Tensor(type.elemType, data, rank === 0 ? [] : [dims.length])];
  } catch {
    return undefined;
  }
}

/**
 * Readers of an aliased name read the original instead. A step that reads it through a
 * subgraph cannot be renamed: then the alias stays a made constant.
 */
function renameReads(ctx: RewriteContext, steps: readonly Step[], alias: Map<string, string>): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  for (const [name, from] of alias) {
    const renamable = (index.readers.get(name) ?? []).every((i) => {
      const s = steps[i]!;
      return !s.reads && !s.inline && !hasSubgraph(s);
    });
    if (!renamable) {
      alias.delete(name);
      ctx.made.set(name, ctx.constants.get(from)!);
    }
  }
  return steps.map((s) => {
    if (!s.node.inputs.some((i) => alias.has(i))) return s;
    return { ...s, node: { ...s.node, inputs: s.node.inputs.map((i) => alias.get(i) ?? i) } };
  });
}

function hasSubgraph(s: Step): boolean {
  for (const a of s.node.attributes.values()) if (a.type === 'graph' || a.type === 'graphs') return true;
  return false;
}

/** Attributes as the op parses them (for rewrites that build a step of another op). */
export function parseAttrs(def: NonNullable<Step['def']>, node: Step['node']): unknown {
  return def.parse ? def.parse(new Attrs(node.attributes), node) : undefined;
}
