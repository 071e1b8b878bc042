// Execution: walk a plan's steps over a scope of values, releasing each value after its last reader.

import type { OpContext } from '../../ops/op-def.js';
import { ExecutionError, InvalidNodeError, TesseraError } from '../errors.js';
import { type Graph, describeNode } from '../ir/graph.js';
import { densify } from '../formats/onnx/tensor-proto.js';
import { Tensor } from '../tensor.js';
import type { Value } from '../value.js';
import type { GraphPlan, Step } from './plan.js';

/** Values visible to a graph: its own, then its enclosing graphs'. */
export class Scope {
  private readonly values = new Map<string, Value>();
  constructor(private readonly parent?: Scope) {}

  get(name: string): Value | undefined {
    if (this.values.has(name)) return this.values.get(name);
    return this.parent?.get(name);
  }
  has(name: string): boolean {
    return this.values.has(name) || (this.parent?.has(name) ?? false);
  }
  set(name: string, v: Value): void {
    this.values.set(name, v);
  }
  delete(name: string): void {
    this.values.delete(name);
  }
}

/** Runs `plan` with `inputs` bound to the graph's inputs, in order; returns the graph outputs. */
export function executeGraph(plan: GraphPlan, inputs: ReadonlyMap<string, Value>, parent?: Scope): Value[] {
  const { graph } = plan;
  const scope = new Scope(parent);
  for (const [k, t] of graph.initializers) scope.set(k, t);
  for (const [k, sp] of graph.sparseInitializers) scope.set(k, densify(sp, `sparse initializer '${k}'`));
  for (const [k, v] of inputs) scope.set(k, v);
  for (const step of plan.steps) runStep(plan, step, scope);
  return graph.outputs.map((o) => {
    if (!scope.has(o.name)) throw new ExecutionError(`graph '${graph.name}': output '${o.name}' was not computed`);
    return scope.get(o.name)!;
  });
}

function runStep(plan: GraphPlan, step: Step, scope: Scope): void {
  const { node } = step;
  const inputs = node.inputs.map((name) => {
    if (name === '') return undefined;
    const v = scope.get(name);
    if (v === undefined) throw new ExecutionError(`${describeNode(node)}: input '${name}' has no value`);
    return v;
  });
  let outputs: Value[];
  try {
    if (step.inline) {
      outputs = executeGraph(step.inline, new Map(), scope);
    } else if (step.fn) {
      const feeds = new Map<string, Value>();
      step.fn.graph.inputs.forEach((inp, i) => {
        const v = inputs[i];
        if (v !== undefined) feeds.set(inp.name, v);
      });
      outputs = executeGraph(step.fn, feeds);
    } else {
      const def = step.def!;
      if (!def.values) {
        for (let i = 0; i < inputs.length; i++) {
          const v = inputs[i];
          if (v !== undefined && !(v instanceof Tensor)) {
            throw new InvalidNodeError(`input ${i} ('${node.inputs[i]}') must be a tensor, got a ${v === null ? 'none optional' : 'sequence'}`);
          }
        }
      }
      const ctx: OpContext = {
        node,
        opset: step.opset,
        runSubgraph: (g: Graph, subInputs: readonly Value[]) => {
          const sub = plan.subplans.get(g);
          if (!sub) throw new ExecutionError(`${describeNode(node)}: subgraph '${g.name}' was not planned`);
          const feeds = new Map<string, Value>();
          g.inputs.forEach((inp, i) => {
            const v = subInputs[i];
            if (v !== undefined) feeds.set(inp.name, v);
          });
          return executeGraph(sub, feeds, scope);
        },
      };
      outputs = def.run(inputs as (Tensor | undefined)[], step.attrs, ctx);
    }
  } catch (e) {
    if (e instanceof TesseraError) {
      if (!e.message.includes(describeNode(node))) e.message = `${describeNode(node)}: ${e.message}`;
      throw e;
    }
    throw new ExecutionError(`${describeNode(node)}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  node.outputs.forEach((name, i) => {
    if (!name) return;
    const v = outputs[i];
    if (v === undefined) throw new ExecutionError(`${describeNode(node)}: did not produce output ${i} ('${name}')`);
    scope.set(name, v);
  });
  for (const r of step.release) scope.delete(r);
}
