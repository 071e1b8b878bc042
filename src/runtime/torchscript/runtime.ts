// The runtime of one loaded archive: operator dispatch with overload resolution, functions and
// methods from code/, objects, constants, attributes and the language's special forms. Every
// table a name from the file indexes is a Map; runs happen under a RunControl (see run()).

import { type AtenOp, TsDevice, TsObject, TsTuple, type TsValue } from '../../../ops/aten/aten-op.js';
import { ModelFormatError, TorchScriptError, UnsupportedOpError } from '../../errors.js';
import { checkLimit, DEFAULT_LIMITS, type ResourceLimits } from '../../limits.js';
import { RunControl } from '../../run-control.js';
import { withOpLimits } from '../../../ops/aten/budget.js';
import { noteEscape } from '../../../ops/aten/slabs.js';
import { Tensor } from '../../tensor.js';
import type { ClassDef, Expr, FunctionDef, Pos, TypeExpr } from '../../ir/torchscript-ast.js';
import type { TorchScriptArchive } from '../../formats/torchscript/archive.js';
import { type CalleeLookup, FunctionRef } from './callees.js';
import { type Frame, Interpreter } from './interpreter.js';
import { describeArgs, OpTable, type OverloadCache } from './schema.js';
import { dtypeFromName, typeName } from '../../../ops/aten/py-values.js';
import { matchesType } from './type-match.js';
import { type EnumMembers, enumMember } from '../../ir/torchscript-values.js';

const MATH_CONSTANTS = new Map([['pi', Math.PI], ['e', Math.E], ['inf', Infinity], ['nan', NaN], ['tau', 2 * Math.PI]]);
const TORCH_ENUMS = new Map([
  ['contiguous_format', 0n], ['preserve_format', 1n], ['channels_last', 2n], ['channels_last_3d', 3n], ['strided', 0n], ['sparse_coo', 1n],
]);
/** torch.float -> float32, ...: dtype names TorchScript accepts besides tessera's own. */
const TORCH_DTYPE_NAMES = new Map([
  ['float', 'float32'], ['double', 'float64'], ['half', 'float16'], ['long', 'int64'], ['int', 'int32'], ['short', 'int16'], ['bool', 'bool'], ['uint8', 'uint8'],
]);
/** Operators that store a value into an existing list or dict. */
const STORING_OPS = new Set(['aten::append', 'aten::extend', 'aten::insert', 'aten::_set_item', 'aten::setdefault', 'aten::update']);
const TENSOR_FALSE_PROPERTIES = new Set(['is_cuda', 'is_sparse', 'is_quantized', 'is_mkldnn', 'is_meta', 'is_nested', 'requires_grad', 'is_vulkan', 'is_xpu', 'is_mps']);
const TENSOR_PROPERTY_OPS = new Map([
  ['shape', 'aten::size'], ['dtype', 'prim::dtype'], ['device', 'prim::device'], ['ndim', 'aten::dim'], ['T', 'aten::numpy_T'], ['data', 'prim::data'],
  ['mT', 'aten::mT'], ['H', 'aten::adjoint'], ['real', 'aten::real'], ['imag', 'aten::imag'],
]);

export class ScriptRuntime implements CalleeLookup {
  readonly table: OpTable;
  readonly constants: readonly TsValue[];
  private readonly interp = new Interpreter(this);
  /** Every operator the archive's code names that the table lacks (filled by the loader). */
  missingOps: readonly string[] = [];
  private current: RunControl | null = null;
  /** For calls made outside run(): the limits, no signal, no deadline. */
  private readonly idle: RunControl;

  constructor(
    readonly archive: TorchScriptArchive, ops: readonly AtenOp[], constants: readonly TsValue[],
    readonly limits: ResourceLimits = DEFAULT_LIMITS,
    /** Run traced attention as one fused op (fuse-attention.ts); off runs the code exactly as written. */
    readonly fuseAttention = true,
  ) {
    this.table = new OpTable(ops);
    this.constants = constants;
    this.idle = new RunControl(limits, undefined, 0);
  }

  /** The control of the run in progress (cancellation, deadline, limits). */
  get control(): RunControl {
    return this.current ?? this.idle;
  }

  /**
   * Runs `body` as one run: under `control` (a fresh RunControl of the limits when omitted), with
   * the limits in force for every aten op. A run started inside a run joins the outer one.
   */
  run<T>(control: RunControl | undefined, body: () => T): T {
    if (this.current) return body();
    this.current = control ?? new RunControl(this.limits);
    try {
      return withOpLimits(this.limits, body);
    } finally {
      this.current = null;
      this.idle.resetIterations();
      this.interp.reset();
    }
  }

