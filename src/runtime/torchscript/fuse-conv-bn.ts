// Conv followed by an eval-mode BatchNorm in traced TorchScript, run as one conv with folded
// weights. torch.jit.trace keeps a torchvision block's submodules as calls of their own forward
// methods, with the conv's result passed straight to the norm:
//
//   _0 = (bn1).forward((conv1).forward(argument_1, ), )
//
// The nesting is what makes the fold safe: the conv's output is an unnamed temporary whose only
// reader is the norm. When, in addition, the norm's class forward is exactly the traced
// BatchNorm body (attribute reads, then `torch.batch_norm(argument_1, weight, bias, running_mean,
// running_var, False, momentum, eps, cudnn)`, returned) and the conv's class forward is exactly
// the traced conv body (attribute reads, then `torch._convolution(argument_1, weight, None or
// bias, <constant arguments>, ...)` with transposed False, or `torch.conv{1,2,3}d(...)`,
// returned), the interpreter
// computes conv(x, W * a, (b - mean) * a + beta) with a = gamma / sqrt(var + eps) instead of
// the two calls (ops/aten/fold-batchnorm.ts keeps the folded weights while the tensors are
// unchanged). Anything else runs as written: a scripted module (whose forward branches on
// self.training), a training-mode norm, a conv with padding modes, other dtypes.
// PyTorch's own fuse_conv_bn_eval does the same arithmetic; the results differ from the two-step
// computation by float32 roundings (the ONNX exporter folds the same way).

import type { Expr, FunctionDef, Stmt } from '../../ir/torchscript-ast.js';
import { census } from './ast-walk.js';
import { dottedPath, opNameOf } from './callees.js';

/** The traced BatchNorm forward: which attributes hold its tensors, and the eps expression. */
export interface BatchNormForm {
  readonly weight: string | null;
  readonly bias: string | null;
  readonly mean: string;
  readonly variance: string;
  readonly eps: Expr;
}

/** The traced conv forward: its weight and bias attributes and the constant argument expressions. */
export interface ConvForm {
  readonly op: 'aten::_convolution' | 'aten::conv1d' | 'aten::conv2d' | 'aten::conv3d';
  readonly weight: string;
  readonly bias: string | null;
  /** The call's arguments after input, weight and bias: constants only. */
  readonly rest: readonly Expr[];
}

const bnForms = new WeakMap<FunctionDef, BatchNormForm | null>();
const convForms = new WeakMap<FunctionDef, ConvForm | null>();

/** `detect(fn)`, computed once per function. */
function once<T>(cache: WeakMap<FunctionDef, T | null>, fn: FunctionDef, detect: (fn: FunctionDef) => T | null): T | null {
  let form = cache.get(fn);
  if (form === undefined) cache.set(fn, form = detect(fn));
  return form;
}

/** Attribute reads `local = self.attr` at the top of `body`, and the statements after them. */
function attributeReads(fn: FunctionDef): { reads: Map<string, string>; rest: readonly Stmt[] } | null {
  const self = fn.params[0]?.name;
  if (self === undefined) return null;
  const reads = new Map<string, string>();
  let i = 0;
  for (; i < fn.body.length; i++) {
    const s = fn.body[i]!;
    if (s.kind !== 'assign' || s.targets.length !== 1 || s.targets[0]!.kind !== 'name') break;
    const v = s.value;
    if (v.kind !== 'attr' || v.obj.kind !== 'name' || v.obj.id !== self) break;
    reads.set(s.targets[0]!.id, v.attr);
  }
  return { reads, rest: fn.body.slice(i) };
}

/** `y = torch.<op>(args...)` then `return y`, with the op's name and arguments; else null. */
function callThenReturn(rest: readonly Stmt[]): { op: string; args: readonly Expr[] } | null {
  if (rest.length !== 2) return null;
  const [a, r] = rest as [Stmt, Stmt];
  if (a.kind !== 'assign' || a.targets.length !== 1 || a.targets[0]!.kind !== 'name') return null;
  if (r.kind !== 'return' || r.value?.kind !== 'name' || r.value.id !== a.targets[0]!.id) return null;
  const c = a.value;
  if (c.kind !== 'call' || c.kwargs.length > 0) return null;
  const path = dottedPath(c.fn);
  const op = path && path[0] === 'torch' ? opNameOf(path) : undefined;
  return op === undefined ? null : { op, args: c.args };
}

/** Whether `e` reads no variable (a literal, or a list/tuple of them). */
function constant(e: Expr): boolean {
  if (e.kind === 'const') return true;
  if (e.kind === 'list' || e.kind === 'tuple') return e.items.every(constant);
  if (e.kind === 'unary') return constant(e.operand);
  return false;
}

/** The one parameter after self, read only as the call's first argument. */
function inputParam(fn: FunctionDef, first: Expr): boolean {
  return fn.params.length === 2 && first.kind === 'name' && first.id === fn.params[1]!.name;
}

