// The tree-walking interpreter: statements and expressions of one function body, evaluated
// against a frame of local variables. Calls go back to the runtime (ops, functions, methods).
// Bounded: one depth counter covers calls, blocks and expression nesting (maxRecursionDepth);
// every loop counts its iterations (maxLoopIterations); every statement polls the run's
// RunControl (cancellation, deadline). Left-deep operator chains are evaluated with a loop.

import { TsDevice, TsObject, TsTuple, type TsValue } from '../../../ops/aten/aten-op.js';
import { ModelFormatError, ResourceLimitError, TorchScriptError } from '../../errors.js';
import { checkLimit } from '../../limits.js';
import { Tensor } from '../../tensor.js';
import type { Expr, FunctionDef, Pos, Stmt } from '../../ir/torchscript-ast.js';
import { type Callee, dottedPath, FunctionRef, resolveCallee } from './callees.js';
import type { ScriptRuntime } from './runtime.js';
import { fusedBody } from './fuse-attention.js';
import { type ActivationForm, activationForm, batchNormForm, type ConvForm, convForm, forwardCall, residualAdd } from './fuse-conv-bn.js';
import { type ConvArgs, type ConvFusion, convArgsOf, convolutionFused } from '../../../ops/aten/conv.js';
import type { GemmActivation } from '../../../kernels/gemm-f32.js';
import { foldBatchNormIntoConv } from '../../../ops/aten/fold-batchnorm.js';
import { type OverloadCache, overloadCache } from './schema.js';
import { pyStr, truthy, typeName } from '../../../ops/aten/py-values.js';
import { noteEscape } from '../../../ops/aten/slabs.js';

export interface Frame {
  readonly fn: FunctionDef;
  readonly vars: Map<string, TsValue>;
  ret: TsValue;
}

/** What the interpreter keeps on a call expression: its callee when that is fixed, and its overload. */
interface SiteState {
  callee: Callee | undefined;
  readonly overloads: OverloadCache;
  /** 'aten::view' for `x.view(...)` on a tensor. */
  methodOp?: string;
  /** The folded conv of `(bn).forward((conv).forward(x))` (convBatchNorm). */
  fusedConv?: OverloadCache;
}

/** A conv stage the fusions run: the conv's input, its weight and bias (a norm folded in, if any), its form. */
interface ConvPlan {
  readonly x: Expr;
  readonly weight: TsValue;
  readonly bias: TsValue;
  readonly form: ConvForm;
  readonly fn: FunctionDef;
}

const METHOD: Callee = Object.freeze({ kind: 'method' });

/** The adds whose first operand may be a conv computed with the other added in its epilogue (residualConv). */
const RESIDUAL_ADDS = new Set(['aten::add_', 'aten::add']);

const NORMAL = 0, BREAK = 1, CONTINUE = 2, RETURN = 3;
const NO_ARGS: readonly TsValue[] = Object.freeze([]);
type Flow = 0 | 1 | 2 | 3;

const BINARY = new Map([
  ['+', 'aten::add'], ['-', 'aten::sub'], ['*', 'aten::mul'], ['/', 'aten::div'], ['//', 'aten::floordiv'], ['%', 'aten::remainder'],
  ['**', 'aten::pow'], ['@', 'aten::matmul'], ['&', 'aten::__and__'], ['|', 'aten::__or__'], ['^', 'aten::__xor__'],
  ['<<', 'aten::__lshift__'], ['>>', 'aten::__rshift__'],
]);
const COMPARE = new Map([
  ['<', 'aten::lt'], ['>', 'aten::gt'], ['==', 'aten::eq'], ['!=', 'aten::ne'], ['<=', 'aten::le'], ['>=', 'aten::ge'],
  ['is', 'aten::__is__'], ['is not', 'aten::__isnot__'],
]);

function binaryOp(op: string, pos: Pos): string {
  const name = BINARY.get(op);
  if (name === undefined) throw new ModelFormatError(`${pos.file}:${pos.line}:${pos.col}: unknown operator '${op}'`);
  return name;
}

