// `tessera inspect MODEL`: what a model is, without running it.

import { DATA_TYPES } from '../dtypes.js';
import type { Dim, Graph, Model, Node, ValueInfo, ValueType } from '../ir/graph.js';
import { loadOnnxModel } from '../formats/onnx/load.js';
import { subgraphsOf, validateGraph } from '../ir/validate.js';
import { readModelFile } from '../node.js';
import { planModel } from '../runtime/plan.js';
import { modelOpKeys } from '../runtime/registry.js';
import { defaultOpRegistry } from '../api/session.js';
import { InvalidArgumentError, UnsupportedOpError } from '../errors.js';
import { type InferredValue, inferValues } from '../runtime/infer.js';
import type { Io } from './io.js';

export function formatType(t: ValueType): string {
  switch (t.kind) {
    case 'tensor': case 'sparse_tensor': {
      const shape = t.shape ? `[${t.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[?]';
      return `${t.kind === 'sparse_tensor' ? 'sparse ' : ''}${t.elemType ?? '?'}${shape}`;
    }
    case 'sequence': return `sequence<${t.elem ? formatType(t.elem) : '?'}>`;
    case 'optional': return `optional<${t.elem ? formatType(t.elem) : '?'}>`;
    case 'map': return `map<${t.keyType ?? '?'}, ${t.value ? formatType(t.value) : '?'}>`;
    case 'opaque': return `opaque ${t.domain}.${t.name}`;
    default: return '?';
  }
}

function histogram(g: Graph, counts: Map<string, number>): void {
  for (const n of g.nodes) {
    const k = n.domain ? `${n.domain}::${n.opType}` : n.opType;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const sg of subgraphsOf(n)) histogram(sg, counts);
  }
}

export function describeModel(model: Model): string[] {
  const lines: string[] = [];
  const g = model.graph;
  lines.push(`format:     ONNX (IR version ${model.irVersion})`);
  lines.push(`producer:   ${model.producerName || '?'} ${model.producerVersion}`.trimEnd());
  lines.push(`opsets:     ${[...model.opsetImports].map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}`);
  if (model.metadata.size) lines.push(`metadata:   ${[...model.metadata].map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const show = (v: ValueInfo) => `  ${v.name}: ${formatType(v.type)}`;
  lines.push('inputs:');
  for (const i of g.inputs.filter((i) => !g.initializers.has(i.name))) lines.push(show(i));
  lines.push('outputs:');
  for (const o of g.outputs) lines.push(show(o));
  const counts = new Map<string, number>();
  histogram(g, counts);
  lines.push(`operators:  ${g.nodes.length} nodes`);
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    lines.push(`  ${k.padEnd(28)} ${n}`);
  }
  let params = 0;
  let bytes = 0;
  for (const t of g.initializers.values()) {
    params += t.size;
    bytes += Math.ceil(t.size * DATA_TYPES[t.type].bytes);
  }
  lines.push(`parameters: ${params.toLocaleString('en-US')} in ${g.initializers.size} initializers, ${bytes.toLocaleString('en-US')} bytes`);
  if (model.functions.length) lines.push(`functions:  ${model.functions.map((f) => `${f.domain}::${f.name}`).join(', ')}`);
  lines.push(runnable(model));
  return lines;
}

/** Whether the model plans: strictly, else with missing operators left in subgraphs (they fail when run). */
function runnable(model: Model): string {
  try {
    planModel(model, defaultOpRegistry(), undefined, { strict: true });
    return 'runnable:   yes, every operator is implemented';
  } catch (e) {
    if (!(e instanceof UnsupportedOpError)) return `runnable:   no, ${(e as Error).message}`;
    try {
      planModel(model, defaultOpRegistry());
      return `runnable:   yes, but a run that reaches these subgraph operators fails: ${e.ops.join(', ')}`;
    } catch (e2) {
      return e2 instanceof UnsupportedOpError ? `runnable:   no, missing ${e.ops.join(', ')}` : `runnable:   no, ${(e2 as Error).message}`;
    }
  }
}

export interface InspectOptions {
  /** Print every value's inferred type and shape. */
  readonly shapes?: boolean;
  /** Pins graph-input shapes (implies `shapes`). */
  readonly inputShapes?: ReadonlyMap<string, readonly Dim[]>;
}

/**
 * Parses `--input-shape` values: `NAME=1x3x224x224` (or comma-separated, for symbolic names
 * holding an 'x': `NAME=batch,3,224,224`); a non-numeric dim stays symbolic, '?' is unknown.
 */
export function parseInputShape(spec: string): [string, Dim[]] | undefined {
  const eq = spec.lastIndexOf('=');
  if (eq <= 0) return undefined;
  const name = spec.slice(0, eq);
  const text = spec.slice(eq + 1);
  if (text === '' || text === '[]') return [name, []];
  const parts = text.includes(',') ? text.split(',') : text.split('x');
  if (parts.some((p) => p.trim() === '')) return undefined;
  return [name, parts.map((p) => {
    const t = p.trim();
    if (t === '?') return null;
    return /^\d+$/.test(t) ? Number(t) : t;
  })];
}

/** One line per value: name, inferred type, and the op (and node) that produced it. */
export function describeShapes(model: Model, inputShapes: ReadonlyMap<string, readonly Dim[]> = new Map()): string[] {
  const g = model.graph;
  const graphInputs = new Set(g.inputs.map((i) => i.name));
  for (const name of inputShapes.keys()) {
    if (!graphInputs.has(name) || g.initializers.has(name)) {
      const names = g.inputs.filter((i) => !g.initializers.has(i.name)).map((i) => i.name);
      throw new InvalidArgumentError(`--input-shape: the model has no input '${name}' (inputs: ${names.join(', ')})`);
    }
  }
  const values = inferValues(model, { inputShapes });
  const rows: [string, string, string][] = [];
  const show = (name: string, what: string, indent: string) => {
    const v: InferredValue | undefined = values.get(name);
    rows.push([`${indent}${name}`, v ? formatType(v.type) : '?', what]);
  };
  for (const i of g.inputs) if (!g.initializers.has(i.name)) show(i.name, 'input', '  ');
  const opOf = (n: Node) => `${n.domain ? `${n.domain}::` : ''}${n.opType}${n.name ? ` (${n.name})` : ''}`;
  const walk = (graph: Graph, indent: string) => {
    let order: readonly Node[];
    try {
      order = graph === g ? validateGraph(graph) : graph.nodes;
    } catch {
      order = graph.nodes;
    }
    for (const n of order) {
      for (const sg of subgraphsOf(n)) {
        rows.push([`${indent}  [${n.opType} body '${sg.name}']`, '', '']);
        walk(sg, `${indent}    `);
      }
      for (const o of n.outputs) if (o) show(o, opOf(n), indent);
    }
  };
  walk(g, '  ');
  const tensors = [...values.values()].filter((v) => v.producer);
  const known = tensors.filter((v) => v.type.kind === 'tensor' && v.type.elemType && v.type.shape?.every((d) => d !== null));
  const w0 = Math.min(48, Math.max(...rows.map((r) => r[0].length)));
  const w1 = Math.min(32, Math.max(...rows.map((r) => r[1].length)));
  return [
    `shapes:     ${known.length} of ${tensors.length} computed values have a full type and shape` +
      (g.initializers.size ? ` (${g.initializers.size} initializers not listed)` : ''),
    ...rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd()),
  ];
}

export async function inspectCommand(path: string, io: Io, options: InspectOptions = {}): Promise<void> {
  const file = await readModelFile(path);
  const model = await loadOnnxModel(file.bytes, { externalRange: file.externalRange });
  await defaultOpRegistry().loadFor(modelOpKeys(model)); // the optional op families describeModel plans with
  for (const l of describeModel(model)) io.out(l);
  if (options.shapes || options.inputShapes?.size) {
    for (const l of describeShapes(model, options.inputShapes)) io.out(l);
  }
}