  // ------------------------------------------------------------------ lookups
  findFunction(q: string): FunctionDef | undefined {
    return this.archive.findFunction(q);
  }
  isClass(q: string): boolean {
    return this.archive.findClass(q) !== undefined;
  }
  /** Classes by qualified name, as looked up so far (a method call looks its class up each time). */
  private readonly classes = new Map<string, ClassDef>();

  classOf(qualifiedName: string): ClassDef {
    const hit = this.classes.get(qualifiedName);
    if (hit !== undefined) return hit;
    const c = this.archive.findClass(qualifiedName);
    if (!c) throw new ModelFormatError(`class ${qualifiedName} is not defined under ${this.archive.prefix}code/`);
    this.classes.set(qualifiedName, c);
    return c;
  }
  classMatches(obj: TsObject, name: string): boolean {
    if (obj.className === name) return true;
    const target = this.archive.findClass(name);
    if (!target || !target.bases.some((b) => /Interface$/.test(b))) return false;
    const cls = this.archive.findClass(obj.className);
    return !!cls && [...target.methods.keys()].every((m) => cls.methods.has(m));
  }

  // ------------------------------------------------------------------ calls
  /**
   * Calls operator `name`; `cache` is the call site's memory of the overload it resolved to, `pos`
   * the call site (named when the operator is missing: it may sit in a branch only some inputs take).
   */
  callOp(name: string, args: readonly TsValue[], kwargs?: ReadonlyMap<string, TsValue>, cache?: OverloadCache, pos?: Pos): TsValue {
    if (STORING_OPS.has(name)) noteEscape(); // a list or dict may keep the value past the call (ops/aten/slabs.ts)
    const r = this.table.resolve(name, args, kwargs, cache);
    if (!r) {
      if (!this.table.has(name)) {
        const others = this.missingOps.filter((m) => m !== name);
        const site = pos ? `, called at ${pos.file}:${pos.line}:${pos.col}` : '';
        throw new UnsupportedOpError(
          `aten op not implemented: ${name}${site}${others.length ? ` (the code also names unimplemented ${others.join(', ')})` : ''}`,
          [name, ...others],
        );
      }
      const schemas = this.table.overloads(name).map((o) => `${name}${o.schema.text}`);
      throw new UnsupportedOpError(`${name}: no overload accepts ${describeArgs(args, kwargs)}; implemented: ${schemas.join('; ')}`, [name]);
    }
    return r.entry.op.run(r.bound);
  }

