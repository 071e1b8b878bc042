// Planning: resolve every node (and every subgraph / function body) to an op definition with
// parsed attributes, order the nodes, and compute when each value can be released.

import { type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { InvalidArgumentError, InvalidNodeError, TesseraError, UnsupportedOpError } from '../errors.js';
import { type ResourceLimits, resolveLimits } from '../limits.js';
import {
  type FunctionDef, type Graph, type Model, type Node, type ValueType, canonicalDomain, describeNode, instantiateFunction,
} from '../ir/graph.js';
import { checkNesting, nodeReads, outerReads, subgraphsOf, validateGraph } from '../ir/validate.js';
import type { OpRegistry } from './registry.js';
import { fuseActivations } from './fuse.js';
import { inferShapes } from './infer.js';

export interface Step {
  readonly node: Node;
  readonly opset: number;
  /** A built-in op... */
  readonly def?: OpDef;
  readonly attrs?: unknown;
  /** ...or a call of a model-local function... */
  readonly fn?: GraphPlan;
  /** ...or a generated graph that reads the enclosing scope (Gradient's backward pass). */
  readonly inline?: GraphPlan;
  /** Values the step reads, when more than its node's inputs. */
  readonly reads?: readonly string[];
  /** Values whose last reader is this step. */
  readonly release: readonly string[];
  /** Infer and check output sizes before the kernel runs (built-in ops with `infer`, no subgraphs). */
  readonly checkSizes?: boolean;
  /** describeNode(node), for errors and polls. */
  readonly where?: string;
  /** The op's per-session slot (OpContext.memo). */
  readonly memo?: { value?: unknown };
  /** Whether input i is an initializer of the graph (OpContext.isConstant), made once here. */
  readonly isConstant?: (input: number) => boolean;
}

export interface GraphPlan {
  readonly graph: Graph;
  readonly steps: readonly Step[];
  /** Plans of subgraph attributes, by graph object. */
  readonly subplans: Map<Graph, GraphPlan>;
}

interface PlanContext {
  readonly registry: OpRegistry;
  readonly functions: ReadonlyMap<string, FunctionDef>;
  readonly missing: Set<string>;
  readonly subplans: Map<Graph, GraphPlan>;
  /** Function calls being planned, one inside the other. */
  depth: number;
  /** Subgraphs (If/Loop/Scan bodies) being planned, one inside the other. */
  branchDepth: number;
  /** Refuse a missing operator in a subgraph too, instead of failing when the subgraph runs. */
  readonly strict: boolean;
}

export interface PlanOptions {
  /**
   * Graph rewrites (src/runtime/fuse.ts): on unless 'disabled'. onnxruntime-web's option names;
   * 'basic', 'extended' and 'all' all enable every rewrite tessera has.
   */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Refuse every operator tessera lacks, wherever it is. By default one that only an If, Loop or
   * Scan subgraph uses is planned as a step that fails when the subgraph runs, naming node and op.
   */
  readonly strict?: boolean;
}

export function planModel(model: Model, registry: OpRegistry, limits?: Partial<ResourceLimits>, options: PlanOptions = {}): GraphPlan {
  const functions = new Map<string, FunctionDef>();
  for (const f of model.functions) functions.set(`${canonicalDomain(f.domain)}::${f.name}`, f);
  // Every walker below recurses over subgraph nesting: bound it first, without recursing.
  checkNesting(model, resolveLimits(limits));
  const ctx: PlanContext = { registry, functions, missing: new Set(), subplans: new Map(), depth: 0, branchDepth: 0, strict: options.strict === true };
  let plan = planGraph(model.graph, model.opsetImports, ctx, new Set());
  if (ctx.missing.size === 0 && (options.graphOptimizationLevel ?? 'all') !== 'disabled') plan = optimize(model, plan, registry, limits);
  if (ctx.missing.size > 0) {
    const ops = [...ctx.missing].sort();
    throw new UnsupportedOpError(`the model uses ${ops.length} operator(s) tessera does not implement: ${ops.join(', ')}`, ops);
  }
  return plan;
}

function planGraph(
  graph: Graph, opsets: ReadonlyMap<string, number>, ctx: PlanContext, outer: ReadonlySet<string>,
): GraphPlan {
  const order = validateGraph(graph, outer);
  const scope = new Set<string>([
    ...outer, ...graph.inputs.map((i) => i.name), ...graph.initializers.keys(), ...graph.sparseInitializers.keys(),
  ]);
  for (const n of graph.nodes) for (const o of n.outputs) if (o) scope.add(o);

  const steps: Step[] = [];
  for (const node of order) {
    const domain = canonicalDomain(node.domain);
    const opset = opsets.get(domain) ?? (domain === '' ? 1 : 1);
    const fnDef = ctx.functions.get(`${domain}::${node.opType}`);
    for (const a of node.attributes.values()) {
      const gs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const g of gs) {
        if (ctx.subplans.has(g)) continue;
        ctx.branchDepth++;
        try {
          ctx.subplans.set(g, planGraph(g, opsets, ctx, scope));
        } finally {
          ctx.branchDepth--;
        }
      }
    }
    const def = ctx.registry.resolve(domain, node.opType, opset);
    if (fnDef && !def) {
      steps.push({ node, opset, fn: planFunction(fnDef, node, ctx), release: [] });
      continue;
    }
    if (!def) {
      const family = ctx.registry.unloadedFamily(domain, node.opType);
      if (family !== undefined) {
        throw new InvalidArgumentError(
          `${describeNode(node)}: its operator is in the optional '${family}' family, which is not loaded yet: ` +
            'InferenceSession.create loads what a model names; before fromModel or planModel, await loadAllOps()',
        );
      }
      const name = `${domain || 'ai.onnx'}::${node.opType}(${opset})`;
      if (ctx.branchDepth > 0 && !ctx.strict) steps.push({ node, opset, def: missingOp(name), release: [] });
      else ctx.missing.add(name);
      continue;
    }
    if (def.expand) {
      // A graph-building op (Gradient): its graph is planned here and run inline, reading this
      // graph's values; the opsets are the ones that graph is written for, not the model's.
      let built: ReturnType<NonNullable<typeof def.expand>>;
      try {
        built = def.expand(node, graph);
      } catch (e) {
        if (e instanceof TesseraError && !e.message.includes(describeNode(node))) e.message = `${describeNode(node)}: ${e.message}`;
        throw e;
      }
      const inline = planGraph(built.graph, built.opsets, ctx, scope);
      steps.push({ node, opset, inline, reads: [...nodeReads(node), ...outerReads(built.graph)], release: [] });
      continue;
    }
    let attrs: unknown;
    try {
      attrs = def.parse ? def.parse(new Attrs(node.attributes), node) : undefined;
    } catch (e) {
      if (e instanceof TesseraError) e.message = `${describeNode(node)}: ${e.message}`;
      throw e;
    }
    steps.push({
      node, opset, def, attrs, release: [], checkSizes: def.infer !== undefined && subgraphsOf(node).length === 0,
      memo: {}, isConstant: constantInputs(node.inputs.map((name) => name !== '' && graph.initializers.has(name))),
    });
  }
  return { graph, steps: withReleases(graph, steps), subplans: ctx.subplans };
}

