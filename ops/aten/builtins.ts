// TorchScript's language builtins as aten ops: Python int/float arithmetic (floor division and
// modulo rounding toward -inf, true division, int/float promotion), comparisons, and the list,
// str and dict methods (`aten::append`, `aten::len`, `aten::__getitem__`, `aten::format`, ...).

import { InvalidNodeError, TorchScriptError } from '../../src/errors.js';
import { checkSequenceLength } from './budget.js';
import { Tensor } from '../../src/tensor.js';
import { mapGet, mapKey, pyEquals, pyStr, truthy } from './py-values.js';
import { type AtenOp, type TsKey, TsDevice, TsTuple, type TsValue } from './aten-op.js';

const b = (name: string, schema: string, run: (a: readonly TsValue[]) => TsValue): AtenOp => Object.freeze({ name: `aten::${name}`, schema, run });

type Num = bigint | number | boolean;
const isInt = (x: TsValue): boolean => typeof x === 'bigint' || typeof x === 'boolean';
const big = (x: TsValue): bigint => (typeof x === 'boolean' ? (x ? 1n : 0n) : (x as bigint));
const num = (x: TsValue): number => (typeof x === 'boolean' ? (x ? 1 : 0) : Number(x));
const raise = (cls: string, msg: string): never => { throw new TorchScriptError(`${cls}: ${msg}`, `builtins.${cls}`); };

function floorDiv(a: Num, c: Num): Num {
  if (isInt(a) && isInt(c)) {
    const x = big(a), y = big(c);
    if (y === 0n) raise('ZeroDivisionError', 'integer division or modulo by zero');
    const q = x / y;
    return (x % y !== 0n) && ((x < 0n) !== (y < 0n)) ? q - 1n : q;
  }
  if (num(c) === 0) raise('ZeroDivisionError', 'float divmod()');
  return Math.floor(num(a) / num(c));
}

function modulo(a: Num, c: Num): Num {
  if (isInt(a) && isInt(c)) {
    const x = big(a), y = big(c);
    if (y === 0n) raise('ZeroDivisionError', 'integer division or modulo by zero');
    const r = x % y;
    return r !== 0n && (r < 0n) !== (y < 0n) ? r + y : r;
  }
  const x = num(a), y = num(c);
  if (y === 0) raise('ZeroDivisionError', 'float modulo');
  let r = x % y;
  if (r !== 0 && (r < 0) !== (y < 0)) r += y;
  return r;
}

/** TorchScript ints are int64: results wrap as in C++ (and never grow into huge bigints). */
const int64 = (x: bigint): bigint => BigInt.asIntN(64, x);

const arith = (f: (x: bigint, y: bigint) => bigint, g: (x: number, y: number) => number) => (a: readonly TsValue[]): TsValue =>
  isInt(a[0]!) && isInt(a[1]!) ? int64(f(big(a[0]!), big(a[1]!))) : g(num(a[0]!), num(a[1]!));

function shift(a: bigint, by: bigint, left: boolean): bigint {
  if (by < 0n) raise('ValueError', 'negative shift count');
  if (by >= 64n) return left || a >= 0n ? 0n : -1n;
  return int64(left ? a << by : a >> by);
}

/** A list, str or dict length an op is about to build, refused over maxSequenceLength first. */
const sized = (n: number | bigint, op: string): number => {
  const k = Number(n);
  checkSequenceLength(k, `aten::${op}`);
  return k;
};
const cmp = (f: (x: number | bigint | string, y: number | bigint | string) => boolean) => (a: readonly TsValue[]): TsValue => {
  const [x, y] = [a[0]!, a[1]!];
  if (typeof x === 'string') return f(x, y as string);
  return isInt(x) && isInt(y) ? f(big(x), big(y)) : f(num(x), num(y));
};

function index(len: number, i: bigint, what: string): number {
  let k = Number(i);
  if (k < 0) k += len;
  if (k < 0 || k >= len) raise('IndexError', `${what} index out of range`);
  return k;
}

