// Traced attention run as one fused op (src/runtime/torchscript/fuse-attention.ts,
// ops/aten/attention.ts). Each case runs the same code with the rewrite on and with
// graphOptimizationLevel 'disabled' (the code as written): fused, the outputs agree within a few
// float32 ulps (the kernel rounds once where the ops round after each step); where the fused op
// must decline (a fully masked row, float64, non-finite scores) or the rewrite must not apply
// (a value read twice, an operand reassigned), they are bit-identical, and a counter on the op
// tells which path ran.

import { describe, expect, it } from 'vitest';
import { atenOps } from '../../ops/aten/index.js';
import type { AtenOp, TsValue } from '../../ops/aten/aten-op.js';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { Tensor } from '../../src/tensor.js';
import { buildArchive } from './archive-builder.js';
import { input, values } from '../helpers/rewrites.js';

/** The op table with tessera::fused_attention counting its calls and how many it answered, and aten::transpose its calls. */
function countingOps(): { ops: AtenOp[]; calls: { total: number; fused: number; transposes: number } } {
  const calls = { total: 0, fused: 0, transposes: 0 };
  const ops = atenOps.map((op): AtenOp => {
    if (op.name === 'aten::transpose') return { ...op, run: (a: readonly TsValue[]) => { calls.transposes++; return op.run(a); } };
    if (op.name !== 'tessera::fused_attention') return op;
    return {
      ...op,
      run: (a: readonly TsValue[]) => {
        calls.total++;
        const r = op.run(a);
        if (r !== null) calls.fused++;
        return r;
      },
    };
  });
  return { ops, calls };
}

function archive(params: string, body: string[]): Uint8Array {
  const src = ['class M(Module):', '  __parameters__ = []', '  __buffers__ = []', '  training : bool',
    `  def forward(self: __torch__.M, ${params}) -> Tensor:`, ...body.map((l) => `    ${l}`), ''].join('\n');
  return buildArchive({ '__torch__.py': src });
}

/** A float32 tensor of seeded values (the rewrite tests' generator). */
const f32 = (dims: number[], seed: number): Tensor => input(dims, seed);

/** Runs forward with the rewrite and without; returns both outputs and the fused run's counts. */
function runBoth(bytes: Uint8Array, args: TsValue[]): { fused: Tensor; plain: Tensor; calls: { total: number; fused: number }; transposes: number } {
  const on = countingOps();
  const fused = loadTorchScript(bytes, { ops: on.ops }).forward(...args) as Tensor;
  const plain = loadTorchScript(bytes, { ops: countingOps().ops, graphOptimizationLevel: 'disabled' }).forward(...args) as Tensor;
  return { fused, plain, calls: { total: on.calls.total, fused: on.calls.fused }, transposes: on.calls.transposes };
}

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.dims).toEqual(b.dims);
  const x = a.data as Float32Array, y = b.data as Float32Array;
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

const bits = (t: Tensor) => Array.from(t.data as Float32Array | Float64Array, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v)));

/** A GPT block's attention as torch.jit.trace writes it. */
const GPT = [
  '_13 = torch.matmul(q, torch.transpose(k, -2, -1))',
  'att = torch.mul(_13, 0.35355339059327373)',
  'input = torch.masked_fill(att, torch.bitwise_not(mask), -inf)',
  'att0 = torch.softmax(input, -1)',
  '_14 = torch.transpose(torch.matmul(att0, v), 1, 2)',
  'return _14',
];

/** nn.MultiheadAttention's (PyTorch 1.13), [B*H, S, D]. */
const MHA = [
  'q_scaled = torch.div(q, 2.8284271247461903)',
  'input = torch.bmm(q_scaled, torch.transpose(k, -2, -1))',
  'w = torch.softmax(input, -1)',
  'return torch.bmm(w, v)',
];

