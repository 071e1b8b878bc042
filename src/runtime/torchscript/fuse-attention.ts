// Attention in traced TorchScript, run by one fused op. torch.jit.trace writes a GPT block's or an
// nn.MultiheadAttention's attention as straight-line statements:
//
//   _13 = torch.matmul(q, torch.transpose(k, -2, -1))      (or torch.bmm)
//   att = torch.mul(_13, CONSTANTS.c1)                       (optional; or torch.div)
//   input = torch.masked_fill(att, mask, -inf)               (optional)
//   att0 = torch.softmax(input, -1)
//   y = ... torch.matmul(att0, v) ...                        (or torch.bmm)
//
// When every intermediate value is read only by the next step, those statements are removed
// and the final product becomes
//
//   attention#1 = ops.tessera.fused_attention(q, k, v, mask, c, divide)
//   y = ... (<the same ops, as one expression> if attention#1 is None else attention#1) ...
//
// so the original ops still run whenever the fused op declines (see ops/aten/attention.ts for
// when it does). Operands that are not plain names or constants are first computed into
// temporaries, so nothing is evaluated twice. Only top-level statements of a body are
// rewritten, and only when nothing between the first removed statement and the product
// reassigns a value the operands read (the operands are evaluated later than they were).
// A body is rewritten once, the first time it runs; `fusedBody` keeps the result.

import type { Expr, FunctionDef, Stmt } from '../../ir/torchscript-ast.js';
import { dottedPath, opNameOf } from './callees.js';
import { census, children } from './ast-walk.js';
import { inlineConvIntoNorm } from './fuse-conv-bn.js';

type Call = Extract<Expr, { kind: 'call' }>;

const bodies = new WeakMap<FunctionDef, readonly Stmt[]>();
/** The fallback products this rewrite wrote: never fused again. */
const fallbacks = new WeakSet<Expr>();

/** `fn`'s body with its attentions fused and conv results brought into their norms' calls (fuse-conv-bn.ts; computed once per function). */
export function fusedBody(fn: FunctionDef): readonly Stmt[] {
  let b = bodies.get(fn);
  if (b === undefined) {
    try {
      b = inlineConvIntoNorm(fuseAttentions(fn));
    } catch {
      b = fn.body; // an unexpected shape of code: run it as written
    }
    bodies.set(fn, b);
  }
  return b;
}

// ---- the pattern ----

interface Fn {
  readonly body: readonly Stmt[];
  readonly reads: ReadonlyMap<string, number>;
  readonly writes: ReadonlyMap<string, number>;
  /** Name -> index of the top-level statement `name = expr` that is its only assignment. */
  readonly defs: ReadonlyMap<string, number>;
  readonly locals: ReadonlySet<string>;
  readonly params: ReadonlySet<string>;
}

/** The aten op a `torch.f(...)` call without keywords names, or undefined. */
function opOf(fn: Fn, e: Expr): string | undefined {
  if (e.kind !== 'call' || e.kwargs.length > 0) return undefined;
  const path = dottedPath(e.fn);
  if (!path || path[0] !== 'torch' || fn.locals.has('torch')) return undefined;
  return opNameOf(path);
}

/** `e`, or the value of the single-use, singly assigned local `e` names (and where it is assigned). */
function through(fn: Fn, e: Expr): { expr: Expr; def?: number } {
  if (e.kind !== 'name' || fn.reads.get(e.id) !== 1) return { expr: e };
  const at = fn.defs.get(e.id);
  if (at === undefined) return { expr: e };
  return { expr: (fn.body[at] as Extract<Stmt, { kind: 'assign' }>).value, def: at };
}

const isInt = (e: Expr | undefined, v: bigint) => e?.kind === 'const' && e.value === v;

function isMinusInf(fn: Fn, e: Expr | undefined): boolean {
  if (e?.kind === 'const') return e.value === -Infinity;
  return e?.kind === 'unary' && e.op === '-' && e.operand.kind === 'name' && e.operand.id === 'inf' && !fn.locals.has('inf');
}

