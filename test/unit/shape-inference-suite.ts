// Checks shape inference against the official ONNX backend test data: graph inputs are pinned
// to the shapes of each case's input_*.pb, and every graph output whose inferred shape is fully
// known must equal the expected output_*.pb's shape (and its dtype the expected dtype).
// Run directly for a per-op report: npx tsx test/unit/shape-inference-suite.ts [regex] [folder]

import { type Folder, caseFile, listCases, manifest } from '../conformance/backend-suite.js';
import { decodeMessage } from '../../src/formats/onnx/wire.js';
import { tensorFromProto } from '../../src/formats/onnx/tensor-proto.js';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import type { Dim, Model, ValueType } from '../../src/ir/graph.js';
import { inferShapes } from '../../src/runtime/infer.js';
import { InferenceSession } from '../../src/api/session.js';
import { Tensor as TensorClass, type Tensor } from '../../src/tensor.js';

export interface OutputCheck {
  readonly test: string;
  readonly output: string;
  /** 'full': shape fully known and right; 'partial': not fully known; 'wrong': a mismatch. */
  readonly status: 'full' | 'partial' | 'wrong';
  readonly message: string;
}

const fmt = (s: readonly Dim[] | undefined) => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]` : '[?]');

function readTensor(folder: Folder, name: string, file: string): Tensor | undefined {
  const bytes = caseFile(folder, name, `test_data_set_0/${file}`);
  if (!bytes) return undefined;
  try {
    return tensorFromProto(decodeMessage(bytes, 'TensorProto', file), file);
  } catch {
    return undefined;
  }
}

function readModel(folder: Folder, name: string): Promise<Model> {
  const bytes = caseFile(folder, name, 'model.onnx');
  if (!bytes) throw new Error(`${folder}/${name}/model.onnx is missing from the test data`);
  return loadOnnxModel(bytes);
}

/**
 * One case: undefined when the model cannot be loaded or an output is not a tensor.
 * `withValues` also pins the values of small rank-0/1 inputs (as if they were shape constants).
 */
export async function checkCase(folder: Folder, name: string, withValues = false): Promise<OutputCheck[] | undefined> {
  let model;
  try {
    model = await readModel(folder, name);
  } catch {
    return undefined;
  }
  const g = model.graph;
  const inputShapes = new Map<string, readonly Dim[]>();
  const inputValues = new Map<string, Tensor>();
  g.inputs.filter((i) => !g.initializers.has(i.name)).forEach((inp, i) => {
    if (inp.type.kind !== 'tensor') return;
    const t = readTensor(folder, name, `input_${i}.pb`);
    if (!t) return;
    inputShapes.set(inp.name, t.dims);
    // Shape-like inputs (a Reshape's shape, Resize's scales, a Split's sizes): rank <= 1, few elements.
    if (withValues && t.dims.length <= 1 && t.size <= 16 && t.type !== 'string') inputValues.set(inp.name, t);
  });
  const types = inferShapes(model, { inputShapes, inputValues });
  const checks: OutputCheck[] = [];
  for (let i = 0; i < g.outputs.length; i++) {
    const out = g.outputs[i]!;
    if (out.type.kind !== 'tensor') continue;
    const want = readTensor(folder, name, `output_${i}.pb`);
    if (!want) continue;
    const got: ValueType = types.get(out.name) ?? { kind: 'unknown' };
    const shape = got.kind === 'tensor' ? got.shape : undefined;
    const elem = got.kind === 'tensor' ? got.elemType : undefined;
    let status: OutputCheck['status'] = 'partial';
    let message = `inferred ${elem ?? '?'}${fmt(shape)}, expected ${want.type}${fmt(want.dims)}`;
    if (got.kind !== 'tensor' && got.kind !== 'unknown') status = 'wrong';
    else if (elem !== undefined && elem !== want.type) status = 'wrong';
    else if (shape && shape.length !== want.dims.length) status = 'wrong';
    else if (shape && shape.some((d, k) => typeof d === 'number' && d !== want.dims[k])) status = 'wrong';
    else if (shape && elem && shape.every((d) => typeof d === 'number')) status = 'full';
    if (status === 'full') message = '';
    checks.push({ test: name, output: out.name, status, message });
  }
  return checks;
}

export interface SuiteSummary {
  readonly checks: OutputCheck[];
  readonly full: number;
  readonly total: number;
  readonly wrong: OutputCheck[];
}

export async function checkFolder(folder: Folder, filter?: RegExp, withValues = false): Promise<SuiteSummary> {
  const checks: OutputCheck[] = [];
  for (const name of listCases(folder)) {
    if (filter && !filter.test(name)) continue;
    const c = await checkCase(folder, name, withValues);
    if (c) checks.push(...c);
  }
  return {
    checks,
    full: checks.filter((c) => c.status === 'full').length,
    total: checks.length,
    wrong: checks.filter((c) => c.status === 'wrong'),
  };
}

/**
 * Every intermediate value of the matching cases, inferred with inputs pinned, against the
 * value the runtime computes (itself checked against the official outputs by the conformance
 * suite). Returns the number of values compared and the mismatches.
 */
export async function checkIntermediates(folder: Folder, filter: RegExp): Promise<{ checked: number; wrong: string[] }> {
  let checked = 0;
  const wrong: string[] = [];
  for (const name of listCases(folder)) {
    if (!filter.test(name)) continue;
    let model;
    try {
      model = await readModel(folder, name);
    } catch {
      continue;
    }
    const g = model.graph;
    const feeds = new Map<string, Tensor>();
    const inputs = g.inputs.filter((i) => !g.initializers.has(i.name));
    inputs.forEach((inp, i) => {
      const t = inp.type.kind === 'tensor' ? readTensor(folder, name, `input_${i}.pb`) : undefined;
      if (t) feeds.set(inp.name, t);
    });
    if (feeds.size !== inputs.length) continue;
    const types = inferShapes(model, { inputShapes: new Map([...feeds].map(([k, t]) => [k, t.dims])) });
    // Every node output becomes a graph output so that the runtime keeps it.
    const names = [...new Set(g.nodes.flatMap((n) => n.outputs).filter((o) => o !== ''))];
    const all = { ...model, graph: { ...g, outputs: names.map((n) => ({ name: n, type: { kind: 'unknown' as const } })) } };
    let values;
    try {
      values = InferenceSession.fromModel(all).execute(feeds);
    } catch {
      continue;
    }
    names.forEach((n, i) => {
      const v = values[i];
      const t = types.get(n);
      if (!(v instanceof TensorClass) || t?.kind !== 'tensor') return;
      checked++;
      const badType = t.elemType !== undefined && t.elemType !== v.type;
      const badShape = t.shape && (t.shape.length !== v.dims.length || t.shape.some((d, k) => typeof d === 'number' && d !== v.dims[k]));
      if (badType || badShape) wrong.push(`${name} ${n}: inferred ${t.elemType ?? '?'}${fmt(t.shape)}, computed ${v.type}${fmt(v.dims)}`);
    });
  }
  return { checked, wrong };
}

async function main(): Promise<void> {
  const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
  const folders = (process.argv[3] ? [process.argv[3]] : ['node']) as Folder[];
  const withValues = process.argv.includes('--values');
  const ops = manifest();
  for (const folder of folders) {
    const s = await checkFolder(folder, filter, withValues);
    const byOp = new Map<string, [number, number]>();
    for (const c of s.checks) {
      const op = ops.get(c.test)?.primaryOp ?? '?';
      const e = byOp.get(op) ?? [0, 0];
      e[1]++;
      if (c.status === 'full') e[0]++;
      byOp.set(op, e);
    }
    for (const c of s.checks) if (c.status !== 'full' && process.argv.includes('-v')) console.log(`${c.status.toUpperCase()} ${c.test} ${c.output}: ${c.message}`);
    for (const c of s.wrong) console.log(`WRONG ${c.test} ${c.output}: ${c.message}`);
    const missing = [...byOp].filter(([, [f, t]]) => f < t).sort((a, b) => (b[1][1] - b[1][0]) - (a[1][1] - a[1][0]));
    console.log(`not fully inferred, by primary op: ${missing.map(([op, [f, t]]) => `${op} ${t - f}/${t}`).join(', ')}`);
    console.log(`${folder}: ${s.full}/${s.total} outputs fully inferred (${((100 * s.full) / Math.max(1, s.total)).toFixed(1)}%), ${s.wrong.length} wrong`);
  }
}

if (process.argv[1]?.endsWith('shape-inference-suite.ts')) await main();