const at = (pos: Pos): string => `${pos.file}:${pos.line}:${pos.col}`;

/** 'file:line' of each statement of a block, for RunControl.poll (made once per block, not per run). */
const WHERE = new WeakMap<readonly Stmt[], readonly string[]>();

function wheresOf(stmts: readonly Stmt[]): readonly string[] {
  let w = WHERE.get(stmts);
  if (w === undefined) WHERE.set(stmts, (w = stmts.map((s) => `${s.pos.file}:${s.pos.line}`)));
  return w;
}

/** Errors already carrying a TorchScript traceback line for a position. */
const TRACED = new WeakMap<object, Set<string>>();

export function addTraceback(err: unknown, pos: Pos, fn: string): unknown {
  if (!(err instanceof Error)) return err;
  const line = `${pos.file}:${pos.line}:${pos.col} in ${fn}`;
  let set = TRACED.get(err);
  if (!set) TRACED.set(err, (set = new Set()));
  if (set.has(line) || set.size >= 20) return err;
  set.add(line);
  err.message += `\n  at ${line}`;
  return err;
}

/** Roots of dotted names whose values never change during a runtime's life. */
const CONSTANT_ROOTS = new Set(['CONSTANTS', 'math', 'torch']);

export class Interpreter {
  /** Calls + blocks + nested expressions currently being evaluated. */
  private depth = 0;
  /** What the conv fusions evaluate once per traced form: a norm's eps, a conv's constant arguments, an activation's epilogue. */
  private readonly formConstants = new WeakMap<object, unknown>();
  /** Values of `CONSTANTS.c0`-style expressions already evaluated. */
  private readonly constantAttrs = new WeakMap<Expr, TsValue>();

  constructor(private readonly rt: ScriptRuntime) {}

  /** Runs a function body (one level deeper: a call). */
  run(frame: Frame): TsValue {
    this.enter(frame.fn.pos, `calling ${frame.fn.qualifiedName}`);
    try {
      const flow = this.block(this.rt.fuseAttention ? fusedBody(frame.fn) : frame.fn.body, frame);
      return flow === RETURN ? frame.ret : null;
    } finally {
      this.depth--;
    }
  }

  /** Forgets the depth after a run that was abandoned (the counters unwind with finally anyway). */
  reset(): void {
    this.depth = 0;
  }

  private enter(pos: Pos, what: string): void {
    if (++this.depth > this.rt.limits.maxRecursionDepth) {
      const d = this.depth--;
      const max = this.rt.limits.maxRecursionDepth;
      throw new ResourceLimitError(`${at(pos)}: ${what}: nesting depth ${d} exceeds the limit maxRecursionDepth = ${max}`, 'maxRecursionDepth', d, max);
    }
  }

  private block(stmts: readonly Stmt[], f: Frame): Flow {
    const control = this.rt.control;
    this.enter(stmts[0]?.pos ?? f.fn.pos, 'block');
    try {
      const where = wheresOf(stmts);
      for (let i = 0; i < stmts.length; i++) {
        const s = stmts[i]!;
        let flow: Flow;
        try {
          control.poll(where[i]!);
          flow = this.stmt(s, f);
        } catch (e) {
          throw addTraceback(e, s.pos, f.fn.qualifiedName);
        }
        if (flow !== NORMAL) return flow;
      }
      return NORMAL;
    } finally {
      this.depth--;
    }
  }

  /**
   * Counts iteration `n` of the loop at `pos`: against maxLoopIterations for this loop, and for
   * every loop of the run together (nested loops cannot multiply past the limit).
   */
  private iteration(n: number, pos: Pos): void {
    if (n > this.rt.limits.maxLoopIterations) checkLimit(this.rt.limits, 'maxLoopIterations', n, `${at(pos)}: loop`);
    this.rt.control.addIterations(1, `${at(pos)}: loop`);
  }

