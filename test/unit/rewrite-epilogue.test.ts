// Adds fused into the store of the product before them (src/runtime/rewrite/epilogue.ts):
// MatMul + Add(bias per column), and Conv / Gemm / MatMul + Add(residual of the same dims),
// each with an activation after. The plan must show the fused step, and the outputs must equal
// the graph run as written within epilogue.ts's bound: the two float32 additions may round in
// another order, 1 ulp of |P| + |bias| + |r| (here: 2^-23 * max |output| covers it). MatMul's
// bias and residual are added in the unfused order, so those outputs are bit for bit the same.

import { describe, expect, it } from 'vitest';
import { type AttrSpec, type NodeSpec, type TensorSpec, writeModel } from '../helpers/onnx-writer.js';
import { FLOAT, expectSameOutputs, f32, input, maxAbs, rewrittenSteps, values } from '../helpers/rewrites.js';
import type { Tensor } from '../../src/tensor.js';

const EXACT = { rtol: 0, atol: 0 };

function graph(nodes: NodeSpec[], inputs: [string, number[]][], out: string, inits: TensorSpec[], opset = 17, extraOut: string[] = []) {
  return writeModel({
    opsets: [['', opset]],
    graph: {
      nodes,
      inputs: inputs.map(([name, shape]) => ({ name, elemType: FLOAT, shape })),
      outputs: [out, ...extraOut].map((name) => ({ name, elemType: FLOAT })),
      initializers: inits,
    },
  });
}

describe('MatMul + Add(bias) runs as one step', () => {
  it('3-D input, bias [N]: bit for bit the same, and as onnxruntime', async () => {
    const bytes = graph([
      { op: 'MatMul', inputs: ['a', 'w'], outputs: ['y'] },
      { op: 'Add', inputs: ['y', 'c'], outputs: ['z'] },
    ], [['a', [2, 5, 11]]], 'z', [f32('w', values(11 * 6, 5), [11, 6]), f32('c', values(6, 6), [6])]);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul+bias']);
    await expectSameOutputs(bytes, { a: input([2, 5, 11], 4) }, EXACT, { rtol: 1e-5, atol: 1e-6 });
  });
  it('bias first, [1, 1, N], then Relu', async () => {
    const bytes = graph([
      { op: 'MatMul', inputs: ['a', 'w'], outputs: ['y'] },
      { op: 'Add', inputs: ['c', 'y'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['z'] },
    ], [['a', [1, 7, 9]]], 'z', [f32('w', values(9 * 10, 5), [9, 10]), f32('c', values(10, 6), [1, 1, 10])]);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul+bias+relu']);
    await expectSameOutputs(bytes, { a: input([1, 7, 9], 4) }, EXACT);
  });
  it('batched B (one product per batch entry), a residual and a bias', async () => {
    const bytes = graph([
      { op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] },
      { op: 'Add', inputs: ['y', 'c'], outputs: ['s'] },
      { op: 'Add', inputs: ['r', 's'], outputs: ['z'] },
    ], [['a', [3, 4, 5]], ['b', [3, 5, 6]], ['r', [3, 4, 6]]], 'z', [f32('c', values(6, 6), [6])]);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul+bias+residual']);
    await expectSameOutputs(bytes, { a: input([3, 4, 5], 1), b: input([3, 5, 6], 2), r: input([3, 4, 6], 3) }, EXACT);
  });
  it('a 1 x N product (the matrix-vector path)', async () => {
    const bytes = graph([
      { op: 'MatMul', inputs: ['a', 'w'], outputs: ['y'] },
      { op: 'Add', inputs: ['y', 'c'], outputs: ['z'] },
    ], [['a', [1, 33]]], 'z', [f32('w', values(33 * 20, 5), [33, 20]), f32('c', values(20, 6), [20])]);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul+bias']);
    await expectSameOutputs(bytes, { a: input([1, 33], 4) }, EXACT);
  });
});

describe('no bias fusion where the Add is something else', () => {
  it('a bias per row ([M, 1]) broadcasts the other way', async () => {
    const bytes = graph([
      { op: 'MatMul', inputs: ['a', 'w'], outputs: ['y'] },
      { op: 'Add', inputs: ['y', 'c'], outputs: ['z'] },
    ], [['a', [4, 5]]], 'z', [f32('w', values(30, 5), [5, 6]), f32('c', values(4, 6), [4, 1])]);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul', 'Add']);
  });
  it('the MatMul output is also a graph output', async () => {
    const bytes = graph([
      { op: 'MatMul', inputs: ['a', 'w'], outputs: ['y'] },
      { op: 'Add', inputs: ['y', 'c'], outputs: ['z'] },
    ], [['a', [4, 5]]], 'z', [f32('w', values(30, 5), [5, 6]), f32('c', values(6, 6), [6])], 17, ['y']);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul', 'Add']);
  });
  it('an integer MatMul', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [{ op: 'MatMul', inputs: ['a', 'w'], outputs: ['y'] }, { op: 'Add', inputs: ['y', 'c'], outputs: ['z'] }],
        inputs: [{ name: 'a', elemType: 6, shape: [2, 3] }],
        outputs: [{ name: 'z', elemType: 6 }],
        initializers: [{ name: 'w', dataType: 6, dims: [3, 2], int32s: [1, 2, 3, 4, 5, 6] }, { name: 'c', dataType: 6, dims: [2], int32s: [7, 8] }],
      },
    });
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul', 'Add']);
  });
});