/**
 * The traced form of a module's forward that calls one op: attribute reads, then `y = torch.<op>(x,
 * ...)` on the one input parameter and `return y`; the reads, op and arguments, else null.
 */
function tracedCall(fn: FunctionDef): { reads: Map<string, string>; op: string; args: readonly Expr[] } | null {
  const parts = attributeReads(fn);
  const call = parts && callThenReturn(parts.rest);
  return parts && call && call.args.length > 0 && inputParam(fn, call.args[0]!) ? { reads: parts.reads, ...call } : null;
}

/** `fn` (a BatchNorm class's forward) in the traced form, or null. */
export function batchNormForm(fn: FunctionDef): BatchNormForm | null {
  return once(bnForms, fn, detectBatchNorm);
}

function detectBatchNorm(fn: FunctionDef): BatchNormForm | null {
  let form: BatchNormForm | null = null;
  const call = tracedCall(fn);
  if (call && call.op === 'aten::batch_norm' && call.args.length === 9) {
    const attr = (e: Expr): string | null | undefined =>
      e.kind === 'const' && e.value === null ? null : e.kind === 'name' ? call.reads.get(e.id) : undefined;
    const [, w, b, m, v, training, momentum, eps, cudnn] = call.args as Expr[];
    const weight = attr(w!), bias = attr(b!), mean = attr(m!), variance = attr(v!);
    if (weight !== undefined && bias !== undefined && typeof mean === 'string' && typeof variance === 'string'
      && training!.kind === 'const' && training!.value === false && constant(momentum!) && constant(eps!) && constant(cudnn!)) {
      form = { weight, bias, mean, variance, eps: eps! };
    }
  }
  return form;
}

/** `fn` (a conv class's forward) in the traced form, or null. */
export function convForm(fn: FunctionDef): ConvForm | null {
  return once(convForms, fn, detectConv);
}

function detectConv(fn: FunctionDef): ConvForm | null {
  let form: ConvForm | null = null;
  const call = tracedCall(fn);
  const arity = call?.op === 'aten::_convolution' ? 13 : 7;
  if (call && (call.op === 'aten::_convolution' || /^aten::conv[123]d$/.test(call.op)) && call.args.length === arity) {
    const [, w, b, ...rest] = call.args as Expr[];
    const weight = w!.kind === 'name' ? call.reads.get(w!.id) : undefined;
    const bias = b!.kind === 'const' && b!.value === null ? null : b!.kind === 'name' ? call.reads.get(b!.id) : undefined;
    // A transposed conv's weight is [Cin, Cout / groups, ...]: folding per output channel would
    // scale the wrong axis, so only `transposed` = False takes part.
    const transposed = call.op === 'aten::_convolution' ? rest[3]! : null;
    const notTransposed = transposed === null || (transposed.kind === 'const' && transposed.value === false);
    if (weight !== undefined && bias !== undefined && rest.every(constant) && notTransposed) form = { op: call.op as ConvForm['op'], weight, bias, rest };
  }
  return form;
}

/** `e` when it is `torch.add_(first, other)` or `torch.add(first, other)` (no alpha): the op and the operands. */
export function residualAdd(e: Expr): { op: string; first: Expr; other: Expr } | null {
  if (e.kind !== 'call' || e.kwargs.length > 0 || e.args.length !== 2) return null;
  const path = dottedPath(e.fn);
  if (path === undefined || path.length !== 2 || path[0] !== 'torch' || (path[1] !== 'add_' && path[1] !== 'add')) return null;
  return { op: `aten::${path[1]}`, first: e.args[0]!, other: e.args[1]! };
}

/** `e` when it is `(name).forward(arg)` with one positional argument: the module expression and the argument. */
export function forwardCall(e: Expr): { module: Expr; arg: Expr } | null {
  if (e.kind !== 'call' || e.kwargs.length > 0 || e.args.length !== 1) return null;
  if (e.fn.kind !== 'attr' || e.fn.attr !== 'forward' || e.fn.obj.kind !== 'name') return null;
  return { module: e.fn.obj, arg: e.args[0]! };
}

// ---- bringing a named conv result into its norm call ----
//
// The trace also names a value and hands the name on one statement later (`_1 =
// (conv2).forward((relu).forward(_0, ), )`, then `input = torch.add_((bn2).forward(_1, ),
// argument_1)`; timm: `_6 = (bn3).forward(...)`, then `input = torch.add_(_6, ...)`; then
// `return (relu).forward1(input, )`, an activation of a residual add). When that name
// is assigned and read exactly once in the whole body, the assignment is the statement just
// before, and the name is the first thing the next statement evaluates (through first arguments
// of calls; nothing runs between the two), the assignment is dropped and its call written in
// place of the name: the nesting above, evaluated at the same moment as before.

/**
 * What is evaluated first when `e` is: through `torch.op(first, ...)` and `(name).method(first, ...)`
 * (whose callees are only looked up) into the first argument, down to one that is not such a call.
 */
