// Reads spec-models/torchscript/<name>.json (written by spec-models/torchscript_models.py with
// PyTorch 1.13) into TorchScript values, and compares values within 1e-4 (rtol and atol).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TsKey, TsDevice, TsDtype, TsTuple, type TsValue } from '../../ops/aten/aten-op.js';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { Tensor } from '../../src/tensor.js';
import type { DataType } from '../../src/dtypes.js';
import { compareTensors, isClose } from '../helpers/allclose.js';

export const SPEC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../spec-models/torchscript');
/** Archives saved by PyTorch 2.x (spec-models/torch2_models.py). */
export const SPEC2_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../spec-models/torchscript2');

export interface Case {
  readonly inputs: TsValue[];
  readonly output?: TsValue;
  readonly raises?: string;
}

export interface Manifest {
  readonly name: string;
  readonly file: string;
  readonly path: string;
  readonly method: string;
  readonly cases: Case[];
  readonly present: boolean;
}

type Json = null | { [k: string]: unknown };

export function decode(j: Json, dir = SPEC_DIR): TsValue {
  if (j === null) return null;
  if ('int' in j) return BigInt(j.int as string);
  if ('float' in j) return typeof j.float === 'string' ? Number(j.float === 'inf' ? Infinity : j.float === '-inf' ? -Infinity : NaN) : (j.float as number);
  if ('bool' in j) return j.bool as boolean;
  if ('str' in j) return j.str as string;
  if ('list' in j) return (j.list as Json[]).map((x) => decode(x, dir));
  if ('tuple' in j) return new TsTuple((j.tuple as Json[]).map((x) => decode(x, dir)), j.names as string[] | undefined);
  if ('dict' in j) return new Map((j.dict as [Json, Json][]).map(([k, v]) => [decode(k, dir) as TsKey, decode(v, dir)]));
  if ('dtype' in j) return new TsDtype(j.dtype as string, -1);
  if ('device' in j) return new TsDevice(j.device as string);
  if ('tensor' in j) {
    const t = j.tensor as { npy?: string; dtype?: string; shape?: number[]; data?: unknown[] };
    if (t.npy) return parseNpy(new Uint8Array(readFileSync(join(dir, t.npy))), t.npy);
    const type = t.dtype as DataType;
    const data = t.data!.map((x) => (typeof x === 'string' ? (type === 'int64' ? BigInt(x) : Number(x === 'inf' ? Infinity : x === '-inf' ? -Infinity : NaN)) : x));
    return new Tensor(type, data as number[], t.shape!);
  }
  throw new Error(`manifest: unknown value ${JSON.stringify(j).slice(0, 80)}`);
}

export function loadManifests(filter: (name: string) => boolean, dir = SPEC_DIR): Manifest[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json') && filter(f.slice(0, -5))).sort().map((f) => {
    const j = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { file: string; method: string; cases: { inputs: Json[]; output?: Json; raises?: string }[] };
    const path = join(dir, j.file);
    const present = existsSync(path);
    return {
      name: f.slice(0, -5), file: j.file, path, method: j.method, present,
      cases: j.cases.map((c) => ({
        inputs: c.inputs.map((x) => decode(x, dir)),
        ...('output' in c ? { output: decode(c.output ?? null, dir) } : {}),
        ...(c.raises ? { raises: c.raises } : {}),
      })),
    };
  });
}

const close = (a: number, b: number, tol: number): boolean => isClose(a, b, { rtol: tol, atol: tol });

/** Undefined when `got` matches `want`, else a description of the first difference. */
export function mismatch(got: TsValue, want: TsValue, path = 'out', tol = 1e-4): string | undefined {
  if (want instanceof Tensor) {
    if (!(got instanceof Tensor)) return `${path}: expected a Tensor, got ${describeValue(got)}`;
    const diff = compareTensors(got, want, { rtol: tol, atol: tol });
    return diff ? `${path}: ${diff}` : undefined;
  }
  if (want === null) return got === null ? undefined : `${path}: expected None, got ${describeValue(got)}`;
  if (typeof want === 'bigint') {
    if (typeof got === 'bigint') return got === want ? undefined : `${path}: ${got} != ${want}`;
    if (got instanceof TsDtype && BigInt(got.code) === want) return undefined;
    return `${path}: expected int ${want}, got ${describeValue(got)}`;
  }
  if (typeof want === 'number') {
    if (typeof got !== 'number') return `${path}: expected float ${want}, got ${describeValue(got)}`;
    return close(got, want, 1e-9) ? undefined : `${path}: ${got} != ${want}`;
  }
  if (typeof want === 'boolean' || typeof want === 'string') return got === want ? undefined : `${path}: ${JSON.stringify(String(got))} != ${JSON.stringify(String(want))}`;
  if (Array.isArray(want) || want instanceof TsTuple) {
    const items = Array.isArray(want) ? want : want.items;
    const gotItems = Array.isArray(got) ? got : got instanceof TsTuple ? got.items : undefined;
    if (!gotItems) return `${path}: expected a sequence, got ${describeValue(got)}`;
    if (Array.isArray(want) !== Array.isArray(got)) return `${path}: list/tuple kind differs`;
    if (gotItems.length !== items.length) return `${path}: length ${gotItems.length} != ${items.length}`;
    for (let i = 0; i < items.length; i++) {
      const m = mismatch(gotItems[i]!, items[i]!, `${path}.${i}`, tol);
      if (m) return m;
    }
    return undefined;
  }
  if (want instanceof Map) {
    if (!(got instanceof Map)) return `${path}: expected a dict, got ${describeValue(got)}`;
    if (got.size !== want.size) return `${path}: dict size ${got.size} != ${want.size}`;
    const gk = [...got.keys()], wk = [...want.keys()];
    for (let i = 0; i < wk.length; i++) {
      const km = mismatch(gk[i] as TsValue, wk[i] as TsValue, `${path}.key${i}`, tol);
      if (km) return km;
      const m = mismatch(got.get(gk[i]!)!, want.get(wk[i]!)!, `${path}.${String(wk[i])}`, tol);
      if (m) return m;
    }
    return undefined;
  }
  if (want instanceof TsDevice) return got instanceof TsDevice && got.toString() === want.type ? undefined : `${path}: device differs`;
  return `${path}: cannot compare ${describeValue(want)}`;
}

function describeValue(v: TsValue): string {
  if (v instanceof Tensor) return `Tensor[${v.dims}] ${v.type}`;
  if (typeof v === 'bigint') return `int ${v}`;
  if (typeof v === 'number') return `float ${v}`;
  if (Array.isArray(v)) return `list(${v.length})`;
  if (v instanceof TsTuple) return `tuple(${v.items.length})`;
  return String(v);
}
