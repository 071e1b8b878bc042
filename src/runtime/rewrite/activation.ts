// Activations fused into the store of the Conv, Gemm or MatMul before them: an activation whose
// only input is the product's float32 output, and which is that output's only reader, runs in
// the kernel's epilogue instead of as one more pass over memory. Recognised: Relu, LeakyRelu,
// Sigmoid, HardSigmoid, HardSwish, Gelu, Clip with constant bounds (Relu6), and x * Sigmoid(x)
// (SiLU / Swish, as exporters write it). The fused step keeps the product's node with the
// activation's output as its output and an `activation` field in its parsed attributes; the
// epilogue applies it after the bias and any fused residual, as the graph did.

import type { GemmActivation } from '../../../kernels/gemm-f32.js';
import type { Step } from '../plan.js';
import { type RewriteContext, StepEdits, StepIndex, isFloat32, isOp, rewritten, scalarOf } from './context.js';

const FUSABLE = ['Conv', 'Gemm', 'MatMul'];
const FLT_MAX = 3.4028234663852886e38;

interface Fused { readonly activation: GemmActivation; readonly output: string; readonly drop: readonly number[] }

export function fuseActivations(ctx: RewriteContext, steps: readonly Step[]): Step[] {
  const index = new StepIndex(steps, ctx.outputs);
  const edits = new StepEdits();
  steps.forEach((s, i) => {
    if (!FUSABLE.some((t) => isOp(s, t)) || s.node.outputs.length !== 1) return;
    if ((s.attrs as { activation?: unknown } | undefined)?.activation) return;
    const y = s.node.outputs[0]!;
    if (!isFloat32(ctx, y) || ctx.outputs.has(y)) return;
    const r = index.readers.get(y) ?? [];
    let fused: Fused | undefined;
    if (r.length === 1) {
      const activation = activationOf(ctx, steps[r[0]!]!, y);
      if (activation) fused = { activation, output: steps[r[0]!]!.node.outputs[0]!, drop: [r[0]!] };
    } else if (r.length === 2) {
      fused = siluOf(steps, r, y, index);
    }
    if (!fused || edits.touched(i, ...fused.drop) || fused.drop.some((j) => j < i)) return;
    edits.replace(i, rewritten(s, { outputs: [fused.output] }, { ...(s.attrs as object), activation: fused.activation }));
    edits.remove(...fused.drop);
  });
  return edits.size === 0 ? [...steps] : edits.apply(steps);
}

/** The activation `s` computes from `y` alone, or undefined when it is not one we fuse. */
function activationOf(ctx: RewriteContext, s: Step, y: string): GemmActivation | undefined {
  const n = s.node;
  if (!isOp(s, n.opType) || n.inputs[0] !== y || n.outputs.length !== 1 || !n.outputs[0]) return undefined;
  const float = (name: string, def: number): number => {
    const a = n.attributes.get(name);
    return a?.type === 'float' ? a.value : def;
  };
  switch (n.opType) {
    case 'Relu': return n.inputs.length === 1 ? { kind: 'relu' } : undefined;
    case 'Sigmoid': return { kind: 'sigmoid' };
    case 'HardSwish': return { kind: 'hardswish' };
    case 'LeakyRelu': return { kind: 'leakyrelu', alpha: float('alpha', 0.01) };
    case 'HardSigmoid': return { kind: 'hardsigmoid', alpha: float('alpha', 0.2), beta: float('beta', 0.5) };
    case 'Gelu': {
      const a = n.attributes.get('approximate');
      const approx = a?.type === 'string' ? a.value : 'none';
      return approx === 'none' ? { kind: 'gelu' } : approx === 'tanh' ? { kind: 'gelu-tanh' } : undefined;
    }
    case 'Clip': {
      if (s.opset < 11) return { kind: 'clip', min: float('min', -FLT_MAX), max: float('max', FLT_MAX) };
      const bound = (i: number, def: number): number | undefined => {
        const name = n.inputs[i];
        if (name === undefined || name === '') return def;
        const t = ctx.constants.get(name);
        return t?.type === 'float32' ? scalarOf(ctx, name) : undefined;
      };
      const min = bound(1, -Infinity);
      const max = bound(2, Infinity);
      if (min === undefined || max === undefined || Number.isNaN(min) || Number.isNaN(max) || min > max) return undefined;
      return { kind: 'clip', min, max };
    }
    default: return undefined;
  }
}

/** y's two readers are Sigmoid(y) -> s and Mul(y, s) (either order), s read only by the Mul. */
function siluOf(steps: readonly Step[], r: readonly number[], y: string, index: StepIndex): Fused | undefined {
  const [p, q] = r as [number, number];
  for (const [si, mi] of [[p, q], [q, p]] as const) {
    const sig = steps[si]!;
    const mul = steps[mi]!;
    if (!isOp(sig, 'Sigmoid') || sig.node.inputs[0] !== y || !isOp(mul, 'Mul') || !mul.node.outputs[0]) continue;
    const s = sig.node.outputs[0]!;
    const ins = [...mul.node.inputs].sort();
    if (ins.length !== 2 || ins.join('\u0000') !== [s, y].sort().join('\u0000')) continue;
    if (index.onlyReader(s) !== mi) continue;
    return { activation: { kind: 'silu' }, output: mul.node.outputs[0], drop: [si, mi] };
  }
  return undefined;
}