  private stmt(s: Stmt, f: Frame): Flow {
    switch (s.kind) {
      case 'expr': this.evaluate(s.value, f); return NORMAL;
      case 'assign': {
        let v = this.evaluate(s.value, f);
        if (s.annotation) v = this.rt.annotate(s.annotation, v);
        for (let i = 0; i < s.targets.length; i++) this.assign(s.targets[i]!, v, f);
        return NORMAL;
      }
      case 'augassign': {
        const cur = this.evaluate(s.target, f);
        const rhs = this.evaluate(s.value, f);
        const op = binaryOp(s.op, s.pos);
        const inplace = cur instanceof Tensor || Array.isArray(cur) ? `${op}_` : op;
        const name = Array.isArray(cur) && s.op === '+' ? 'aten::extend' : inplace;
        const r = this.rt.callOp(name, [cur, rhs]);
        this.assign(s.target, Array.isArray(cur) && s.op === '+' ? cur : r, f);
        return NORMAL;
      }
      case 'if':
        return this.block(truthy(this.evaluate(s.cond, f)) ? s.body : s.orelse, f);
      case 'while': {
        let n = 0;
        while (truthy(this.evaluate(s.cond, f))) {
          this.iteration(++n, s.pos);
          const flow = this.block(s.body, f);
          if (flow === BREAK) break;
          if (flow === RETURN) return flow;
        }
        return NORMAL;
      }
      case 'for': return this.forLoop(s, f);
      case 'break': return BREAK;
      case 'continue': return CONTINUE;
      case 'pass': return NORMAL;
      case 'return':
        f.ret = s.value ? this.evaluate(s.value, f) : null;
        return RETURN;
      case 'raise': {
        const v = s.value ? this.evaluate(s.value, f) : 'Exception';
        throw new TorchScriptError(pyStr(v));
      }
      case 'assert':
        if (!truthy(this.evaluate(s.test, f))) {
          throw new TorchScriptError(`AssertionError: ${s.msg ? pyStr(this.evaluate(s.msg, f)) : ''}`, 'builtins.AssertionError');
        }
        return NORMAL;
      case 'del':
        for (const t of s.targets) {
          if (t.kind === 'name') f.vars.delete(t.id);
          else if (t.kind === 'subscript') this.rt.callOp('aten::Delete', [this.evaluate(t.obj, f), this.evaluate(t.index, f)]);
        }
        return NORMAL;
      case 'with': {
        // Context managers are TorchScript classes (no_grad, enable_grad): __enter__, body, __exit__.
        const managers = s.items.map((it) => this.evaluate(it, f));
        for (const m of managers) if (m instanceof TsObject) this.rt.callMethod(m, '__enter__', []);
        try {
          return this.block(s.body, f);
        } finally {
          for (const m of managers.reverse()) if (m instanceof TsObject) this.rt.callMethod(m, '__exit__', [null, null, null]);
        }
      }
    }
  }

  private forLoop(s: Extract<Stmt, { kind: 'for' }>, f: Frame): Flow {
    const iter = s.iter;
    // range() is by far the most common loop: iterate without building a list.
    if (iter.kind === 'call' && iter.fn.kind === 'name' && iter.fn.id === 'range' && !f.vars.has('range')) {
      const a = iter.args.map((x) => this.evaluate(x, f));
      if (!a.every((x) => typeof x === 'bigint')) throw new ModelFormatError(`range() takes int arguments, got ${a.map(typeName).join(', ')}`);
      const [start, stop, step] = a.length === 1 ? [0n, a[0] as bigint, 1n] : [a[0] as bigint, a[1] as bigint, (a[2] as bigint | undefined) ?? 1n];
      if (step === 0n) throw new TorchScriptError('range() arg 3 must not be zero', 'builtins.ValueError');
      let n = 0;
      for (let i = start; step > 0n ? i < stop : i > stop; i += step) {
        this.iteration(++n, s.pos);
        this.assign(s.target, i, f);
        const flow = this.block(s.body, f);
        if (flow === BREAK) break;
        if (flow === RETURN) return flow;
      }
      return NORMAL;
    }
    let n = 0;
    for (const item of this.iterate(this.evaluate(iter, f), iter.pos)) {
      this.iteration(++n, s.pos);
      this.assign(s.target, item, f);
      const flow = this.block(s.body, f);
      if (flow === BREAK) break;
      if (flow === RETURN) return flow;
    }
    return NORMAL;
  }

