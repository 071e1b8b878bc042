// Constant folding when the session is planned (src/runtime/rewrite/fold.ts): Shape -> Gather ->
// Unsqueeze -> Concat chains in front of Reshape resolve to one constant when the input dims are
// static, Constant and Identity nodes leave the plan, and what is left reads the same numbers:
// the folded values are what the nodes' own ops compute, so outputs are bit for bit the same.

import { describe, expect, it } from 'vitest';
import { type NodeSpec, type ValueSpec, writeModel } from '../helpers/onnx-writer.js';
import { FLOAT, expectSameOutputs, f32, i64, input, planSteps, rewrittenSteps, values } from '../helpers/rewrites.js';
import { Tensor } from '../../src/tensor.js';

/** x [B, S, 8] -> Reshape to [B, S, 2, 4] with the target computed from Shape(x), as PyTorch exports view(). */
const shapeChain: NodeSpec[] = [
  { op: 'Shape', inputs: ['x'], outputs: ['s'] },
  { op: 'Gather', inputs: ['s', 'i0'], outputs: ['b'], attrs: [{ name: 'axis', i: 0 }] },
  { op: 'Gather', inputs: ['s', 'i1'], outputs: ['t'], attrs: [{ name: 'axis', i: 0 }] },
  { op: 'Unsqueeze', inputs: ['b', 'ax0'], outputs: ['b1'] },
  { op: 'Unsqueeze', inputs: ['t', 'ax0'], outputs: ['t1'] },
  { op: 'Concat', inputs: ['b1', 't1', 'heads'], outputs: ['target'], attrs: [{ name: 'axis', i: 0 }] },
  { op: 'Reshape', inputs: ['x', 'target'], outputs: ['r'] },
  { op: 'Relu', inputs: ['r'], outputs: ['z'] },
];
const chainInits = [
  { name: 'i0', dataType: 7, dims: [], int64s: [0n] }, { name: 'i1', dataType: 7, dims: [], int64s: [1n] },
  i64('ax0', [0]), i64('heads', [2, 4]),
];

function chainModel(shape: ValueSpec['shape']) {
  return writeModel({
    opsets: [['', 17]],
    graph: { nodes: shapeChain, inputs: [{ name: 'x', elemType: FLOAT, shape }], outputs: [{ name: 'z', elemType: FLOAT }], initializers: chainInits },
  });
}

