// Row reorderings between a fused attention and the products around it (src/runtime/rewrite/
// row-order.ts): nn.MultiheadAttention with batch_first=True transposes [B, S, E] to [S, B, E]
// before the in-projection and back after the out-projection. Those Transposes (and the Reshapes
// around the out-projection) go into the attention's strides, the out-projection Gemm becomes a
// MatMul by its transposed weight, and the residual Add then fuses into its store. The outputs
// must equal the graph run as written (and onnxruntime-node's) within the attention kernel's
// bound; a wrong stride would move whole rows, far outside it.

import { describe, expect, it } from 'vitest';
import { type NodeSpec, type TensorSpec, writeModel } from '../helpers/onnx-writer.js';
import { FLOAT, expectSameOutputs, f32, i64, input, maxAbs, rewrittenSteps, values } from '../helpers/rewrites.js';
import type { Tensor } from '../../src/tensor.js';

const ORT = { rtol: 1e-5, atol: 1e-5 };

interface Options {
  /** Perm of the Transpose before the in-projection (the exporter's is [1, 0, 2]). */
  inPerm?: number[];
  gemmAlpha?: number;
  /** Extra graph outputs (values that must then stay). */
  extraOut?: string[];
  /** Dims of x (default [B, S, E]); with another inPerm the residual comes from an input r [B, S, E]. */
  xDims?: number[];
}