function sliceIndices(len: number, start: TsValue, end: TsValue, stepV: TsValue): number[] {
  const step = Number(stepV ?? 1n);
  if (step === 0) raise('ValueError', 'slice step cannot be zero');
  const clamp = (v: TsValue, dflt: number): number => {
    if (v === null) return dflt;
    let k = Number(v);
    if (k < 0) k += len;
    return step > 0 ? Math.min(Math.max(k, 0), len) : Math.min(Math.max(k, -1), len - 1);
  };
  const s = clamp(start, step > 0 ? 0 : len - 1);
  const e = clamp(end, step > 0 ? len : -1);
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

/** Python's str.format with `{}` / `{0}` fields (TorchScript's aten::format). */
function format(fmt: string, args: readonly TsValue[]): string {
  let auto = 0;
  let length = fmt.length; // `s = "{}{}".format(s, s)` in a loop doubles like s + s
  return fmt.replace(/\{\{|\}\}|\{(\d*)(?::[^}]*)?\}/g, (m, idx: string) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const k = idx === '' ? auto++ : Number(idx);
    const part = pyStr(args[k] ?? null);
    sized((length += part.length), 'format');
    return part;
  });
}

function pySplit(s: string, sep: string | null, max: number): string[] {
  if (sep === null) {
    const parts = s.trim().split(/\s+/).filter((x) => x.length);
    if (max < 0 || parts.length <= max + 1) return parts;
    const head = parts.slice(0, max);
    let rest = s.trimStart();
    for (const h of head) rest = rest.slice(rest.indexOf(h) + h.length).trimStart();
    return [...head, rest];
  }
  if (sep === '') raise('ValueError', 'empty separator');
  const parts = s.split(sep);
  if (max < 0 || parts.length <= max + 1) return parts;
  return [...parts.slice(0, max), parts.slice(max).join(sep)];
}

const WS = ' \n\t\f\v\r';
const strip = (s: string, chars: string, left: boolean, right: boolean): string => {
  let i = 0, j = s.length;
  if (left) while (i < j && chars.includes(s[i]!)) i++;
  if (right) while (j > i && chars.includes(s[j - 1]!)) j--;
  return s.slice(i, j);
};

function compareForSort(x: TsValue, y: TsValue): number {
  if (typeof x === 'string') return x < (y as string) ? -1 : x > (y as string) ? 1 : 0;
  const a = num(x as Num), c = num(y as Num);
  return a < c ? -1 : a > c ? 1 : 0;
}

function toScalar(t: Tensor, op: string): number | bigint | boolean {
  if (t.size !== 1) throw new InvalidNodeError(`${op}: a Tensor with ${t.size} elements cannot be converted to a Scalar`);
  const v = (t.data as ArrayLike<number | bigint>)[0]!;
  if (t.type === 'bool') return v !== 0;
  if (typeof v === 'bigint') return v;
  return t.type.startsWith('float') || t.type === 'bfloat16' ? t.toNumbers()[0]! : BigInt(v);
}

function toInt(v: TsValue): bigint {
  if (v instanceof Tensor) v = toScalar(v, 'int');
  if (typeof v === 'string') {
    if (!/^\s*[+-]?\d+\s*$/.test(v)) raise('ValueError', `invalid literal for int() with base 10: '${v}'`);
    return BigInt(v.trim());
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) raise('ValueError', `cannot convert float ${v} to integer`);
    return BigInt(Math.trunc(v));
  }
  return big(v as Num);
}

const FLOAT_WORDS = new Map([['inf', Infinity], ['+inf', Infinity], ['-inf', -Infinity], ['nan', NaN], ['infinity', Infinity], ['-infinity', -Infinity]]);

function toFloat(v: TsValue): number {
  if (v instanceof Tensor) v = toScalar(v, 'float');
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    const special = FLOAT_WORDS.get(t);
    if (special !== undefined) return special;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) raise('ValueError', `could not convert string to float: '${v}'`);
    return Number(t);
  }
  return num(v as Num);
}

const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

const math1: Record<string, (x: number) => number> = {
  sqrt: Math.sqrt, exp: Math.exp, log: Math.log, log10: Math.log10, log2: Math.log2, log1p: Math.log1p, expm1: Math.expm1,
  sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan, sinh: Math.sinh,
  cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh, fabs: Math.abs,
  degrees: (x) => (x * 180) / Math.PI, radians: (x) => (x * Math.PI) / 180,
};

