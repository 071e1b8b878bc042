// TorchScript values at run time: Python printing (str/repr), equality, truthiness and dtype
// codes, shared by the interpreter (src/runtime/torchscript) and the builtin ops.

import { type TsKey, TsDevice, TsDtype, TsObject, TsTuple, type TsValue } from './aten-op.js';
import { Tensor } from '../../src/tensor.js';
import { TorchScriptError } from '../../src/errors.js';
import { checkSequenceLength, checkTensorElements, checkValueDepth } from './budget.js';

export { dtypeFromCode, dtypeFromName } from '../../src/ir/torchscript-values.js';

/**
 * A float as TorchScript prints it (str(), format(), IValue printing): integral values under 1e10
 * as '3.', others with 17 significant digits (C++ `setprecision(max_digits10)`), 'inf', 'nan'.
 */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) < 1e10 && Number.isInteger(x)) return Object.is(x, -0) ? '-0.' : `${x}.`;
  return formatG(x, 17);
}

/** C's %.<p>g. */
export function formatG(x: number, p: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  let e = Number(x.toExponential(p - 1).split('e')[1]);
  if (Number.isNaN(e)) e = exp;
  if (e < -4 || e >= p) {
    const [m, ex] = x.toExponential(p - 1).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(ex);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const f = x.toFixed(Math.max(0, p - 1 - e));
  return f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
}

function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else out += ch;
  }
  return out + q;
}

/** Python's str(): strings as they are, everything else as repr. */
export function pyStr(v: TsValue | undefined): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/**
 * Python's repr(). Containers are walked with a depth (maxRecursionDepth: a program can nest a
 * list in itself a million times) and their text is refused past maxSequenceLength as it grows.
 */
export function pyRepr(v: TsValue | undefined, depth = 0): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return floatRepr(v);
  if (typeof v === 'string') return strRepr(v);
  const items = (xs: readonly TsValue[], item: (x: TsValue, i: number) => string): string => {
    checkValueDepth(depth + 1, 'repr()');
    let length = 0;
    return xs.map((x, i) => {
      const s = item(x, i);
      checkSequenceLength((length += s.length + 2), 'repr()');
      return s;
    }).join(', ');
  };
  const r = (x: TsValue | undefined): string => pyRepr(x, depth + 1);
  if (Array.isArray(v)) return `[${items(v, r)}]`;
  if (v instanceof Map) return `{${items([...v.keys()], (k) => `${r(k)}: ${r(v.get(k as TsKey))}`)}}`;
  if (v instanceof TsTuple) {
    if (v.names && v.typeName) return `${v.typeName.split('.').pop()}(${items(v.items, (x, i) => `${v.names![i]}=${r(x)}`)})`;
    return v.items.length === 1 ? `(${items(v.items, r)},)` : `(${items(v.items, r)})`;
  }
  if (v instanceof TsDevice) return v.toString();
  if (v instanceof TsDtype) return `torch.${v.name}`;
  if (v instanceof TsObject) return `<${v.className} object>`;
  if (v instanceof Tensor) return tensorRepr(v);
  return String(v);
}

function tensorRepr(t: Tensor): string {
  checkSequenceLength(t.size, 'repr(Tensor)'); // at least a character per element
  if (t.type === 'string') return `tensor(${JSON.stringify(t.data)})`;
  const n = t.toNumbers();
  const fmt = (x: number): string => (t.type.startsWith('float') || t.type === 'bfloat16' ? floatRepr(x).replace(/\.0$/, '.') : t.type === 'bool' ? (x ? 'True' : 'False') : String(x));
  const rec = (d: number, off: number): string => {
    if (d === t.dims.length) return fmt(n[off]!);
    const stride = t.dims.slice(d + 1).reduce((a, b) => a * b, 1);
    const parts: string[] = [];
    for (let i = 0; i < t.dims[d]!; i++) parts.push(rec(d + 1, off + i * stride));
    return `[${parts.join(', ')}]`;
  };
  return `tensor(${rec(0, 0)})`;
}

