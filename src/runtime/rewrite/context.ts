// What every rewrite pass sees: the graph, the inferred value types, the values that are
// constants of the session, and an index of who produces and who reads each value.

import { type Graph, type Node, type ValueType, canonicalDomain } from '../../ir/graph.js';
import { nodeReads, subgraphsOf } from '../../ir/validate.js';
import type { Tensor } from '../../tensor.js';
import type { Step } from '../plan.js';

export interface RewriteContext {
  readonly graph: Graph;
  /**
   * Every value's type from shape inference over the model as written (a copy: a pass that
   * changes what a value holds, e.g. the order of its rows, records its new type here).
   */
  readonly types: Map<string, ValueType>;
  /**
   * Values that are the same tensor, with the same contents, on every run: initializers that
   * no feed can replace, and everything constant folding computed.
   */
  readonly constants: Map<string, Tensor>;
  /** The constants the rewrites made (not initializers): a step must produce them. */
  readonly made: Map<string, Tensor>;
  /** The graph's outputs: never fused away, never folded. */
  readonly outputs: ReadonlySet<string>;
}

export function rewriteContext(graph: Graph, types: ReadonlyMap<string, ValueType>): RewriteContext {
  const fed = new Set(graph.inputs.map((i) => i.name));
  const constants = new Map<string, Tensor>();
  for (const [k, t] of graph.initializers) if (!fed.has(k)) constants.set(k, t);
  return { graph, types: new Map(types), constants, made: new Map(), outputs: new Set(graph.outputs.map((o) => o.name)) };
}

/** Which step produces and which steps read each value, for one list of steps. */
export class StepIndex {
  readonly readers = new Map<string, number[]>();
  readonly producer = new Map<string, number>();

  constructor(readonly steps: readonly Step[], private readonly outputs: ReadonlySet<string>) {
    steps.forEach((s, i) => {
      for (const r of s.reads ?? nodeReads(s.node)) {
        let list = this.readers.get(r);
        if (!list) this.readers.set(r, (list = []));
        if (list[list.length - 1] !== i) list.push(i);
      }
      for (const o of s.node.outputs) if (o) this.producer.set(o, i);
    });
  }

  /** The one step reading `name` (through its inputs), unless `name` is a graph output. */
  onlyReader(name: string): number | undefined {
    const r = this.readers.get(name);
    return !this.outputs.has(name) && r?.length === 1 ? r[0] : undefined;
  }

  /** Whether `name` is available before step `at` runs: a graph input, a constant, or made by an earlier step. */
  availableBefore(name: string, at: number): boolean {
    const p = this.producer.get(name);
    return p === undefined || p < at;
  }
}

/**
 * Replacements and removals of one pass, applied together at its end. A step touched once
 * in a pass is not rewritten again in the same pass (the pass sees the steps as they were).
 */
export class StepEdits {
  private readonly replaced = new Map<number, Step>();
  private readonly removed = new Set<number>();

  touched(...at: number[]): boolean {
    return at.some((i) => this.replaced.has(i) || this.removed.has(i));
  }
  replace(at: number, step: Step): void {
    this.replaced.set(at, step);
  }
  remove(...at: number[]): void {
    for (const i of at) this.removed.add(i);
  }
  get size(): number {
    return this.replaced.size + this.removed.size;
  }
  apply(steps: readonly Step[]): Step[] {
    const out: Step[] = [];
    steps.forEach((s, i) => {
      if (!this.removed.has(i)) out.push(this.replaced.get(i) ?? s);
    });
    return out;
  }
}

/** A built-in op of the default domain, run by its own definition (not a function call, no subgraph). */
export function isOp(s: Step | undefined, opType: string): s is Step & { def: NonNullable<Step['def']> } {
  return s !== undefined && s.def !== undefined && !s.fn && !s.inline && !s.reads
    && s.node.opType === opType && canonicalDomain(s.node.domain) === '' && subgraphsOf(s.node).length === 0;
}

/** The inferred type of `name` when it is a float32 tensor of fully known dims. */
export function float32Dims(ctx: RewriteContext, name: string): readonly number[] | undefined {
  const t = ctx.types.get(name);
  if (t?.kind !== 'tensor' || t.elemType !== 'float32' || !t.shape) return undefined;
  return t.shape.every((d) => typeof d === 'number') ? (t.shape as number[]) : undefined;
}

/** Whether the inferred type of `name` is a float32 tensor (of any shape). */
export function isFloat32(ctx: RewriteContext, name: string): boolean {
  const t = ctx.types.get(name);
  return t?.kind === 'tensor' && t.elemType === 'float32';
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The one value of a constant scalar (any element type, any shape holding one element). */
export function scalarOf(ctx: RewriteContext, name: string | undefined): number | undefined {
  if (name === undefined || name === '') return undefined;
  const t = ctx.constants.get(name);
  if (!t || t.size !== 1 || t.type === 'string') return undefined;
  return t.toNumbers()[0];
}

/** The operand of a two-input node that is not `name`, or undefined when the node does not read `name` once. */
export function otherOperand(node: Node, name: string): string | undefined {
  if (node.inputs.length !== 2) return undefined;
  const [a, b] = node.inputs as [string, string];
  if (a === name && b !== name) return b;
  if (b === name && a !== name) return a;
  return undefined;
}

/** The step as rewritten: a node with new inputs/outputs and attributes, and a memo of its own. */
export function rewritten(s: Step, node: Partial<Pick<Node, 'inputs' | 'outputs'>>, attrs: unknown): Step {
  return { ...s, node: { ...s.node, ...node }, attrs, memo: {} };
}