const scalarOps: AtenOp[] = [
  b('add', '(Scalar a, Scalar b)', arith((x, y) => x + y, (x, y) => x + y)),
  b('sub', '(Scalar a, Scalar b)', arith((x, y) => x - y, (x, y) => x - y)),
  b('mul', '(Scalar a, Scalar b)', arith((x, y) => x * y, (x, y) => x * y)),
  b('div', '(Scalar a, Scalar b)', (a) => {
    if (num(a[1] as Num) === 0) raise('ZeroDivisionError', 'float division by zero');
    return num(a[0] as Num) / num(a[1] as Num);
  }),
  b('truediv', '(Scalar a, Scalar b)', (a) => num(a[0] as Num) / num(a[1] as Num)),
  b('floordiv', '(Scalar a, Scalar b)', (a) => floorDiv(a[0] as Num, a[1] as Num)),
  b('remainder', '(Scalar a, Scalar b)', (a) => modulo(a[0] as Num, a[1] as Num)),
  b('fmod', '(Scalar a, Scalar b)', (a) => num(a[0] as Num) % num(a[1] as Num)),
  b('divmod', '(Scalar x, Scalar y)', (a) => new TsTuple([floorDiv(a[0] as Num, a[1] as Num), modulo(a[0] as Num, a[1] as Num)])),
  b('pow', '(Scalar a, Scalar b)', (a) => Math.pow(num(a[0] as Num), num(a[1] as Num))),
  b('neg', '(Scalar a)', (a) => (isInt(a[0]!) ? int64(-big(a[0]!)) : -num(a[0] as Num))),
  b('abs', '(Scalar a)', (a) => (isInt(a[0]!) ? (big(a[0]!) < 0n ? -big(a[0]!) : big(a[0]!)) : Math.abs(num(a[0] as Num)))),
  b('lt', '(Scalar a, Scalar b)', cmp((x, y) => x < y)),
  b('gt', '(Scalar a, Scalar b)', cmp((x, y) => x > y)),
  b('le', '(Scalar a, Scalar b)', cmp((x, y) => x <= y)),
  b('ge', '(Scalar a, Scalar b)', cmp((x, y) => x >= y)),
  b('lt', '(str a, str b)', cmp((x, y) => x < y)),
  b('gt', '(str a, str b)', cmp((x, y) => x > y)),
  b('le', '(str a, str b)', cmp((x, y) => x <= y)),
  b('ge', '(str a, str b)', cmp((x, y) => x >= y)),
  b('__and__', '(bool a, bool b)', (a) => a[0] === true && a[1] === true),
  b('__or__', '(bool a, bool b)', (a) => a[0] === true || a[1] === true),
  b('__xor__', '(bool a, bool b)', (a) => a[0] !== a[1]),
  b('__and__', '(int a, int b)', (a) => big(a[0]!) & big(a[1]!)),
  b('__or__', '(int a, int b)', (a) => big(a[0]!) | big(a[1]!)),
  b('__xor__', '(int a, int b)', (a) => big(a[0]!) ^ big(a[1]!)),
  b('__lshift__', '(int a, int b)', (a) => shift(big(a[0]!), big(a[1]!), true)),
  b('__rshift__', '(int a, int b)', (a) => shift(big(a[0]!), big(a[1]!), false)),
  b('bitwise_not', '(int a)', (a) => ~big(a[0]!)),
  b('__not__', '(bool self)', (a) => !a[0]),
  b('floor', '(float a)', (a) => BigInt(Math.floor(a[0] as number))),
  b('ceil', '(float a)', (a) => BigInt(Math.ceil(a[0] as number))),
  b('floor', '(int a)', (a) => a[0]!),
  b('ceil', '(int a)', (a) => a[0]!),
  b('trunc', '(float a)', (a) => BigInt(Math.trunc(a[0] as number))),
  b('round', '(Scalar a)', (a) => roundHalfEven(num(a[0] as Num))),
  b('isnan', '(float a)', (a) => Number.isNaN(a[0])),
  b('isinf', '(float a)', (a) => a[0] === Infinity || a[0] === -Infinity),
  b('isfinite', '(float a)', (a) => Number.isFinite(a[0])),
  b('atan2', '(Scalar a, Scalar b)', (a) => Math.atan2(num(a[0] as Num), num(a[1] as Num))),
  b('copysign', '(Scalar a, Scalar b)', (a) => Math.abs(num(a[0] as Num)) * (Object.is(num(a[1] as Num), -0) || num(a[1] as Num) < 0 ? -1 : 1)),
  b('hypot', '(Scalar a, Scalar b)', (a) => Math.hypot(num(a[0] as Num), num(a[1] as Num))),
  b('gcd', '(int a, int b)', (a) => { let x = big(a[0]!), y = big(a[1]!); x = x < 0n ? -x : x; y = y < 0n ? -y : y; while (y) [x, y] = [y, x % y]; return x; }),
  b('factorial', '(int a)', (a) => {
    const n = big(a[0]!);
    if (n < 0n) raise('ValueError', 'factorial() not defined for negative values');
    if (n > 20n) raise('OverflowError', 'factorial() result does not fit in an int64'); // 21! > 2**63
    let r = 1n;
    for (let i = 2n; i <= n; i++) r *= i;
    return r;
  }),
  b('erf', '(Scalar a)', (a) => erf(num(a[0] as Num))),
  b('erfc', '(Scalar a)', (a) => 1 - erf(num(a[0] as Num))),
  ...Object.entries(math1).map(([n, f]) => b(n, '(Scalar a)', (a) => f(num(a[0] as Num)))),
  b('Int', '(Tensor a)', (a) => toInt(a[0]!)),
  b('Int', '(Scalar a)', (a) => toInt(a[0]!)),
  b('Int', '(str a)', (a) => toInt(a[0]!)),
  b('Float', '(Tensor a)', (a) => toFloat(a[0]!)),
  b('Float', '(Scalar a)', (a) => toFloat(a[0]!)),
  b('Float', '(str a)', (a) => toFloat(a[0]!)),
  b('Bool', '(Tensor a)', (a) => truthy(a[0]!)),
  b('Bool', '(Scalar a)', (a) => truthy(a[0]!)),
  b('Bool', '(str a)', (a) => truthy(a[0]!)),
  b('ScalarImplicit', '(Tensor a)', (a) => toScalar(a[0] as Tensor, 'ScalarImplicit')),
  b('IntImplicit', '(Tensor a)', (a) => toInt(a[0]!)),
  b('FloatImplicit', '(Tensor a)', (a) => toFloat(a[0]!)),
  b('item', '(Tensor self)', (a) => toScalar(a[0] as Tensor, 'item')),
  b('str', '(t elem)', (a) => pyStr(a[0]!)),
  b('device', '(str a)', (a) => { const [t, i] = (a[0] as string).split(':'); return new TsDevice(t!, i === undefined ? null : Number(i)); }),
  b('is_grad_enabled', '()', () => false),
  b('is_scripting', '()', () => true),
  b('is_autocast_enabled', '()', () => false),
  b('set_grad_enabled', '(bool val)', () => null), // inference only: gradients stay disabled
  b('is_autocast_cpu_enabled', '()', () => false),
  b('has_torch_function', '(...)', () => false),
  b('__is_tracing', '()', () => false),
  b('is_tracing', '()', () => false),
  b('_unwrap_optional', '(t? optional)', (a) => (a[0] === null ? raise('AssertionError', 'Unwrapping null optional') : a[0]!)),
  b('warn', '(str message, int stacklevel=2)', () => null),
  b('__range_length', '(int lo, int hi, int step)', (a) => {
    const [lo, hi, st] = [big(a[0]!), big(a[1]!), big(a[2]!)];
    if (st === 0n) raise('RuntimeError', 'range() arg 3 must not be zero');
    if (st > 0n ? lo >= hi : hi >= lo) return 0n;
    return st > 0n ? (hi - lo + st - 1n) / st : (lo - hi - st - 1n) / -st;
  }),
  b('__derive_index', '(int index, int start, int step)', (a) => big(a[1]!) + big(a[0]!) * big(a[2]!)),
  b('eq', '(Scalar a, Scalar b)', (a) => pyEquals(a[0]!, a[1]!)),
  b('ne', '(Scalar a, Scalar b)', (a) => !pyEquals(a[0]!, a[1]!)),
  b('eq', '(str a, str b)', (a) => a[0] === a[1]),
  b('ne', '(str a, str b)', (a) => a[0] !== a[1]),
  b('eq', '(Device a, Device b)', (a) => pyEquals(a[0]!, a[1]!)),
  b('ne', '(Device a, Device b)', (a) => !pyEquals(a[0]!, a[1]!)),
  b('eq', '(AnyEnumType self, AnyEnumType other)', (a) => a[0] === a[1]),
  b('ne', '(AnyEnumType self, AnyEnumType other)', (a) => a[0] !== a[1]),
  b('eq', '(t[] a, t[] b)', (a) => pyEquals(a[0]!, a[1]!)),
  b('ne', '(t[] a, t[] b)', (a) => !pyEquals(a[0]!, a[1]!)),
  b('__is__', '(t1 self, t2 obj)', (a) => a[0] === a[1] || (a[0] !== null && a[1] !== null && typeof a[0] !== 'object' && pyEquals(a[0]!, a[1]!))),
  b('__isnot__', '(t1 self, t2 obj)', (a) => !(a[0] === a[1] || (a[0] !== null && a[1] !== null && typeof a[0] !== 'object' && pyEquals(a[0]!, a[1]!)))),
];

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse; use a series/continued fraction to double precision.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t, term = t;
    for (let n = 1; n < 80; n++) { term *= (-t * t) / n; sum += term / (2 * n + 1); }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / (Math.sqrt(Math.PI) * (t + f)));
}

