// What a call expression calls: an operator (`torch.conv2d` -> aten::conv2d, `ops.prim.min` ->
// prim::min, `int(x)` -> aten::Int), a function or class from the archive's code/, a language
// special form (annotate, isinstance, getattr, ...), or a method of a value.

import { ModelFormatError } from '../../errors.js';
import type { Expr, FunctionDef } from '../../ir/torchscript-ast.js';

export type Callee =
  | { kind: 'op'; name: string }
  | { kind: 'function'; fn: FunctionDef }
  | { kind: 'class'; qualifiedName: string }
  | { kind: 'new'; qualifiedName: string }
  | { kind: 'special'; name: string }
  | { kind: 'method' }
  /** A local variable holding a function (`_0 = __torch__.torch.nn.functional.relu`). */
  | { kind: 'local'; id: string };

/** A function as a value. */
export class FunctionRef {
  constructor(readonly fn: FunctionDef) {}
}

/** Builtin names and the operator each one calls. */
export const BUILTIN_OPS: ReadonlyMap<string, string> = new Map([
  ['int', 'aten::Int'], ['float', 'aten::Float'], ['bool', 'aten::Bool'], ['str', 'aten::str'], ['len', 'aten::len'], ['list', 'aten::list'],
  ['dict', 'aten::dict'], ['min', 'prim::min'], ['max', 'prim::max'], ['abs', 'prim::abs'], ['round', 'aten::round'], ['sum', 'aten::sum'],
  ['divmod', 'aten::divmod'], ['ord', 'aten::ord'], ['chr', 'aten::chr'], ['hash', 'aten::hash'], ['print', 'prim::Print'],
  ['sorted', 'aten::sorted'], ['any', 'aten::any'], ['all', 'aten::all'], ['hex', 'aten::hex'], ['oct', 'aten::oct'], ['bin', 'aten::bin'],
]);

export const SPECIAL_FORMS = new Set([
  'annotate', 'unchecked_cast', 'uninitialized', 'isinstance', 'getattr', 'hasattr', 'range', 'zip', 'enumerate', 'tuple',
]);

/** Namespaces under torch whose functions are aten ops, and the prefix each adds to the op name. */
const TORCH_NAMESPACES: ReadonlyMap<string, string> = new Map([
  ['torch.nn.functional', ''], ['torch._C._nn', ''], ['torch.linalg', 'linalg_'], ['torch.special', 'special_'], ['torch.fft', 'fft_'],
  ['torch._C._fft', ''], ['torch._C._linalg', ''], ['torch._C._special', ''], ['torch.functional', ''], ['torch.jit', ''],
  ['torch._C', ''],
]);

export interface CalleeLookup {
  findFunction(qualifiedName: string): FunctionDef | undefined;
  isClass(qualifiedName: string): boolean;
}

/** The operator name a dotted path names (`torch.relu` -> 'aten::relu'), or undefined. */
export function opNameOf(path: readonly string[]): string | undefined {
  const root = path[0];
  const last = path[path.length - 1]!;
  if (root === 'torch') {
    if (path.length === 2) return `aten::${last}`;
    const prefix = TORCH_NAMESPACES.get(path.slice(0, -1).join('.'));
    if (prefix !== undefined) return `aten::${prefix}${last}`;
    if (path[1] === 'ops' && path.length === 4) return `${path[2]}::${last}`;
    return undefined;
  }
  if (root === 'ops' && path.length === 3) return `${path[1]}::${last}`;
  if (root === 'math' && path.length === 2) return `aten::${last}`;
  return undefined;
}

export function resolveCallee(e: Extract<Expr, { kind: 'call' }>, isLocal: (id: string) => boolean, rt: CalleeLookup): Callee {
  const fn = e.fn;
  if (fn.kind === 'name' && isLocal(fn.id)) return { kind: 'local', id: fn.id };
  if (fn.kind === 'name') {
    if (SPECIAL_FORMS.has(fn.id)) return { kind: 'special', name: fn.id };
    const op = BUILTIN_OPS.get(fn.id);
    if (op !== undefined) return { kind: 'op', name: op };
    throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: unknown function '${fn.id}'`);
  }
  const path = dottedPath(fn);
  if (path && !isLocal(path[0]!)) {
    if (path[0] === '__torch__') {
      const q = path.join('.');
      if (path[path.length - 1] === '__new__') return { kind: 'new', qualifiedName: path.slice(0, -1).join('.') };
      const f = rt.findFunction(q);
      if (f) return { kind: 'function', fn: f };
      if (rt.isClass(q)) return { kind: 'class', qualifiedName: q };
      throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: '${q}' is neither a function nor a class under code/`);
    }
    const op = opNameOf(path);
    if (op) return { kind: 'op', name: op };
    if (path[0] === 'torch' || path[0] === 'ops' || path[0] === 'math') {
      throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: unknown function '${path.join('.')}'`);
    }
  }
  if (fn.kind === 'attr') return { kind: 'method' };
  throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: this expression is not callable`);
}

/** ['torch', 'nn', 'functional', 'relu'] for a pure chain of names, else undefined. */
export function dottedPath(e: Expr): string[] | undefined {
  if (e.kind === 'name') return [e.id];
  if (e.kind === 'attr') {
    const p = dottedPath(e.obj);
    return p ? [...p, e.attr] : undefined;
  }
  return undefined;
}