const conv = (x: string, w: string, y: string, attrs: AttrSpec[] = [{ name: 'pads', ints: [1, 1, 1, 1] }]): NodeSpec =>
  ({ op: 'Conv', inputs: [x, w, `${w}_b`], outputs: [y], attrs });
const convInits = (w: string, m: number, c: number, k: number, seed: number): TensorSpec[] =>
  [f32(w, values(m * c * k * k, seed), [m, c, k, k]), f32(`${w}_b`, values(m, seed + 1), [m])];

/** Outputs within 2^-23 * max |output| of the graph as written (two roundings in another order). */
async function expectCloseOutputs(bytes: Uint8Array, feeds: Record<string, Tensor>, ort = false) {
  const want = await expectSameOutputs(bytes, feeds, { rtol: 0, atol: Infinity });
  const atol = 2 ** -23 * Math.max(...Object.values(want).map(maxAbs));
  await expectSameOutputs(bytes, feeds, { rtol: 0, atol }, ort ? { rtol: 1e-5, atol: 1e-5 } : undefined);
}

describe('Add of a residual runs in the store of the Conv, Gemm or MatMul before it', () => {
  it('ResNet basic block: Conv -> Relu -> Conv -> Add(x) -> Relu', async () => {
    const bytes = graph([
      conv('x', 'w1', 'y1'), { op: 'Relu', inputs: ['y1'], outputs: ['r1'] },
      conv('r1', 'w2', 'y2'), { op: 'Add', inputs: ['y2', 'x'], outputs: ['s'] }, { op: 'Relu', inputs: ['s'], outputs: ['z'] },
    ], [['x', [1, 4, 6, 5]]], 'z', [...convInits('w1', 4, 4, 3, 2), ...convInits('w2', 4, 4, 3, 4)]);
    expect(await rewrittenSteps(bytes)).toEqual(['Conv+relu', 'Conv+residual+relu']);
    await expectCloseOutputs(bytes, { x: input([1, 4, 6, 5], 1) }, true);
  });
  it('ResNet downsampling block: the Add of two Convs fuses into the later one', async () => {
    const s2 = [{ name: 'strides', ints: [2, 2] }, { name: 'pads', ints: [1, 1, 1, 1] }];
    const bytes = graph([
      conv('x', 'w1', 'y1', s2), { op: 'Relu', inputs: ['y1'], outputs: ['r1'] }, conv('r1', 'w2', 'y2'),
      conv('x', 'wd', 'yd', [{ name: 'strides', ints: [2, 2] }]),
      { op: 'Add', inputs: ['y2', 'yd'], outputs: ['s'] }, { op: 'Relu', inputs: ['s'], outputs: ['z'] },
    ], [['x', [1, 3, 8, 8]]], 'z', [...convInits('w1', 6, 3, 3, 2), ...convInits('w2', 6, 6, 3, 4), ...convInits('wd', 6, 3, 1, 6)]);
    expect(await rewrittenSteps(bytes)).toEqual(['Conv+relu', 'Conv', 'Conv+residual+relu']);
    await expectCloseOutputs(bytes, { x: input([1, 3, 8, 8], 1) });
  });
  it('MobileNetV2 block: pointwise Conv (no activation) + Add(x)', async () => {
    const bytes = graph([
      conv('x', 'w1', 'y1', []), { op: 'Clip', inputs: ['y1', 'lo', 'hi'], outputs: ['r1'] },
      conv('r1', 'w2', 'y2', [{ name: 'group', i: 8 }, { name: 'pads', ints: [1, 1, 1, 1] }]),
      conv('y2', 'w3', 'y3', []), { op: 'Add', inputs: ['x', 'y3'], outputs: ['z'] },
    ], [['x', [1, 4, 5, 5]]], 'z', [...convInits('w1', 8, 4, 1, 2), f32('lo', [0], []), f32('hi', [6], []),
      f32('w2', values(8 * 9, 4), [8, 1, 3, 3]), f32('w2_b', values(8, 5), [8]), ...convInits('w3', 4, 8, 1, 6)]);
    expect(await rewrittenSteps(bytes)).toEqual(['Conv+clip', 'Conv', 'Conv+residual']);
    await expectCloseOutputs(bytes, { x: input([1, 4, 5, 5], 1) });
  });
  it('the residual is computed after the Conv: the fused step runs where the Add was', async () => {
    const bytes = graph([
      conv('x', 'w1', 'y1'), { op: 'Sigmoid', inputs: ['x'], outputs: ['g'] },
      { op: 'Add', inputs: ['y1', 'g'], outputs: ['z'] },
    ], [['x', [1, 3, 4, 4]]], 'z', convInits('w1', 3, 3, 3, 2));
    expect(await rewrittenSteps(bytes)).toEqual(['Sigmoid', 'Conv+residual']);
    await expectCloseOutputs(bytes, { x: input([1, 3, 4, 4], 1) });
  });
  it('Gemm + Add(residual) + Relu', async () => {
    const bytes = graph([
      { op: 'Gemm', inputs: ['a', 'w', 'c'], outputs: ['y'], attrs: [{ name: 'transB', i: 1 }, { name: 'beta', f: 0.5 }] },
      { op: 'Add', inputs: ['y', 'r'], outputs: ['s'] }, { op: 'Relu', inputs: ['s'], outputs: ['z'] },
    ], [['a', [4, 11]], ['r', [4, 6]]], 'z', [f32('w', values(66, 5), [6, 11]), f32('c', values(6, 6), [6])]);
    expect(await rewrittenSteps(bytes)).toEqual(['Gemm+residual+relu']);
    await expectSameOutputs(bytes, { a: input([4, 11], 4), r: input([4, 6], 5) }, EXACT);
  });
  it('Transformer feed-forward: MatMul + bias + Relu, MatMul + bias + Add(skip)', async () => {
    const bytes = graph([
      { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h'] }, { op: 'Add', inputs: ['b1', 'h'], outputs: ['hb'] },
      { op: 'Relu', inputs: ['hb'], outputs: ['hr'] },
      { op: 'MatMul', inputs: ['hr', 'w2'], outputs: ['o'] }, { op: 'Add', inputs: ['b2', 'o'], outputs: ['ob'] },
      { op: 'Add', inputs: ['x', 'ob'], outputs: ['z'] },
    ], [['x', [2, 6, 8]]], 'z', [f32('w1', values(8 * 16, 1), [8, 16]), f32('b1', values(16, 2), [16]),
      f32('w2', values(16 * 8, 3), [16, 8]), f32('b2', values(8, 4), [8])]);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul+bias+relu', 'MatMul+bias+residual']);
    await expectSameOutputs(bytes, { x: input([2, 6, 8], 5) }, EXACT, { rtol: 1e-5, atol: 1e-6 });
  });
});

describe('no residual fusion where it would change what the graph computes', () => {
  it('the Add broadcasts (a per-channel tensor)', async () => {
    const bytes = graph([conv('x', 'w1', 'y1'), { op: 'Add', inputs: ['y1', 'c'], outputs: ['z'] }],
      [['x', [1, 3, 4, 4]]], 'z', [...convInits('w1', 3, 3, 3, 2), f32('c', values(3, 9), [1, 3, 1, 1])]);
    expect(await rewrittenSteps(bytes)).toEqual(['Conv', 'Add']);
  });
  it('an activation already fused into the Conv runs before the Add', async () => {
    const bytes = graph([conv('x', 'w1', 'y1'), { op: 'Relu', inputs: ['y1'], outputs: ['r'] }, { op: 'Add', inputs: ['r', 'x'], outputs: ['z'] }],
      [['x', [1, 3, 4, 4]]], 'z', convInits('w1', 3, 3, 3, 2));
    expect(await rewrittenSteps(bytes)).toEqual(['Conv+relu', 'Add']);
    await expectSameOutputs(bytes, { x: input([1, 3, 4, 4], 1) });
  });
  it('the Conv output has another reader', async () => {
    const bytes = graph([conv('x', 'w1', 'y1'), { op: 'Add', inputs: ['y1', 'x'], outputs: ['s'] }, { op: 'Mul', inputs: ['s', 'y1'], outputs: ['z'] }],
      [['x', [1, 3, 4, 4]]], 'z', convInits('w1', 3, 3, 3, 2));
    expect(await rewrittenSteps(bytes)).toEqual(['Conv', 'Add', 'Mul']);
  });
  it('Add(y, y) of one Conv output', async () => {
    const bytes = graph([conv('x', 'w1', 'y1'), { op: 'Add', inputs: ['y1', 'y1'], outputs: ['z'] }],
      [['x', [1, 3, 4, 4]]], 'z', convInits('w1', 3, 3, 3, 2));
    expect(await rewrittenSteps(bytes)).toEqual(['Conv', 'Add']);
    await expectSameOutputs(bytes, { x: input([1, 3, 4, 4], 1) });
  });
});
