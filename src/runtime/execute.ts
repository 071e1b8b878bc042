// Execution: walk a plan's steps over a scope of values, releasing each value after its last reader.
// A run is held to its limits: before a node's kernel runs, its output shapes are inferred from
// the actual inputs and checked against maxTensorElements and maxMemoryBytes (with the bytes
// already live); the run's control is polled between nodes (cancellation, deadline).

import type { InferContext, InferInput, OpContext } from '../../ops/op-def.js';
import { DATA_TYPES, isIntegerType, withElementCap, withStoragePool } from '../dtypes.js';
import { ExecutionError, InvalidNodeError, ResourceLimitError, TesseraError } from '../errors.js';
import { type Graph, type ValueType, describeNode } from '../ir/graph.js';
import { densify } from '../ir/sparse.js';
import { type RunControl, uncontrolled } from '../run-control.js';
import { Tensor } from '../tensor.js';
import type { Value } from '../value.js';
import type { StorageArena } from './arena.js';
import type { GraphPlan, Step } from './plan.js';
import type { Profiler } from './profile.js';
import { ResidentTensor } from './resident-tensor.js';

/**
 * Values visible to a graph: its own, then its initializers (a map shared by every run, not
 * copied into each), then its enclosing graphs'. A feed of the same name as an initializer is
 * one of its own values, so it wins.
 */
export class Scope {
  private readonly values = new Map<string, Value>();
  constructor(private readonly parent?: Scope, private readonly constants?: ReadonlyMap<string, Value>) {}