function firstLeaf(e: Expr): Expr {
  if (e.kind !== 'call' || e.args.length === 0) return e;
  const path = dottedPath(e.fn);
  return path === undefined || path.length < 2 ? e : firstLeaf(e.args[0]!);
}

/** How many calls deep `e`'s first-argument chain goes (firstLeaf's path). */
function chainDepth(e: Expr): number {
  let d = 0;
  for (let x = e; x.kind === 'call' && x.args.length > 0; x = x.args[0]!) d++;
  return d;
}

/**
 * The deepest first-argument chain an inlining may make. The fusions need four levels (an
 * activation of an add of a norm of a conv) on top of what the trace nests already (a Sequential's
 * calls three at a time); the interpreter counts expression nesting against maxRecursionDepth, so
 * a long chain of single-use values must not become one expression as deep as the chain is long.
 */
const MAX_CHAIN = 12;

/** `e` with the sub-expression `from` (found through first arguments, by identity) replaced by `to`. */
function replaced(e: Expr, from: Expr, to: Expr): Expr {
  if (e === from) return to;
  if (e.kind !== 'call' || e.args.length === 0) return e;
  return { ...e, site: {}, args: [replaced(e.args[0]!, from, to), ...e.args.slice(1)] };
}

/** `body` with each value that the next statement reads first, and nothing else reads, written in place of its name (see above); the same array when none is. */
export function inlineConvIntoNorm(body: readonly Stmt[]): readonly Stmt[] {
  const reads = new Map<string, number>(), writes = new Map<string, number>();
  census(body, reads, writes);
  const out: Stmt[] = [];
  let changed = false;
  for (const cur of body) {
    const prev = out[out.length - 1];
    const host = cur.kind === 'assign' || cur.kind === 'expr' || cur.kind === 'return' ? cur.value : null;
    const leaf = host === null ? null : firstLeaf(host);
    if (prev !== undefined && prev.kind === 'assign' && prev.targets.length === 1 && prev.targets[0]!.kind === 'name'
      && prev.annotation === undefined && leaf !== null && leaf.kind === 'name' && leaf.id === prev.targets[0]!.id
      && reads.get(leaf.id) === 1 && writes.get(leaf.id) === 1 && chainDepth(host!) + chainDepth(prev.value) <= MAX_CHAIN) {
      const value = replaced(host!, leaf, prev.value);
      out[out.length - 1] = { ...(cur as Extract<Stmt, { kind: 'assign' | 'expr' | 'return' }>), value } as Stmt;
      changed = true;
      continue;
    }
    out.push(cur);
  }
  return changed ? out : body;
}

// ---- the activation after it ----
//
// `(relu).forward(<a conv, or a norm of a conv, as above>)` where the activation's class forward
// is exactly `return torch.relu_(argument_1)` (or relu, hardtanh(_) with constant bounds, silu(_),
// sigmoid(_), hardswish(_), hardsigmoid(_); also through `y = ...; return y`) runs the activation in the conv kernel's epilogue.
// The conv's output is again an unnamed temporary only the activation reads, so applying it in
// place or not makes no difference.

const actForms = new WeakMap<FunctionDef, ActivationForm | null>();

/** An activation module's op: the aten op and its constant arguments after the input. */
export interface ActivationForm {
  readonly op: string;
  readonly args: readonly Expr[];
}

const ACTIVATIONS = new Set([
  'aten::relu', 'aten::relu_', 'aten::hardtanh', 'aten::hardtanh_', 'aten::silu', 'aten::silu_', 'aten::sigmoid', 'aten::sigmoid_',
  'aten::hardswish', 'aten::hardswish_', 'aten::hardsigmoid', 'aten::hardsigmoid_',
]);

/** `fn` (an activation class's forward) in the traced form, or null. */
export function activationForm(fn: FunctionDef): ActivationForm | null {
  return once(actForms, fn, detectActivation);
}

function detectActivation(fn: FunctionDef): ActivationForm | null {
  let form: ActivationForm | null = null;
  let call: Expr | null = null;
  if (fn.body.length === 1 && fn.body[0]!.kind === 'return') call = fn.body[0]!.value;
  else {
    const parts = attributeReads(fn);
    if (parts && parts.reads.size === 0) {
      const c = callThenReturn(parts.rest);
      if (c) call = fn.body[0]!.kind === 'assign' ? fn.body[0]!.value : null;
    }
  }
  if (call !== null && call.kind === 'call' && call.kwargs.length === 0 && call.args.length >= 1 && inputParam(fn, call.args[0]!)) {
    const path = dottedPath(call.fn);
    const op = path && path[0] === 'torch' ? opNameOf(path) : undefined;
    const args = call.args.slice(1);
    if (op !== undefined && ACTIVATIONS.has(op) && args.every(constant) && (op.startsWith('aten::hardtanh') ? args.length === 2 : args.length === 0)) {
      form = { op, args };
    }
  }
  return form;
}