  /** Calls `fn` with `args` (after `self`, when given: a method's first parameter). */
  callFunction(fn: FunctionDef, args: readonly TsValue[], kwargs?: ReadonlyMap<string, TsValue>, self?: TsObject): TsValue {
    const vars = new Map<string, TsValue>();
    const params = fn.params;
    const first = self === undefined ? 0 : 1;
    const given = args.length + first;
    if (given > params.length) {
      throw new ModelFormatError(`${fn.qualifiedName}() takes ${params.length} argument(s) but ${given} were given`);
    }
    let used = 0;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      let v: TsValue;
      if (i < first) v = self!;
      else if (i < given) v = args[i - first]!;
      else if (kwargs?.has(p.name)) { v = kwargs.get(p.name)!; used++; }
      else if (p.default) v = this.constantExpr(p.default, fn);
      else throw new ModelFormatError(`${fn.qualifiedName}() is missing argument '${p.name}'`);
      vars.set(p.name, p.type ? this.annotate(p.type, v) : v);
    }
    if (kwargs && used !== kwargs.size) {
      const unknown = [...kwargs.keys()].filter((k) => !params.some((p) => p.name === k));
      throw new ModelFormatError(`${fn.qualifiedName}() got unexpected keyword argument(s) ${unknown.join(', ')}`);
    }
    const frame: Frame = { fn, vars, ret: null };
    return this.interp.run(frame);
  }

  callMethod(obj: TsObject, name: string, args: readonly TsValue[], kwargs?: ReadonlyMap<string, TsValue>): TsValue {
    const cls = this.classOf(obj.className);
    const m = cls.methods.get(name);
    if (!m) {
      const attr = obj.attributes.get(name);
      if (attr instanceof TsObject && name !== 'forward') return this.callMethod(attr, 'forward', args, kwargs);
      throw new ModelFormatError(`${obj.className} has no method '${name}' (methods: ${[...cls.methods.keys()].join(', ') || 'none'})`);
    }
    return this.callFunction(m, args, kwargs, obj);
  }

  construct(q: string, args: readonly TsValue[], kwargs?: ReadonlyMap<string, TsValue>): TsValue {
    const cls = this.classOf(q);
    if (cls.bases.includes('NamedTuple')) {
      const names = cls.attributes.map((a) => a.name);
      const items = names.map((n, i) => {
        const v = i < args.length ? args[i]! : kwargs?.get(n);
        if (v === undefined) throw new ModelFormatError(`${q}() is missing field '${n}'`);
        return this.annotate(cls.attributes[i]!.type, v);
      });
      return new TsTuple(items, names, q);
    }
    const obj = new TsObject(q);
    if (cls.methods.has('__init__')) this.callMethod(obj, '__init__', args, kwargs);
    return obj;
  }

  /** Converts a value to a declared type where TorchScript would (an int where a float is declared). */
  annotate(t: TypeExpr, v: TsValue): TsValue {
    if (typeof v === 'bigint' && (t.name === 'float' || (t.name === 'Optional' && t.args[0]?.name === 'float'))) return Number(v);
    // The printer writes the compiler's implicit Tensor -> number conversion (aten::Int /
    // aten::Float of a one-element tensor) as annotate: nn.LSTM's `annotate(int, batch_sizes[0])`.
    if (v instanceof Tensor && v.size === 1 && (t.name === 'int' || t.name === 'float')) {
      const x = v.type === 'int64' ? (v.data as BigInt64Array)[0]! : v.toNumbers()[0]!;
      return t.name === 'int' ? (typeof x === 'bigint' ? x : BigInt(Math.trunc(x))) : Number(x);
    }
    return v;
  }

  /** Default values and class constants: expressions without variables. */
  constantExpr(e: Expr, fn: FunctionDef): TsValue {
    return this.interp.evaluate(e, { fn, vars: new Map(), ret: null });
  }

  /**
   * Enum members made so far, by qualified name: the loader puts those the pickles hold here
   * (src/formats/torchscript/objects.ts), so the code's `__torch__.Format.NHWC` is the same object.
   */
  enumMembers: EnumMembers = new Map();

  /** `__torch__.Color.RED`: one object per member (so `==` and `is` are identity), with name and value. */
  private enumMember(path: readonly string[]): TsObject | undefined {
    const hit = this.enumMembers.get(path.join('.'));
    if (hit) return hit;
    const cls = this.archive.findClass(path.slice(0, -1).join('.'));
    const name = path[path.length - 1]!;
    const valueExpr = cls?.bases.includes('Enum') ? cls.constants.get(name) : undefined;
    if (!cls || !valueExpr) return undefined;
    const value = this.constantExpr(valueExpr, { name, qualifiedName: cls.qualifiedName, params: [], returns: null, body: [], pos: cls.pos, source: '' });
    return enumMember(this.enumMembers, cls, name, value);
  }

  // ------------------------------------------------------------------ names and attributes
  globalName(id: string, fn: FunctionDef, pos: Pos): TsValue {
    if (id === 'inf') return Infinity;
    if (id === 'nan') return NaN;
    throw new ModelFormatError(`${pos.file}:${pos.line}:${pos.col}: name '${id}' is not defined in ${fn.qualifiedName}`);
  }

  qualifiedValue(path: readonly string[], pos: Pos): TsValue {
    const [root, name] = path;
    if (root === 'CONSTANTS' && path.length === 2) {
      const m = /^c(\d+)$/.exec(name!);
      const v = m ? this.constants[Number(m[1])] : undefined;
      if (v === undefined) throw new ModelFormatError(`${pos.file}:${pos.line}:${pos.col}: no constant ${path.join('.')} in constants.pkl`);
      return v;
    }
    if (root === 'math' && path.length === 2) {
      const c = MATH_CONSTANTS.get(name!);
      if (c !== undefined) return c;
    }
    if (root === 'torch' && path.length === 2) {
      const d = dtypeFromName(TORCH_DTYPE_NAMES.get(name!) ?? name!);
      if (d) return BigInt(d.code);
      const v = TORCH_ENUMS.get(name!);
      if (v !== undefined) return v;
    }
    if (root === '__torch__') {
      const q = path.join('.');
      if (this.isClass(q)) return q;
      const member = this.enumMember(path);
      if (member) return member;
      const fn = this.findFunction(q);
      if (fn) return new FunctionRef(fn) as unknown as TsValue;
    }
    throw new ModelFormatError(`${pos.file}:${pos.line}:${pos.col}: unknown name '${path.join('.')}'`);
  }

  getAttr(obj: TsValue, attr: string, pos: Pos): TsValue {
    if (obj instanceof TsObject) {
      const v = obj.attributes.get(attr);
      if (v !== undefined || obj.attributes.has(attr)) return v ?? null;
      const cls = this.classOf(obj.className);
      const decl = cls.attributes.find((a) => a.name === attr && a.value);
      if (decl) return this.annotate(decl.type, this.constantExpr(decl.value!, { name: attr, qualifiedName: cls.qualifiedName, params: [], returns: null, body: [], pos: cls.pos, source: '' }));
      const c = cls.constants.get(attr);
      if (c) return this.constantExpr(c, { name: attr, qualifiedName: cls.qualifiedName, params: [], returns: null, body: [], pos: cls.pos, source: '' });
      throw new ModelFormatError(`${pos.file}:${pos.line}:${pos.col}: ${obj.className} has no attribute '${attr}'`);
    }
    if (obj instanceof TsTuple && obj.names) {
      const i = obj.names.indexOf(attr);
      if (i >= 0) return obj.items[i]!;
    }
    if (obj instanceof Tensor) {
      if (TENSOR_FALSE_PROPERTIES.has(attr)) return false;
      if (attr === 'grad') return null;
      if (attr === 'layout') return 0n;
      const op = TENSOR_PROPERTY_OPS.get(attr);
      if (op !== undefined) return this.callOp(op, [obj]);
    }
    if (obj instanceof TsDevice) {
      if (attr === 'type') return obj.type;
      if (attr === 'index') return obj.index === null ? null : BigInt(obj.index);
    }
    throw new ModelFormatError(`${pos.file}:${pos.line}:${pos.col}: a ${typeName(obj)} has no attribute '${attr}'`);
  }

  // ------------------------------------------------------------------ special forms
  special(name: string, e: Extract<Expr, { kind: 'call' }>, f: Frame, interp: Interpreter): TsValue {
    const typeArg = (): TypeExpr => {
      const a = e.args[name === 'isinstance' ? 1 : 0];
      if (a?.kind !== 'type') throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: ${name} needs a type as its first argument`);
      return a.type;
    };
    const arg = (i: number): TsValue => {
      const a = e.args[i];
      if (!a) throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: ${name}() is missing argument ${i + 1}`);
      return interp.evaluate(a, f);
    };
    switch (name) {
      case 'annotate': return this.annotate(typeArg(), arg(1));
      case 'unchecked_cast': return arg(1);
      case 'uninitialized': typeArg(); return null;
      case 'isinstance': return matchesType(arg(0), typeArg(), (o, n) => this.classMatches(o, n));
      case 'getattr': case 'hasattr': {
        const obj = arg(0);
        const attr = arg(1);
        if (typeof attr !== 'string') throw new ModelFormatError(`${name}() attribute name must be a string`);
        const has = obj instanceof TsObject && (obj.attributes.has(attr) || this.classOf(obj.className).attributes.some((a) => a.name === attr && a.value !== null));
        if (name === 'hasattr') return has;
        if (!has && e.args.length > 2) return arg(2);
        return this.getAttr(obj, attr, e.pos);
      }
      case 'range': {
        const a = e.args.map((_, i) => arg(i));
        if (a.length < 1 || a.length > 3 || !a.every((x) => typeof x === 'bigint')) {
          throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: range() takes 1 to 3 int arguments, got (${a.map(typeName).join(', ')})`);
        }
        const b = a as bigint[];
        const [start, stop, step] = b.length === 1 ? [0n, b[0]!, 1n] : [b[0]!, b[1]!, b[2] ?? 1n];
        if (step === 0n) throw new TorchScriptError('ValueError: range() arg 3 must not be zero', 'builtins.ValueError');
        // Its length before building it: range(10**12) as a list is refused, not materialised.
        const span = step > 0n ? stop - start : start - stop;
        const abs = step > 0n ? step : -step;
        const length = span > 0n ? Number((span + abs - 1n) / abs) : 0;
        checkLimit(this.limits, 'maxSequenceLength', length, `${e.pos.file}:${e.pos.line}:${e.pos.col}: range()`);
        const out: TsValue[] = [];
        for (let i = start; step > 0n ? i < stop : i > stop; i += step) out.push(i);
        return out;
      }
      case 'zip': {
        const lists = e.args.map((a, i) => interp.iterate(arg(i), a.pos));
        const n = Math.min(...lists.map((l) => l.length));
        return Array.from({ length: n }, (_, k) => new TsTuple(lists.map((l) => l[k]!)));
      }
      case 'enumerate': {
        const items = interp.iterate(arg(0), e.args[0]?.pos);
        const startE = e.args[1] ?? e.kwargs.find((k) => k.name === 'start')?.value;
        const start = startE ? (interp.evaluate(startE, f) as bigint) : 0n;
        return items.map((x, k) => new TsTuple([start + BigInt(k), x]));
      }
      case 'tuple': return new TsTuple(e.args.length ? interp.iterate(arg(0), e.args[0]!.pos) : []);
      default: throw new ModelFormatError(`unknown special form ${name}`);
    }
  }
}