/** A value that can be read twice at no cost and without effects: a name, a constant, CONSTANTS.cN. */
function isPlain(fn: Fn, e: Expr): boolean {
  if (e.kind === 'name' || e.kind === 'const') return true;
  const path = e.kind === 'attr' ? dottedPath(e) : undefined;
  return path !== undefined && path[0] === 'CONSTANTS' && !fn.locals.has('CONSTANTS');
}

interface Match {
  readonly product: Call;
  readonly softmax: Call;
  readonly maskedFill: Call | null;
  readonly scaling: Call | null;
  readonly divide: boolean;
  readonly scores: Call;
  readonly transpose: Call;
  /** Operands: q, k, v, mask, scale. */
  readonly q: Expr; readonly k: Expr; readonly v: Expr; readonly mask: Expr | null; readonly scale: Expr | null;
  /** The transposes of two axes q, k and v were read through (the operands are then their inputs), or null. */
  readonly qT: Call | null; readonly kT: Call | null; readonly vT: Call | null;
  /** A transpose of two axes applied to the product, which the fused op then writes directly, or null. */
  readonly outer: Call | null;
  /** Top-level statements the chain's intermediate values were assigned in. */
  readonly removed: readonly number[];
}

/** A `torch.transpose(x, a, b)` with constant axes. */
function isAxisSwap(fn: Fn, e: Expr): e is Call {
  if (opOf(fn, e) !== 'aten::transpose') return false;
  const c = e as Call;
  return c.args.length === 3 && c.args[1]!.kind === 'const' && typeof c.args[1]!.value === 'bigint'
    && c.args[2]!.kind === 'const' && typeof c.args[2]!.value === 'bigint';
}

function matchAt(fn: Fn, e: Expr): Match | undefined {
  const mm2 = opOf(fn, e);
  if (fallbacks.has(e)) return undefined;
  if ((mm2 !== 'aten::matmul' && mm2 !== 'aten::bmm') || (e as Call).args.length !== 2) return undefined;
  const product = e as Call;
  const removed: number[] = [];
  const step = (x: Expr): Expr => {
    const t = through(fn, x);
    if (t.def !== undefined) removed.push(t.def);
    return t.expr;
  };
  const sm = step(product.args[0]!);
  if (opOf(fn, sm) !== 'aten::softmax') return undefined;
  const softmax = sm as Call;
  if (!isInt(softmax.args[1], -1n) || softmax.args.length > 3 || (softmax.args[2] && !(softmax.args[2].kind === 'const' && softmax.args[2].value === null))) return undefined;
  let x = step(softmax.args[0]!);
  let maskedFill: Call | null = null;
  let mask: Expr | null = null;
  if (opOf(fn, x) === 'aten::masked_fill') {
    const mf = x as Call;
    if (mf.args.length !== 3 || !isMinusInf(fn, mf.args[2])) return undefined;
    maskedFill = mf;
    mask = mf.args[1]!;
    x = step(mf.args[0]!);
  }
  let scaling: Call | null = null;
  let scale: Expr | null = null;
  let divide = false;
  const sOp = opOf(fn, x);
  if ((sOp === 'aten::mul' || sOp === 'aten::div') && (x as Call).args.length === 2) {
    scaling = x as Call;
    divide = sOp === 'aten::div';
    scale = scaling.args[1]!;
    x = step(scaling.args[0]!);
  }
  const mm1 = opOf(fn, x);
  if ((mm1 !== 'aten::matmul' && mm1 !== 'aten::bmm') || (x as Call).args.length !== 2) return undefined;
  const scores = x as Call;
  const kt = step(scores.args[1]!);
  if (opOf(fn, kt) !== 'aten::transpose' || (kt as Call).args.length !== 3) return undefined;
  const transpose = kt as Call;
  const [, d0, d1] = transpose.args;
  if (!((isInt(d0, -2n) && isInt(d1, -1n)) || (isInt(d0, -1n) && isInt(d1, -2n)))) return undefined;
  // q, k and v as the code transposed them (a head split): read through the transpose instead.
  const unswap = (x: Expr): [Expr, Call | null] => {
    const t = through(fn, x);
    if (!isAxisSwap(fn, t.expr)) return [x, null];
    if (t.def !== undefined) removed.push(t.def);
    return [t.expr.args[0]!, t.expr];
  };
  const [q, qT] = unswap(scores.args[0]!);
  const [k, kT] = unswap(transpose.args[0]!);
  const [v, vT] = unswap(product.args[1]!);
  return { product, softmax, maskedFill, scaling, divide, scores, transpose, q, k, v, mask, scale, qT, kT, vT, outer: null, removed };
}

