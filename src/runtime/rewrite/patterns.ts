// Decompositions exporters write for ops tessera has one kernel for, recognised and replaced by
// one step of that op (built-in definition, whatever opset the model imports):
//
//  - Gelu (exact): 0.5 * x * (1 + Erf(x / sqrt 2)), as PyTorch writes nn.GELU before opset 20:
//    Div(x, 1.4142135) or Mul(x, 0.70710677) -> Erf -> Add 1 -> Mul with x -> Mul 0.5 (the
//    three factors in any grouping). Fused afterwards into a MatMul/Gemm/Conv before it.
//    The fused Gelu computes 0.5 v (1 + erf(v / sqrt 2)) in float64 and rounds once; the
//    decomposition rounds after each of its five nodes: they differ by at most ~4 ulp of the result
//    (plus the float32 rounding of sqrt 2, a relative 3e-8 in the Erf argument).
//  - LayerNormalization: ReduceMean -> Sub -> Pow 2 -> ReduceMean -> Add eps -> Sqrt -> Div ->
//    Mul scale [-> Add bias], PyTorch's nn.LayerNorm at opsets 13 to 16, over trailing axes.
//    The kernel keeps the mean and variance in float64 where the decomposition rounds each node
//    to float32: outputs differ by a few ulp of |scale| * |x - mean| / sigma, more where the
//    decomposition loses digits (|mean| >> sigma), where the kernel is the more accurate.
//
// Every intermediate value must be read only inside the pattern and be no graph output, and
// every value float32 (the kernels' bound above is for float32).

import { onnxOps } from '../../../ops/onnx/index.js';
import { type OpDef } from '../../../ops/op-def.js';
import { Attrs } from '../../../ops/attrs.js';
import type { Attribute, Node } from '../../ir/graph.js';
import type { Step } from '../plan.js';
import { type RewriteContext, StepEdits, StepIndex, float32Dims, isFloat32, isOp, otherOperand, scalarOf } from './context.js';

/** The newest built-in definition of a default-domain op. */
function builtin(name: string): OpDef {
  let best: OpDef | undefined;
  for (const d of onnxOps) if (d.name === name && !d.domain && (!best || d.since > best.since)) best = d;
  if (!best) throw new Error(`no built-in op ${name}`);
  return best;
}

/** A new step running `opType` (built-in) at its own opset, with `attributes`. */
function opStep(opType: string, name: string, inputs: string[], outputs: string[], attributes: Map<string, Attribute>): Step {
  const def = builtin(opType);
  const node: Node = { name, domain: '', opType, inputs, outputs, attributes };
  return {
    node, opset: def.since, def, attrs: def.parse ? def.parse(new Attrs(attributes), node) : undefined,
    release: [], checkSizes: def.infer !== undefined, memo: {},
  };
}

interface Match { readonly at: number; readonly step: Step; readonly drop: readonly number[] }

export function recognisePatterns(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const edits = new StepEdits();
  steps.forEach((s, i) => {
    const m = isOp(s, 'Erf') ? geluAt(ctx, steps, index, i) : isOp(s, 'ReduceMean') ? layerNormAt(ctx, steps, index, i) : undefined;
    if (!m || edits.touched(m.at, ...m.drop)) return;
    edits.replace(m.at, m.step);
    edits.remove(...m.drop.filter((j) => j !== m.at));
  });
  return edits.size === 0 ? [...steps] : edits.apply(steps);
}

const near = (v: number | undefined, want: number): boolean => v !== undefined && Math.abs(v - want) <= 1e-6 * Math.abs(want);

/** The one reader of `name` when it is a `opType` step, with the other operand of a binary node. */
function readBy(steps: readonly Step[], index: StepIndex, name: string, opType: string): { at: number; other: string } | undefined {
  const at = index.onlyReader(name);
  const s = at === undefined ? undefined : steps[at];
  if (at === undefined || !isOp(s, opType) || s.node.outputs.length !== 1) return undefined;
  const other = otherOperand(s.node, name);
  return other === undefined ? undefined : { at, other };
}

