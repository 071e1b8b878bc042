// prim:: operators: exceptions, dtype/device queries, min/max/abs builtins, tuple access and the
// number <-> tensor conversions traced models use.

import { TorchScriptError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { dtypeFromName } from './py-values.js';
import { type AtenOp, TsDevice, TsTuple, type TsValue } from './aten-op.js';

const p = (name: string, schema: string, run: (a: readonly TsValue[]) => TsValue): AtenOp => Object.freeze({ name: `prim::${name}`, schema, run });

type Num = bigint | number | boolean;
const isInt = (x: TsValue): boolean => typeof x === 'bigint' || typeof x === 'boolean';
const num = (x: TsValue): number => (typeof x === 'boolean' ? (x ? 1 : 0) : Number(x));

function extreme(items: readonly TsValue[], max: boolean): TsValue {
  if (!items.length) throw new TorchScriptError(`ValueError: ${max ? 'max' : 'min'}() arg is an empty sequence`, 'builtins.ValueError');
  let best: TsValue = items[0]!;
  for (const x of items.slice(1)) {
    if (typeof x === 'string') { if (max ? x > (best as string) : x < (best as string)) best = x; continue; }
    const a = num(x as Num), c = num(best as Num);
    if (Number.isNaN(a) || (max ? a > c : a < c)) best = x;
  }
  if (!items.every(isInt) && isInt(best)) return num(best as Num);
  return best;
}

/** The torch ScalarType code of a tensor's element type. */
function dtypeCode(t: Tensor): bigint {
  const d = dtypeFromName(t.type);
  if (!d) throw new TorchScriptError(`RuntimeError: the element type ${t.type} has no torch dtype`);
  return BigInt(d.code);
}

export const primOps: AtenOp[] = [
  p('RaiseException', '(str msg, str? cls=None)', (a) => {
    const cls = (a[1] as string | null) ?? 'builtins.RuntimeError';
    throw new TorchScriptError(`${cls}: ${a[0] as string}`, cls);
  }),
  p('dtype', '(Tensor a)', (a) => dtypeCode(a[0] as Tensor)),
  p('device', '(Tensor a)', () => new TsDevice('cpu')),
  p('layout', '(Tensor a)', () => 0n),
  p('data', '(Tensor a)', (a) => a[0]!),
  p('is_cuda', '(Tensor a)', () => false),
  p('is_quantized', '(Tensor a)', () => false),
  p('is_nested', '(Tensor a)', () => false),
  p('is_sparse', '(Tensor a)', () => false),
  p('is_mkldnn', '(Tensor a)', () => false),
  p('requires_grad', '(Tensor a)', () => false),
  p('grad', '(Tensor a)', () => null),
  p('shape', '(Tensor self)', (a) => (a[0] as Tensor).dims.map(BigInt)),
  p('name', '(Tensor a)', () => null),
  p('type', '(Device self)', (a) => (a[0] as TsDevice).type),
  p('index', '(Device self)', (a) => ((a[0] as TsDevice).index === null ? null : BigInt((a[0] as TsDevice).index!))),
  p('min', '(Scalar a, Scalar b)', (a) => extreme([a[0]!, a[1]!], false)),
  p('max', '(Scalar a, Scalar b)', (a) => extreme([a[0]!, a[1]!], true)),
  p('min', '(str a, str b)', (a) => extreme([a[0]!, a[1]!], false)),
  p('max', '(str a, str b)', (a) => extreme([a[0]!, a[1]!], true)),
  p('min', '(t[] self)', (a) => extreme(a[0] as TsValue[], false)),
  p('max', '(t[] self)', (a) => extreme(a[0] as TsValue[], true)),
  p('abs', '(Scalar a)', (a) => {
    const v = a[0]!;
    if (typeof v === 'bigint') return v < 0n ? -v : v;
    return typeof v === 'boolean' ? (v ? 1n : 0n) : Math.abs(v as number);
  }),
  p('unchecked_unwrap_optional', '(t? optional)', (a) => a[0]!),
  p('unchecked_cast', '(t x)', (a) => a[0]!),
  p('TupleIndex', '(Any tup, int i)', (a) => {
    const t = a[0] as TsTuple;
    let i = Number(a[1]);
    if (i < 0) i += t.items.length;
    return t.items[i] ?? null;
  }),
  p('TupleUnpack', '(Any tup)', (a) => a[0]!),
  p('NumToTensor', '(Scalar a)', (a) => {
    const v = a[0]!;
    if (typeof v === 'bigint') return new Tensor('int64', [v], []);
    if (typeof v === 'boolean') return new Tensor('bool', [v], []);
    return new Tensor('float64', [v as number], []);
  }),
  p('Print', '(...)', () => null),
];
