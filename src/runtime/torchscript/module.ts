// loadTorchScript: a TorchScript archive as a module object whose methods can be called with
// TorchScript values (bigint ints, number floats, Tensors, arrays, Maps, TsTuples, ...).

import type { AtenOp, TsValue } from '../../../ops/aten/aten-op.js';
import { TsObject } from '../../../ops/aten/aten-op.js';
import { atenOps } from '../../../ops/aten/index.js';
import { ModelFormatError } from '../../errors.js';
import type { PickleLimits } from '../../formats/pickle/values.js';
import type { CodeModule, Expr, FunctionDef, Pos, Stmt } from '../../formats/torchscript/ast.js';
import { readTorchScriptArchive, type TorchScriptArchive } from '../../formats/torchscript/archive.js';
import { BUILTIN_OPS, dottedPath, opNameOf } from './callees.js';
import { PickleConverter } from '../../formats/torchscript/objects.js';
import { ScriptRuntime } from './runtime.js';

export interface LoadTorchScriptOptions {
  /** The operator table; tessera's full aten table by default. */
  readonly ops?: readonly AtenOp[];
  readonly limits?: Partial<PickleLimits>;
}

export interface TorchScriptModule {
  readonly root: TsObject;
  readonly archive: TorchScriptArchive;
  readonly runtime: ScriptRuntime;
  /** Operators the archive's code names that tessera does not implement (all files, all methods). */
  readonly missingOps: readonly string[];
  /** Where each missing operator is first called ('archive/code/__torch__.py:12:9'). */
  readonly missingOpSites: ReadonlyMap<string, string>;
  /** The root class's methods, e.g. ['forward']. */
  readonly methodNames: readonly string[];
  method(name: string): FunctionDef;
  /** Calls a method of the root module (self is passed for you). */
  call(method: string, args: readonly TsValue[], kwargs?: ReadonlyMap<string, TsValue>): TsValue;
  forward(...args: TsValue[]): TsValue;
}

export function loadTorchScript(bytes: Uint8Array, options: LoadTorchScriptOptions = {}): TorchScriptModule {
  const archive = readTorchScriptArchive(bytes, options.limits);
  const ops = options.ops ?? atenOps;
  const constConv = new PickleConverter(archive, `${archive.prefix}constants.pkl`);
  const constants = archive.constants.map((c) => constConv.convert(c));
  const conv = new PickleConverter(archive, `${archive.prefix}data.pkl`);
  const root = conv.convert(archive.data);
  if (!(root instanceof TsObject)) throw new ModelFormatError(`${archive.prefix}data.pkl: the root is not a module object`);
  const runtime = new ScriptRuntime(archive, ops, constants);
  const modules = archive.codeModules.map((m) => archive.codeModule(m)!);
  const used = usedOps(modules);
  const missing = [...used.keys()].filter((n) => !runtime.table.has(n)).sort();
  const missingOpSites = new Map(missing.map((n) => { const p = used.get(n)!; return [n, `${p.file}:${p.line}:${p.col}`]; }));
  runtime.missingOps = missing;
  for (const { obj, state } of [...constConv.pending, ...conv.pending]) runtime.callMethod(obj, '__setstate__', [state]);
  const cls = runtime.classOf(root.className);
  const method = (name: string): FunctionDef => {
    const m = cls.methods.get(name);
    if (!m) throw new ModelFormatError(`${root.className} has no method '${name}' (methods: ${[...cls.methods.keys()].join(', ')})`);
    return m;
  };
  return {
    root, archive, runtime, missingOps: missing, missingOpSites, methodNames: [...cls.methods.keys()], method,
    call: (name, args, kwargs) => runtime.callMethod(root, name, args, kwargs),
    forward: (...args) => runtime.callMethod(root, 'forward', args),
  };
}

/** Every operator name the code calls (torch.X, ops.ns.X, math.X, builtins such as int()), with its first call site. */
export function usedOps(modules: readonly CodeModule[]): Map<string, Pos> {
  const out = new Map<string, Pos>();
  const expr = (e: Expr | null | undefined): void => {
    if (!e) return;
    switch (e.kind) {
      case 'call': {
        const path = dottedPath(e.fn);
        if (path) {
          const op = path.length === 1 ? BUILTIN_OPS[path[0]!] : opNameOf(path);
          if (op && !out.has(op)) out.set(op, e.pos);
        }
        if (e.fn.kind === 'attr') expr(e.fn.obj);
        e.args.forEach(expr);
        e.kwargs.forEach((k) => expr(k.value));
        return;
      }
      case 'attr': expr(e.obj); return;
      case 'subscript': expr(e.obj); expr(e.index); return;
      case 'slice': expr(e.start); expr(e.stop); expr(e.step); return;
      case 'tuple': case 'list': e.items.forEach(expr); return;
      case 'dict': e.keys.forEach(expr); e.values.forEach(expr); return;
      case 'listcomp': expr(e.elt); expr(e.iter); e.conds.forEach(expr); return;
      case 'dictcomp': expr(e.key); expr(e.value); expr(e.iter); e.conds.forEach(expr); return;
      case 'unary': expr(e.operand); return;
      case 'binary': expr(e.left); expr(e.right); return;
      case 'boolop': e.values.forEach(expr); return;
      case 'compare': e.operands.forEach(expr); return;
      case 'ifexp': expr(e.cond); expr(e.then); expr(e.else); return;
      case 'starred': expr(e.value); return;
      default: return;
    }
  };
  const stmts = (ss: readonly Stmt[]): void => {
    for (const s of ss) {
      switch (s.kind) {
        case 'expr': expr(s.value); break;
        case 'assign': expr(s.value); s.targets.forEach(expr); break;
        case 'augassign': expr(s.target); expr(s.value); break;
        case 'if': expr(s.cond); stmts(s.body); stmts(s.orelse); break;
        case 'for': expr(s.iter); stmts(s.body); break;
        case 'while': expr(s.cond); stmts(s.body); break;
        case 'return': expr(s.value); break;
        case 'raise': expr(s.value); break;
        case 'assert': expr(s.test); expr(s.msg); break;
        case 'with': s.items.forEach(expr); stmts(s.body); break;
        default: break;
      }
    }
  };
  for (const m of modules) {
    for (const f of m.functions.values()) stmts(f.body);
    for (const c of m.classes.values()) for (const f of c.methods.values()) stmts(f.body);
  }
  return out;
}
