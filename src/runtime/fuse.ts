// Graph rewrites made when a session is planned (off with graphOptimizationLevel 'disabled'):
// an activation whose only input is a Conv's or Gemm's float32 output, and which is that output's
// only reader, runs in the kernel's store instead of as one more pass over memory. Recognised:
// Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Gelu, Clip with constant bounds (Relu6), and
// x * Sigmoid(x) (SiLU / Swish, as exporters write it). The fused step keeps the Conv/Gemm node
// with the activation's output as its output and an `activation` field in its parsed attributes.

import type { GemmActivation } from '../../kernels/gemm-f32.js';
import { type Graph, type Node, type ValueType, canonicalDomain } from '../ir/graph.js';
import { nodeReads } from '../ir/validate.js';
import type { Tensor } from '../tensor.js';
import type { Step } from './plan.js';

const FUSABLE = new Set(['Conv', 'Gemm']);
const FLT_MAX = 3.4028234663852886e38;

/** Steps with activations folded into the Conv/Gemm before them; `types` are the graph's inferred value types. */
export function fuseActivations(graph: Graph, steps: readonly Step[], types: ReadonlyMap<string, ValueType>): Step[] {
  const readers = new Map<string, number[]>();
  steps.forEach((s, i) => {
    for (const r of s.reads ?? nodeReads(s.node)) {
      let list = readers.get(r);
      if (!list) readers.set(r, (list = []));
      if (list[list.length - 1] !== i) list.push(i);
    }
  });
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const onlyReader = (name: string): number | undefined => {
    const r = readers.get(name);
    return !outputs.has(name) && r?.length === 1 ? r[0] : undefined;
  };

  const out = [...steps];
  const removed = new Set<number>();
  steps.forEach((s, i) => {
    if (!s.def || canonicalDomain(s.node.domain) !== '' || !FUSABLE.has(s.node.opType)) return;
    if (s.node.outputs.length !== 1 || (s.attrs as { activation?: unknown } | undefined)?.activation) return;
    const y = s.node.outputs[0]!;
    const t = types.get(y);
    if (t?.kind !== 'tensor' || t.elemType !== 'float32' || outputs.has(y)) return;
    const r = readers.get(y) ?? [];
    let fused: { activation: GemmActivation; output: string; drop: number[] } | undefined;
    if (r.length === 1) {
      const a = steps[r[0]!]!;
      const activation = activationOf(a, y, graph);
      if (activation) fused = { activation, output: a.node.outputs[0]!, drop: [r[0]!] };
    } else if (r.length === 2) {
      fused = siluOf(steps, r, y, onlyReader);
    }
    if (!fused || fused.drop.some((j) => removed.has(j) || j < i)) return;
    const node: Node = { ...s.node, outputs: [fused.output] };
    out[i] = { ...s, node, attrs: { ...(s.attrs as object), activation: fused.activation } };
    for (const j of fused.drop) removed.add(j);
  });
  return out.filter((_, i) => !removed.has(i));
}

/** The activation `s` computes from `y` alone, or undefined when it is not one we fuse. */
function activationOf(s: Step, y: string, graph: Graph): GemmActivation | undefined {
  const n = s.node;
  if (!s.def || canonicalDomain(n.domain) !== '' || n.inputs[0] !== y || n.outputs.length !== 1 || !n.outputs[0]) return undefined;
  const float = (name: string, def: number): number => {
    const a = n.attributes.get(name);
    return a?.type === 'float' ? a.value : def;
  };
  switch (n.opType) {
    case 'Relu': return n.inputs.length === 1 ? { kind: 'relu' } : undefined;
    case 'Sigmoid': return { kind: 'sigmoid' };
    case 'HardSwish': return { kind: 'hardswish' };
    case 'LeakyRelu': return { kind: 'leakyrelu', alpha: float('alpha', 0.01) };
    case 'HardSigmoid': return { kind: 'hardsigmoid', alpha: float('alpha', 0.2), beta: float('beta', 0.5) };
    case 'Gelu': {
      const a = n.attributes.get('approximate');
      const approx = a?.type === 'string' ? a.value : 'none';
      return approx === 'none' ? { kind: 'gelu' } : approx === 'tanh' ? { kind: 'gelu-tanh' } : undefined;
    }
    case 'Clip': {
      if (s.opset < 11) return { kind: 'clip', min: float('min', -FLT_MAX), max: float('max', FLT_MAX) };
      const bound = (i: number, def: number): number | undefined => {
        const name = n.inputs[i];
        if (name === undefined || name === '') return def;
        const t = constantOf(graph, name);
        if (t === undefined) return undefined;
        if (typeof t === 'number') return t;
        if (t.size !== 1 || t.type !== 'float32') return undefined;
        return (t.data as Float32Array)[0]!;
      };
      const min = bound(1, -Infinity);
      const max = bound(2, Infinity);
      if (min === undefined || max === undefined || Number.isNaN(min) || Number.isNaN(max) || min > max) return undefined;
      return { kind: 'clip', min, max };
    }
    default: return undefined;
  }
}

/** y's two readers are Sigmoid(y) -> s and Mul(y, s) (either order), s read only by the Mul. */
function siluOf(
  steps: readonly Step[], r: readonly number[], y: string, onlyReader: (name: string) => number | undefined,
): { activation: GemmActivation; output: string; drop: number[] } | undefined {
  const [p, q] = r as [number, number];
  for (const [si, mi] of [[p, q], [q, p]] as const) {
    const sig = steps[si]!.node;
    const mul = steps[mi]!.node;
    if (sig.opType !== 'Sigmoid' || canonicalDomain(sig.domain) !== '' || sig.inputs[0] !== y || !steps[si]!.def) continue;
    if (mul.opType !== 'Mul' || canonicalDomain(mul.domain) !== '' || !steps[mi]!.def || !mul.outputs[0]) continue;
    const s = sig.outputs[0]!;
    const ins = [...mul.inputs].sort();
    if (ins.length !== 2 || ins.join('\u0000') !== [s, y].sort().join('\u0000')) continue;
    if (onlyReader(s) !== mi) continue;
    return { activation: { kind: 'silu' }, output: mul.outputs[0], drop: [si, mi] };
  }
  return undefined;
}

/** An initializer, or the value of a Constant node of the graph (exporters write Clip's bounds as those). */
function constantOf(graph: Graph, name: string): Tensor | number | undefined {
  const init = graph.initializers.get(name);
  if (init) return init;
  const node = graph.nodes.find((n) => n.outputs[0] === name);
  if (!node || node.opType !== 'Constant' || canonicalDomain(node.domain) !== '') return undefined;
  const value = node.attributes.get('value');
  if (value?.type === 'tensor') return value.value;
  const f = node.attributes.get('value_float');
  return f?.type === 'float' ? f.value : undefined;
}