/** Python truthiness, as `bool(x)` and conditions use it. */
export function truthy(v: TsValue): boolean {
  if (typeof v === 'boolean') return v;
  if (v === null) return false;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (v instanceof TsTuple) return v.items.length > 0;
  if (v instanceof Tensor) {
    if (v.size !== 1) throw new TorchScriptError(`Boolean value of Tensor with ${v.size} values is ambiguous`, 'builtins.RuntimeError');
    return Number((v.data as ArrayLike<number | bigint>)[0]) !== 0;
  }
  return true;
}

/** Items compared by the == in progress (lists that alias each other can make it exponential). */
let compared = 0;

/** Python `==` between TorchScript values (numbers compare across int/float/bool). */
export function pyEquals(a: TsValue, b: TsValue, depth = 0): boolean {
  if (depth === 0) compared = 0;
  if (a === b) return true;
  const na = numeric(a), nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    if (typeof na === 'bigint' && typeof nb === 'bigint') return na === nb;
    return Number(na) === Number(nb);
  }
  if (a === null || b === null) return false;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (typeof a === 'object' && typeof b === 'object') {
    checkValueDepth(depth + 1, '==');
    const items = Array.isArray(a) ? a.length : a instanceof TsTuple ? a.items.length : a instanceof Map ? a.size : 0;
    checkTensorElements((compared += 1 + items), '== (items compared)'); // as many as a tensor may hold
  }
  const eq = (x: TsValue, y: TsValue): boolean => pyEquals(x, y, depth + 1);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => eq(x, b[i]!));
  if (a instanceof TsTuple && b instanceof TsTuple) return a.items.length === b.items.length && a.items.every((x, i) => eq(x, b.items[i]!));
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) { const o = mapGet(b, k); if (o === undefined || !eq(v, o)) return false; }
    return true;
  }
  if (a instanceof TsDevice && b instanceof TsDevice) return a.type === b.type && a.index === b.index;
  return false;
}

function numeric(v: TsValue): bigint | number | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v instanceof TsDtype) return BigInt(v.code);
  return undefined;
}

/**
 * The other spellings of a numeric key that Python's dict treats as the same key (1 == 1.0 ==
 * True, 0 == 0.0 == -0.0 == False): a few direct lookups instead of a scan of every key, so
 * filling a dict stays linear.
 */
function sameKeys(k: TsValue): TsKey[] {
  if (typeof k === 'boolean') return k ? [1n, 1] : [0n, 0];
  if (typeof k === 'bigint') {
    const out: TsKey[] = [];
    if (k >= -(2n ** 53n) && k <= 2n ** 53n) out.push(Number(k));
    if (k === 0n || k === 1n) out.push(k === 1n);
    return out;
  }
  if (typeof k === 'number' && Number.isInteger(k)) {
    const out: TsKey[] = [BigInt(k)];
    if (k === 0 || k === 1) out.push(k === 1);
    if (Object.is(k, -0)) out.push(0);
    return out;
  }
  return [];
}

/** Dict lookup with Python key equality (1 == 1.0 == True; tensors by identity). */
export function mapGet(m: Map<TsKey, TsValue>, k: TsValue): TsValue | undefined {
  const key = mapKey(m, k);
  return m.get(key);
}

/** The key `m` already holds that equals `k` in Python, else `k` itself. */
export function mapKey(m: Map<TsKey, TsValue>, k: TsValue): TsKey {
  if (m.has(k as TsKey)) return k as TsKey;
  for (const kk of sameKeys(k)) if (m.has(kk)) return kk;
  return k as TsKey;
}

/** The TorchScript type name of a value, for error messages. */
export function typeName(v: TsValue | undefined): string {
  if (v === undefined) return 'uninitialized';
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'List';
  if (v instanceof Map) return 'Dict';
  if (v instanceof TsTuple) return v.typeName ?? 'Tuple';
  if (v instanceof Tensor) return 'Tensor';
  if (v instanceof TsDevice) return 'Device';
  if (v instanceof TsDtype) return 'ScalarType';
  if (v instanceof TsObject) return v.className;
  return typeof v;
}

export function isNumber(v: TsValue): v is bigint | number | boolean {
  return typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
}
