// Reverse-mode differentiation for ai.onnx.preview.training::Gradient. The forward nodes that
// lead from the `xs` to `y` are turned into a backward graph of ordinary ONNX ops (plus one
// internal op, SumTo, that undoes broadcasting). Gradient is a graph-building op (OpDef.expand):
// the planner plans that graph inline, reading the forward values from the enclosing scope. The
// gradient of a non-scalar y is that of sum(y), as the operator's spec states.

import { InvalidNodeError } from '../../src/errors.js';
import { type Attribute, type Graph, type Node, canonicalDomain, describeNode } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { int64Tensor } from '../compute.js';
import { type OpDef, op } from '../op-def.js';
import { Attrs } from '../attrs.js';
import { reduceOps } from './reduce.js';

export const TRAINING_DOMAIN = 'ai.onnx.preview.training';
export const AUTODIFF_DOMAIN = 'ai.tessera.autodiff';
const INTERNAL = AUTODIFF_DOMAIN;

/** The value a Gradient node differentiates: it must be computed before the node runs. */
function gradientTarget(n: Node): string | undefined {
  const y = n.attributes.get('y');
  return y?.type === 'string' ? y.value : undefined;
}

type Emit = (opType: string, inputs: string[], attrs?: [string, Attribute][], domain?: string) => string;
type Rule = (g: string, node: Node, emit: Emit) => (string | null)[];

const sumTo = (emit: Emit, g: string, like: string) => emit('SumTo', [g, like], [], INTERNAL);
const onesLike = (emit: Emit, x: string) =>
  emit('CastLike', [emit('ConstantOfShape', [emit('Shape', [x])], [['value', { type: 'tensor', value: new Tensor('float32', [1], [1]) }]]), x]);

/** d(inputs) from d(output 0), per op; null where an input needs no gradient (an index). */
const RULES: Record<string, Rule> = {
  Identity: (g) => [g],
  Neg: (g, _n, e) => [e('Neg', [g])],
  Add: (g, n, e) => [sumTo(e, g, n.inputs[0]!), sumTo(e, g, n.inputs[1]!)],
  Sub: (g, n, e) => [sumTo(e, g, n.inputs[0]!), sumTo(e, e('Neg', [g]), n.inputs[1]!)],
  Mul: (g, n, e) => [
    sumTo(e, e('Mul', [g, n.inputs[1]!]), n.inputs[0]!),
    sumTo(e, e('Mul', [g, n.inputs[0]!]), n.inputs[1]!),
  ],
  Div: (g, n, e) => [
    sumTo(e, e('Div', [g, n.inputs[1]!]), n.inputs[0]!),
    sumTo(e, e('Neg', [e('Div', [e('Mul', [g, n.outputs[0]!]), n.inputs[1]!])]), n.inputs[1]!),
  ],
  Exp: (g, n, e) => [e('Mul', [g, n.outputs[0]!])],
  Log: (g, n, e) => [e('Div', [g, n.inputs[0]!])],
  Sqrt: (g, n, e) => [e('Div', [g, e('Add', [n.outputs[0]!, n.outputs[0]!])])],
  Relu: (g, n, e) => {
    const x = n.inputs[0]!;
    const zeros = e('Sub', [x, x]);
    return [e('Where', [e('Greater', [x, zeros]), g, zeros])];
  },
  Sigmoid: (g, n, e) => {
    const y = n.outputs[0]!;
    return [e('Mul', [g, e('Mul', [y, e('Sub', [onesLike(e, y), y])])])];
  },
  Tanh: (g, n, e) => {
    const y = n.outputs[0]!;
    return [e('Mul', [g, e('Sub', [onesLike(e, y), e('Mul', [y, y])])])];
  },
  Transpose: (g, n, e) => {
    const perm = n.attributes.get('perm');
    if (perm?.type !== 'ints') return [e('Transpose', [g])]; // reversing twice is the identity
    const inverse = perm.value.map((_, i) => perm.value.indexOf(i));
    return [e('Transpose', [g], [['perm', { type: 'ints', value: inverse }]])];
  },
  // 2-D operands (Transpose reverses both axes).
  MatMul: (g, n, e) => [
    e('MatMul', [g, e('Transpose', [n.inputs[1]!])]),
    e('MatMul', [e('Transpose', [n.inputs[0]!]), g]),
  ],
};

