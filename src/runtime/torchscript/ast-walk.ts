// Walking the TorchScript AST for the interpreter's rewrites (fuse-attention.ts, fuse-conv-bn.ts):
// an expression's direct sub-expressions, and how often each name is read and assigned.

import type { Expr, Stmt } from '../../ir/torchscript-ast.js';

/** Every direct sub-expression of `e`. */
export function children(e: Expr): readonly (Expr | null)[] {
  switch (e.kind) {
    case 'name': case 'const': case 'type': return [];
    case 'attr': return [e.obj];
    case 'subscript': return [e.obj, e.index];
    case 'slice': return [e.start, e.stop, e.step];
    case 'call': return [e.fn, ...e.args, ...e.kwargs.map((k) => k.value)];
    case 'tuple': case 'list': return e.items;
    case 'dict': return [...e.keys, ...e.values];
    case 'listcomp': return [e.elt, e.target, e.iter, ...e.conds];
    case 'dictcomp': return [e.key, e.value, e.target, e.iter, ...e.conds];
    case 'unary': return [e.operand];
    case 'binary': return [e.left, e.right];
    case 'boolop': return e.values;
    case 'compare': return e.operands;
    case 'ifexp': return [e.cond, e.then, e.else];
    case 'starred': return [e.value];
  }
}

function stmtExprs(s: Stmt): readonly (Expr | null)[] {
  switch (s.kind) {
    case 'expr': return [s.value];
    case 'assign': return [...s.targets, s.value];
    case 'augassign': return [s.target, s.value];
    case 'if': case 'while': return [s.cond];
    case 'for': return [s.target, s.iter];
    case 'return': case 'raise': return [s.value];
    case 'assert': return [s.test, s.msg];
    case 'del': return s.targets;
    case 'with': return s.items;
    default: return [];
  }
}

function nestedBodies(s: Stmt): readonly (readonly Stmt[])[] {
  if (s.kind === 'if') return [s.body, s.orelse];
  if (s.kind === 'for' || s.kind === 'while' || s.kind === 'with') return [s.body];
  return [];
}

/** Names read (`name` expressions) and names assigned anywhere in `stmts`, with counts. */
export function census(stmts: readonly Stmt[], reads: Map<string, number>, writes: Map<string, number>): void {
  const visit = (e: Expr | null): void => {
    if (e === null) return;
    if (e.kind === 'name') reads.set(e.id, (reads.get(e.id) ?? 0) + 1);
    for (const c of children(e)) visit(c);
  };
  const target = (t: Expr): void => {
    if (t.kind === 'name') writes.set(t.id, (writes.get(t.id) ?? 0) + 1);
    else if (t.kind === 'tuple' || t.kind === 'list') t.items.forEach(target);
    else visit(t);
  };
  for (const s of stmts) {
    if (s.kind === 'assign') { s.targets.forEach(target); visit(s.value); }
    else if (s.kind === 'augassign') { target(s.target); visit(s.target); visit(s.value); }
    else if (s.kind === 'for') { target(s.target); visit(s.iter); }
    else if (s.kind === 'del') s.targets.forEach(target);
    else for (const e of stmtExprs(s)) visit(e);
    for (const b of nestedBodies(s)) census(b, reads, writes);
  }
}
