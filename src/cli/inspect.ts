// `tessera inspect MODEL`: what a model is, without running it.

import { DATA_TYPES } from '../dtypes.js';
import type { Dim, Graph, Model, Node, ValueInfo, ValueType } from '../ir/graph.js';
import { loadOnnxModel } from '../formats/onnx/load.js';
import { subgraphsOf, validateGraph } from '../ir/validate.js';
import { readModelFile } from '../node.js';
import { planModel } from '../runtime/plan.js';
import { modelOpKeys } from '../runtime/registry.js';
import { defaultOpRegistry, progressReporter } from '../api/session.js';
import { InvalidArgumentError, UnsupportedOpError } from '../errors.js';
import { type InferredValue, inferValues } from '../runtime/infer.js';
import { type Io, jsonDocument } from './io.js';
import { loadProgressLine } from './load-progress.js';

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

/** What inspect reports of an ONNX model (the text form prints it; --json prints it as is). */
export interface ModelSummary {
  readonly irVersion: number;
  readonly producer: string;
  readonly opsets: Record<string, number>;
  readonly metadata: Record<string, string>;
  readonly inputs: readonly { readonly name: string; readonly type: string }[];
  readonly outputs: readonly { readonly name: string; readonly type: string }[];
  readonly nodes: number;
  /** Nodes per op type ('domain::Op' outside the default domain), subgraphs included, most first. */
  readonly operators: Record<string, number>;
  readonly parameters: number;
  readonly initializers: number;
  readonly parameterBytes: number;
  readonly functions: readonly string[];
  readonly runnable: { readonly ok: boolean; readonly detail: string };
}

export function summarizeModel(model: Model): ModelSummary {
  const g = model.graph;
  const counts = new Map<string, number>();
  histogram(g, counts);
  let params = 0;
  let bytes = 0;
  for (const t of g.initializers.values()) {
    params += t.size;
    bytes += Math.ceil(t.size * DATA_TYPES[t.type].bytes);
  }
  const io = (v: ValueInfo) => ({ name: v.name, type: formatType(v.type) });
  return {
    irVersion: model.irVersion,
    producer: `${model.producerName || '?'} ${model.producerVersion}`.trimEnd(),
    opsets: Object.fromEntries([...model.opsetImports].map(([d, v]) => [d || 'ai.onnx', v])),
    metadata: Object.fromEntries(model.metadata),
    inputs: g.inputs.filter((i) => !g.initializers.has(i.name)).map(io),
    outputs: g.outputs.map(io),
    nodes: g.nodes.length,
    operators: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    parameters: params,
    initializers: g.initializers.size,
    parameterBytes: bytes,
    functions: model.functions.map((f) => `${f.domain}::${f.name}`),
    runnable: runnable(model),
  };
}

export function describeModel(model: Model): string[] {
  const s = summarizeModel(model);
  const lines: string[] = [];
  lines.push(`format:     ONNX (IR version ${s.irVersion})`);
  lines.push(`producer:   ${s.producer}`);
  lines.push(`opsets:     ${Object.entries(s.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}`);
  if (Object.keys(s.metadata).length) lines.push(`metadata:   ${Object.entries(s.metadata).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push('inputs:');
  for (const i of s.inputs) lines.push(`  ${i.name}: ${i.type}`);
  lines.push('outputs:');
  for (const o of s.outputs) lines.push(`  ${o.name}: ${o.type}`);
  lines.push(`operators:  ${s.nodes} nodes`);
  for (const [k, n] of Object.entries(s.operators)) lines.push(`  ${k.padEnd(28)} ${n}`);
  lines.push(`parameters: ${s.parameters.toLocaleString('en-US')} in ${s.initializers} initializers, ${s.parameterBytes.toLocaleString('en-US')} bytes`);
  if (s.functions.length) lines.push(`functions:  ${s.functions.join(', ')}`);
  lines.push(`runnable:   ${s.runnable.ok ? 'yes' : 'no'}, ${s.runnable.detail}`);
  return lines;
}

/** Whether the model plans: strictly, else with missing operators left in subgraphs (they fail when run). */
function runnable(model: Model): { ok: boolean; detail: string } {
  try {
    planModel(model, defaultOpRegistry(), undefined, { strict: true });
    return { ok: true, detail: 'every operator is implemented' };
  } catch (e) {
    if (!(e instanceof UnsupportedOpError)) return { ok: false, detail: (e as Error).message };
    try {
      planModel(model, defaultOpRegistry());
      return { ok: true, detail: `but a run that reaches these subgraph operators fails: ${e.ops.join(', ')}` };
    } catch (e2) {
      return { ok: false, detail: e2 instanceof UnsupportedOpError ? `missing ${e.ops.join(', ')}` : (e2 as Error).message };
    }
  }
}

export interface InspectOptions {
  /** Print every value's inferred type and shape. */
  readonly shapes?: boolean;
  /** Pins graph-input shapes (implies `shapes`). */
  readonly inputShapes?: ReadonlyMap<string, readonly Dim[]>;
  /** One JSON document instead of lines. */
  readonly json?: boolean;
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

/** Every value's inferred type and the op (and node) producing it, as inspect --shapes lists them. */
export interface ShapeRows {
  /** Computed values with a full type and shape, of all computed values. */
  readonly known: number;
  readonly computed: number;
  /** [indented name, type, producer]; a subgraph's header row has an empty type and producer. */
  readonly rows: readonly (readonly [string, string, string])[];
}

/** One line per value: name, inferred type, and the op (and node) that produced it. */
export function describeShapes(model: Model, inputShapes: ReadonlyMap<string, readonly Dim[]> = new Map()): string[] {
  const { known, computed, rows } = shapeRows(model, inputShapes);
  const w0 = Math.min(48, Math.max(...rows.map((r) => r[0].length)));
  const w1 = Math.min(32, Math.max(...rows.map((r) => r[1].length)));
  const inits = model.graph.initializers.size;
  return [
    `shapes:     ${known} of ${computed} computed values have a full type and shape` +
      (inits ? ` (${inits} initializers not listed)` : ''),
    ...rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd()),
  ];
}

export function shapeRows(model: Model, inputShapes: ReadonlyMap<string, readonly Dim[]> = new Map()): ShapeRows {
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
  return { known: known.length, computed: tensors.length, rows };
}

export async function inspectCommand(path: string, io: Io, options: InspectOptions = {}): Promise<void> {
  const onProgress = loadProgressLine(process.stderr);
  const progress = onProgress && progressReporter(onProgress);
  progress?.start();
  const file = await readModelFile(path, undefined, progress);
  const model = await loadOnnxModel(file.bytes, { externalRange: file.externalRange });
  progress?.done();
  await defaultOpRegistry().loadFor(modelOpKeys(model)); // the optional op families describeModel plans with
  const shapes = options.shapes || options.inputShapes?.size;
  if (options.json) {
    const rows = shapes ? shapeRows(model, options.inputShapes) : undefined;
    io.out(jsonDocument({
      file: path, kind: 'onnx', ...summarizeModel(model),
      ...(rows ? { shapes: { known: rows.known, computed: rows.computed, values: rows.rows.filter((r) => r[1] !== '' || r[2] !== '').map(([name, type, producer]) => ({ name: name.trim(), type, producer })) } } : {}),
    }));
    return;
  }
  for (const l of describeModel(model)) io.out(l);
  if (shapes) for (const l of describeShapes(model, options.inputShapes)) io.out(l);
}
