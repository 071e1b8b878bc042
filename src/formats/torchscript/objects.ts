// From pickled values to TorchScript values: `__torch__` records become TsObjects whose
// attributes are typed by their class's annotations (pickle ints and floats are both JS numbers,
// so the declared type decides `1` versus `1.0`), tuples become TsTuples, dicts Maps.

import { type EnumMembers, enumMember, type TsKey, TsDevice, TsObject, TsTuple, type TsValue } from '../../ir/torchscript-values.js';
import { ModelFormatError, ResourceLimitError } from '../../errors.js';
import { DEFAULT_LIMITS } from '../../limits.js';
import { Tensor } from '../../tensor.js';
import { PyGlobal, PyRecord, isTuple } from '../pickle/values.js';
import { TORCH_DTYPE_ALIASES } from '../pickle/tensor-rebuild.js';
import type { ClassDef, Expr, TypeExpr } from '../../ir/torchscript-ast.js';
import { describe } from '../pickle/globals-api.js';
import { dtypeFromName } from '../../ir/torchscript-values.js';

export interface ClassResolver {
  findClass(qualifiedName: string): ClassDef | undefined;
}

/** Records whose class defines __setstate__, with their raw state, for the runtime to finish. */
export type PendingSetState = { obj: TsObject; cls: ClassDef; state: TsValue }[];

export class PickleConverter {
  private readonly seen = new Map<object, TsValue>();
  readonly pending: PendingSetState = [];
  private depth = 0;

  /** `maxDepth` bounds the nesting of containers and records (limits.maxRecursionDepth). */
  constructor(
    private readonly classes: ClassResolver, private readonly part: string, private readonly maxDepth = DEFAULT_LIMITS.maxRecursionDepth,
    /** Where Enum members pickled by value are kept (shared with the runtime). */
    readonly enumMembers: EnumMembers = new Map(),
  ) {}

  convert(v: unknown, type?: TypeExpr): TsValue {
    if (v === null || typeof v !== 'object') return this.convertValue(v, type);
    if (++this.depth > this.maxDepth) {
      throw new ResourceLimitError(`${this.part}: values nested ${this.depth} deep exceed the limit maxRecursionDepth = ${this.maxDepth}`, 'maxRecursionDepth', this.depth, this.maxDepth);
    }
    try {
      return this.convertValue(v, type);
    } finally {
      this.depth--;
    }
  }

  private convertValue(v: unknown, type?: TypeExpr): TsValue {
    if (v === null || v === undefined) return null;
    const t = type && (type.name === 'Optional' || type.name === 'Final') ? type.args[0] : type;
    if (typeof v === 'number') {
      if (t?.name === 'int') return BigInt(Math.trunc(v));
      if (t?.name === 'float') return v;
      if (t?.name === 'bool') return v !== 0;
      return t === undefined || t.name === 'Any' ? (Number.isInteger(v) && !Object.is(v, -0) ? BigInt(v) : v) : v;
    }
    if (typeof v === 'bigint') return t?.name === 'float' ? Number(v) : v;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') return t?.name === 'Device' ? deviceOf(v) : v;
    if (v instanceof Tensor) return v;
    if (v instanceof PyGlobal) {
      if (v.module === 'torch') {
        const d = dtypeFromName(TORCH_DTYPE_ALIASES.get(v.name) ?? v.name);
        if (d) return BigInt(d.code);
      }
      throw new ModelFormatError(`${this.part}: unexpected global ${v.qualname} in module data`);
    }
    if (typeof v !== 'object') throw new ModelFormatError(`${this.part}: unsupported value of type ${typeof v}`);
    const hit = this.seen.get(v);
    if (hit !== undefined) return hit;
    if (Array.isArray(v)) {
      if (isTuple(v)) {
        const args = t?.name === 'Tuple' ? t.args : [];
        const named = t ? this.classes.findClass(t.name) : undefined;
        if (named && named.bases.includes('NamedTuple')) {
          const items = v.map((x, i) => this.convert(x, named.attributes[i]?.type));
          return new TsTuple(items, named.attributes.map((a) => a.name), named.qualifiedName);
        }
        return new TsTuple(v.map((x, i) => this.convert(x, args[i])));
      }
      const out: TsValue[] = [];
      this.seen.set(v, out);
      const elem = t?.name === 'List' ? t.args[0] : undefined;
      for (const x of v as unknown[]) out.push(this.convert(x, elem));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map<TsKey, TsValue>();
      this.seen.set(v, out);
      const [kt, vt] = t?.name === 'Dict' ? [t.args[0], t.args[1]] : [undefined, undefined];
      for (const [k, x] of v) out.set(this.convert(k, kt) as TsKey, this.convert(x, vt));
      return out;
    }
    if (v instanceof PyRecord) return this.record(v);
    throw new ModelFormatError(`${this.part}: unsupported value ${Object.prototype.toString.call(v)} in module data`);
  }

  private record(r: PyRecord): TsValue {
    const qualified = `${r.cls.module}.${r.cls.name}`;
    const cls = this.classes.findClass(qualified);
    if (!cls) throw new ModelFormatError(`${this.part}: class ${qualified} is not defined under code/`);
    if (cls.bases.includes('Enum')) return this.enumValue(r, cls);
    const obj = new TsObject(qualified);
    this.seen.set(r, obj);
    const setState = cls.methods.get('__setstate__');
    if (setState) {
      // The state is whatever __getstate__ returned: typed by __setstate__'s parameter.
      this.pending.push({ obj, cls, state: this.convert(r.state, setState.params[1]?.type ?? undefined) });
      return obj;
    }
    const types = new Map(cls.attributes.map((a) => [a.name, a.type]));
    if (r.state instanceof Map) {
      for (const [k, x] of r.state) {
        if (typeof k !== 'string') throw new ModelFormatError(`${this.part}: ${qualified} has a non-string attribute name`);
        obj.attributes.set(k, this.convert(x, types.get(k)));
      }
    } else if (r.state !== undefined && r.state !== null) {
      throw new ModelFormatError(`${this.part}: ${qualified} has state of an unexpected form and no __setstate__`);
    }
    return obj;
  }

  /** An Enum member, pickled as REDUCE(class, value): the member of the class whose value that is. */
  private enumValue(r: PyRecord, cls: ClassDef): TsValue {
    const raw = r.args.length === 1 ? r.args[0] : undefined;
    const same = (x: unknown): boolean => (typeof raw === 'string' || typeof x === 'string' ? raw === x : raw !== undefined && Number(raw) === Number(x));
    for (const [name, e] of cls.constants) {
      const v = literalOf(e);
      if (v !== undefined && same(v)) return enumMember(this.enumMembers, cls, name, v);
    }
    const shown = typeof raw === 'string' ? JSON.stringify(raw.slice(0, 80)) : typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean' ? String(raw) : describe(raw);
    throw new ModelFormatError(`${this.part}: no member of enum ${cls.qualifiedName} has the value ${shown}`);
  }
}

/** A literal a class body assigns (`NHWC = "NHWC"`, `A = -1`), or undefined. */
function literalOf(e: Expr): bigint | number | string | boolean | null | undefined {
  if (e.kind === 'const') return e.value;
  if (e.kind === 'unary' && e.op === '-' && e.operand.kind === 'const') {
    const v = e.operand.value;
    return typeof v === 'bigint' ? -v : typeof v === 'number' ? -v : undefined;
  }
  return undefined;
}

export function deviceOf(s: string): TsDevice {
  const [type, index] = s.split(':');
  return new TsDevice(type!, index === undefined ? null : Number(index));
}
