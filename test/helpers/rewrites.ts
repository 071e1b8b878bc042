// Helpers for the graph-rewrite tests (test/unit/rewrite-*.test.ts): deterministic values, the
// plan's steps with and without rewrites, and a comparison of the rewritten session's outputs
// with the same model run as written (graphOptimizationLevel 'disabled') and, where asked,
// with onnxruntime-node.

import { expect } from 'vitest';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import { type Step, planModel } from '../../src/runtime/plan.js';
import { InferenceSession, defaultOpRegistry } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import { compareTensors } from './allclose.js';
import type { TensorSpec } from './onnx-writer.js';

export const FLOAT = 1;
export const INT64 = 7;

/** n values in [-scale/2, scale/2), from a seeded LCG. */
export function values(n: number, seed: number, scale = 2): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    out.push(((s >>> 8) / 2 ** 24 - 0.5) * scale);
  }
  return out;
}

export const f32 = (name: string, vals: number[], dims: number[]): TensorSpec => ({ name, dataType: FLOAT, dims, floats: vals });
export const i64 = (name: string, vals: number[]): TensorSpec => ({ name, dataType: INT64, dims: [vals.length], int64s: vals.map(BigInt) });
export const input = (dims: number[], seed: number, scale = 2): Tensor => new Tensor('float32', values(dims.reduce((a, b) => a * b, 1), seed, scale), dims);

export async function planSteps(bytes: Uint8Array, level?: 'disabled'): Promise<readonly Step[]> {
  const model = await loadOnnxModel(bytes);
  return planModel(model, defaultOpRegistry(), undefined, { graphOptimizationLevel: level }).steps;
}

/**
 * Each step as its op type plus what was fused into it: 'MatMul+bias+residual+gelu',
 * 'Conv+relu'. Steps that produce folded constants read 'Constant'.
 */
export function describeSteps(steps: readonly Step[]): string[] {
  return steps.map((s) => {
    const a = (s.attrs ?? {}) as { bias?: boolean; residual?: boolean; activation?: { kind: string } };
    return [s.node.opType, ...(a.bias === true ? ['bias'] : []), ...(a.residual ? ['residual'] : []),
      ...(a.activation ? [a.activation.kind] : [])].join('+');
  });
}

export async function rewrittenSteps(bytes: Uint8Array): Promise<string[]> {
  return describeSteps(await planSteps(bytes));
}

export interface Bound { readonly rtol: number; readonly atol: number }

/**
 * The rewritten session's outputs equal the disabled plan's within `bound`, on two runs (the
 * second uses what the first packed and kept); with `ort`, also onnxruntime-node's.
 */
export async function expectSameOutputs(
  bytes: Uint8Array, feeds: Record<string, Tensor>, bound: Bound = { rtol: 0, atol: 0 }, ort?: Bound,
): Promise<Record<string, Tensor>> {
  const fused = await InferenceSession.create(bytes);
  const plain = await InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const want = await plain.run(feeds);
  let got: Record<string, Tensor> = {};
  for (let r = 0; r < 2; r++) {
    got = await fused.run(feeds);
    for (const k of Object.keys(want)) expect(compareTensors(got[k]!, want[k]!, bound), `${k} (run ${r + 1})`).toBe('');
  }
  if (ort) {
    const o = await import('onnxruntime-node');
    const session = await o.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new o.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]));
    const res = await session.run(inputs);
    for (const k of Object.keys(want)) {
      const r = res[k]!;
      const t = new Tensor('float32', r.data as Float32Array, r.dims);
      expect(compareTensors(got[k]!, t, ort), `${k} against onnxruntime-node`).toBe('');
    }
  }
  return got;
}

/** The largest |x| of a float tensor. */
export function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.data as Float32Array) m = Math.max(m, Math.abs(v));
  return m;
}