  get(name: string): Value | undefined {
    // Values are never stored as undefined, so one lookup tells present from absent.
    const v = this.values.get(name);
    if (v !== undefined) return v;
    const c = this.constants?.get(name);
    if (c !== undefined) return c;
    return this.parent?.get(name);
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  set(name: string, v: Value): void {
    this.values.set(name, v);
  }
  /** The value's last reader ran (an initializer stays in the shared map: nothing reads it again). */
  delete(name: string): void {
    this.values.delete(name);
  }
}

/** One run: its control (limits, signal, deadline) and the bytes it holds now. */
export interface RunState {
  readonly control: RunControl;
  /** Weights plus the activations computed and not yet released. */
  liveBytes: number;
  /** Set while the session profiles: the top-level steps' times, and the peak of liveBytes. */
  profile?: { readonly profiler: Profiler; readonly top: GraphPlan };
  /** The session's activation arena, when the top-level plan can use one (see usesArena). */
  readonly arena?: StorageArena;
  /** The plan the arena serves: steps of other graphs do not report to it. */
  readonly arenaPlan?: GraphPlan;
}

/**
 * Whether a plan's values can live in an arena: every step is a built-in op on this graph's
 * values (no subgraphs, model-local functions or inlined graphs, through which a value could be
 * held where the executor does not see it).
 */
export function usesArena(plan: GraphPlan): boolean {
  return plan.subplans.size === 0 && plan.steps.every((s) => s.def !== undefined);
}

/**
 * Ops whose outputs are never views of their inputs (fresh arrays, or an input itself, which
 * the arena counts): the arena skips the view check (which reads `.buffer`) after them.
 */
const FRESH_OUTPUT_OPS = new Set([
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Relu', 'Sigmoid', 'Tanh', 'Clip',
  'Erf', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'MaxPool', 'AveragePool', 'GlobalAveragePool',
  'GlobalMaxPool', 'BatchNormalization', 'LayerNormalization', 'Softmax', 'LogSoftmax', 'Gelu', 'HardSwish',
  'HardSigmoid', 'LeakyRelu', 'Elu', 'Selu', 'Softplus', 'Shape', 'Size', 'Where', 'Equal', 'Less', 'Greater',
  'Not', 'And', 'Or', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ConstantOfShape', 'Range', 'Cast',
  'Concat', 'Transpose', 'Expand', 'Tile', 'Pad', 'Resize', 'Constant', 'Attention',
]);

/** Runs a whole plan under `control`: allocations are capped by its maxTensorElements meanwhile. */
export function executeRun(
  plan: GraphPlan, inputs: ReadonlyMap<string, Value>, control: RunControl, weightBytes = 0, profiler?: Profiler,
  arena?: StorageArena,
): Value[] {
  const pooled = arena !== undefined && usesArena(plan) ? arena : undefined;
  const run: RunState = {
    control, liveBytes: weightBytes,
    ...(profiler ? { profile: { profiler, top: plan } } : {}),
    ...(pooled ? { arena: pooled, arenaPlan: plan } : {}),
  };
  if (profiler) {
    profiler.runs++;
    profiler.peakBytes = Math.max(profiler.peakBytes, weightBytes);
  }
  control.pollNow(`graph '${plan.graph.name}'`);
  try {
    const outputs = withElementCap(control.limits.maxTensorElements, () => withStoragePool(pooled, () => executeGraph(plan, inputs, undefined, run)));
    return pooled === undefined ? outputs : pooled.detach(outputs);
  } finally {
    pooled?.endRun();
  }
}

/** Runs `plan` with `inputs` bound to the graph's inputs, in order; returns the graph outputs. */
export function executeGraph(
  plan: GraphPlan, inputs: ReadonlyMap<string, Value>, parent?: Scope, run: RunState = { control: uncontrolled(), liveBytes: 0 },
): Value[] {
  const { graph } = plan;
  const scope = new Scope(parent, graph.initializers);
  // Bytes of the values this graph computed and still holds, by name.
  const held = new Map<string, number>();
  try {
    for (const [k, sp] of graph.sparseInitializers) {
      const where = `graph '${graph.name}': sparse initializer '${k}'`;
      const n = sp.dims.reduce((a, b) => a * b, 1);
      run.control.check('maxTensorElements', n, where);
      const t = densify(sp, where);
      hold(run, held, k, tensorBytes(t), where);
      scope.set(k, t);
    }
    for (const [k, v] of inputs) scope.set(k, v);
    if (run.profile?.top === plan) {
      for (const step of plan.steps) profiledStep(plan, step, scope, run, held, run.profile.profiler);
    } else {
      for (const step of plan.steps) runStep(plan, step, scope, run, held);
    }
    return graph.outputs.map((o) => {
      if (!scope.has(o.name)) throw new ExecutionError(`graph '${graph.name}': output '${o.name}' was not computed`);
      return scope.get(o.name)!;
    });
  } finally {
    for (const b of held.values()) run.liveBytes -= b;
  }
}

function profiledStep(plan: GraphPlan, step: Step, scope: Scope, run: RunState, held: Map<string, number>, profiler: Profiler): void {
  const { node } = step;
  const fused = (step.attrs as { activation?: { kind: string } } | undefined)?.activation;
  const p = profiler.node(step, node.name || node.outputs[0] || node.opType, fused ? `${node.opType}+${fused.kind}` : node.opType);
  const t0 = performance.now();
  runStep(plan, step, scope, run, held);
  p.ms += performance.now() - t0;
  p.calls++;
  const out = node.outputs[0] ? scope.get(node.outputs[0]) : undefined;
  p.shape = out instanceof Tensor ? out.dims : [];
  if (run.liveBytes > profiler.peakBytes) profiler.peakBytes = run.liveBytes;
}

/** Bytes a tensor's storage takes (strings: a rough 16 per element; a value on the GPU: its float32s, not read back). */
export function tensorBytes(t: Tensor): number {
  if (t instanceof ResidentTensor) return t.size * 4;
  const d = t.data;
  return Array.isArray(d) ? d.length * 16 : d.byteLength;
}

function hold(run: RunState, held: Map<string, number>, name: string, bytes: number, where: string): void {
  held.set(name, (held.get(name) ?? 0) + bytes);
  run.liveBytes += bytes;
  if (run.profile && run.liveBytes > run.profile.profiler.peakBytes) run.profile.profiler.peakBytes = run.liveBytes;
  const max = run.control.limits.maxMemoryBytes;
  if (run.liveBytes > max) {
    throw new ResourceLimitError(
      `${where}: '${name}' brings the run to ${run.liveBytes} bytes, over the limit maxMemoryBytes = ${max}`,
      'maxMemoryBytes', run.liveBytes, max,
    );
  }
}

/**
 * The OpContext of one step of one run. A class, not an object literal with a closure: a step
 * then costs one small allocation, not a closure and its context (the executor's own overhead
 * is most of the time of small sequence models).
 */
class StepContext implements OpContext {
  readonly node: Step['node'];
  readonly opset: number;
  readonly control: RunControl;
  readonly memo: Step['memo'];
  readonly isConstant: Step['isConstant'];
  constructor(step: Step, private readonly plan: GraphPlan, private readonly scope: Scope, private readonly run: RunState) {
    this.node = step.node;
    this.opset = step.opset;
    this.control = run.control;
    this.memo = step.memo;
    this.isConstant = step.isConstant;
  }