/** Instantiates a function body for one call site: substitutes attribute references. */
function planFunction(fn: FunctionDef, call: Node, ctx: PlanContext): GraphPlan {
  if (ctx.depth > 64) throw new InvalidNodeError(`${describeNode(call)}: functions nested deeper than 64 (recursion?)`);
  const body = instantiateFunction(fn, call);
  ctx.depth++;
  try {
    return planGraph(body, fn.opsetImports, ctx, new Set());
  } finally {
    ctx.depth--;
  }
}

function withReleases(graph: Graph, steps: Step[]): Step[] {
  const keep = new Set(graph.outputs.map((o) => o.name));
  const last = new Map<string, number>();
  steps.forEach((s, i) => {
    for (const r of s.reads ?? nodeReads(s.node)) last.set(r, i);
    for (const o of s.node.outputs) if (o && !last.has(o)) last.set(o, i); // unused outputs die at once
  });
  const release: string[][] = steps.map(() => []);
  for (const [name, i] of last) if (!keep.has(name)) release[i]!.push(name);
  return steps.map((s, i) => ({ ...s, release: release[i]!, where: describeNode(s.node) }));
}

/** The main graph's steps with the rewrites applied (types from shape inference decide what may fuse). */
function optimize(model: Model, plan: GraphPlan, registry: OpRegistry, limits?: Partial<ResourceLimits>): GraphPlan {
  let types: ReadonlyMap<string, ValueType>;
  try {
    types = inferShapes(model, { registry, limits });
  } catch {
    return plan; // inference failed: run the graph as written
  }
  const fused = fuseActivations(plan.graph, plan.steps, types);
  // Unchanged only when every step is the same object: a rewrite may keep the count (a lone
  // Conv + BatchNormalization becomes a Constant step and the Conv).
  if (fused.length === plan.steps.length && fused.every((s, i) => s === plan.steps[i])) return plan;
  return { ...plan, steps: withReleases(plan.graph, fused) };
}

/** A step for an operator tessera lacks inside a subgraph: planning succeeds, running it fails. */
function missingOp(name: string): OpDef {
  return {
    name, since: 1, values: true,
    run: () => {
      throw new UnsupportedOpError(`operator not implemented: ${name}, reached in a subgraph (If/Loop/Scan body)`, [name]);
    },
  };
}

function constantInputs(flags: readonly boolean[]): (input: number) => boolean {
  return (i) => flags[i] === true;
}
