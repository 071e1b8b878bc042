// Reads the official ONNX backend test cases (../shared/onnx-backend-tests) and runs them.
// Input i of a case feeds the i-th graph input that is not an initializer; outputs are
// compared like the upstream runner: rtol 1e-3, atol 1e-7, NaN equals NaN, strings exact.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { float16BitsToNumber, bfloat16BitsToNumber } from '../../kernels/float16.js';
import { decodeMessage, type Msg } from '../../src/formats/onnx/wire.js';
import { tensorFromProto } from '../../src/formats/onnx/tensor-proto.js';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import type { ValueType } from '../../src/ir/graph.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repo root, from either test/conformance (tsx, vitest) or dist/test/conformance (built). */
const root = [resolve(here, '../..'), resolve(here, '../../..')].find((p) => existsSync(join(p, 'package.json')))!;
export const SUITE_DIR = process.env.TESSERA_ONNX_TESTS ?? resolve(root, '../shared/onnx-backend-tests');
export const FOLDERS = ['node', 'simple', 'pytorch-converted', 'pytorch-operator'] as const;
export type Folder = (typeof FOLDERS)[number];

export function suiteAvailable(): boolean {
  return existsSync(join(SUITE_DIR, 'node'));
}

export function listCases(folder: Folder): string[] {
  return readdirSync(join(SUITE_DIR, folder)).filter((n) => n.startsWith('test_')).sort();
}

export interface Manifest { name: string; primaryOp: string; opTypes: string[] }
export function manifest(): Map<string, Manifest> {
  const list = JSON.parse(readFileSync(join(SUITE_DIR, 'manifest.json'), 'utf8')) as Manifest[];
  return new Map(list.map((m) => [m.name, m]));
}

function decodeValue(bytes: Uint8Array, type: ValueType | undefined, part: string): Value {
  if (type?.kind === 'sequence') return decodeSequence(decodeMessage(bytes, 'SequenceProto', part), part);
  if (type?.kind === 'optional') return decodeOptional(decodeMessage(bytes, 'OptionalProto', part), part);
  return tensorFromProto(decodeMessage(bytes, 'TensorProto', part), part);
}
function decodeSequence(m: Msg, part: string): Value[] {
  const t = (m.tensor_values as Msg[] | undefined) ?? [];
  const s = (m.sequence_values as Msg[] | undefined) ?? [];
  const o = (m.optional_values as Msg[] | undefined) ?? [];
  return [...t.map((x) => tensorFromProto(x, part)), ...s.map((x) => decodeSequence(x, part)) as Value[],
    ...o.map((x) => decodeOptional(x, part))];
}
function decodeOptional(m: Msg, part: string): Value {
  if (m.tensor_value) return tensorFromProto(m.tensor_value as Msg, part);
  if (m.sequence_value) return decodeSequence(m.sequence_value as Msg, part);
  if (m.optional_value) return decodeOptional(m.optional_value as Msg, part);
  return null;
}

export interface CaseResult { name: string; ok: boolean; message: string }

export async function runCase(folder: Folder, name: string): Promise<CaseResult> {
  const dir = join(SUITE_DIR, folder, name);
  try {
    const model = await loadOnnxModel(new Uint8Array(readFileSync(join(dir, 'model.onnx'))));
    const session = InferenceSession.fromModel(model);
    const g = model.graph;
    const inputs = g.inputs.filter((i) => !g.initializers.has(i.name));
    const data = join(dir, 'test_data_set_0');
    const feeds = new Map<string, Value>();
    inputs.forEach((inp, i) => {
      const file = join(data, `input_${i}.pb`);
      if (existsSync(file)) feeds.set(inp.name, decodeValue(new Uint8Array(readFileSync(file)), inp.type, `input_${i}.pb`));
    });
    const outs = session.execute(feeds);
    for (let i = 0; i < g.outputs.length; i++) {
      const out = g.outputs[i]!;
      const want = decodeValue(new Uint8Array(readFileSync(join(data, `output_${i}.pb`))), out.type, `output_${i}.pb`);
      const diff = compareValues(outs[i]!, want);
      if (diff) return { name, ok: false, message: `output '${out.name}': ${diff}` };
    }
    return { name, ok: true, message: '' };
  } catch (e) {
    const err = e as Error;
    return { name, ok: false, message: `${err.name}: ${err.message}` };
  }
}

function asNumbers(t: Tensor): ArrayLike<number | bigint> {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, float16BitsToNumber);
  if (t.type === 'bfloat16') return Array.from(t.data as Uint16Array, bfloat16BitsToNumber);
  return t.data as ArrayLike<number | bigint>;
}

/** Returns a description of the first difference, or '' when equal within tolerance. */
export function compareValues(got: Value, want: Value, rtol = 1e-3, atol = 1e-7): string {
  if (want === null || got === null) return want === got ? '' : `expected ${want === null ? 'none' : 'a value'}, got ${got === null ? 'none' : 'a value'}`;
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return 'expected a sequence';
    if (got.length !== want.length) return `sequence length ${got.length}, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = compareValues(got[i]!, want[i]!, rtol, atol);
      if (d) return `[${i}] ${d}`;
    }
    return '';
  }
  const w = want as Tensor;
  if (!(got instanceof Tensor)) return 'expected a tensor';
  if (got.type !== w.type) return `dtype ${got.type}, expected ${w.type}`;
  if (got.dims.length !== w.dims.length || got.dims.some((d, i) => d !== w.dims[i])) {
    return `shape [${got.dims.join(', ')}], expected [${w.dims.join(', ')}]`;
  }
  if (w.type === 'string') {
    const a = got.data as string[];
    const b = w.data as string[];
    for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return `[${i}] = ${JSON.stringify(a[i])}, expected ${JSON.stringify(b[i])}`;
    return '';
  }
  const a = asNumbers(got);
  const b = asNumbers(w);
  let bad = 0;
  let first = '';
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (typeof x === 'bigint' || typeof y === 'bigint') {
      if (x !== y) { bad++; if (!first) first = `[${i}] = ${x}, expected ${y}`; }
      continue;
    }
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      bad++;
      if (!first) first = `[${i}] = ${x}, expected ${y}`;
    }
  }
  return bad ? `${bad}/${b.length} values differ; first ${first}` : '';
}