describe('constant folding', () => {
  it('a Shape/Gather/Unsqueeze/Concat chain in front of Reshape becomes one constant', async () => {
    const bytes = chainModel([3, 5, 8]);
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'Reshape', 'Relu']);
    const steps = await planSteps(bytes);
    const target = (steps[0]!.attrs as Tensor[])[0]!;
    expect([...(target.data as BigInt64Array)]).toEqual([3n, 5n, 2n, 4n]);
    const got = await expectSameOutputs(bytes, { x: input([3, 5, 8], 1) });
    expect(got.z!.dims).toEqual([3, 5, 2, 4]);
  });

  it('not with a symbolic dim: the chain runs as written and follows the fed shape', async () => {
    const bytes = chainModel(['batch', 5, 8]);
    expect((await rewrittenSteps(bytes)).filter((t) => t === 'Shape')).toEqual(['Shape']);
    for (const b of [1, 4]) {
      const got = await expectSameOutputs(bytes, { x: input([b, 5, 8], b) });
      expect(got.z!.dims).toEqual([b, 5, 2, 4]);
    }
  });

  it('Constant nodes and arithmetic on them fold; Identity of a weight is read under the weight\'s name', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { op: 'Constant', inputs: [], outputs: ['two'], attrs: [{ name: 'value', t: { dataType: FLOAT, dims: [], floats: [2] } }] },
          { op: 'Mul', inputs: ['bias', 'two'], outputs: ['bias2'] },
          { op: 'Identity', inputs: ['w'], outputs: ['w_alias'] },
          { op: 'MatMul', inputs: ['x', 'w_alias'], outputs: ['y'] },
          { op: 'Add', inputs: ['y', 'bias2'], outputs: ['z'] },
        ],
        inputs: [{ name: 'x', elemType: FLOAT, shape: [4, 6] }],
        outputs: [{ name: 'z', elemType: FLOAT }],
        initializers: [f32('w', values(30, 3), [6, 5]), f32('bias', values(5, 4), [5])],
      },
    });
    const steps = await planSteps(bytes);
    expect(steps.map((s) => s.node.opType)).toEqual(['Constant', 'MatMul']);
    // The weight is read as the initializer itself, so the MatMul keeps its packed form.
    expect(steps[1]!.node.inputs[1]).toBe('w');
    expect(steps[1]!.isConstant?.(1)).toBe(true);
    await expectSameOutputs(bytes, { x: input([4, 6], 1) });
  });

  it('folded values and aliases that a subgraph reads stay in scope for it', async () => {
    const branch = (y: string) => ({
      nodes: [{ op: 'Add', inputs: ['x', 'w_alias'], outputs: [`${y}0`] }, { op: 'Reshape', inputs: [`${y}0`, 'target'], outputs: [y] }],
      inputs: [], outputs: [{ name: y, elemType: FLOAT }],
    });
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { op: 'Identity', inputs: ['w'], outputs: ['w_alias'] },
          { op: 'Shape', inputs: ['x'], outputs: ['s'] },
          { op: 'ReduceProd', inputs: ['s'], outputs: ['n'], attrs: [{ name: 'keepdims', i: 1 }] },
          { op: 'Concat', inputs: ['n', 'one'], outputs: ['target'], attrs: [{ name: 'axis', i: 0 }] },
          { op: 'If', inputs: ['c'], outputs: ['z'], attrs: [{ name: 'then_branch', g: branch('t') }, { name: 'else_branch', g: branch('e') }] },
        ],
        inputs: [{ name: 'x', elemType: FLOAT, shape: [2, 3] }, { name: 'c', elemType: 9, shape: [] }],
        outputs: [{ name: 'z', elemType: FLOAT }],
        initializers: [f32('w', values(6, 3), [2, 3]), i64('one', [1])],
      },
    });
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'If']);
    const got = await expectSameOutputs(bytes, { x: input([2, 3], 1), c: new Tensor('bool', [true], []) });
    expect(got.z!.dims).toEqual([6, 1]);
  });

  it('an initializer a feed can replace is no constant', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { op: 'Mul', inputs: ['k', 'k'], outputs: ['k2'] },
          { op: 'Add', inputs: ['x', 'k2'], outputs: ['s'] },
          { op: 'Relu', inputs: ['s'], outputs: ['z'] },
        ],
        inputs: [{ name: 'x', elemType: FLOAT, shape: [3] }, { name: 'k', elemType: FLOAT, shape: [3] }],
        outputs: [{ name: 'z', elemType: FLOAT }],
        initializers: [f32('k', [1, 2, 3], [3])],
      },
    });
    expect(await rewrittenSteps(bytes)).toEqual(['Mul', 'Add', 'Relu']);
    const s = await (await import('../../src/api/session.js')).InferenceSession.create(bytes);
    const out = await s.run({ x: new Tensor('float32', [0, 0, 0], [3]), k: new Tensor('float32', [-1, 1, 4], [3]) });
    expect([...(out.z!.data as Float32Array)]).toEqual([1, 1, 16]);
  });

  it('not a graph output, not a large computed value, not a nondeterministic op', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { op: 'Add', inputs: ['a', 'a'], outputs: ['out1'] },
          { op: 'Tile', inputs: ['a', 'reps'], outputs: ['big'] },
          { op: 'ReduceSum', inputs: ['big'], outputs: ['sum'], attrs: [{ name: 'keepdims', i: 0 }] },
          { op: 'RandomUniformLike', inputs: ['a'], outputs: ['rnd'] },
          { op: 'Mul', inputs: ['rnd', 'zero'], outputs: ['r0'] },
          { op: 'Add', inputs: ['sum', 'r0'], outputs: ['out2'] },
        ],
        inputs: [],
        outputs: [{ name: 'out1', elemType: FLOAT }, { name: 'out2', elemType: FLOAT }],
        initializers: [f32('a', [1], [1]), i64('reps', [1 << 17]), f32('zero', [0], [1])],
      },
    });
    expect((await rewrittenSteps(bytes)).sort()).toEqual(['Add', 'Add', 'Mul', 'RandomUniformLike', 'ReduceSum', 'Tile']);
    const out = await expectSameOutputs(bytes, {});
    expect([...(out.out2!.data as Float32Array)]).toEqual([1 << 17]);
  });
});