  runSubgraph(g: Graph, subInputs: readonly Value[]): Value[] {
    const sub = this.plan.subplans.get(g);
    if (!sub) throw new ExecutionError(`${describeNode(this.node)}: subgraph '${g.name}' was not planned`);
    const feeds = new Map<string, Value>();
    g.inputs.forEach((inp, i) => {
      const v = subInputs[i];
      if (v !== undefined) feeds.set(inp.name, v);
    });
    return executeGraph(sub, feeds, this.scope, this.run);
  }
}

function runStep(plan: GraphPlan, step: Step, scope: Scope, run: RunState, held: Map<string, number>): void {
  const { node } = step;
  const names = node.inputs;
  const inputs: (Value | undefined)[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === '') continue;
    const v = scope.get(name);
    if (v === undefined) throw new ExecutionError(`${describeNode(node)}: input '${name}' has no value`);
    inputs[i] = v;
  }
  let outputs: Value[];
  try {
    run.control.pollNow(step.where ?? describeNode(node)); // nodes may be long: read the clock at each (only with a deadline)
    if (step.inline) {
      outputs = executeGraph(step.inline, new Map(), scope, run);
    } else if (step.fn) {
      const feeds = new Map<string, Value>();
      step.fn.graph.inputs.forEach((inp, i) => {
        const v = inputs[i];
        if (v !== undefined) feeds.set(inp.name, v);
      });
      outputs = executeGraph(step.fn, feeds, undefined, run);
    } else {
      const def = step.def!;
      if (!def.values) {
        for (let i = 0; i < inputs.length; i++) {
          const v = inputs[i];
          if (v !== undefined && !(v instanceof Tensor)) {
            throw new InvalidNodeError(`input ${i} ('${node.inputs[i]}') must be a tensor, got a ${v === null ? 'none optional' : 'sequence'}`);
          }
        }
      }
      if (step.checkSizes) checkOutputSizes(step, inputs, run);
      const ctx: OpContext = new StepContext(step, plan, scope, run);
      outputs = def.run(inputs as (Tensor | undefined)[], step.attrs, ctx);
    }
    const outNames = node.outputs;
    let named = true;
    for (let i = 0; i < outNames.length; i++) {
      const name = outNames[i];
      if (!name) {
        named = false;
        continue;
      }
      const v = outputs[i];
      if (v === undefined) throw new ExecutionError(`did not produce output ${i} ('${name}')`);
      scope.set(name, v);
      if (v instanceof Tensor && !sharesStorage(v, inputs)) hold(run, held, name, tensorBytes(v), `output ${i}`);
    }
    if (run.arenaPlan === plan) {
      run.arena!.holdOutputs(named && outputs.length === outNames.length ? outputs : outputs.filter((_, i) => outNames[i]), inputs, !FRESH_OUTPUT_OPS.has(node.opType));
    }
  } catch (e) {
    if (e instanceof TesseraError) {
      if (!e.message.includes(describeNode(node))) e.message = `${describeNode(node)}: ${e.message}`;
      throw e;
    }
    throw new ExecutionError(`${describeNode(node)}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  const release = step.release;
  if (release.length === 0) return;
  const arena = run.arenaPlan === plan ? run.arena : undefined;
  for (const r of release) {
    if (arena) arena.release(scope.get(r));
    scope.delete(r);
    const b = held.get(r);
    if (b !== undefined) {
      run.liveBytes -= b;
      held.delete(r);
    }
  }
}

/**
 * Whether `t` holds one of the inputs' storage (Identity, Reshape and friends return the same
 * array). Compared by identity: reading a small typed array's `.buffer` would make V8 move it
 * off the heap, which costs more than the node itself.
 */
function sharesStorage(t: Tensor, inputs: readonly (Value | undefined)[]): boolean {
  // A value on the GPU is compared by its texture (Identity returns its input, Reshape a view of it), never read back here.
  if (t instanceof ResidentTensor) return inputs.some((v) => t.sharesBuffer(v));
  const d = t.data;
  for (const v of inputs) if (v instanceof Tensor && (!(v instanceof ResidentTensor) || v.onCpu) && v.data === d) return true;
  return false;
}

// ---- output sizes before the kernel ----

/** Inputs this small are handed to inference with their values (shape tensors, scalars, pads). */
const VALUE_LIMIT = 64;
/**
 * Ops whose output sizes depend on the values of float inputs (Range's bounds, Resize's scales,
 * OneHot's depth). Other ops only see the values of integer inputs: a float activation's values
 * never change a shape, and leaving them out lets a prediction be reused while they change.
 */
const FLOAT_SIZE_INPUTS = new Set(['Range', 'Resize', 'Upsample', 'OneHot']);
const UNKNOWN: ValueType = Object.freeze({ kind: 'unknown' });

/** Whether inference gets `v`'s value for this op. */
function valueMatters(v: Tensor, floatsToo: boolean): boolean {
  if (v.dims.length > 1 || v.size > VALUE_LIMIT || v.type === 'string') return false;
  return floatsToo || isIntegerType(v.type) || v.type === 'bool';
}

function inferInputOf(v: Value | undefined, floatsToo: boolean): InferInput | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof Tensor)) return { type: UNKNOWN };
  const type: ValueType = { kind: 'tensor', elemType: v.type, shape: v.dims };
  return valueMatters(v, floatsToo) ? { type, value: v } : { type };
}

/**
 * What inference predicted for a step's outputs, and the inputs it predicted it from: a step run
 * again with inputs of the same types, dims and small values (every Loop iteration, every run of
 * a fixed-shape model) reuses it instead of inferring again.
 */
interface SizePrediction {
  /** Per input: its type, dims and (when inference saw it) small value; null for a non-tensor. */
  readonly inputs: readonly (InputSignature | null | undefined)[];
  /** Elements per output, NaN where unknown. */
  readonly elements: readonly number[];
  readonly bytes: readonly number[];
  readonly shapes: readonly string[];
}

/** Copies, not the tensors: a cached prediction must not keep activations alive. */
interface InputSignature {
  readonly type: string;
  readonly dims: readonly number[];
  readonly value?: readonly (number | bigint)[];
}

const predictions = new WeakMap<Step, SizePrediction>();

function signatureOf(v: Value | undefined, floatsToo: boolean): InputSignature | null | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof Tensor)) return null;
  const value = valueMatters(v, floatsToo) ? Array.from(v.data as ArrayLike<number | bigint>) : undefined;
  return { type: v.type, dims: v.dims, value };
}

function sameInputs(sigs: readonly (InputSignature | null | undefined)[], inputs: readonly (Value | undefined)[]): boolean {
  if (sigs.length !== inputs.length) return false;
  for (let i = 0; i < sigs.length; i++) {
    const s = sigs[i];
    const v = inputs[i];
    if (s === undefined && v === undefined) continue;
    if (!s || !(v instanceof Tensor) || s.type !== v.type) return false;
    const d = v.dims;
    if (d.length !== s.dims.length) return false;
    for (let k = 0; k < d.length; k++) if (d[k] !== s.dims[k]) return false;
    if (s.value) {
      // Its value took part in the prediction (a shape, a count, pads): it must match too.
      const data = v.data as ArrayLike<number | bigint>;
      for (let k = 0; k < s.value.length; k++) if (data[k] !== s.value[k]) return false;
    }
  }
  return true;
}

function predict(step: Step, inputs: readonly (Value | undefined)[]): SizePrediction | undefined {
  const cached = predictions.get(step);
  if (cached && sameInputs(cached.inputs, inputs)) return cached;
  const { node } = step;
  const floatsToo = FLOAT_SIZE_INPUTS.has(node.opType);
  let types: (ValueType | undefined)[];
  try {
    const ctx: InferContext = { node, opset: step.opset, inferSubgraph: (g) => g.outputs.map(() => undefined), dataDim: (l) => l };
    types = step.def!.infer!(inputs.map((v) => inferInputOf(v, floatsToo)), step.attrs, ctx);
  } catch {
    return undefined;
  }
  const elements: number[] = [];
  const bytes: number[] = [];
  const shapes: string[] = [];
  for (let i = 0; i < node.outputs.length; i++) {
    const t = types[i];
    let n = NaN;
    if (t?.kind === 'tensor' && t.shape) {
      n = 1;
      for (const d of t.shape) n *= typeof d === 'number' ? d : NaN;
      shapes.push(`${t.elemType ?? '?'}[${t.shape.join(', ')}]`);
    } else shapes.push('?');
    elements.push(n);
    bytes.push(n * (t?.kind === 'tensor' && t.elemType ? DATA_TYPES[t.elemType].bytes || 16 : 4));
  }
  const p: SizePrediction = { inputs: inputs.map((v) => signatureOf(v, floatsToo)), elements, bytes, shapes };
  predictions.set(step, p);
  return p;
}

/**
 * Infers the step's output shapes from its actual inputs (values of small inputs included, so
 * ConstantOfShape/Expand/Tile/Range targets are known) and refuses outputs over the limits,
 * before the kernel allocates them. An op whose inference fails is left to its kernel.
 */
function checkOutputSizes(step: Step, inputs: readonly (Value | undefined)[], run: RunState): void {
  const p = predict(step, inputs);
  if (!p) return;
  const { node } = step;
  const { maxTensorElements, maxMemoryBytes } = run.control.limits;
  let bytes = 0;
  for (let i = 0; i < p.elements.length; i++) {
    const n = p.elements[i]!;
    if (!(n >= 0)) continue;
    if (n > maxTensorElements) {
      throw new ResourceLimitError(
        `${describeNode(node)}: output ${i} ('${node.outputs[i]}') would hold ${n} elements ` +
          `(${p.shapes[i]}), over the limit maxTensorElements = ${maxTensorElements}`,
        'maxTensorElements', n, maxTensorElements,
      );
    }
    bytes += p.bytes[i]!;
    if (run.liveBytes + bytes > maxMemoryBytes) {
      throw new ResourceLimitError(
        `${describeNode(node)}: output ${i} ('${node.outputs[i]}') would need ${bytes} bytes with ${run.liveBytes} ` +
          `already held, over the limit maxMemoryBytes = ${maxMemoryBytes}`,
        'maxMemoryBytes', run.liveBytes + bytes, maxMemoryBytes,
      );
    }
  }
}
