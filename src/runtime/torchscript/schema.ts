// Operator schemas ('(Tensor self, int[2] stride=1, *, Scalar alpha=1) -> Tensor'), parsed once,
// and argument binding: positional and keyword arguments matched to parameters, defaults filled,
// values checked and converted (a strict pass first, then one allowing int -> float and similar).

import { type AtenOp, TsDevice, TsDtype, TsObject, TsTuple, type TsValue } from '../../../ops/aten/aten-op.js';
import { InvalidArgumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { dtypeFromCode, dtypeFromName, typeName } from '../../../ops/aten/py-values.js';

export interface SchemaType {
  readonly base: string;
  /** -1: not a list; 0: list of any length; n: fixed length n (a single value is repeated). */
  readonly list: number;
  readonly optional: boolean;
  readonly elemOptional: boolean;
}

export interface SchemaArg {
  readonly name: string;
  readonly type: SchemaType;
  readonly kwOnly: boolean;
  readonly hasDefault: boolean;
  readonly default: TsValue;
  /** `...` in a schema: the remaining positional arguments, as one list. */
  readonly varargs?: boolean;
}

export interface Schema {
  readonly args: readonly SchemaArg[];
  readonly text: string;
  /** Index of the `...` argument; -1 when there is none. */
  readonly varargs: number;
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function parseType(s: string): SchemaType {
  let t = s.replace(/\((?:[a-z]+!?|[a-z]+ -> \*|\*)\)/g, '').trim(); // alias annotations: Tensor(a!)
  let optional = false;
  if (t.endsWith('?')) { optional = true; t = t.slice(0, -1); }
  let list = -1;
  let elemOptional = false;
  const m = /^(.*?)\[(\d*)\]$/.exec(t);
  if (m) {
    list = m[2] ? Number(m[2]) : 0;
    t = m[1]!;
    if (t.endsWith('?')) { elemOptional = true; t = t.slice(0, -1); }
  }
  if (/^Dict\(/.test(t)) t = 'Dict';
  if (t === 'SymInt') t = 'int';
  if (/^t\d*$/.test(t)) t = 'Any';
  return { base: t, list, optional, elemOptional };
}

function parseDefault(text: string, type: SchemaType): TsValue {
  const s = text.trim();
  if (s === 'None') return null;
  if (s === 'True' || s === 'False') return s === 'True';
  if (/^(["']).*\1$/.test(s)) return s.slice(1, -1);
  if (s.startsWith('[')) {
    const inner = s.slice(1, -1).trim();
    const items = inner ? inner.split(',').map((x) => parseDefault(x, { ...type, list: -1 })) : [];
    return items;
  }
  if (s === 'inf' || s === '-inf') return s === 'inf' ? Infinity : -Infinity;
  if (s === 'contiguous_format') return 0n;
  if (s === 'Mean') return 1n;
  if (dtypeFromName(s === 'long' ? 'int64' : s === 'float' ? 'float32' : s)) return dtypeFromName(s === 'long' ? 'int64' : s === 'float' ? 'float32' : s)!;
  if (/^-?\d+$/.test(s)) return type.base === 'float' ? Number(s) : BigInt(s);
  if (/^-?[\d.]+(e[+-]?\d+)?$/i.test(s)) return Number(s);
  return s;
}

const cache = new Map<string, Schema>();

export function parseSchema(text: string): Schema {
  const hit = cache.get(text);
  if (hit) return hit;
  const open = text.indexOf('(');
  let depth = 0, close = -1;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')' && --depth === 0) { close = i; break; }
  }
  if (open < 0 || close < 0) throw new InvalidArgumentError(`op schema '${text}' has no argument list`);
  const args: SchemaArg[] = [];
  let kwOnly = false;
  for (const part of splitTop(text.slice(open + 1, close))) {
    if (part === '*') { kwOnly = true; continue; }
    if (part === '...') {
      args.push({ name: '...', type: { base: 'Any', list: 0, optional: false, elemOptional: false }, kwOnly: false, hasDefault: false, default: null, varargs: true });
      kwOnly = true;
      continue;
    }
    const eq = part.indexOf('=');
    const decl = (eq >= 0 ? part.slice(0, eq) : part).trim();
    const sp = decl.lastIndexOf(' ');
    if (sp < 0) throw new InvalidArgumentError(`op schema '${text}': argument '${part}' has no name`);
    const type = parseType(decl.slice(0, sp));
    const name = decl.slice(sp + 1);
    const hasDefault = eq >= 0;
    let def: TsValue = null;
    if (hasDefault) {
      def = parseDefault(part.slice(eq + 1), type);
      const c = convert(def, type, true);
      def = c === FAIL ? def : c;
    }
    args.push({ name, type, kwOnly, hasDefault, default: def });
  }
  const s = { args, text, varargs: args.findIndex((a) => a.varargs) };
  cache.set(text, s);
  return s;
}

export const FAIL = Symbol('no match');

/** Whether the lenient pass may wrap numbers as 0-d tensors (only when the call has a Tensor). */
let wrapNumbers = false;

function convertOne(v: TsValue, base: string, lenient: boolean): TsValue | typeof FAIL {
  switch (base) {
    case 'Tensor':
      if (v instanceof Tensor) return v;
      if (lenient && wrapNumbers) {
        if (typeof v === 'bigint') return new Tensor('int64', [v], []);
        if (typeof v === 'number') return new Tensor('float32', [v], []);
        if (typeof v === 'boolean') return new Tensor('bool', [v], []);
      }
      return FAIL;
    case 'int':
      if (typeof v === 'bigint') return v;
      if (lenient && typeof v === 'boolean') return v ? 1n : 0n;
      if (lenient && v instanceof TsDtype) return BigInt(v.code);
      return FAIL;
    case 'float':
      if (typeof v === 'number') return v;
      if (lenient && typeof v === 'bigint') return Number(v);
      return FAIL;
    case 'bool':
      return typeof v === 'boolean' ? v : FAIL;
    case 'Scalar': case 'number':
      if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return v;
      if (lenient && v instanceof Tensor && v.size === 1 && v.rank === 0) return scalarOf(v);
      return FAIL;
    case 'str': case 'Dimname': case 'c10::string_view':
      return typeof v === 'string' ? v : FAIL;
    case 'ScalarType':
      if (v instanceof TsDtype) return v;
      if (typeof v === 'bigint') return dtypeFromCode(Number(v)) ?? FAIL;
      return FAIL;
    case 'Layout': case 'MemoryFormat': case 'QScheme':
      return typeof v === 'bigint' ? v : FAIL;
    case 'Device':
      if (v instanceof TsDevice) return v;
      if (typeof v === 'string') { const [t, i] = v.split(':'); return new TsDevice(t!, i === undefined ? null : Number(i)); }
      return FAIL;
    case 'Generator':
      return FAIL; // only None (handled by optional)
    case 'Any':
      return v;
    case 'AnyEnumType': case 'AnyClassType':
      return v instanceof TsObject ? v : FAIL;
    case 'Dict':
      return v instanceof Map ? v : FAIL;
    default:
      return lenient ? v : FAIL;
  }
}

function scalarOf(t: Tensor): TsValue {
  const x = (t.data as ArrayLike<number | bigint>)[0]!;
  if (t.type === 'bool') return x !== 0;
  if (typeof x === 'bigint') return x;
  return t.type.startsWith('float') || t.type === 'bfloat16' ? t.toNumbers()[0]! : BigInt(x);
}

export function convert(v: TsValue, t: SchemaType, lenient: boolean): TsValue | typeof FAIL {
  if (v === null) return t.optional || t.base === 'Any' ? null : FAIL;
  if (t.list < 0) return convertOne(v, t.base, lenient);
  let items: readonly TsValue[];
  if (Array.isArray(v)) items = v;
  else if (v instanceof TsTuple) items = v.items;
  else if (t.list > 0 && (typeof v === 'bigint' || (lenient && typeof v === 'number' && t.base === 'float'))) items = new Array<TsValue>(t.list).fill(v);
  else return FAIL;
  if (t.base === 'Any' && Array.isArray(v)) return v; // generic lists keep identity (append mutates)
  const out: TsValue[] = [];
  for (const x of items) {
    if (x === null && t.elemOptional) { out.push(null); continue; }
    const c = convertOne(x, t.base, lenient);
    if (c === FAIL) return FAIL;
    out.push(c);
  }
  if (t.list > 0 && out.length === 1 && t.list > 1) return new Array<TsValue>(t.list).fill(out[0]!);
  return out;
}

/** Binds call arguments to `schema`; undefined when they do not fit. */
export function bindArgs(
  schema: Schema, args: readonly TsValue[], kwargs: ReadonlyMap<string, TsValue> | undefined, lenient: boolean,
): TsValue[] | undefined {
  const params = schema.args;
  const va = schema.varargs;
  if (va >= 0) {
    if (args.length < va) return undefined;
    const head = bindArgs({ args: params.slice(0, va), text: schema.text, varargs: -1 }, args.slice(0, va), undefined, lenient);
    return head ? [...head, args.slice(va)] : undefined;
  }
  if (args.length > params.length) return undefined;
  // Most overloads that do not fit fail on the first argument: convert it before allocating.
  let first: TsValue | typeof FAIL = null;
  if (args.length > 0) {
    if (params[0]!.kwOnly) return undefined;
    first = convert(args[0]!, params[0]!.type, lenient);
    if (first === FAIL) return undefined;
  }
  const out: TsValue[] = new Array<TsValue>(params.length);
  let used = 0;
  let i = 0;
  if (args.length > 0) out[i++] = first;
  for (; i < params.length; i++) {
    const p = params[i]!;
    let v: TsValue | undefined;
    if (i < args.length) {
      if (p.kwOnly) return undefined;
      v = args[i];
    } else if (kwargs?.has(p.name)) {
      v = kwargs.get(p.name);
      used++;
    } else if (p.hasDefault) {
      out[i] = p.default;
      continue;
    } else {
      return undefined;
    }
    const c = convert(v!, p.type, lenient);
    if (c === FAIL) return undefined;
    out[i] = c;
  }
  if (kwargs && used !== kwargs.size) return undefined;
  return out;
}

export interface OpEntry {
  readonly op: AtenOp;
  readonly schema: Schema;
}

/**
 * What one call site resolved to last time, for the arguments' signature (see argSignature):
 * arguments with the same signature bind to the same overloads in the same passes, so the site
 * binds the overload it found directly.
 */
export interface OverloadCache {
  sig: number;
  entry: OpEntry | null;
  lenient: boolean;
}

/** A fresh cache for a call site. */
export function overloadCache(): OverloadCache {
  return { sig: -1, entry: null, lenient: false };
}

/**
 * Everything about the arguments that decides which overloads bind (convert's outcomes), as
 * base-16 digits: the kind of each argument (a Tensor that is a 0-d scalar, an int that is a
 * dtype code, and so on), list lengths and element kinds, keyword arguments after a marker.
 * -1 when that takes more than 13 digits or a value is nested deeper (not cached).
 */
export function argSignature(args: readonly TsValue[], kwargs: ReadonlyMap<string, TsValue> | undefined): number {
  sigValue = 0;
  sigScale = 1;
  for (let i = 0; i < args.length; i++) if (!pushValue(args[i]!, false)) return -1;
  if (kwargs) {
    if (!pushDigit(0)) return -1;
    for (const v of kwargs.values()) if (!pushValue(v, false)) return -1;
  }
  return sigValue;
}

// The signature being built (calls are synchronous: one at a time).
let sigValue = 0;
let sigScale = 1;

function pushDigit(d: number): boolean {
  if (sigScale > 2 ** 48) return false;
  sigValue += d * sigScale;
  sigScale *= 16;
  return true;
}

function pushValue(v: TsValue, nested: boolean): boolean {
  const k = kindCode(v);
  if (k !== 9 && k !== 10) return pushDigit(k);
  if (nested) return false;
  const items = k === 9 ? (v as TsValue[]) : (v as TsTuple).items;
  if (items.length > 15 || !pushDigit(k) || !pushDigit(items.length)) return false;
  for (let i = 0; i < items.length; i++) if (!pushValue(items[i]!, true)) return false;
  return true;
}

/** 1..15: the kind of a value as far as convert() can tell them apart. */
function kindCode(v: TsValue): number {
  if (v instanceof Tensor) return v.rank === 0 && v.size === 1 ? 2 : 1;
  switch (typeof v) {
    case 'bigint': return dtypeFromCode(Number(v)) === undefined ? 3 : 4;
    case 'number': return 5;
    case 'boolean': return 6;
    case 'string': return 8;
    default: break;
  }
  if (v === null) return 7;
  if (Array.isArray(v)) return 9;
  if (v instanceof TsTuple) return 10;
  if (v instanceof TsDtype) return 11;
  if (v instanceof TsDevice) return 12;
  if (v instanceof Map) return 13;
  if (v instanceof TsObject) return 14;
  return 15;
}

/** Every registered overload of each op name, in registration order. */
export class OpTable {
  private readonly byName = new Map<string, OpEntry[]>();
  constructor(ops: readonly AtenOp[]) {
    for (const op of ops) {
      let list = this.byName.get(op.name);
      if (!list) this.byName.set(op.name, (list = []));
      list.push({ op, schema: parseSchema(op.schema) });
    }
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  overloads(name: string): readonly OpEntry[] {
    return this.byName.get(name) ?? [];
  }
  /**
   * Picks the first overload that fits strictly, else the first that fits with conversions. With
   * a call site's `cache`, arguments of the signature the site saw last bind its overload directly.
   */
  resolve(
    name: string, args: readonly TsValue[], kwargs?: ReadonlyMap<string, TsValue>, cache?: OverloadCache,
  ): { entry: OpEntry; bound: TsValue[] } | undefined {
    const list = this.byName.get(name);
    if (!list) return undefined;
    wrapNumbers = false;
    for (let i = 0; i < args.length; i++) if (args[i] instanceof Tensor) wrapNumbers = true;
    const sig = cache !== undefined && list.length > 1 ? argSignature(args, kwargs) : -1;
    if (sig >= 0 && cache!.sig === sig && cache!.entry !== null) {
      const bound = bindArgs(cache!.entry.schema, args, kwargs, cache!.lenient);
      if (bound) return { entry: cache!.entry, bound };
    }
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < list.length; i++) {
        const entry = list[i]!;
        const bound = bindArgs(entry.schema, args, kwargs, pass === 1);
        if (bound) {
          if (sig >= 0) {
            cache!.sig = sig;
            cache!.entry = entry;
            cache!.lenient = pass === 1;
          }
          return { entry, bound };
        }
      }
    }
    return undefined;
  }
}

export function describeArgs(args: readonly TsValue[], kwargs?: ReadonlyMap<string, TsValue>): string {
  const parts = args.map(typeName);
  if (kwargs) for (const [k, v] of kwargs) parts.push(`${k}=${typeName(v)}`);
  return `(${parts.join(', ')})`;
}