function causal(t: number, maskAll = -1): Tensor {
  const m = new Uint8Array(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) m[i * t + j] = j <= i && i !== maskAll ? 1 : 0;
  return new Tensor('bool', m, [t, t]);
}

describe('traced attention runs as one fused op', () => {
  it('GPT block: matmul, scale, causal masked_fill(-inf), softmax, matmul', () => {
    const [B, H, T, D] = [2, 3, 7, 8];
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor, mask: Tensor', GPT), [f32([B, H, T, D], 1), f32([B, H, T, D], 2), f32([B, H, T, D], 3), causal(T)]);
    expect(r.calls).toEqual({ total: 1, fused: 1 });
    expect(maxDiff(r.fused, r.plain)).toBeLessThan(1e-6);
  });
  it('nn.MultiheadAttention: q / sqrt(D) first, bmm over [B*H, S, D], no mask', () => {
    const [BH, S, T, D] = [6, 5, 4, 8];
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor', MHA), [f32([BH, S, D], 4), f32([BH, T, D], 5), f32([BH, T, D], 6)]);
    expect(r.calls).toEqual({ total: 1, fused: 1 });
    expect(maxDiff(r.fused, r.plain)).toBeLessThan(1e-6);
  });
  it('a mask per batch and head ([B, H, S, T])', () => {
    const [B, H, T, D] = [2, 2, 5, 4];
    const m = new Uint8Array(B * H * T * T);
    values(m.length, 9).forEach((x, i) => { m[i] = x > -0.5 || i % T === 0 ? 1 : 0; }); // keep key 0 of every row
    const mask = new Tensor('bool', m, [B, H, T, T]);
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor, mask: Tensor', GPT), [f32([B, H, T, D], 1), f32([B, H, T, D], 2), f32([B, H, T, D], 3), mask]);
    expect(r.calls.fused).toBe(1);
    expect(maxDiff(r.fused, r.plain)).toBeLessThan(1e-6);
  });
});

/** The GPT block as traced, with its head split: views, transposes (read through), the merge. */
function gptHeads(B: number, T: number, H: number, D: number, readQTwice = false): string[] {
  return [
    `q0 = torch.transpose(torch.view(q, [${B}, ${T}, ${H}, ${D}]), 1, 2)`,
    `k0 = torch.transpose(torch.view(k, [${B}, ${T}, ${H}, ${D}]), 1, 2)`,
    `v0 = torch.transpose(torch.view(v, [${B}, ${T}, ${H}, ${D}]), 1, 2)`,
    ...GPT.slice(0, -1).map((l) => l.replace('(q,', '(q0,').replace('(k,', '(k0,').replace(', v)', ', v0)')),
    `y = torch.view(torch.contiguous(_14), [${B}, ${T}, ${H * D}])`,
    readQTwice ? 'return torch.add(y, torch.sum(q0))' : 'return y',
  ];
}