  iterate(v: TsValue, pos?: Pos): TsValue[] {
    if (Array.isArray(v)) return [...v];
    if (v instanceof TsTuple) return [...v.items];
    if (typeof v === 'string') return [...v];
    if (v instanceof Map) return [...v.keys()];
    if (v instanceof Tensor) {
      // one tensor per row: as many objects as a list of that length
      if (v.rank > 0) checkLimit(this.rt.limits, 'maxSequenceLength', v.dims[0]!, pos ? `${at(pos)}: iterating over a Tensor` : 'iterating over a Tensor');
      return this.rt.callOp('aten::unbind', [v, 0n]) as TsValue[];
    }
    throw new ModelFormatError(`${pos ? `${at(pos)}: ` : ''}cannot iterate over a value of type ${typeName(v)}`);
  }

  private assign(t: Expr, v: TsValue, f: Frame): void {
    switch (t.kind) {
      case 'name': f.vars.set(t.id, v); return;
      case 'tuple': case 'list': {
        const items = v instanceof TsTuple ? v.items : this.iterate(v);
        if (items.length !== t.items.length) {
          throw new TorchScriptError(`ValueError: expected ${t.items.length} values to unpack, got ${items.length}`, 'builtins.ValueError');
        }
        for (let i = 0; i < items.length; i++) this.assign(t.items[i]!, items[i]!, f);
        return;
      }
      case 'attr': {
        const obj = this.evaluate(t.obj, f);
        if (!(obj instanceof TsObject)) throw new ModelFormatError(`cannot set attribute '${t.attr}' on a ${typeName(obj)}`);
        noteEscape(); // the value may outlive the call (ops/aten/slabs.ts)
        obj.attributes.set(t.attr, v);
        return;
      }
      case 'subscript':
        this.rt.callOp('aten::_set_item', [this.evaluate(t.obj, f), this.evaluate(t.index, f), v]);
        return;
      default:
        throw new ModelFormatError(`${t.pos.file}:${t.pos.line}:${t.pos.col}: cannot assign to a ${t.kind} expression`);
    }
  }

  evaluate(e: Expr, f: Frame): TsValue {
    if (e.kind === 'const') return e.value;
    if (e.kind === 'name') {
      const v = f.vars.get(e.id);
      if (v !== undefined) return v;
      if (f.vars.has(e.id)) return null;
      return this.rt.globalName(e.id, f.fn, e.pos);
    }
    this.enter(e.pos, 'expression');
    try {
      return this.compound(e, f);
    } finally {
      this.depth--;
    }
  }

