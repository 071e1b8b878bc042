// Runs the PyTorch reference cases of spec-models/aten/cases.json against tessera's aten ops:
// picks the AtenOp whose schema has PyTorch's argument types, binds positional and keyword
// arguments and fills defaults from tessera's own schema (so names and defaults are tested too).

import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/tensor.js';
import type { DataType } from '../../src/dtypes.js';
import { type AtenOp, TsTuple, type TsValue } from '../../ops/aten/aten-op.js';
import { numberToFloat16Bits } from '../../kernels/float16.js';
import { compareTensors, isClose } from '../helpers/allclose.js';

export interface Case {
  readonly name: string;
  readonly overload: string;
  readonly schema: string;
  readonly tag: string;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly out: unknown;
  readonly self_after: unknown;
  /** 'abs': compare |values| (singular and eigen vectors are unique only up to sign). */
  readonly compare?: 'abs';
}

export function loadCases(path: string): Case[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { cases: Case[] }).cases;
}

function num(x: unknown): number {
  if (x === 'nan') return NaN;
  if (x === 'inf') return Infinity;
  if (x === '-inf') return -Infinity;
  return x as number;
}

interface EncTensor { dtype: string; shape: number[]; data: unknown[] }

export function decode(v: unknown): TsValue {
  if (v === null || typeof v === 'boolean') return v as TsValue;
  if (Array.isArray(v)) return v.map(decode);
  const o = v as Record<string, unknown>;
  if ('tensor' in o) {
    const t = o.tensor as EncTensor;
    if (t.dtype === 'int64') return new Tensor('int64', BigInt64Array.from(t.data as string[], (s) => BigInt(s)), t.shape);
    if (t.dtype === 'float16') return new Tensor('float16', Uint16Array.from(t.data.map(num), numberToFloat16Bits), t.shape);
    return new Tensor(t.dtype as DataType, t.data.map(num), t.shape);
  }
  if ('int' in o) return BigInt(o.int as string);
  if ('float' in o) return num(o.float);
  if ('str' in o) return o.str as string;
  if ('tuple' in o) return new TsTuple((o.tuple as unknown[]).map(decode));
  throw new Error(`cannot decode ${JSON.stringify(v)}`);
}

export interface SchemaArg { readonly type: string; readonly name: string; readonly def?: string; readonly kwOnly: boolean }

/** Splits a schema's argument list at top-level commas. */
export function parseSchema(schema: string): SchemaArg[] {
  const open = schema.indexOf('(');
  let depth = 0;
  let close = -1;
  for (let i = open; i < schema.length; i++) {
    if (schema[i] === '(' || schema[i] === '[') depth++;
    else if (schema[i] === ')' || schema[i] === ']') { depth--; if (depth === 0) { close = i; break; } }
  }
  const body = schema.slice(open + 1, close);
  const parts: string[] = [];
  let cur = '';
  depth = 0;
  for (const ch of body) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) { parts.push(cur.trim()); cur = ''; } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  const out: SchemaArg[] = [];
  let kwOnly = false;
  for (const p of parts) {
    if (p === '*') { kwOnly = true; continue; }
    const eq = p.indexOf('=');
    const decl = eq >= 0 ? p.slice(0, eq) : p;
    const def = eq >= 0 ? p.slice(eq + 1) : undefined;
    const sp = decl.trim().lastIndexOf(' ');
    out.push({ type: normType(decl.slice(0, sp)), name: decl.slice(sp + 1).trim(), def, kwOnly });
  }
  return out;
}

function normType(t: string): string {
  return t.replace(/\([^)]*\)/g, '').replace(/SymInt/g, 'int').replace(/\[\d+\]/g, '[]').trim();
}

export function findOp(ops: readonly AtenOp[], c: Case): AtenOp | undefined {
  const want = parseSchema(c.schema).map((a) => `${a.type} ${a.name}`).join(', ');
  return ops.find((o) => o.name === c.name && parseSchema(o.schema).map((a) => `${a.type} ${a.name}`).join(', ') === want);
}

function parseDefault(type: string, d: string): TsValue {
  const s = d.trim();
  if (s === 'None') return null;
  if (s === 'True') return true;
  if (s === 'False') return false;
  if (s.startsWith('"') || s.startsWith("'")) return s.slice(1, -1);
  if (s.startsWith('[')) {
    const inner = s.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((x) => parseDefault(type.replace('[]', ''), x));
  }
  const base = type.replace('?', '');
  if (base === 'float' || (base === 'Scalar' && /[.e]/.test(s))) return Number(s);
  if (base === 'int' || base === 'int[]' || base === 'Scalar' || base === 'MemoryFormat' || base === 'ScalarType') return BigInt(s);
  return Number(s);
}

/** Binds a case's arguments against the op's schema, filling defaults. */
export function bind(op: AtenOp, args: readonly TsValue[], kwargs: Record<string, TsValue>): TsValue[] {
  const schema = parseSchema(op.schema);
  return schema.map((a, i) => {
    if (!a.kwOnly && i < args.length) return args[i]!;
    if (a.name in kwargs) return kwargs[a.name]!;
    if (a.def === undefined) throw new Error(`${op.name}: missing argument '${a.name}'`);
    return parseDefault(a.type, a.def);
  });
}

/** Every float tensor in v replaced by its absolute values (for compare: 'abs'). */
export function absValues(v: TsValue): TsValue {
  if (v instanceof Tensor && (v.type === 'float32' || v.type === 'float64')) {
    return new Tensor(v.type, (v.data as Float32Array | Float64Array).map(Math.abs), v.dims);
  }
  if (v instanceof TsTuple) return new TsTuple(v.items.map(absValues));
  if (Array.isArray(v)) return v.map(absValues);
  return v;
}

/** Compares an actual value with the expected one; returns a message on mismatch, null when equal. */
export function compare(actual: TsValue, expected: TsValue, path = 'out', tol = 1e-4): string | null {
  if (expected instanceof Tensor) {
    if (!(actual instanceof Tensor)) return `${path}: expected a Tensor, got ${String(actual)}`;
    const t = expected.type === 'float16' ? 2e-3 : tol;
    const diff = compareTensors(actual, expected, { rtol: t, atol: t });
    return diff ? `${path}: ${diff}` : null;
  }
  if (expected instanceof TsTuple) {
    const items = actual instanceof TsTuple ? actual.items : Array.isArray(actual) ? actual : null;
    if (items === null || items.length !== expected.items.length) return `${path}: expected a tuple of ${expected.items.length}`;
    for (let i = 0; i < items.length; i++) {
      const m = compare(items[i]!, expected.items[i]!, `${path}.${i}`, tol);
      if (m) return m;
    }
    return null;
  }
  if (Array.isArray(expected)) {
    const items = Array.isArray(actual) ? actual : actual instanceof TsTuple ? actual.items : null;
    if (items === null || items.length !== expected.length) return `${path}: expected a list of ${expected.length}, got ${String(actual)}`;
    for (let i = 0; i < items.length; i++) {
      const m = compare(items[i]!, expected[i]!, `${path}.${i}`, tol);
      if (m) return m;
    }
    return null;
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return `${path}: expected float ${expected}, got ${typeof actual} ${String(actual)}`;
    return isClose(actual, expected, { rtol: tol, atol: tol }) ? null : `${path}: ${actual}, expected ${expected}`;
  }
  if (actual !== expected) return `${path}: ${String(actual)} (${typeof actual}), expected ${String(expected)} (${typeof expected})`;
  return null;
}
