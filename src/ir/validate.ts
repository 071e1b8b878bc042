// Structural validation: every input defined before use, no cycles, no value defined twice.

import { GraphError } from '../errors.js';
import { type ResourceLimits, checkLimit } from '../limits.js';
import { type Graph, type Model, type Node, describeNode } from './graph.js';

/**
 * Refuses subgraphs nested deeper than limits.maxRecursionDepth (in the main graph or in a
 * function body), without recursing. The walkers that do recurse over nesting (validation,
 * planning, inference, nodeReads) are bounded by it; loaded models are bounded by the decoder.
 */
export function checkNesting(model: Model, limits: ResourceLimits): void {
  const roots: [Node[], string][] = [[[...model.graph.nodes], `graph '${model.graph.name}'`]];
  for (const f of model.functions) roots.push([[...f.nodes], `function '${f.name}'`]);
  for (const [nodes, where] of roots) {
    const stack: [Graph, number][] = [];
    const seen = new Map<Graph, number>(); // a graph object may be shared (hand-built models)
    for (const n of nodes) for (const g of subgraphsOf(n)) stack.push([g, 1]);
    while (stack.length) {
      const [g, depth] = stack.pop()!;
      if ((seen.get(g) ?? 0) >= depth) continue;
      seen.set(g, depth);
      checkLimit(limits, 'maxRecursionDepth', depth, `${where}: subgraph '${g.name}'`);
      for (const n of g.nodes) for (const sg of subgraphsOf(n)) stack.push([sg, depth + 1]);
    }
  }
}

/**
 * Checks `graph` (and its subgraphs, which may read values of enclosing scopes) and returns
 * its nodes in an executable order. ONNX requires topological order, but models in the wild
 * sometimes break it, so we sort rather than reject when the order alone is wrong.
 */
export function validateGraph(graph: Graph, outer: ReadonlySet<string> = new Set()): Node[] {
  const defined = new Set<string>(outer);
  for (const i of graph.inputs) defined.add(i.name);
  for (const k of graph.initializers.keys()) defined.add(k);
  for (const k of graph.sparseInitializers.keys()) defined.add(k);

  const producer = new Map<string, Node>();
  for (const node of graph.nodes) {
    for (const o of node.outputs) {
      if (!o) continue;
      if (producer.has(o) || (defined.has(o) && !outer.has(o))) {
        throw new GraphError(`${describeNode(node)}: output '${o}' is already defined in graph '${graph.name}'`);
      }
      producer.set(o, node);
    }
  }

  // Kahn's algorithm over node dependencies (implicit inputs of subgraphs included).
  const deps = new Map<Node, Set<Node>>();
  const users = new Map<Node, Node[]>();
  for (const node of graph.nodes) {
    const needs = new Set<Node>();
    for (const name of nodeReads(node)) {
      const p = producer.get(name);
      if (p) {
        if (p !== node) needs.add(p);
        else throw new GraphError(`${describeNode(node)}: reads its own output '${name}' (cycle)`);
      } else if (!defined.has(name)) {
        throw new GraphError(`${describeNode(node)}: input '${name}' is not defined in graph '${graph.name}'`);
      }
    }
    deps.set(node, needs);
    for (const p of needs) {
      const u = users.get(p) ?? [];
      u.push(node);
      users.set(p, u);
    }
  }
  const order: Node[] = [];
  const ready = graph.nodes.filter((n) => deps.get(n)!.size === 0);
  const pending = new Map<Node, number>(graph.nodes.map((n) => [n, deps.get(n)!.size]));
  // Keep original order among ready nodes: process in file order.
  const queue = [...ready];
  let head = 0;
  while (head < queue.length) {
    const n = queue[head++]!;
    order.push(n);
    for (const u of users.get(n) ?? []) {
      const left = pending.get(u)! - 1;
      pending.set(u, left);
      if (left === 0) queue.push(u);
    }
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes.find((n) => pending.get(n)! > 0)!;
    throw new GraphError(`${describeNode(stuck)}: is part of a cycle in graph '${graph.name}'`);
  }

  const all = new Set<string>([...defined, ...producer.keys()]);
  for (const o of graph.outputs) {
    if (!all.has(o.name)) throw new GraphError(`graph '${graph.name}': output '${o.name}' is never produced`);
  }
  // Subgraphs see everything defined in this scope.
  for (const node of graph.nodes) {
    for (const g of subgraphsOf(node)) validateGraph(g, all);
  }
  return order;
}

export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attributes.values()) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}

/** Names a subgraph reads from enclosing scopes. */
export function outerReads(graph: Graph): Set<string> {
  const local = new Set<string>();
  for (const i of graph.inputs) local.add(i.name);
  for (const k of graph.initializers.keys()) local.add(k);
  for (const k of graph.sparseInitializers.keys()) local.add(k);
  for (const n of graph.nodes) for (const o of n.outputs) if (o) local.add(o);
  const reads = new Set<string>();
  for (const n of graph.nodes) {
    for (const r of nodeReads(n)) if (!local.has(r)) reads.add(r);
  }
  for (const o of graph.outputs) if (!local.has(o.name)) reads.add(o.name);
  return reads;
}

/** Every value a node reads: its inputs plus what its subgraphs capture from outside. */
export function nodeReads(node: Node): string[] {
  const names = node.inputs.filter((i) => i !== '');
  // ai.onnx.preview.training::Gradient differentiates the value named by its `y` attribute:
  // it must run after y (and so after every forward node y needs).
  const y = node.opType === 'Gradient' ? node.attributes.get('y') : undefined;
  if (y?.type === 'string' && node.domain === 'ai.onnx.preview.training') names.push(y.value);
  for (const g of subgraphsOf(node)) names.push(...outerReads(g));
  return names;
}