describe('the head split around it is read through strides', () => {
  it('GPT: q, k, v transposed from [B, T, H, D], the output transposed back: one op, no transposes', () => {
    const [B, T, H, D] = [2, 6, 3, 4];
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor, mask: Tensor', gptHeads(B, T, H, D)),
      [f32([B, T, H * D], 1), f32([B, T, H * D], 2), f32([B, T, H * D], 3), causal(T)]);
    expect(r.calls).toEqual({ total: 1, fused: 1 });
    expect(r.transposes).toBe(0);
    expect(maxDiff(r.fused, r.plain)).toBeLessThan(1e-6);
  });
  it('q read again after the attention: its transpose stays, the rest fuses', () => {
    const [B, T, H, D] = [1, 5, 2, 4];
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor, mask: Tensor', gptHeads(B, T, H, D, true)),
      [f32([B, T, H * D], 1), f32([B, T, H * D], 2), f32([B, T, H * D], 3), causal(T)]);
    expect(r.calls).toEqual({ total: 1, fused: 1 });
    expect(r.transposes).toBe(1);
    expect(maxDiff(r.fused, r.plain)).toBeLessThan(1e-5);
  });
  it('nn.MultiheadAttention: k and v from [T, B*H, D] views transposed (0, 1), the output transposed back', () => {
    const [T, BH, D] = [5, 6, 4];
    const body = [
      `k0 = torch.transpose(torch.view(k, [${T}, ${BH}, ${D}]), 0, 1)`,
      `v0 = torch.transpose(torch.view(v, [${T}, ${BH}, ${D}]), 0, 1)`,
      'q_scaled = torch.div(q, 2.)',
      'input = torch.bmm(q_scaled, torch.transpose(k0, -2, -1))',
      'w = torch.softmax(input, -1)',
      'return torch.contiguous(torch.transpose(torch.bmm(w, v0), 0, 1))',
    ];
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor', body), [f32([BH, T, D], 4), f32([T, BH * D], 5), f32([T, BH * D], 6)]);
    expect(r.calls).toEqual({ total: 1, fused: 1 });
    expect(r.fused.dims).toEqual([T, BH, D]);
    expect(r.transposes).toBe(0);
    expect(maxDiff(r.fused, r.plain)).toBeLessThan(1e-6);
  });
});

describe('the ops as written run where fusing would change the result or the meaning', () => {
  it('a row with every key masked (softmax gives NaN there): the op declines, the outputs are bit-identical', () => {
    const [B, H, T, D] = [1, 2, 5, 4];
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor, mask: Tensor', GPT), [f32([B, H, T, D], 1), f32([B, H, T, D], 2), f32([B, H, T, D], 3), causal(T, 2)]);
    expect(r.calls).toEqual({ total: 1, fused: 0 });
    expect(bits(r.fused)).toEqual(bits(r.plain));
    expect(bits(r.fused)).toContain('NaN');
  });
  it('float64 operands: the op declines', () => {
    const [B, H, T, D] = [1, 2, 4, 4];
    const f64 = (seed: number) => new Tensor('float64', values(B * H * T * D, seed), [B, H, T, D]);
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor, mask: Tensor', GPT), [f64(1), f64(2), f64(3), causal(T)]);
    expect(r.calls).toEqual({ total: 1, fused: 0 });
    expect(bits(r.fused)).toEqual(bits(r.plain));
  });
  it('a NaN in K under the mask (masked_fill overwrites it, the kernel would not): the op declines', () => {
    const [B, H, T, D] = [1, 1, 4, 4];
    const k = f32([B, H, T, D], 2);
    (k.data as Float32Array)[3 * D] = NaN; // key 3: masked for rows 0-2
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor, mask: Tensor', GPT), [f32([B, H, T, D], 1), k, f32([B, H, T, D], 3), causal(T)]);
    expect(r.calls).toEqual({ total: 1, fused: 0 });
    expect(bits(r.fused)).toEqual(bits(r.plain));
  });
  it('the weights are read again: no fusion', () => {
    const body = [...MHA.slice(0, 3), 'return torch.add(torch.bmm(w, v), torch.sum(w))'];
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor', body), [f32([2, 3, 4], 1), f32([2, 3, 4], 2), f32([2, 3, 4], 3)]);
    expect(r.calls.total).toBe(0);
    expect(bits(r.fused)).toEqual(bits(r.plain));
  });
  it('an operand of the scores reassigned before the product: no fusion (the fused op would read the new value)', () => {
    const body = [
      'input = torch.bmm(q, torch.transpose(k, -2, -1))',
      'k = torch.neg(k)',
      'w = torch.softmax(input, -1)',
      'return torch.bmm(w, v)',
    ];
    const r = runBoth(archive('q: Tensor, k: Tensor, v: Tensor', body), [f32([2, 3, 4], 1), f32([2, 3, 4], 2), f32([2, 3, 4], 3)]);
    expect(r.calls.total).toBe(0);
    expect(bits(r.fused)).toEqual(bits(r.plain));
  });
});