function geluAt(ctx: RewriteContext, steps: readonly Step[], index: StepIndex, erfAt: number): Match | undefined {
  const erf = steps[erfAt]!;
  const d = erf.node.inputs[0]!;
  const di = index.producer.get(d);
  const div = di === undefined ? undefined : steps[di];
  if (di === undefined || index.onlyReader(d) !== erfAt || !div) return undefined;
  let x: string | undefined;
  if (isOp(div, 'Div') && near(scalarOf(ctx, div.node.inputs[1]), Math.SQRT2)) x = div.node.inputs[0];
  else if (isOp(div, 'Mul')) {
    const [a, b] = div.node.inputs as [string, string];
    x = near(scalarOf(ctx, b), Math.SQRT1_2) ? a : near(scalarOf(ctx, a), Math.SQRT1_2) ? b : undefined;
  }
  if (x === undefined || !isFloat32(ctx, x) || ctx.constants.has(x)) return undefined;
  const add = readBy(steps, index, erf.node.outputs[0]!, 'Add');
  if (!add || scalarOf(ctx, add.other) !== 1) return undefined;
  const m1 = readBy(steps, index, steps[add.at]!.node.outputs[0]!, 'Mul');
  if (!m1) return undefined;
  const half = (name: string) => scalarOf(ctx, name) === 0.5;
  let last: number | undefined;
  let extra: number | undefined;
  if (m1.other === x) {
    // (x * (1 + erf)) * 0.5
    const m2 = readBy(steps, index, steps[m1.at]!.node.outputs[0]!, 'Mul');
    if (m2 && half(m2.other)) last = m2.at;
  } else if (half(m1.other)) {
    // x * ((1 + erf) * 0.5)
    const m2 = readBy(steps, index, steps[m1.at]!.node.outputs[0]!, 'Mul');
    if (m2 && m2.other === x) last = m2.at;
  } else {
    // (x * 0.5) * (1 + erf)
    const ti = index.producer.get(m1.other);
    const t = ti === undefined ? undefined : steps[ti];
    if (ti !== undefined && isOp(t, 'Mul') && index.onlyReader(m1.other) === m1.at && otherOperand(t.node, x) !== undefined
      && half(otherOperand(t.node, x)!)) {
      last = m1.at;
      extra = ti;
    }
  }
  if (last === undefined) return undefined;
  const out = steps[last]!.node.outputs[0]!;
  if (!isFloat32(ctx, out)) return undefined;
  const drop = [di, erfAt, add.at, m1.at, last, ...(extra === undefined ? [] : [extra])];
  return { at: last, step: opStep('Gelu', `${steps[last]!.node.name || out} (Gelu)`, [x], [out], new Map()), drop };
}

/** The reduced axes of a ReduceMean step (keepdims 1), normalised to `rank`, or undefined. */
function meanAxes(ctx: RewriteContext, s: Step, rank: number): number[] | undefined {
  const a = s.attrs as { axes: readonly number[] | null; keepdims: boolean; noopWithEmptyAxes: boolean } | undefined;
  if (!a?.keepdims) return undefined;
  let axes = a.axes;
  if (axes === null) {
    const t = s.node.inputs[1] ? ctx.constants.get(s.node.inputs[1]) : undefined;
    if (!t) return undefined;
    axes = t.toNumbers();
  }
  if (axes.length === 0) return undefined;
  const norm = axes.map((v) => (v < 0 ? v + rank : v)).sort((p, q) => p - q);
  return norm.every((v, i) => v === rank - norm.length + i) ? norm : undefined;
}

