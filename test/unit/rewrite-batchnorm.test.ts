// BatchNormalization folded into the Conv before it (src/runtime/rewrite/batchnorm.ts): the plan
// loses the BatchNormalization step, and the outputs equal the graph run as written (and
// onnxruntime-node's) within the bound batchnorm.ts states: a few float32 roundings of
// |s| * sum |W x| + |s (B - mean)| + |bias|, which for these inputs is below 2^-20 * max |y|.

import { describe, expect, it } from 'vitest';
import { type NodeSpec, type TensorSpec, writeModel } from '../helpers/onnx-writer.js';
import { FLOAT, expectSameOutputs, f32, input, maxAbs, planSteps, rewrittenSteps, values } from '../helpers/rewrites.js';

const X = [1, 3, 9, 7];

function bnParams(c: number, prefix = ''): TensorSpec[] {
  return [
    f32(`${prefix}scale`, values(c, 11, 3), [c]),
    f32(`${prefix}bias`, values(c, 12), [c]),
    f32(`${prefix}mean`, values(c, 13), [c]),
    f32(`${prefix}var`, values(c, 14).map((v) => v * v + 0.05), [c]),
  ];
}

function model(opts: { convBias?: boolean; after?: NodeSpec[]; bnAttrs?: NodeSpec['attrs']; extraOut?: string[]; opset?: number } = {}) {
  const convIn = opts.convBias === false ? ['x', 'w'] : ['x', 'w', 'b'];
  const out = opts.after ? 'z' : 'n';
  return writeModel({
    opsets: [['', opts.opset ?? 17]],
    graph: {
      nodes: [
        { op: 'Conv', inputs: convIn, outputs: ['y'], attrs: [{ name: 'pads', ints: [1, 1, 1, 1] }] },
        { op: 'BatchNormalization', inputs: ['y', 'scale', 'bias', 'mean', 'var'], outputs: ['n'], attrs: opts.bnAttrs ?? [{ name: 'epsilon', f: 1e-3 }] },
        ...(opts.after ?? []),
      ],
      inputs: [{ name: 'x', elemType: FLOAT, shape: X }],
      outputs: [{ name: out, elemType: FLOAT }, ...(opts.extraOut ?? []).map((name) => ({ name, elemType: FLOAT }))],
      initializers: [f32('w', values(5 * 27, 2), [5, 3, 3, 3]), f32('b', values(5, 3), [5]), ...bnParams(5)],
    },
  });
}

async function bound(bytes: Uint8Array) {
  const want = await expectSameOutputs(bytes, { x: input(X, 1, 4) }, { rtol: 0, atol: Infinity });
  const m = Math.max(...Object.values(want).map(maxAbs));
  return { rtol: 0, atol: 2 ** -20 * m };
}

describe('BatchNormalization folds into the Conv before it', () => {
  it('Conv(X, W, B) + BatchNormalization + Relu: one Conv+relu step, same outputs as written and as onnxruntime', async () => {
    const bytes = model({ after: [{ op: 'Relu', inputs: ['n'], outputs: ['z'] }] });
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'Conv+relu']);
    await expectSameOutputs(bytes, { x: input(X, 1, 4) }, await bound(bytes), { rtol: 1e-5, atol: 1e-5 });
  });

  it('a Conv without bias gets one', async () => {
    const bytes = model({ convBias: false, after: [{ op: 'Relu', inputs: ['n'], outputs: ['z'] }] });
    const steps = await planSteps(bytes);
    expect(steps.map((s) => s.node.opType)).toEqual(['Constant', 'Conv']);
    expect(steps[1]!.node.inputs.length).toBe(3);
    await expectSameOutputs(bytes, { x: input(X, 1, 4) }, await bound(bytes), { rtol: 1e-5, atol: 1e-5 });
  });

  it('BatchNormalization-9 (no training_mode attribute) and two folds in one graph', async () => {
    const bytes = writeModel({
      opsets: [['', 9]],
      graph: {
        nodes: [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: [{ name: 'pads', ints: [1, 1, 1, 1] }] },
          { op: 'BatchNormalization', inputs: ['y', 'scale', 'bias', 'mean', 'var'], outputs: ['n'] },
          { op: 'Conv', inputs: ['n', 'w2', 'b2'], outputs: ['y2'] },
          { op: 'BatchNormalization', inputs: ['y2', '2scale', '2bias', '2mean', '2var'], outputs: ['z'] },
        ],
        inputs: [{ name: 'x', elemType: FLOAT, shape: X }],
        outputs: [{ name: 'z', elemType: FLOAT }],
        initializers: [f32('w', values(5 * 27, 2), [5, 3, 3, 3]), ...bnParams(5), f32('w2', values(4 * 5, 4), [4, 5, 1, 1]),
          f32('b2', values(4, 5), [4]), ...bnParams(4, '2')],
      },
    });
    expect(await rewrittenSteps(bytes)).toEqual(['Constant', 'Conv', 'Conv']);
    await expectSameOutputs(bytes, { x: input(X, 1, 4) }, await bound(bytes));
  });
});

describe('no fold where it would change what the graph computes', () => {
  it('the Conv output is also a graph output', async () => {
    const bytes = model({ extraOut: ['y'] });
    expect(await rewrittenSteps(bytes)).toEqual(['Conv', 'BatchNormalization']);
  });
  it('training_mode 1 (batch statistics)', async () => {
    const bytes = model({ bnAttrs: [{ name: 'training_mode', i: 1 }] });
    expect(await rewrittenSteps(bytes)).toEqual(['Conv', 'BatchNormalization']);
    await expectSameOutputs(bytes, { x: input(X, 1, 4) });
  });
  it('statistics that are graph inputs, not constants', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] },
          { op: 'BatchNormalization', inputs: ['y', 'scale', 'bias', 'mean', 'var'], outputs: ['n'] },
        ],
        inputs: [{ name: 'x', elemType: FLOAT, shape: X }, { name: 'mean', elemType: FLOAT, shape: [5] }],
        outputs: [{ name: 'n', elemType: FLOAT }],
        initializers: [f32('w', values(5 * 27, 2), [5, 3, 3, 3]), ...bnParams(5)],
      },
    });
    // 'mean' is both an initializer and an input: a feed may replace it.
    expect(await rewrittenSteps(bytes)).toEqual(['Conv', 'BatchNormalization']);
  });
});