/** Builds the backward graph of a Gradient node; its outputs are d(y)/d(xs), in order. */
export function buildBackwardGraph(forward: Graph, node: Node): Graph {
  const where = describeNode(node);
  const xsAttr = node.attributes.get('xs');
  const xs = xsAttr?.type === 'strings' ? xsAttr.value : [];
  const y = gradientTarget(node);
  if (!y || xs.length === 0) throw new InvalidNodeError(`${where}: needs the attributes xs (strings) and y (string)`);
  if (xs.length !== node.outputs.length) throw new InvalidNodeError(`${where}: ${xs.length} xs but ${node.outputs.length} outputs`);

  const producer = new Map<string, Node>();
  for (const n of forward.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  // Forward nodes on a path from some x to y, in an order where producers come first.
  const xsSet = new Set(xs);
  const dependsOnX = new Map<Node, boolean>();
  const order: Node[] = [];
  // Depth-first from y, with an explicit stack (a chain of nodes as long as the model allows must
  // not overflow the call stack): a node is finished once all its inputs are.
  const visit = (root: string): boolean => {
    const reaches = (name: string): boolean => xsSet.has(name) || dependsOnX.get(producer.get(name)!) === true;
    const start = producer.get(root);
    if (xsSet.has(root) || !start) return xsSet.has(root);
    const stack: Node[] = [start];
    dependsOnX.set(start, false); // false while open: guards cycles; validation rejects them elsewhere
    while (stack.length) {
      const n = stack[stack.length - 1]!;
      const next = n.inputs.map((i) => producer.get(i)).find((p) => p !== undefined && !dependsOnX.has(p));
      if (next) {
        dependsOnX.set(next, false);
        stack.push(next);
        continue;
      }
      stack.pop();
      const any = n.inputs.some((i) => i !== '' && reaches(i));
      dependsOnX.set(n, any);
      if (any) order.push(n);
    }
    return dependsOnX.get(start)!;
  };
  if (!visit(y)) throw new InvalidNodeError(`${where}: y '${y}' does not depend on any of xs`);

  const nodes: Node[] = [];
  let counter = 0;
  const emit: Emit = (opType, inputs, attrs = [], domain = '') => {
    const out = `__grad_${node.outputs[0]}_${counter++}`;
    nodes.push({ name: out, domain, opType, inputs, outputs: [out], attributes: new Map(attrs) });
    return out;
  };
  const grads = new Map<string, string[]>();
  const add = (name: string, g: string) => grads.set(name, [...(grads.get(name) ?? []), g]);
  const total = (name: string): string | undefined => {
    const list = grads.get(name);
    if (!list?.length) return undefined;
    return list.length === 1 ? list[0] : emit('Sum', list);
  };
  add(y, onesLike(emit, y));
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k]!;
    const g = total(n.outputs[0]!);
    if (!g) continue;
    const rule = canonicalDomain(n.domain) === '' ? RULES[n.opType] : undefined;
    if (!rule || n.outputs.filter((o) => o).length !== 1) {
      throw new InvalidNodeError(
        `${where}: cannot differentiate through ${describeNode(n)} (supported: ${Object.keys(RULES).join(', ')})`,
      );
    }
    rule(g, n, emit).forEach((gi, i) => {
      const input = n.inputs[i];
      if (gi && input && (xsSet.has(input) || dependsOnX.get(producer.get(input)!))) add(input, gi);
    });
  }
  const outputs = xs.map((x) => total(x) ?? emit('Sub', [x, x]));
  return {
    name: `${where} backward`,
    nodes,
    inputs: [],
    outputs: outputs.map((name) => ({ name, type: { kind: 'unknown' } as const })),
    initializers: new Map(),
    sparseInitializers: new Map(),
    valueInfo: new Map(),
  };
}

/** The graph the planner runs for a Gradient node, with the opsets its nodes are written for. */
const OPSETS: ReadonlyMap<string, number> = new Map([['', 17], [AUTODIFF_DOMAIN, 1]]);

const reduceSum13 = (): OpDef => {
  const d = reduceOps.find((o) => o.name === 'ReduceSum' && o.since === 13);
  if (!d) throw new InvalidNodeError('SumTo: ReduceSum (opset 13) is missing');
  return d;
};

export const gradientOps: OpDef[] = [
  op({
    domain: TRAINING_DOMAIN, name: 'Gradient', since: 1,
    expand: (node, graph) => ({ graph: buildBackwardGraph(graph, node), opsets: OPSETS }),
    run: () => { throw new InvalidNodeError('Gradient runs as the backward graph the planner builds from it (OpDef.expand)'); },
  }),
  /** SumTo(g, like): sums g over the axes along which `like` was broadcast, to like's shape. */
  op({
    domain: INTERNAL, name: 'SumTo', since: 1,
    run: ([g, like], _a, ctx) => {
      const gd = g!.dims;
      const ld = like!.dims;
      const lead = gd.length - ld.length;
      const axes: number[] = [];
      for (let i = 0; i < gd.length; i++) if (i < lead || (ld[i - lead] === 1 && gd[i] !== 1)) axes.push(i);
      if (axes.length === 0) return [g!];
      const reduceSum = reduceSum13();
      const keepdims = new Attrs(new Map<string, Attribute>([['keepdims', { type: 'int', value: 1 }]]));
      const [summed] = reduceSum.run([g!, int64Tensor(axes)], reduceSum.parse?.(keepdims, ctx.node), ctx);
      return [(summed as Tensor).reshape(ld)];
    },
  }),
];