/** A batch_first MultiheadAttention block with its residual: z = x + out_proj(attention(in_proj(x))). */
function mhaBlock(B: number, S: number, H: number, D: number, o: Options = {}): Uint8Array {
  const E = H * D;
  const slice = (name: string): NodeSpec[] => [
    { op: 'Slice', inputs: ['qkv', `${name}_st`, `${name}_e`, 'ax2'], outputs: [`${name}_sl`] },
    { op: 'Reshape', inputs: [`${name}_sl`, 'heads'], outputs: [`${name}_r`] },
  ];
  const nodes: NodeSpec[] = [
    { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: [{ name: 'perm', ints: o.inPerm ?? [1, 0, 2] }] },
    { op: 'MatMul', inputs: ['xt', 'w_in'], outputs: ['mm'] },
    { op: 'Add', inputs: ['b_in', 'mm'], outputs: ['qkv'] },
    ...slice('q'), ...slice('k'), ...slice('v'),
    { op: 'Transpose', inputs: ['q_r'], outputs: ['q_t'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
    { op: 'Transpose', inputs: ['k_r'], outputs: ['k_t'], attrs: [{ name: 'perm', ints: [1, 2, 0] }] },
    { op: 'Transpose', inputs: ['v_r'], outputs: ['v_t'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
    { op: 'Div', inputs: ['q_t', 'sqrtd'], outputs: ['q_s'] },
    { op: 'MatMul', inputs: ['q_s', 'k_t'], outputs: ['scores'] },
    { op: 'Softmax', inputs: ['scores'], outputs: ['p'], attrs: [{ name: 'axis', i: -1 }] },
    { op: 'MatMul', inputs: ['p', 'v_t'], outputs: ['o'] },
    { op: 'Transpose', inputs: ['o'], outputs: ['o_t'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
    { op: 'Reshape', inputs: ['o_t', 'flat'], outputs: ['attn'] },
    {
      op: 'Gemm', inputs: ['attn', 'w_out', 'b_out'], outputs: ['g'],
      attrs: [{ name: 'transB', i: 1 }, ...(o.gemmAlpha !== undefined ? [{ name: 'alpha', f: o.gemmAlpha }] : [])],
    },
    { op: 'Reshape', inputs: ['g', 'sbe'], outputs: ['g3'] },
    { op: 'Transpose', inputs: ['g3'], outputs: ['g4'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
    { op: 'Add', inputs: [o.xDims ? 'r' : 'x', 'g4'], outputs: ['z'] },
  ];
  const inits: TensorSpec[] = [
    f32('w_in', values(E * 3 * E, 11), [E, 3 * E]), f32('b_in', values(3 * E, 12), [3 * E]),
    f32('w_out', values(E * E, 13), [E, E]), f32('b_out', values(E, 14), [E]),
    i64('q_st', [0]), i64('q_e', [E]), i64('k_st', [E]), i64('k_e', [2 * E]), i64('v_st', [2 * E]), i64('v_e', [3 * E]), i64('ax2', [2]),
    i64('heads', [S, B * H, D]), i64('flat', [S * B, E]), i64('sbe', [S, B, E]), f32('sqrtd', [Math.sqrt(D)], []),
  ];
  return writeModel({
    opsets: [['', 17]],
    graph: {
      nodes, initializers: inits,
      inputs: [
        { name: 'x', elemType: FLOAT, shape: o.xDims ?? [B, S, E] },
        ...(o.xDims ? [{ name: 'r', elemType: FLOAT, shape: [B, S, E] }] : []),
      ],
      outputs: ['z', ...(o.extraOut ?? [])].map((name) => ({ name, elemType: FLOAT })),
    },
  });
}

/** Within 2^-20 * max|V| * (1 + D max|q| max|k| scale), V, q, k bounded through the projections. */
async function expectClose(bytes: Uint8Array, feeds: Record<string, Tensor>, E: number, D: number) {
  const m = Math.max(...Object.values(feeds).map(maxAbs));
  const proj = E * m + 1; // |x W + b| with |W|, |b| <= 1
  await expectSameOutputs(bytes, feeds, { rtol: 0, atol: 2 ** -20 * E * proj * (1 + (D * proj * proj) / Math.sqrt(D)) }, ORT);
}

describe('batch_first attention: the Transposes around it go into its strides', () => {
  it('in-projection reads x, the out-projection writes z\'s rows, the residual fuses', async () => {
    const [B, S, H, D] = [2, 6, 4, 8];
    const bytes = mhaBlock(B, S, H, D);
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'MatMul+bias', 'Attention', 'MatMul+bias+residual']);
    await expectClose(bytes, { x: input([B, S, H * D], 1) }, H * D, D);
  });
  it('odd sizes: B = 3, S = 5, one head of 7', async () => {
    const [B, S, H, D] = [3, 5, 1, 7];
    const bytes = mhaBlock(B, S, H, D);
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'MatMul+bias', 'Attention', 'MatMul+bias+residual']);
    await expectClose(bytes, { x: input([B, S, H * D], 2) }, H * D, D);
  });
});

describe('left alone where the rows are not merely reordered or a value is needed as it is', () => {
  it('the transposed input is also a graph output: its Transpose stays', async () => {
    const [B, S, H, D] = [2, 3, 2, 4];
    const bytes = mhaBlock(B, S, H, D, { extraOut: ['xt'] });
    // (The out-projection side still folds.)
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'Transpose', 'MatMul+bias', 'Attention', 'MatMul+bias+residual']);
    await expectClose(bytes, { x: input([B, S, H * D], 3) }, H * D, D);
  });
  it('Gemm with alpha != 1 stays a Gemm, and so do the Reshape and Transpose after it', async () => {
    const [B, S, H, D] = [2, 3, 2, 4];
    const bytes = mhaBlock(B, S, H, D, { gemmAlpha: 0.5 });
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul+bias', 'Attention', 'Gemm', 'Reshape', 'Transpose', 'Add']);
    await expectClose(bytes, { x: input([B, S, H * D], 4) }, H * D, D);
  });
  it('the out-projection\'s output is also a graph output: nothing after the attention moves', async () => {
    const [B, S, H, D] = [2, 3, 2, 4];
    const bytes = mhaBlock(B, S, H, D, { extraOut: ['g'] });
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul+bias', 'Attention', 'Gemm', 'Reshape', 'Transpose', 'Add']);
    await expectClose(bytes, { x: input([B, S, H * D], 5) }, H * D, D);
  });
  it('a Transpose that moves the feature axis is not a reordering of rows', async () => {
    // x [B, E, S] transposed [2, 0, 1] -> [S, B, E]: rows are not whole rows of x.
    const [B, S, H, D] = [2, 4, 2, 2];
    const E = H * D;
    const bytes = mhaBlock(B, S, H, D, { inPerm: [2, 0, 1], xDims: [B, E, S] });
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'Transpose', 'MatMul+bias', 'Attention', 'MatMul+bias+residual']);
    await expectClose(bytes, { x: input([B, E, S], 6), r: input([B, S, E], 7) }, E, D);
  });
});

