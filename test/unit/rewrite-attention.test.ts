// Attention written as MatMul / Softmax / MatMul (src/runtime/rewrite/attention.ts) runs as one
// step of the attention kernel, with the Transposes, Reshapes, Slices and Splits around it read
// through strides. The outputs must equal the graph run as written (and onnxruntime-node's)
// within attention.ts's bound: the kernel rounds once where the nodes round after each, so they
// differ by a few ulp of max |V| * (1 + max |scaled score|); here 2^-20 of that.

import { describe, expect, it } from 'vitest';
import { type NodeSpec, type TensorSpec, writeModel } from '../helpers/onnx-writer.js';
import { FLOAT, expectSameOutputs, f32, i64, input, maxAbs, rewrittenSteps, values } from '../helpers/rewrites.js';
import type { Tensor } from '../../src/tensor.js';

const ORT = { rtol: 1e-5, atol: 1e-5 };

function model(nodes: NodeSpec[], inputs: [string, number[]][], inits: TensorSpec[], opset = 17, extraOut: string[] = []) {
  return writeModel({
    opsets: [['', opset]],
    graph: {
      nodes,
      inputs: inputs.map(([name, shape]) => ({ name, elemType: FLOAT, shape })),
      outputs: ['z', ...extraOut].map((name) => ({ name, elemType: FLOAT })),
      initializers: inits,
    },
  });
}

/** Outputs within 2^-20 * max|V| * (1 + max|scaled score|), bounding |scaled score| by D * max|q| * max|k| * scale. */
async function expectAttentionClose(bytes: Uint8Array, feeds: Record<string, Tensor>, d: number, scale: number, ort = true) {
  const m = Math.max(...Object.values(feeds).map(maxAbs));
  await expectSameOutputs(bytes, feeds, { rtol: 0, atol: 2 ** -20 * m * (1 + d * m * m * scale) }, ort ? ORT : undefined);
}