  private compound(e: Expr, f: Frame): TsValue {
    switch (e.kind) {
      case 'const': return e.value;
      case 'name': return this.evaluate(e, f);
      case 'attr': return this.attr(e, f);
      case 'subscript': {
        const obj = this.evaluate(e.obj, f);
        if (e.index.kind === 'slice') {
          const sl = e.index;
          const part = (x: Expr | null): TsValue => (x ? this.evaluate(x, f) : null);
          return this.rt.callOp('aten::slice', [obj, part(sl.start), part(sl.stop), sl.step ? this.evaluate(sl.step, f) : 1n]);
        }
        return this.rt.callOp('aten::__getitem__', [obj, this.evaluate(e.index, f)]);
      }
      case 'slice': throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: a slice outside a subscript`);
      case 'call': return this.call(e, f);
      case 'tuple': return new TsTuple(this.evalItems(e.items, f));
      case 'list': return this.evalItems(e.items, f);
      case 'dict': {
        const m = new Map();
        e.keys.forEach((k, i) => this.rt.callOp('aten::_set_item', [m, this.evaluate(k, f), this.evaluate(e.values[i]!, f)]));
        return m;
      }
      case 'listcomp': case 'dictcomp': return this.comprehension(e, f);
      case 'unary': {
        const v = this.evaluate(e.operand, f);
        if (e.op === 'not') return !truthy(v);
        if (e.op === '+') return v;
        return this.rt.callOp(e.op === '-' ? 'aten::neg' : 'aten::bitwise_not', [v]);
      }
      case 'binary': {
        // `x + x + ... + x` parses to a left-deep tree as long as the source line: walk its left
        // spine with a loop (same order as recursion: left operand, right operand, operator).
        const spine: Extract<Expr, { kind: 'binary' }>[] = [];
        let node: Expr = e;
        while (node.kind === 'binary') { spine.push(node); node = node.left; }
        let v = this.evaluate(node, f);
        for (let i = spine.length - 1; i >= 0; i--) {
          const b = spine[i]!;
          v = this.rt.callOp(binaryOp(b.op, b.pos), [v, this.evaluate(b.right, f)]);
        }
        return v;
      }
      case 'boolop': {
        let v: TsValue = null;
        for (const x of e.values) {
          v = this.evaluate(x, f);
          if (e.op === 'and' ? !truthy(v) : truthy(v)) return v;
        }
        return v;
      }
      case 'compare': {
        let left = this.evaluate(e.operands[0]!, f);
        let result: TsValue = true;
        for (let i = 0; i < e.ops.length; i++) {
          const right = this.evaluate(e.operands[i + 1]!, f);
          const op = e.ops[i]!;
          if (op === 'in' || op === 'not in') {
            const r = truthy(this.rt.callOp('aten::__contains__', [right, left]));
            result = op === 'in' ? r : !r;
          } else {
            const name = COMPARE.get(op);
            if (name === undefined) throw new ModelFormatError(`${at(e.pos)}: unknown comparison '${op}'`);
            result = this.rt.callOp(name, [left, right]);
          }
          if (!(result instanceof Tensor) && !truthy(result)) return false;
          left = right;
        }
        return result;
      }
      case 'ifexp': return this.evaluate(truthy(this.evaluate(e.cond, f)) ? e.then : e.else, f);
      case 'type': throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: a type is not a value here`);
      case 'starred': throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: starred expression outside a call`);
    }
  }

  private evalItems(items: readonly Expr[], f: Frame): TsValue[] {
    return this.evalItemsInto([], items, f);
  }

  private evalItemsInto(out: TsValue[], items: readonly Expr[], f: Frame): TsValue[] {
    for (let i = 0; i < items.length; i++) {
      const x = items[i]!;
      if (x.kind === 'starred') for (const v of this.iterate(this.evaluate(x.value, f), x.pos)) out.push(v);
      else out.push(this.evaluate(x, f));
    }
    return out;
  }

  private comprehension(e: Extract<Expr, { kind: 'listcomp' | 'dictcomp' }>, f: Frame): TsValue {
    const items = this.iterate(this.evaluate(e.iter, f), e.iter.pos);
    const list: TsValue[] = [];
    const dict = new Map();
    let n = 0;
    for (const item of items) {
      this.iteration(++n, e.pos);
      this.assign(e.target, item, f);
      if (!e.conds.every((c) => truthy(this.evaluate(c, f)))) continue;
      if (e.kind === 'listcomp') list.push(this.evaluate(e.elt, f));
      else this.rt.callOp('aten::_set_item', [dict, this.evaluate(e.key, f), this.evaluate(e.value, f)]);
    }
    return e.kind === 'listcomp' ? list : dict;
  }

  private attr(e: Extract<Expr, { kind: 'attr' }>, f: Frame): TsValue {
    if (e.obj.kind === 'name') {
      // `self.conv`, `x.shape`: a local's attribute. `CONSTANTS.c0`, `torch.float32`: a constant,
      // looked up once per expression.
      if (!f.vars.has(e.obj.id)) {
        const hit = this.constantAttrs.get(e);
        if (hit !== undefined) return hit;
        const v = this.rt.qualifiedValue([e.obj.id, e.attr], e.pos);
        if (CONSTANT_ROOTS.has(e.obj.id)) this.constantAttrs.set(e, v);
        return v;
      }
    } else {
      const path = dottedPath(e);
      if (path && !f.vars.has(path[0]!)) return this.rt.qualifiedValue(path, e.pos);
    }
    const obj = this.evaluate(e.obj, f);
    return this.rt.getAttr(obj, e.attr, e.pos);
  }

  private evalKwargs(kwargs: readonly { name: string; value: Expr }[], f: Frame): Map<string, TsValue> {
    const m = new Map<string, TsValue>();
    for (let i = 0; i < kwargs.length; i++) m.set(kwargs[i]!.name, this.evaluate(kwargs[i]!.value, f));
    return m;
  }

  /**
   * `(bn).forward((conv).forward(x))` as one conv with the norm folded in, and
   * `(act).forward(<that, or a conv>)` as one conv with the activation in its epilogue, where the
   * modules are in the traced forms fuse-conv-bn.ts accepts and the norm is in eval mode;
   * undefined (nothing evaluated but module names) where they are not: the call runs as written.
   */
  private fusedConv(outer: TsObject, e: Extract<Expr, { kind: 'call' }>, f: Frame, site: SiteState): TsValue | undefined {
    if (e.args.length !== 1 || e.fn.kind !== 'attr') return undefined;
    const method = e.fn.attr;
    const outerFn = this.rt.classOf(outer.className).methods.get(method);
    if (outerFn === undefined) return undefined;
    const act = activationForm(outerFn);
    if (act === null) {
      // A norm over a conv; any other module (a conv alone included) runs as written.
      if (method !== 'forward' || batchNormForm(outerFn) === null) return undefined;
      const plan = this.convPlan(outer, e.args[0]!, f);
      return plan === null ? undefined : this.plainStage(plan, this.evaluate(plan.x, f), site, e.pos);
    }
    // An activation of a conv stage, or of a residual add whose first operand is one.
    const add = residualAdd(e.args[0]!);
    const stage = forwardCall(add === null ? e.args[0]! : add.first);
    const m = stage === null ? null : this.evaluate(stage.module, f);
    const plan = m instanceof TsObject ? this.convPlan(m, stage!.arg, f) : null;
    if (plan === null) return undefined;
    const x = this.evaluate(plan.x, f);
    const residual = add === null ? undefined : this.evaluate(add.other, f);
    const activation = this.activationOf(act, outerFn);
    const y = activation && (residual === undefined || residual instanceof Tensor)
      ? this.fusedStage(plan, x, { activation, ...(residual !== undefined ? { residual } : {}) }) : null;
    if (y) return y;
    // Declined after x was computed: the conv (its norm folded, if any), the add, then the activation as written.
    let c = this.plainStage(plan, x, site, e.pos);
    if (add !== null) c = this.rt.callOp(add.op, [c, residual!], undefined, undefined, e.pos);
    return this.rt.callMethod(outer, method, [c]);
  }

  /**
   * What runs a conv stage: `module` in the traced conv form (its weight and bias, input `arg`),
   * or an eval-mode norm in the traced form whose `arg` is such a conv's forward call (the
   * weights folded, input that call's argument); null for anything else.
   */
  private convPlan(module: TsObject, arg: Expr, f: Frame): ConvPlan | null {
    const attr = (o: TsObject, name: string | null): TsValue => (name === null ? null : o.attributes.get(name) ?? null);
    const fn = this.rt.classOf(module.className).methods.get('forward');
    if (fn === undefined) return null;
    const cf = convForm(fn);
    if (cf !== null) return { x: arg, weight: attr(module, cf.weight), bias: attr(module, cf.bias), form: cf, fn };
    const bf = batchNormForm(fn);
    const inner = forwardCall(arg);
    if (bf === null || inner === null || module.attributes.get('training') !== false) return null;
    const conv = this.evaluate(inner.module, f);
    if (!(conv instanceof TsObject)) return null;
    const convFn = this.rt.classOf(conv.className).methods.get('forward');
    const inForm = convFn && convForm(convFn);
    if (!convFn || !inForm) return null;
    let eps = this.formConstants.get(bf) as TsValue | undefined;
    if (eps === undefined) this.formConstants.set(bf, eps = this.rt.constantExpr(bf.eps, fn));
    const folded = foldBatchNormIntoConv(
      attr(conv, inForm.weight), attr(conv, inForm.bias), attr(module, bf.weight), attr(module, bf.bias), attr(module, bf.mean), attr(module, bf.variance), eps,
    );
    return folded === null ? null : { x: inner.arg, weight: folded.weight, bias: folded.bias, form: inForm, fn: convFn };
  }

  /** A conv form's constant arguments, evaluated once, and what they say as ConvArgs (null where they do not parse). */
  private stageArgs(plan: ConvPlan): { readonly rest: readonly TsValue[]; readonly args: ConvArgs | null } {
    let held = this.formConstants.get(plan.form) as { rest: readonly TsValue[]; args: ConvArgs | null } | undefined;
    if (held === undefined) {
      const rest = plan.form.rest.map((r) => this.rt.constantExpr(r, plan.fn));
      this.formConstants.set(plan.form, held = { rest, args: convArgsOf(plan.form.op, rest) });
    }
    return held;
  }

  /** The conv stage with `fusion` in its epilogue, or null where the float32 kernel does not take it. */
  private fusedStage(plan: ConvPlan, x: TsValue, fusion: ConvFusion): Tensor | null {
    const { args } = this.stageArgs(plan);
    if (args === null || !(x instanceof Tensor) || !(plan.weight instanceof Tensor) || !(plan.bias === null || plan.bias instanceof Tensor)) return null;
    return convolutionFused(x, plan.weight, plan.bias, args, fusion, plan.form.op);
  }

  /** The conv stage as its op call (weights folded, if a norm was). */
  private plainStage(plan: ConvPlan, x: TsValue, site: SiteState, pos: Pos): TsValue {
    site.fusedConv ??= overloadCache();
    return this.rt.callOp(plan.form.op, [x, plan.weight, plan.bias, ...this.stageArgs(plan).rest], undefined, site.fusedConv, pos);
  }

  /**
   * `torch.add_(<a conv stage>, r)` (or add): the conv with `r` added in its epilogue, where the
   * first operand is a conv, or a norm of a conv, in the traced forms (a temporary nothing else
   * reads, so adding into it in place or not is the same); undefined (nothing evaluated but module
   * names) otherwise. Evaluated in the order written: the conv's input, then r.
   */
  private residualConv(e: Extract<Expr, { kind: 'call' }>, f: Frame, site: SiteState): TsValue | undefined {
    const first = forwardCall(e.args[0]!);
    if (first === null) return undefined;
    const m = this.evaluate(first.module, f);
    const plan = m instanceof TsObject ? this.convPlan(m, first.arg, f) : null;
    if (plan === null) return undefined;
    const x = this.evaluate(plan.x, f);
    const residual = this.evaluate(e.args[1]!, f);
    const y = residual instanceof Tensor ? this.fusedStage(plan, x, { residual }) : null;
    if (y) return y;
    const c = this.plainStage(plan, x, site, e.pos);
    return this.rt.callOp((site.callee as { name: string }).name, [c, residual], undefined, site.overloads, e.pos);
  }

  /** The epilogue activation of an activation module's op (its bounds evaluated once), or null where the kernels have none. */
  private activationOf(a: ActivationForm, fn: FunctionDef): GemmActivation | null {
    if (this.formConstants.has(a)) return this.formConstants.get(a) as GemmActivation | null;
    const base = a.op.replace(/_$/, '');
    let act: GemmActivation | null;
    if (base === 'aten::relu') act = { kind: 'relu' };
    else if (base === 'aten::silu') act = { kind: 'silu' };
    else if (base === 'aten::sigmoid') act = { kind: 'sigmoid' };
    else if (base === 'aten::hardswish') act = { kind: 'hardswish' };
    else if (base === 'aten::hardsigmoid') act = { kind: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 };
    else {
      const [lo, hi] = a.args.map((x) => this.rt.constantExpr(x, fn));
      const num = (v: TsValue) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number.NaN);
      const min = Math.fround(num(lo!)), max = Math.fround(num(hi!));
      act = Number.isNaN(min) || Number.isNaN(max) || min > max ? null : { kind: 'clip', min, max };
    }
    this.formConstants.set(a, act);
    return act;
  }

  private call(e: Extract<Expr, { kind: 'call' }>, f: Frame): TsValue {
    let site = e.site.resolved as SiteState | undefined;
    if (site === undefined) e.site.resolved = site = { callee: undefined, overloads: overloadCache() };
    let callee = site.callee;
    if (!callee) {
      // `(conv).forward(x)`, `x.view(...)`: a method of a local, without building its dotted path.
      callee = e.fn.kind === 'attr' && e.fn.obj.kind === 'name' && f.vars.has(e.fn.obj.id)
        ? METHOD
        : resolveCallee(e, (id) => f.vars.has(id), this.rt);
      if (callee.kind !== 'method' && callee.kind !== 'local') site.callee = callee;
    }
    if (callee.kind === 'special') return this.rt.special(callee.name, e, f, this);
    if (callee.kind === 'op' && RESIDUAL_ADDS.has(callee.name) && this.rt.fuseAttention && e.args.length === 2 && e.kwargs.length === 0) {
      const fused = this.residualConv(e, f, site);
      if (fused !== undefined) return fused;
    }
    const args = callee.kind === 'method' ? NO_ARGS : this.evalItems(e.args, f);
    const kwargs = e.kwargs.length ? this.evalKwargs(e.kwargs, f) : undefined;
    switch (callee.kind) {
      case 'op': return this.rt.callOp(callee.name, args, kwargs, site.overloads, e.pos);
      case 'function': return this.rt.callFunction(callee.fn, args, kwargs);
      case 'class': return this.rt.construct(callee.qualifiedName, args, kwargs);
      case 'new': return new TsObject(callee.qualifiedName);
      case 'local': {
        const v = f.vars.get(callee.id) as unknown;
        if (v instanceof FunctionRef) return this.rt.callFunction(v.fn, args, kwargs);
        throw new ModelFormatError(`${e.pos.file}:${e.pos.line}:${e.pos.col}: '${callee.id}' is a ${typeName(v as TsValue)}, not a function`);
      }
      case 'method': {
        if (e.fn.kind !== 'attr') throw new ModelFormatError('bad method call');
        const obj = this.evaluate(e.fn.obj, f);
        if (obj instanceof TsObject) {
          if (this.rt.fuseAttention && e.fn.attr.startsWith('forward') && kwargs === undefined) {
            const fused = this.fusedConv(obj, e, f, site);
            if (fused !== undefined) return fused;
          }
          return this.rt.callMethod(obj, e.fn.attr, this.evalItems(e.args, f), kwargs);
        }
        if (obj instanceof TsDevice) throw new ModelFormatError(`Device has no method '${e.fn.attr}'`);
        const margs: TsValue[] = [obj];
        this.evalItemsInto(margs, e.args, f);
        return this.rt.callOp(site.methodOp ??= `aten::${e.fn.attr}`, margs, kwargs, site.overloads, e.pos);
      }
    }
  }
}