function layerNormAt(ctx: RewriteContext, steps: readonly Step[], index: StepIndex, meanAt: number): Match | undefined {
  const mean = steps[meanAt]!;
  const x = mean.node.inputs[0]!;
  const xDims = float32Dims(ctx, x);
  const axes = xDims && meanAxes(ctx, mean, xDims.length);
  if (!xDims || !axes) return undefined;
  // Sub(x, mean) -> d, read by Pow(d, 2) and Div(d, s).
  const subAt = index.onlyReader(mean.node.outputs[0]!);
  const sub = subAt === undefined ? undefined : steps[subAt];
  if (subAt === undefined || !isOp(sub, 'Sub') || sub.node.inputs[0] !== x || sub.node.inputs[1] !== mean.node.outputs[0]) return undefined;
  const d = sub.node.outputs[0]!;
  const dReaders = index.readers.get(d) ?? [];
  if (ctx.outputs.has(d) || dReaders.length !== 2) return undefined;
  const powAt = dReaders.find((j) => isOp(steps[j], 'Pow'));
  const divAt = dReaders.find((j) => isOp(steps[j], 'Div'));
  if (powAt === undefined || divAt === undefined) return undefined;
  const pow = steps[powAt]!;
  const div = steps[divAt]!;
  if (pow.node.inputs[0] !== d || scalarOf(ctx, pow.node.inputs[1]) !== 2 || div.node.inputs[0] !== d) return undefined;
  // ReduceMean(p) -> Add eps -> Sqrt -> the Div's denominator.
  const varAt = index.onlyReader(pow.node.outputs[0]!);
  const variance = varAt === undefined ? undefined : steps[varAt];
  if (varAt === undefined || !isOp(variance, 'ReduceMean') || variance.node.inputs[0] !== pow.node.outputs[0]) return undefined;
  const vAxes = meanAxes(ctx, variance, xDims.length);
  if (!vAxes || vAxes.join() !== axes.join()) return undefined;
  const addEps = readBy(steps, index, variance.node.outputs[0]!, 'Add');
  const epsilon = addEps && scalarOf(ctx, addEps.other);
  if (!addEps || epsilon === undefined || !(epsilon >= 0)) return undefined;
  const sqrtAt = index.onlyReader(steps[addEps.at]!.node.outputs[0]!);
  const sqrt = sqrtAt === undefined ? undefined : steps[sqrtAt];
  if (sqrtAt === undefined || !isOp(sqrt, 'Sqrt') || index.onlyReader(sqrt.node.outputs[0]!) !== divAt) return undefined;
  if (div.node.inputs[1] !== sqrt.node.outputs[0]) return undefined;
  // Mul scale [-> Add bias], each a constant over the normalised axes.
  const tail = xDims.slice(axes[0]);
  const param = (name: string) => {
    const t = ctx.constants.get(name);
    return t?.type === 'float32' && t.dims.length <= tail.length && t.size === tail.reduce((p, q) => p * q, 1)
      && t.dims.every((v, i) => v === tail[tail.length - t.dims.length + i]);
  };
  const mul = readBy(steps, index, div.node.outputs[0]!, 'Mul');
  if (!mul || !param(mul.other)) return undefined;
  const bias = readBy(steps, index, steps[mul.at]!.node.outputs[0]!, 'Add');
  const last = bias && param(bias.other) ? bias.at : mul.at;
  const out = steps[last]!.node.outputs[0]!;
  const outDims = float32Dims(ctx, out);
  if (!outDims || outDims.join() !== xDims.join()) return undefined;
  const attributes = new Map<string, Attribute>([
    ['axis', { type: 'int', value: axes[0]! }], ['epsilon', { type: 'float', value: epsilon }],
  ]);
  const inputs = [x, mul.other, ...(last === mul.at ? [] : [bias!.other])];
  const drop = [meanAt, subAt, powAt, varAt, addEps.at, sqrtAt, divAt, mul.at, last];
  return { at: last, step: opStep('LayerNormalization', `${steps[last]!.node.name || out} (LayerNormalization)`, inputs, [out], attributes), drop };
}