/** An attention at `e`, or at the product a transpose `e` applies to (the transpose then joins it). */
function matchWithOuter(fn: Fn, e: Expr): Match | undefined {
  if (isAxisSwap(fn, e)) {
    const m = matchAt(fn, e.args[0]!);
    if (m) return { ...m, outer: e };
  }
  return matchAt(fn, e);
}

/** The first call expression under `e` (pre-order) for which `test` gives a match. */
function findIn<T>(e: Expr | null, test: (x: Expr) => T | undefined): T | undefined {
  if (e === null) return undefined;
  const m = test(e);
  if (m !== undefined) return m;
  for (const c of children(e)) {
    const r = findIn(c, test);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** `root` with the expression object `target` replaced by `by` (only through call arguments and the like). */
function replace(root: Expr, target: Expr, by: Expr): Expr {
  if (root === target) return by;
  switch (root.kind) {
    case 'call': return { ...root, args: root.args.map((a) => replace(a, target, by)), kwargs: root.kwargs.map((k) => ({ name: k.name, value: replace(k.value, target, by) })) };
    case 'tuple': case 'list': return { ...root, items: root.items.map((a) => replace(a, target, by)) };
    case 'binary': return { ...root, left: replace(root.left, target, by), right: replace(root.right, target, by) };
    case 'unary': return { ...root, operand: replace(root.operand, target, by) };
    case 'attr': return { ...root, obj: replace(root.obj, target, by) };
    case 'subscript': return { ...root, obj: replace(root.obj, target, by), index: replace(root.index, target, by) };
    default: return root;
  }
}

function withArgs(c: Call, args: Expr[]): Call {
  return { ...c, args, site: {} };
}

/** One fusion in `fn`'s body, or undefined when there is none left. */
function fuseOne(fn: Fn, serial: number): Stmt[] | undefined {
  const { body } = fn;
  for (let at = 0; at < body.length; at++) {
    const s = body[at]!;
    if (s.kind !== 'assign' && s.kind !== 'expr' && s.kind !== 'return') continue;
    const value = s.value;
    const m = value ? findIn(value, (x) => matchWithOuter(fn, x)) : undefined;
    if (!m || m.removed.some((i) => i >= at)) continue;
    // Operands are read at `at` now: nothing from the first removed statement on may reassign them.
    const operands = [m.q, m.k, m.v, m.mask, m.scale].filter((x): x is Expr => x !== null);
    const read = new Map<string, number>();
    census(operands.map((o): Stmt => ({ kind: 'expr', pos: s.pos, value: o })), read, new Map());
    const first = Math.min(...m.removed, at);
    const written = new Map<string, number>();
    census(body.slice(first, at).filter((_, i) => !m.removed.includes(first + i)), new Map(), written);
    // A value assigned once (a parameter counts as assigned) is the same wherever it is read.
    const reassigned = (n: string) => (fn.writes.get(n) ?? 0) + (fn.params.has(n) ? 1 : 0) > 1;
    if ([...read.keys()].some((n) => written.has(n) && reassigned(n))) continue;
    // Temporaries for operands that are not plain, then the fused call.
    const pre: Stmt[] = [];
    const hold = (x: Expr | null, what: string): Expr | null => {
      if (x === null || isPlain(fn, x)) return x;
      const name: Expr = { kind: 'name', pos: x.pos, id: `attention#${serial}.${what}` };
      pre.push({ kind: 'assign', pos: s.pos, targets: [name], value: x });
      return name;
    };
    const q = hold(m.q, 'q')!, k = hold(m.k, 'k')!, v = hold(m.v, 'v')!, mask = hold(m.mask, 'mask'), scale = hold(m.scale, 'scale');
    const pos = m.product.pos;
    const none: Expr = { kind: 'const', pos, value: null };
    const axes = (t: Call | null): Expr => (t ? { kind: 'list', pos, items: [t.args[1]!, t.args[2]!] } : none);
    const fused: Expr = { kind: 'name', pos, id: `attention#${serial}` };
    const opPath = (name: string): Expr => ({ kind: 'attr', pos, obj: { kind: 'attr', pos, obj: { kind: 'name', pos, id: 'ops' }, attr: 'tessera' }, attr: name });
    pre.push({
      kind: 'assign', pos: s.pos, targets: [fused],
      value: {
        kind: 'call', pos, fn: opPath('fused_attention'), kwargs: [], site: {},
        args: [q, k, v, mask ?? none, scale ?? none, { kind: 'const', pos, value: m.divide }, axes(m.qT), axes(m.kT), axes(m.vT), axes(m.outer)],
      },
    });
    // The ops as written, for when the fused op declines.
    const swapped = (x: Expr, t: Call | null): Expr => (t ? withArgs(t, [x, t.args[1]!, t.args[2]!]) : x);
    let y: Expr = withArgs(m.scores, [swapped(q, m.qT), withArgs(m.transpose, [swapped(k, m.kT), ...m.transpose.args.slice(1)])]);
    if (m.scaling) y = withArgs(m.scaling, [y, scale!]);
    if (m.maskedFill) y = withArgs(m.maskedFill, [y, mask!, m.maskedFill.args[2]!]);
    const product = withArgs(m.product, [withArgs(m.softmax, [y, ...m.softmax.args.slice(1)]), swapped(v, m.vT)]);
    fallbacks.add(product);
    const fallback = swapped(product, m.outer);
    const choice: Expr = { kind: 'ifexp', pos, cond: { kind: 'compare', pos, ops: ['is'], operands: [fused, none] }, then: fallback, else: fused };
    const rewritten: Stmt = { ...s, value: replace(value!, m.outer ?? m.product, choice) } as Stmt;
    const out: Stmt[] = [];
    body.forEach((x, i) => {
      if (i === at) out.push(...pre, rewritten);
      else if (!m.removed.includes(i)) out.push(x);
    });
    return out;
  }
  return undefined;
}

function analyse(fn: FunctionDef, body: readonly Stmt[]): Fn {
  const reads = new Map<string, number>();
  const writes = new Map<string, number>();
  census(body, reads, writes);
  const locals = new Set<string>([...writes.keys(), ...fn.params.map((p) => p.name)]);
  const defs = new Map<string, number>();
  body.forEach((s, i) => {
    if (s.kind === 'assign' && s.targets.length === 1 && s.targets[0]!.kind === 'name' && !s.annotation) {
      const id = s.targets[0]!.id;
      if (writes.get(id) === 1 && !fn.params.some((p) => p.name === id)) defs.set(id, i);
    }
  });
  return { body, reads, writes, defs, locals, params: new Set(fn.params.map((p) => p.name)) };
}

function fuseAttentions(fn: FunctionDef): readonly Stmt[] {
  let body = fn.body;
  for (let serial = 1; serial <= 64; serial++) {
    const next = fuseOne(analyse(fn, body), serial);
    if (!next) break;
    body = next;
  }
  return body;
}