/** nn.MultiheadAttention's export (PyTorch 1.13): qkv [S, B, 3E] -> Slices -> [S, B*H, D] -> Transposes; q / sqrt(D). */
function mhaNodes(S: number, B: number, H: number, D: number): { nodes: NodeSpec[]; inits: TensorSpec[] } {
  const E = H * D;
  const slice = (name: string, k: number): NodeSpec[] => [
    { op: 'Slice', inputs: ['qkv', `${name}_st`, `${name}_e`, 'ax2'], outputs: [`${name}_sl`] },
    { op: 'Reshape', inputs: [`${name}_sl`, 'heads'], outputs: [`${name}_r`] },
  ];
  return {
    nodes: [
      ...slice('q', 0), ...slice('k', 1), ...slice('v', 2),
      { op: 'Transpose', inputs: ['q_r'], outputs: ['q_t'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
      { op: 'Transpose', inputs: ['k_r'], outputs: ['k_t'], attrs: [{ name: 'perm', ints: [1, 2, 0] }] },
      { op: 'Transpose', inputs: ['v_r'], outputs: ['v_t'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
      { op: 'Div', inputs: ['q_t', 'sqrtd'], outputs: ['q_s'] },
      { op: 'MatMul', inputs: ['q_s', 'k_t'], outputs: ['scores'] },
      { op: 'Softmax', inputs: ['scores'], outputs: ['p'], attrs: [{ name: 'axis', i: -1 }] },
      { op: 'MatMul', inputs: ['p', 'v_t'], outputs: ['o'] },
      { op: 'Transpose', inputs: ['o'], outputs: ['o_t'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
      { op: 'Reshape', inputs: ['o_t', 'flat'], outputs: ['z'] },
    ],
    inits: [
      i64('q_st', [0]), i64('q_e', [E]), i64('k_st', [E]), i64('k_e', [2 * E]), i64('v_st', [2 * E]), i64('v_e', [3 * E]), i64('ax2', [2]),
      i64('heads', [S, B * H, D]), i64('flat', [S * B, E]), f32('sqrtd', [Math.sqrt(D)], []),
    ],
  };
}

/** A GPT block's attention: Split -> Reshape [B, T, H, D] -> Transposes, scores * scale, causal Where(mask, -inf), Softmax. */
function gptNodes(B: number, T: number, H: number, D: number, kPerm = [0, 2, 3, 1]): { nodes: NodeSpec[]; inits: TensorSpec[] } {
  const E = H * D;
  const causal = { name: 'mask', dataType: 9, dims: [T, T], raw: Uint8Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? 1 : 0)) };
  return {
    nodes: [
      { op: 'Split', inputs: ['qkv', 'sizes'], outputs: ['q', 'k', 'v'], attrs: [{ name: 'axis', i: 2 }] },
      { op: 'Reshape', inputs: ['q', 'bthd'], outputs: ['q_r'] }, { op: 'Reshape', inputs: ['k', 'bthd'], outputs: ['k_r'] },
      { op: 'Reshape', inputs: ['v', 'bthd'], outputs: ['v_r'] },
      { op: 'Transpose', inputs: ['q_r'], outputs: ['q_t'], attrs: [{ name: 'perm', ints: [0, 2, 1, 3] }] },
      { op: 'Transpose', inputs: ['v_r'], outputs: ['v_t'], attrs: [{ name: 'perm', ints: [0, 2, 1, 3] }] },
      { op: 'Transpose', inputs: ['k_r'], outputs: ['k_t'], attrs: [{ name: 'perm', ints: kPerm }] },
      { op: 'MatMul', inputs: ['q_t', 'k_t'], outputs: ['s'] },
      { op: 'Mul', inputs: ['s', 'scale'], outputs: ['s2'] },
      { op: 'Where', inputs: ['mask', 'ninf', 's2'], outputs: ['s3'] },
      { op: 'Softmax', inputs: ['s3'], outputs: ['p'], attrs: [{ name: 'axis', i: -1 }] },
      { op: 'MatMul', inputs: ['p', 'v_t'], outputs: ['o'] },
      { op: 'Transpose', inputs: ['o'], outputs: ['o_t'], attrs: [{ name: 'perm', ints: [0, 2, 1, 3] }] },
      { op: 'Reshape', inputs: ['o_t', 'bte'], outputs: ['z'] },
    ],
    inits: [
      i64('sizes', [E, E, E]), i64('bthd', [B, T, H, D]), i64('bte', [B, T, E]), f32('scale', [1 / Math.sqrt(D)], []),
      f32('ninf', [-Infinity], []), causal,
    ],
  };
}

describe('attention runs as one step', () => {
  it('nn.MultiheadAttention export: Slices, [S, B*H, D] views, q / sqrt(D)', async () => {
    const [S, B, H, D] = [6, 2, 4, 8];
    const { nodes, inits } = mhaNodes(S, B, H, D);
    const bytes = model(nodes, [['qkv', [S, B, 3 * H * D]]], inits);
    expect(await rewrittenSteps(bytes)).toEqual(['Attention']);
    await expectAttentionClose(bytes, { qkv: input([S, B, 3 * H * D], 1) }, D, 1 / Math.sqrt(D));
  });
  it('GPT block: Split, [B, T, H, D] views, scores * scale, causal Where(mask, -inf)', async () => {
    const [B, T, H, D] = [2, 7, 3, 5];
    const { nodes, inits } = gptNodes(B, T, H, D);
    const bytes = model(nodes, [['qkv', [B, T, 3 * H * D]]], inits);
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'Attention']);
    await expectAttentionClose(bytes, { qkv: input([B, T, 3 * H * D], 2) }, D, 1 / Math.sqrt(D));
  });
  it('Q, K and V as given (4-D), K.transpose(-2, -1), an additive constant mask', async () => {
    const [B, H, S, T, D] = [1, 2, 3, 5, 4];
    const bytes = model([
      { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: [{ name: 'perm', ints: [0, 1, 3, 2] }] },
      { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] },
      { op: 'Add', inputs: ['s', 'bias'], outputs: ['s2'] },
      { op: 'Softmax', inputs: ['s2'], outputs: ['p'] },
      { op: 'MatMul', inputs: ['p', 'v'], outputs: ['z'] },
    ], [['q', [B, H, S, D]], ['k', [B, H, T, D]], ['v', [B, H, T, D]]], [f32('bias', values(S * T, 9, 4), [S, T])]);
    expect(await rewrittenSteps(bytes)).toEqual(['Attention']);
    await expectAttentionClose(bytes, { q: input([B, H, S, D], 1), k: input([B, H, T, D], 2), v: input([B, H, T, D], 3) }, D, 1);
  });
  it('not when K^T is itself contiguous (the kernel reads keys feature by feature)', async () => {
    const bytes = model([
      { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] },
      { op: 'Softmax', inputs: ['s'], outputs: ['p'] },
      { op: 'MatMul', inputs: ['p', 'v'], outputs: ['z'] },
    ], [['q', [2, 3, 4]], ['kt', [2, 4, 5]], ['v', [2, 5, 4]]], []);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul', 'Softmax', 'MatMul']);
  });
});

