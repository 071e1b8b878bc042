// loadTorchScript: a TorchScript archive as a module object whose methods can be called with
// TorchScript values (bigint ints, number floats, Tensors, arrays, Maps, TsTuples, ...).

import type { AtenOp, TsKey, TsValue } from '../../../ops/aten/aten-op.js';
import { TsDevice, TsDtype, TsObject, TsTuple } from '../../../ops/aten/aten-op.js';
import { inSlabArena, noteEscape, ownedStorage, SlabArena } from '../../../ops/aten/slabs.js';
import { Tensor } from '../../tensor.js';
import { atenOps } from '../../../ops/aten/index.js';
import { ModelFormatError } from '../../errors.js';
import { resolveLimits, type ResourceLimits } from '../../limits.js';
import type { CodeModule, Expr, FunctionDef, Pos, Stmt } from '../../ir/torchscript-ast.js';
import { readTorchScriptArchive, type TorchScriptArchive } from '../../formats/torchscript/archive.js';
import { BUILTIN_OPS, dottedPath, opNameOf } from './callees.js';
import { PickleConverter } from '../../formats/torchscript/objects.js';
import type { EnumMembers } from '../../ir/torchscript-values.js';
import { ScriptRuntime } from './runtime.js';

export interface LoadTorchScriptOptions {
  /** The operator table; tessera's full aten table by default. */
  readonly ops?: readonly AtenOp[];
  /**
   * Budgets for loading and running (defaults: DEFAULT_LIMITS): pickle bytes and nesting, parser
   * nesting, loop iterations, call/expression depth, list/str/dict lengths, tensor sizes, and
   * timeoutMs for each call made on the module. An unknown name is an InvalidArgumentError.
   */
  readonly limits?: Partial<ResourceLimits>;
  /**
   * 'disabled' runs the code exactly as written; otherwise traced attention runs as one fused op
   * (src/runtime/torchscript/fuse-attention.ts). onnxruntime-web's option name, as for ONNX.
   */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface TorchScriptModule {
  readonly root: TsObject;
  readonly archive: TorchScriptArchive;
  readonly runtime: ScriptRuntime;
  /** The resolved limits every call on this module runs under. */
  readonly limits: ResourceLimits;
  /** Every operator the archive's code names (all files, all methods, every branch), with its first call site. */
  readonly opSites: ReadonlyMap<string, string>;
  /** Operators the archive's code names that tessera does not implement (all files, all methods). */
  readonly missingOps: readonly string[];
  /** Where each missing operator is first called ('archive/code/__torch__.py:12:9'). */
  readonly missingOpSites: ReadonlyMap<string, string>;
  /** The root class's methods, e.g. ['forward']. */
  readonly methodNames: readonly string[];
  method(name: string): FunctionDef;
  /** Calls a method of the root module (self is passed for you), under the module's limits. */
  call(method: string, args: readonly TsValue[], kwargs?: ReadonlyMap<string, TsValue>): TsValue;
  forward(...args: TsValue[]): TsValue;
}

export function loadTorchScript(bytes: Uint8Array, options: LoadTorchScriptOptions = {}): TorchScriptModule {
  const limits = resolveLimits(options.limits);
  const archive = readTorchScriptArchive(bytes, limits);
  const ops = options.ops ?? atenOps;
  const constConv = new PickleConverter(archive, `${archive.prefix}constants.pkl`, limits.maxRecursionDepth);
  const constants = archive.constants.map((c) => constConv.convert(c));
  const conv = new PickleConverter(archive, `${archive.prefix}data.pkl`, limits.maxRecursionDepth, constConv.enumMembers);
  const root = conv.convert(archive.data);
  if (!(root instanceof TsObject)) throw new ModelFormatError(`${archive.prefix}data.pkl: the root is not a module object`);
  const runtime = new ScriptRuntime(archive, ops, constants, limits, options.graphOptimizationLevel !== 'disabled');
  runtime.enumMembers = conv.enumMembers;
  const modules = archive.codeModules.map((m) => archive.codeModule(m)!);
  const used = usedOps(modules);
  const missing = [...used.keys()].filter((n) => !runtime.table.has(n)).sort();
  const opSites = new Map([...used.keys()].sort().map((n) => { const p = used.get(n)!; return [n, `${p.file}:${p.line}:${p.col}`]; }));
  const missingOpSites = new Map(missing.map((n) => [n, opSites.get(n)!]));
  runtime.missingOps = missing;
  // __setstate__ is code from the file running at load: under the same limits as any call.
  const pending = [...constConv.pending, ...conv.pending];
  if (pending.length) runtime.run(undefined, () => { for (const { obj, state } of pending) runtime.callMethod(obj, '__setstate__', [state]); });
  const cls = runtime.classOf(root.className);
  const arena = new SlabArena();
  const result = (v: TsValue): TsValue => enumsAsValues(ownResult(v, limits), runtime.enumMembers, limits.maxRecursionDepth);
  const method = (name: string): FunctionDef => {
    const m = cls.methods.get(name);
    if (!m) throw new ModelFormatError(`${root.className} has no method '${name}' (methods: ${[...cls.methods.keys()].join(', ')})`);
    return m;
  };
  return {
    root, archive, runtime, limits, opSites, missingOps: missing, missingOpSites, methodNames: [...cls.methods.keys()], method,
    call: (name, args, kwargs) => inSlabArena(arena, () => result(runtime.run(undefined, () => runtime.callMethod(root, name, args, kwargs)))),
    forward: (...args) => inSlabArena(arena, () => result(runtime.run(undefined, () => runtime.callMethod(root, 'forward', args)))),
  };
}

/**
 * A call's result with Enum members replaced by their values: a member of a str Enum (timm's
 * Format) is a str in Python, and PyTorch returns it as one. Containers that hold a member are
 * copied (the originals may be module state, where the member must stay one); others are kept.
 */
function enumsAsValues(v: TsValue, members: EnumMembers, maxDepth: number): TsValue {
  if (members.size === 0) return v;
  const isMember = (x: TsObject): boolean => members.get(`${x.className}.${String(x.attributes.get('name'))}`) === x;
  const walk = (x: TsValue, depth: number): TsValue => {
    if (x === null || typeof x !== 'object' || depth > maxDepth) return x;
    if (x instanceof TsObject) return isMember(x) ? x.attributes.get('value') ?? null : x;
    if (Array.isArray(x) || x instanceof TsTuple) {
      const items = Array.isArray(x) ? x : x.items;
      const out = items.map((e) => walk(e, depth + 1));
      if (out.every((e, i) => e === items[i])) return x;
      return Array.isArray(x) ? out : new TsTuple(out, x.names, x.typeName);
    }
    if (x instanceof Map) {
      let changed = false;
      const out = new Map<TsKey, TsValue>();
      for (const [k, e] of x) {
        const y = walk(e, depth + 1);
        if (y !== e) changed = true;
        out.set(k, y);
      }
      return changed ? out : x;
    }
    return x;
  };
  return walk(v, 0);
}

/**
 * A call's result with every tensor in a buffer of its own: aten ops carve small outputs from
 * slabs the module reuses on its next call (ops/aten/slabs.ts). Lists, dicts and tuples are
 * updated in place (they keep their identity: they may be module state). What this cannot copy
 * (objects, tensors as dict keys, values nested past the depth limit) marks the call as escaped,
 * so its slabs are not reused.
 */
function ownResult(v: TsValue, limits: ResourceLimits): TsValue {
  const seen = new Set<object>();
  const own = (x: TsValue, depth: number): TsValue => {
    if (x instanceof Tensor) return ownedStorage(x);
    if (x === null || typeof x !== 'object' || seen.has(x)) return x;
    if (x instanceof TsDevice || x instanceof TsDtype) return x;
    if (depth > limits.maxRecursionDepth || !(Array.isArray(x) || x instanceof TsTuple || x instanceof Map)) {
      noteEscape();
      return x;
    }
    seen.add(x);
    const items = Array.isArray(x) ? x : x instanceof TsTuple ? (x.items as TsValue[]) : null;
    if (items !== null) {
      for (let i = 0; i < items.length; i++) {
        const y = own(items[i]!, depth + 1);
        if (y !== items[i]) items[i] = y; // only slab-backed tensors change: constants stay untouched
      }
    } else if (x instanceof Map) {
      for (const [k, e] of x) {
        if (k instanceof Tensor) noteEscape();
        const y = own(e, depth + 1);
        if (y !== e) x.set(k, y);
      }
    }
    return x;
  };
  return own(v, 0);
}

/**
 * Every operator name the code calls (torch.X, ops.ns.X, math.X, builtins such as int()), with its
 * first call site. Walks with an explicit stack: a 200,000-term `x + x + ...` is that deep.
 */
export function usedOps(modules: readonly CodeModule[]): Map<string, Pos> {
  const out = new Map<string, Pos>();
  const note = (op: string, pos: Pos): void => {
    const seen = out.get(op);
    const earlier = !seen || pos.file < seen.file
      || (pos.file === seen.file && (pos.line < seen.line || (pos.line === seen.line && pos.col < seen.col)));
    if (earlier) out.set(op, pos);
  };
  const exprs: Expr[] = [];
  const push = (e: Expr | null | undefined): void => { if (e) exprs.push(e); };
  const stmts = (ss: readonly Stmt[]): void => {
    for (const s of ss) {
      switch (s.kind) {
        case 'expr': push(s.value); break;
        case 'assign': push(s.value); s.targets.forEach(push); break;
        case 'augassign': push(s.target); push(s.value); break;
        case 'if': push(s.cond); stmtStack.push(s.body, s.orelse); break;
        case 'for': push(s.iter); stmtStack.push(s.body); break;
        case 'while': push(s.cond); stmtStack.push(s.body); break;
        case 'return': push(s.value); break;
        case 'raise': push(s.value); break;
        case 'assert': push(s.test); push(s.msg); break;
        case 'with': s.items.forEach(push); stmtStack.push(s.body); break;
        default: break;
      }
    }
  };
  const stmtStack: (readonly Stmt[])[] = [];
  for (const m of modules) {
    for (const f of m.functions.values()) stmtStack.push(f.body);
    for (const c of m.classes.values()) for (const f of c.methods.values()) stmtStack.push(f.body);
  }
  while (stmtStack.length) stmts(stmtStack.pop()!);
  while (exprs.length) {
    const e = exprs.pop()!;
    switch (e.kind) {
      case 'call': {
        const path = dottedPath(e.fn);
        if (path) {
          const op = path.length === 1 ? BUILTIN_OPS.get(path[0]!) : opNameOf(path);
          if (op) note(op, e.pos);
        }
        if (e.fn.kind === 'attr') push(e.fn.obj);
        e.args.forEach(push);
        e.kwargs.forEach((k) => push(k.value));
        break;
      }
      case 'attr': push(e.obj); break;
      case 'subscript': push(e.obj); push(e.index); break;
      case 'slice': push(e.start); push(e.stop); push(e.step); break;
      case 'tuple': case 'list': e.items.forEach(push); break;
      case 'dict': e.keys.forEach(push); e.values.forEach(push); break;
      case 'listcomp': push(e.elt); push(e.iter); e.conds.forEach(push); break;
      case 'dictcomp': push(e.key); push(e.value); push(e.iter); e.conds.forEach(push); break;
      case 'unary': push(e.operand); break;
      case 'binary': push(e.left); push(e.right); break;
      case 'boolop': e.values.forEach(push); break;
      case 'compare': e.operands.forEach(push); break;
      case 'ifexp': push(e.cond); push(e.then); push(e.else); break;
      case 'starred': push(e.value); break;
      default: break;
    }
  }
  return out;
}
