// Reads the official ONNX backend test cases (see suite-source.ts for where from) and runs them.
// Input i of a case feeds the i-th graph input that is not an initializer; outputs are
// compared like the upstream runner (numpy's assert_allclose, test/helpers/allclose.ts): rtol 1e-3,
// atol 1e-7, infinities by position and sign, NaN equals NaN, dtype and shape checked, strings exact.

import { decodeMessage, type Msg } from '../../src/formats/onnx/wire.js';
import { tensorFromProto } from '../../src/formats/onnx/tensor-proto.js';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import type { ValueType } from '../../src/ir/graph.js';
import { InferenceSession } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import { compareTensors } from '../helpers/allclose.js';
import { suite } from './suite-source.js';

export const FOLDERS = ['node', 'simple', 'pytorch-converted', 'pytorch-operator'] as const;
export type Folder = (typeof FOLDERS)[number];

export function listCases(folder: Folder): string[] {
  return suite().cases(folder);
}

/** A file of the suite, e.g. caseFile('node', 'test_abs', 'model.onnx'); undefined when absent. */
export function caseFile(folder: Folder, name: string, file: string): Uint8Array | undefined {
  return suite().read(`${folder}/${name}/${file}`);
}

export interface Manifest { name: string; primaryOp: string; opTypes: string[] }
export function manifest(): Map<string, Manifest> {
  const bytes = suite().read('manifest.json');
  if (!bytes) throw new Error(`${suite().origin}: manifest.json is missing`);
  const list = JSON.parse(new TextDecoder().decode(bytes)) as Manifest[];
  return new Map(list.map((m) => [m.name, m]));
}

export function decodeValue(bytes: Uint8Array, type: ValueType | undefined, part: string): Value {
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

/**
 * One case; `optimization` 'disabled' runs the graph exactly as written (no fusion); `backend`
 * the kernels ('wasm' falls back to 'cpu' where this host cannot run it).
 */
export async function runCase(
  folder: Folder, name: string, optimization: 'disabled' | 'all' = 'all', backend: 'wasm' | 'cpu' = 'wasm',
): Promise<CaseResult> {
  const file = (f: string): Uint8Array => {
    const b = caseFile(folder, name, f);
    if (!b) throw new Error(`${folder}/${name}/${f} is missing from ${suite().origin}`);
    return b;
  };
  try {
    const model = await loadOnnxModel(file('model.onnx'));
    const session = InferenceSession.fromModel(model, undefined, undefined, { graphOptimizationLevel: optimization }, backend === 'wasm' ? ['wasm', 'cpu'] : ['cpu']);
    const g = model.graph;
    const inputs = g.inputs.filter((i) => !g.initializers.has(i.name));
    const feeds = new Map<string, Value>();
    inputs.forEach((inp, i) => {
      const bytes = caseFile(folder, name, `test_data_set_0/input_${i}.pb`);
      if (bytes) feeds.set(inp.name, decodeValue(bytes, inp.type, `input_${i}.pb`));
    });
    const outs = session.execute(feeds);
    for (let i = 0; i < g.outputs.length; i++) {
      const out = g.outputs[i]!;
      const want = decodeValue(file(`test_data_set_0/output_${i}.pb`), out.type, `output_${i}.pb`);
      const diff = compareValues(outs[i]!, want);
      if (diff) return { name, ok: false, message: `output '${out.name}': ${diff}` };
    }
    return { name, ok: true, message: '' };
  } catch (e) {
    const err = e as Error;
    return { name, ok: false, message: `${err.name}: ${err.message}` };
  }
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
  if (!(got instanceof Tensor)) return 'expected a tensor';
  return compareTensors(got, want as Tensor, { rtol, atol });
}