const list = (v: TsValue): TsValue[] => {
  // Declared types are not checked at every return, so a None (or a tensor) can reach a list op.
  if (!Array.isArray(v)) throw new TorchScriptError(`expected a list, got ${v === null ? 'None' : v instanceof Tensor ? 'Tensor' : typeof v === 'object' ? (v as object).constructor.name : typeof v}`, 'builtins.TypeError');
  return v as TsValue[];
};

const containerOps: AtenOp[] = [
  b('len', '(t[] a)', (a) => BigInt(list(a[0]!).length)),
  b('len', '(str s)', (a) => BigInt([...(a[0] as string)].length)),
  b('len', '(Dict(str, t) self)', (a) => BigInt((a[0] as Map<TsKey, TsValue>).size)),
  b('len', '(Tensor t)', (a) => {
    const t = a[0] as Tensor;
    if (t.rank === 0) raise('RuntimeError', 'len() of a 0-d tensor');
    return BigInt(t.dims[0]!);
  }),
  b('__getitem__', '(t[] list, int idx)', (a) => { const l = list(a[0]!); return l[index(l.length, a[1] as bigint, 'list')]!; }),
  b('__getitem__', '(str s, int index)', (a) => { const s = [...(a[0] as string)]; return s[index(s.length, a[1] as bigint, 'string')]!; }),
  b('__getitem__', '(Dict(str, t) self, t key)', (a) => {
    const v = mapGet(a[0] as Map<TsKey, TsValue>, a[1]!);
    return v === undefined ? raise('KeyError', pyStr(a[1]!)) : v;
  }),
  b('_set_item', '(t[] l, int idx, t el)', (a) => { const l = list(a[0]!); l[index(l.length, a[1] as bigint, 'list assignment')] = a[2]!; return l; }),
  b('_set_item', '(Dict(str, t) l, t idx, t v)', (a) => { const m = a[0] as Map<TsKey, TsValue>; m.set(mapKey(m, a[1]!), a[2]!); return null; }),
  b('Delete', '(t[] self, int idx)', (a) => { const l = list(a[0]!); l.splice(index(l.length, a[1] as bigint, 'list assignment'), 1); return null; }),
  b('Delete', '(Dict(str, t) self, t key)', (a) => { const m = a[0] as Map<TsKey, TsValue>; if (!m.delete(mapKey(m, a[1]!))) raise('KeyError', pyStr(a[1]!)); return null; }),
  b('append', '(t[] self, t el)', (a) => { const l = list(a[0]!); sized(l.length + 1, 'append'); l.push(a[1]!); return l; }),
  b('extend', '(t[] self, t[] other)', (a) => {
    const l = list(a[0]!);
    const other = list(a[1]!);
    const n = other.length; // l.extend(l) adds l's items once
    sized(l.length + n, 'extend');
    for (let i = 0; i < n; i++) l.push(other[i]!);
    return null;
  }),
  b('insert', '(t[] self, int idx, t el)', (a) => {
    const l = list(a[0]!);
    sized(l.length + 1, 'insert');
    let k = Number(a[1]);
    if (k < 0) k = Math.max(0, k + l.length);
    l.splice(Math.min(k, l.length), 0, a[2]!);
    return null;
  }),
  b('pop', '(t[] self, int idx=-1)', (a) => {
    const l = list(a[0]!);
    if (!l.length) raise('IndexError', 'pop from empty list');
    return l.splice(index(l.length, a[1] as bigint, 'pop'), 1)[0]!;
  }),
  b('pop', '(Dict(str, t) self, t key)', (a) => {
    const m = a[0] as Map<TsKey, TsValue>;
    const k = mapKey(m, a[1]!);
    if (!m.has(k)) raise('KeyError', pyStr(a[1]!));
    const v = m.get(k)!;
    m.delete(k);
    return v;
  }),
  b('pop', '(Dict(str, t) self, t key, t default_value)', (a) => {
    const m = a[0] as Map<TsKey, TsValue>;
    const k = mapKey(m, a[1]!);
    if (!m.has(k)) return a[2]!;
    const v = m.get(k)!;
    m.delete(k);
    return v;
  }),
  b('remove', '(t[] self, t el)', (a) => {
    const l = list(a[0]!);
    const i = l.findIndex((x) => pyEquals(x, a[1]!));
    if (i < 0) raise('ValueError', 'list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  }),
  b('clear', '(t[] self)', (a) => { list(a[0]!).length = 0; return null; }),
  b('clear', '(Dict(str, t) self)', (a) => { (a[0] as Map<TsKey, TsValue>).clear(); return null; }),
  b('index', '(t[] self, t el)', (a) => {
    const i = list(a[0]!).findIndex((x) => pyEquals(x, a[1]!));
    return i < 0 ? raise('ValueError', `${pyStr(a[1]!)} is not in list`) : BigInt(i);
  }),
  b('count', '(t[] self, t el)', (a) => BigInt(list(a[0]!).filter((x) => pyEquals(x, a[1]!)).length)),
  b('reverse', '(t[] self)', (a) => { list(a[0]!).reverse(); return null; }),
  b('sort', '(t[] self, bool reverse=False)', (a) => {
    const l = list(a[0]!);
    l.sort(compareForSort);
    if (a[1]) l.reverse();
    return null;
  }),
  b('sorted', '(t[] input)', (a) => [...list(a[0]!)].sort(compareForSort)),
  b('copy', '(t[] self)', (a) => [...list(a[0]!)]),
  b('copy', '(Dict(str, t) self)', (a) => new Map(a[0] as Map<TsKey, TsValue>)),
  b('list', '(t[] l)', (a) => [...list(a[0]!)]),
  b('list', '(str t)', (a) => [...(a[0] as string)]),
  b('add', '(t[] a, t[] b)', (a) => { sized(list(a[0]!).length + list(a[1]!).length, 'add'); return list(a[0]!).concat(list(a[1]!)); }),
  b('add', '(str a, str b)', (a) => { sized((a[0] as string).length + (a[1] as string).length, 'add'); return (a[0] as string) + (a[1] as string); }),
  b('mul', '(t[] l, int n)', (a) => {
    const l = list(a[0]!);
    const times = big(a[1]!) > 0n ? sized(BigInt(l.length) * big(a[1]!), 'mul') / Math.max(l.length, 1) : 0;
    const out: TsValue[] = [];
    for (let i = 0; i < times; i++) for (const x of l) out.push(x);
    return out;
  }),
  b('mul', '(str a, int n)', (a) => {
    const s = a[0] as string;
    const n = big(a[1]!);
    if (n <= 0n) return '';
    sized(BigInt(s.length) * n, 'mul');
    return s.repeat(Number(n));
  }),
  b('slice', '(t[] l, int? start=None, int? end=None, int step=1)', (a) => {
    const l = list(a[0]!);
    return sliceIndices(l.length, a[1]!, a[2]!, a[3]!).map((i) => l[i]!);
  }),
  b('slice', '(str string, int? start=None, int? end=None, int step=1)', (a) => {
    const s = [...(a[0] as string)];
    return sliceIndices(s.length, a[1]!, a[2]!, a[3]!).map((i) => s[i]!).join('');
  }),
  b('__contains__', '(t[] l, t item)', (a) => list(a[0]!).some((x) => pyEquals(x, a[1]!))),
  b('__contains__', '(Dict(str, t) dict, t key)', (a) => mapGet(a[0] as Map<TsKey, TsValue>, a[1]!) !== undefined),
  b('__contains__', '(str self, str key)', (a) => (a[0] as string).includes(a[1] as string)),
  b('sum', '(Scalar[] self)', (a) => list(a[0]!).reduce<TsValue>((s, x) => (isInt(s) && isInt(x) ? big(s) + big(x) : num(s as Num) + num(x as Num)), 0n)),
  // any/all over a list test each element's truth as Python does (NaN is true, '' is false);
  // nn.TransformerEncoderLayer's scripted fast-path check calls any(int[]).
  b('any', '(bool[] self)', (a) => list(a[0]!).some((x) => x === true)),
  b('any', '(int[] self)', (a) => list(a[0]!).some(truthy)),
  b('any', '(float[] self)', (a) => list(a[0]!).some(truthy)),
  b('any', '(str[] self)', (a) => list(a[0]!).some(truthy)),
  b('all', '(bool[] self)', (a) => list(a[0]!).every((x) => x === true)),
  b('all', '(int[] self)', (a) => list(a[0]!).every(truthy)),
  b('all', '(float[] self)', (a) => list(a[0]!).every(truthy)),
  // dicts
  b('keys', '(Dict(str, t) self)', (a) => [...(a[0] as Map<TsKey, TsValue>).keys()]),
  b('values', '(Dict(str, t) self)', (a) => [...(a[0] as Map<TsKey, TsValue>).values()]),
  b('items', '(Dict(str, t) self)', (a) => [...(a[0] as Map<TsKey, TsValue>)].map(([k, v]) => new TsTuple([k, v]))),
  b('get', '(Dict(str, t) self, t key, t? default_value=None)', (a) => mapGet(a[0] as Map<TsKey, TsValue>, a[1]!) ?? a[2]!),
  b('setdefault', '(Dict(str, t) self, t key, t default_value)', (a) => {
    const m = a[0] as Map<TsKey, TsValue>;
    const v = mapGet(m, a[1]!);
    if (v !== undefined) return v;
    m.set(a[1] as TsKey, a[2]!);
    return a[2]!;
  }),
  b('update', '(Dict(str, t) self, Dict(str, t) to_add)', (a) => {
    const m = a[0] as Map<TsKey, TsValue>;
    for (const [k, v] of a[1] as Map<TsKey, TsValue>) m.set(mapKey(m, k), v);
    return null;
  }),
  b('dict', '()', () => new Map()),
  b('dict', '(Dict(str, t) self)', (a) => new Map(a[0] as Map<TsKey, TsValue>)),
  b('dict', '(t[] inputs)', (a) => new Map(list(a[0]!).map((kv) => [(kv as TsTuple).items[0] as TsKey, (kv as TsTuple).items[1]!]))),
];

const s0 = (a: readonly TsValue[]): string => a[0] as string;
const strOps: AtenOp[] = [
  b('format', '(str self, ...)', (a) => format(s0(a), a[1] as TsValue[])),
  b('startswith', '(str self, str substr, int start=0, int end=-1)', (a) => s0(a).slice(Number(a[2])).startsWith(a[1] as string)),
  b('endswith', '(str self, str substr, int start=0, int end=-1)', (a) => s0(a).slice(Number(a[2])).endsWith(a[1] as string)),
  b('find', '(str self, str substr, int start=0, int end=-1)', (a) => {
    const s = s0(a);
    const end = Number(a[3]) === -1 ? s.length : Number(a[3]);
    const i = s.slice(0, end).indexOf(a[1] as string, Number(a[2]));
    return BigInt(i);
  }),
  b('rfind', '(str self, str substr, int start=0, int end=-1)', (a) => BigInt(s0(a).lastIndexOf(a[1] as string))),
  b('split', '(str self, str? separator=None, int max=-1)', (a) => pySplit(s0(a), a[1] as string | null, Number(a[2]))),
  b('join', '(str self, str[] values)', (a) => {
    const parts = a[1] as string[];
    sized(parts.reduce((n, p) => n + p.length, 0) + Math.max(parts.length - 1, 0) * s0(a).length, 'join');
    return parts.join(s0(a));
  }),
  b('upper', '(str self)', (a) => s0(a).toUpperCase()),
  b('lower', '(str self)', (a) => s0(a).toLowerCase()),
  b('capitalize', '(str self)', (a) => s0(a).charAt(0).toUpperCase() + s0(a).slice(1).toLowerCase()),
  b('title', '(str self)', (a) => s0(a).replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase())),
  b('strip', `(str self, str chars="${' \\n\\t\\f\\v'}")`, (a) => strip(s0(a), a[1] === ' \\n\\t\\f\\v' ? WS : (a[1] as string), true, true)),
  b('lstrip', `(str self, str chars="${' \\n\\t\\f\\v'}")`, (a) => strip(s0(a), a[1] === ' \\n\\t\\f\\v' ? WS : (a[1] as string), true, false)),
  b('rstrip', `(str self, str chars="${' \\n\\t\\f\\v'}")`, (a) => strip(s0(a), a[1] === ' \\n\\t\\f\\v' ? WS : (a[1] as string), false, true)),
  b('replace', '(str self, str old, str new, int max=-1)', (a) => {
    let n = Number(a[3]);
    const parts = s0(a).split(a[1] as string);
    const count = n < 0 ? parts.length - 1 : Math.min(n, parts.length - 1);
    sized(s0(a).length + count * ((a[2] as string).length - (a[1] as string).length), 'replace');
    if (n < 0 || n >= parts.length - 1) return parts.join(a[2] as string);
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i++) out += (n-- > 0 ? (a[2] as string) : (a[1] as string)) + parts[i]!;
    return out;
  }),
  b('count', '(str self, str substr, int start=0, int end=-1)', (a) => BigInt(s0(a).split(a[1] as string).length - 1)),
  b('isdigit', '(str self)', (a) => /^\d+$/.test(s0(a))),
  b('isalpha', '(str self)', (a) => /^[A-Za-z]+$/.test(s0(a))),
  b('isalnum', '(str self)', (a) => /^[A-Za-z0-9]+$/.test(s0(a))),
  b('isspace', '(str self)', (a) => /^\s+$/.test(s0(a))),
  b('islower', '(str self)', (a) => /[a-z]/.test(s0(a)) && s0(a) === s0(a).toLowerCase()),
  b('isupper', '(str self)', (a) => /[A-Z]/.test(s0(a)) && s0(a) === s0(a).toUpperCase()),
  b('zfill', '(str self, int width)', (a) => s0(a).padStart(sized(a[1] as bigint, 'zfill'), '0')),
  b('ljust', '(str self, int width, str fillchar=" ")', (a) => s0(a).padEnd(sized(a[1] as bigint, 'ljust'), a[2] as string)),
  b('rjust', '(str self, int width, str fillchar=" ")', (a) => s0(a).padStart(sized(a[1] as bigint, 'rjust'), a[2] as string)),
  b('splitlines', '(str self, bool keepends=False)', (a) => s0(a).split(/\r?\n/).filter((x, i, l) => i < l.length - 1 || x !== '')),
  b('ord', '(str string)', (a) => BigInt(s0(a).codePointAt(0) ?? 0)),
  b('chr', '(int i)', (a) => String.fromCodePoint(Number(a[0]))),
  b('hex', '(int i)', (a) => (big(a[0]!) < 0n ? '-0x' + (-big(a[0]!)).toString(16) : '0x' + big(a[0]!).toString(16))),
  b('oct', '(int i)', (a) => (big(a[0]!) < 0n ? '-0o' + (-big(a[0]!)).toString(8) : '0o' + big(a[0]!).toString(8))),
  b('bin', '(int i)', (a) => (big(a[0]!) < 0n ? '-0b' + (-big(a[0]!)).toString(2) : '0b' + big(a[0]!).toString(2))),
];

export const builtinsOps: AtenOp[] = [...scalarOps, ...containerOps, ...strOps];