describe('no attention fusion where it would change what the graph computes', () => {
  it('a mask row with every key masked (Where + Softmax gives NaN there, the kernel 0)', async () => {
    const [B, T, H, D] = [1, 4, 2, 3];
    const { nodes, inits } = gptNodes(B, T, H, D);
    const mask = inits.find((t) => t.name === 'mask')!;
    (mask.raw as Uint8Array).fill(1, 0, T);
    const bytes = model(nodes, [['qkv', [B, T, 3 * H * D]]], inits);
    expect(await rewrittenSteps(bytes)).toContain('Softmax');
    await expectSameOutputs(bytes, { qkv: input([B, T, 3 * H * D], 2) });
  });
  it('an additive mask row at float32 min everywhere (the nodes give a uniform row, the kernel would not)', async () => {
    const [B, H, S, T, D] = [1, 2, 3, 4, 4];
    const lowest = -3.4028234663852886e38;
    const bias = values(S * T, 9, 4).map((v, i) => (i < T || i % T === 0 ? lowest : v));
    const nodes: NodeSpec[] = [
      { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: [{ name: 'perm', ints: [0, 1, 3, 2] }] },
      { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] }, { op: 'Add', inputs: ['s', 'bias'], outputs: ['s2'] },
      { op: 'Softmax', inputs: ['s2'], outputs: ['p'] }, { op: 'MatMul', inputs: ['p', 'v'], outputs: ['z'] },
    ];
    const dims: [string, number[]][] = [['q', [B, H, S, D]], ['k', [B, H, T, D]], ['v', [B, H, T, D]]];
    const feeds = { q: input([B, H, S, D], 1), k: input([B, H, T, D], 2), v: input([B, H, T, D], 3) };
    const masked = model(nodes, dims, [f32('bias', bias, [S, T])]);
    expect(await rewrittenSteps(masked)).toContain('Softmax');
    await expectSameOutputs(masked, feeds);
    // With a key left in the first row, it fuses, and float32 min acts as -inf.
    bias[1] = 0.5;
    const kept = model(nodes, dims, [f32('bias', bias, [S, T])]);
    expect(await rewrittenSteps(kept)).toEqual(['Attention']);
    await expectAttentionClose(kept, feeds, D, 1);
  });
  it('the scores are also a graph output', async () => {
    const [S, B, H, D] = [3, 1, 2, 4];
    const { nodes, inits } = mhaNodes(S, B, H, D);
    const bytes = model(nodes, [['qkv', [S, B, 3 * H * D]]], inits, 17, ['scores']);
    expect(await rewrittenSteps(bytes)).toContain('Softmax');
  });
  it('Softmax over another axis', async () => {
    const bytes = model([
      { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] },
      { op: 'Softmax', inputs: ['s'], outputs: ['p'], attrs: [{ name: 'axis', i: 1 }] },
      { op: 'MatMul', inputs: ['p', 'v'], outputs: ['z'] },
    ], [['q', [2, 3, 4]], ['kt', [2, 4, 3]], ['v', [2, 3, 4]]], []);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul', 'Softmax', 'MatMul']);
  });
  it('a mask computed at run time', async () => {
    const bytes = model([
      { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] },
      { op: 'Add', inputs: ['s', 'm'], outputs: ['s2'] },
      { op: 'Softmax', inputs: ['s2'], outputs: ['p'] },
      { op: 'MatMul', inputs: ['p', 'v'], outputs: ['z'] },
    ], [['q', [2, 3, 4]], ['kt', [2, 4, 3]], ['v', [2, 3, 4]], ['m', [3, 3]]], []);
    expect(await rewrittenSteps(bytes)).not.toContain('Attention');
  });
});
