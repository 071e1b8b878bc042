// The constants the rewrites made (folded values, folded BatchNorm weights) enter each run
// through steps that return the same tensors every time, as a Constant node does: the small ones
// from one step at the start, each large one from a step just before its first reader (so that
// a run does not count it as live from the first step on). Made constants nothing reads any more
// are dropped. Every step's isConstant then also answers true for them, so that ops keep what
// they derive from them (packed weights) in their memo.

import { type OpDef, op } from '../../../ops/op-def.js';
import type { Node } from '../../ir/graph.js';
import type { Tensor } from '../../tensor.js';
import type { Step } from '../plan.js';
import { type RewriteContext, StepIndex } from './context.js';

/** Made constants of at most this many bytes come from the first step. */
const SMALL_BYTES = 4096;

const MADE_CONSTANTS: OpDef = op({
  name: 'Constant',
  since: 1,
  run: (_inputs, values: readonly Tensor[]) => values as Tensor[],
});

function constantsStep(name: string, entries: readonly (readonly [string, Tensor])[]): Step {
  const node: Node = {
    name, domain: '', opType: 'Constant', inputs: [], outputs: entries.map(([n]) => n), attributes: new Map(),
  };
  return { node, opset: 1, def: MADE_CONSTANTS, attrs: Object.freeze(entries.map(([, t]) => t)), release: [], memo: {} };
}

function bytesOf(t: Tensor): number {
  const d = t.data;
  return Array.isArray(d) ? d.length * 16 : d.byteLength;
}

/** Steps that produce the made constants still read, placed as described above; isConstant updated. */
export function materializeConstants(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const small: [string, Tensor][] = [];
  const before = new Map<number, [string, Tensor][]>();
  for (const [name, t] of ctx.made) {
    const readers = index.readers.get(name);
    if (!readers?.length) continue;
    if (bytesOf(t) <= SMALL_BYTES) small.push([name, t]);
    else {
      const first = readers[0]!;
      let list = before.get(first);
      if (!list) before.set(first, (list = []));
      list.push([name, t]);
    }
  }
  const out: Step[] = [];
  if (small.length > 0) out.push(constantsStep('folded constants', small));
  steps.forEach((s, i) => {
    const list = before.get(i);
    if (list) out.push(constantsStep(`folded constants for ${s.node.name || s.node.outputs[0] || s.node.opType}`, list));
    out.push(withConstantInputs(ctx, s));
  });
  return out;
}

/**
 * isConstant as the planner gives it (an initializer, even one a feed may replace: what ops keep
 * is keyed by the tensor, so a fed replacement is noticed), and true for made constants.
 */
function withConstantInputs(ctx: RewriteContext, s: Step): Step {
  if (!s.def || s.def === MADE_CONSTANTS) return s;
  const flags = s.node.inputs.map((name) => name !== '' && (ctx.constants.has(name) || ctx.graph.initializers.has(name)));
  return { ...s, isConstant: (i) => flags[i] === true };
}
