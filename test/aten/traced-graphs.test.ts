// Runs frozen traced graphs (torchvision models, LSTM, GRU, TransformerEncoder) node by node
// with tessera's aten ops and compares with PyTorch's outputs (1e-4). The graphs are large and
// regenerated, not committed: `/usr/bin/python3 spec-models/aten_graphs.py`; the test skips a
// model whose files are missing. Only the prim ops a frozen traced graph holds are handled here
// (the TorchScript interpreter does this for real).

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportAbsent } from '../helpers/absent-files.js';
import { atenOps } from '../../ops/aten/index.js';
import { TsTuple, type TsValue } from '../../ops/aten/aten-op.js';
import type { DataType } from '../../src/dtypes.js';
import { Tensor } from '../../src/tensor.js';
import { compare, parseSchema } from './case-runner.js';

const DIR = new URL('../../spec-models/aten/graphs/', import.meta.url).pathname;
const MODELS = ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1', 'shufflenet_v2_x0_5', 'efficientnet_b0',
  'regnet_y_400mf', 'mnasnet0_5', 'googlenet', 'densenet121', 'lstm', 'gru', 'tenc', 'inplace', 'gpt'];

interface GNode { kind: string; inputs: string[]; outputs: string[]; schema?: string; value?: unknown }
interface Graph { nodes: GNode[]; inputs: string[]; outputs: string[]; args: unknown[]; expected: unknown }

const ARRAYS: Record<string, { new (b: ArrayBuffer, o: number, n: number): ArrayLike<unknown> }> = {
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, bool: Uint8Array,
};

function decoder(bin: Uint8Array) {
  const dec = (v: unknown): TsValue => {
    if (v === null || typeof v === 'boolean') return v as TsValue;
    const o = v as Record<string, unknown>;
    if ('tensor' in o) {
      const t = o.tensor as { dtype: string; shape: number[]; offset: number; nbytes: number };
      const bytes = bin.slice(t.offset, t.offset + t.nbytes);
      const A = ARRAYS[t.dtype]!;
      const width = t.dtype === 'bool' ? 1 : t.dtype === 'float32' ? 4 : 8;
      return new Tensor(t.dtype as DataType, new A(bytes.buffer, 0, t.nbytes / width) as Float32Array, t.shape);
    }
    if ('int' in o) return BigInt(o.int as string);
    if ('float' in o) return typeof o.float === 'string' ? Number(o.float.replace('inf', 'Infinity')) : (o.float as number);
    if ('str' in o) return o.str as string;
    if ('list' in o) return (o.list as unknown[]).map(dec);
    if ('tuple' in o) return new TsTuple((o.tuple as unknown[]).map(dec));
    if ('device' in o) return o.device as string;
    throw new Error(`cannot decode ${JSON.stringify(v).slice(0, 80)}`);
  };
  return dec;
}

const sig = (schema: string) => parseSchema(schema).map((a) => a.type).join(',');

function runGraph(g: Graph, dec: (v: unknown) => TsValue): TsValue[] {
  const env = new Map<string, TsValue>();
  g.inputs.forEach((name, i) => env.set(name, dec(g.args[i])));
  for (const n of g.nodes) {
    const ins = n.inputs.map((i) => env.get(i)!);
    let outs: TsValue[];
    switch (n.kind) {
      case 'prim::Constant': outs = [n.value === undefined ? null : dec(n.value)]; break;
      case 'prim::ListConstruct': outs = [ins]; break;
      case 'prim::TupleConstruct': outs = [new TsTuple(ins)]; break;
      case 'prim::ListUnpack': outs = ins[0] as TsValue[]; break;
      case 'prim::TupleUnpack': outs = [...(ins[0] as TsTuple).items]; break;
      case 'prim::NumToTensor': outs = [new Tensor('int64', BigInt64Array.of(ins[0] as bigint), [])]; break;
      default: {
        const want = n.schema ? sig(n.schema.slice(0, n.schema.lastIndexOf(' -> '))) : '';
        const op = atenOps.find((o) => o.name === n.kind && sig(o.schema) === want);
        if (op === undefined) throw new Error(`no op ${n.kind} with schema ${n.schema}`);
        const r = op.run(ins);
        outs = n.outputs.length > 1 ? [...(r as TsTuple).items] : [r];
      }
    }
    n.outputs.forEach((o, i) => env.set(o, outs[i]!));
  }
  return g.outputs.map((o) => env.get(o)!);
}

const GRAPHS_COMMAND = '/usr/bin/python3 spec-models/aten_graphs.py';

describe('traced graphs match PyTorch', () => {
  reportAbsent('traced graphs', MODELS.filter((m) => !existsSync(`${DIR}${m}.json`)), GRAPHS_COMMAND);
  for (const m of MODELS) {
    const json = `${DIR}${m}.json`;
    const missing = !existsSync(json);
    it.skipIf(missing)(missing ? `${m} (SKIPPED: ${m}.json is absent; make it with \`${GRAPHS_COMMAND}\`)` : m, () => {
      const g = JSON.parse(readFileSync(json, 'utf8')) as Graph;
      const dec = decoder(new Uint8Array(readFileSync(`${DIR}${m}.bin`)));
      const [out] = runGraph(g, dec);
      expect(compare(out!, dec(g.expected))).toBeNull();
    });
  }
});
