// The planner's fusion of activations into Conv/Gemm (src/runtime/fuse.ts): each rewritten graph
// must give the same outputs as the graph run as written (graphOptimizationLevel 'disabled', which
// runs every node with its own op), and the rewrite must really happen, or really not happen where
// it would change the meaning.

import { describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import { planModel } from '../../src/runtime/plan.js';
import { InferenceSession, defaultOpRegistry } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import { compareTensors } from '../helpers/allclose.js';
import { type AttrSpec, type NodeSpec, type TensorSpec, writeModel } from '../helpers/onnx-writer.js';

const FLOAT = 1;

function values(n: number, seed: number, scale = 2): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    out.push(((s >>> 8) / 2 ** 24 - 0.5) * scale);
  }
  return out;
}
const f32 = (name: string, vals: number[], dims: number[]): TensorSpec => ({ name, dataType: FLOAT, dims, floats: vals });

interface Act { name: string; nodes: (y: string, out: string) => NodeSpec[]; inits?: TensorSpec[]; opset?: number }
const ACTS: Act[] = [
  { name: 'Relu', nodes: (y, o) => [{ op: 'Relu', inputs: [y], outputs: [o] }] },
  { name: 'LeakyRelu', nodes: (y, o) => [{ op: 'LeakyRelu', inputs: [y], outputs: [o], attrs: [{ name: 'alpha', f: 0.1 }] }] },
  { name: 'Sigmoid', nodes: (y, o) => [{ op: 'Sigmoid', inputs: [y], outputs: [o] }] },
  { name: 'HardSigmoid', nodes: (y, o) => [{ op: 'HardSigmoid', inputs: [y], outputs: [o], attrs: [{ name: 'alpha', f: 0.3 }, { name: 'beta', f: 0.4 }] }] },
  { name: 'HardSwish', nodes: (y, o) => [{ op: 'HardSwish', inputs: [y], outputs: [o] }] },
  { name: 'Gelu', opset: 20, nodes: (y, o) => [{ op: 'Gelu', inputs: [y], outputs: [o] }] },
  { name: 'Gelu tanh', opset: 20, nodes: (y, o) => [{ op: 'Gelu', inputs: [y], outputs: [o], attrs: [{ name: 'approximate', s: 'tanh' }] }] },
  { name: 'Clip(0, 6) (Relu6)', inits: [f32('lo', [0], []), f32('hi', [6], [])], nodes: (y, o) => [{ op: 'Clip', inputs: [y, 'lo', 'hi'], outputs: [o] }] },
  { name: 'Clip with Constant-node bounds (as exporters write Relu6)', nodes: (y, o) => [
    { op: 'Constant', inputs: [], outputs: ['c0'], attrs: [{ name: 'value', t: { dataType: FLOAT, dims: [], floats: [0] } }] },
    { op: 'Constant', inputs: [], outputs: ['c6'], attrs: [{ name: 'value', t: { dataType: FLOAT, dims: [], floats: [6] } }] },
    { op: 'Clip', inputs: [y, 'c0', 'c6'], outputs: [o] },
  ] },
  { name: 'Clip max only', inits: [f32('hi', [0.5], [])], nodes: (y, o) => [{ op: 'Clip', inputs: [y, '', 'hi'], outputs: [o] }] },
  { name: 'Clip-6 attributes', opset: 6, nodes: (y, o) => [{ op: 'Clip', inputs: [y], outputs: [o], attrs: [{ name: 'min', f: -0.5 }, { name: 'max', f: 0.25 }] }] },
  { name: 'SiLU x*sigmoid(x)', nodes: (y, o) => [{ op: 'Sigmoid', inputs: [y], outputs: ['sig'] }, { op: 'Mul', inputs: [y, 'sig'], outputs: [o] }] },
  { name: 'SiLU sigmoid(x)*x', nodes: (y, o) => [{ op: 'Sigmoid', inputs: [y], outputs: ['sig'] }, { op: 'Mul', inputs: ['sig', y], outputs: [o] }] },
];

function convModel(act: Act, extraOutputs: string[] = []): { bytes: Uint8Array; feeds: Record<string, Tensor> } {
  const attrs: AttrSpec[] = [{ name: 'pads', ints: [1, 1, 1, 1] }, { name: 'strides', ints: [2, 1] }];
  const bytes = writeModel({
    opsets: [['', act.opset ?? 17]],
    graph: {
      nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs }, ...act.nodes('y', 'z')],
      inputs: [{ name: 'x', elemType: FLOAT, shape: [1, 3, 9, 7] }],
      outputs: [{ name: 'z', elemType: FLOAT }, ...extraOutputs.map((name) => ({ name, elemType: FLOAT }))],
      initializers: [f32('w', values(5 * 3 * 3 * 3, 2), [5, 3, 3, 3]), f32('b', values(5, 3), [5]), ...(act.inits ?? [])],
    },
  });
  return { bytes, feeds: { x: new Tensor('float32', values(3 * 9 * 7, 1, 8), [1, 3, 9, 7]) } };
}

function gemmModel(act: Act): { bytes: Uint8Array; feeds: Record<string, Tensor> } {
  const bytes = writeModel({
    opsets: [['', act.opset ?? 17]],
    graph: {
      nodes: [{ op: 'Gemm', inputs: ['a', 'w', 'c'], outputs: ['y'], attrs: [{ name: 'transB', i: 1 }, { name: 'beta', f: 0.5 }, ...((act.opset ?? 17) < 7 ? [{ name: 'broadcast', i: 1 }] : [])] }, ...act.nodes('y', 'z')],
      inputs: [{ name: 'a', elemType: FLOAT, shape: [4, 11] }],
      outputs: [{ name: 'z', elemType: FLOAT }],
      initializers: [f32('w', values(6 * 11, 5), [6, 11]), f32('c', values(6, 6), [6]), ...(act.inits ?? [])],
    },
  });
  return { bytes, feeds: { a: new Tensor('float32', values(4 * 11, 4, 6), [4, 11]) } };
}

async function stepsOf(bytes: Uint8Array, level?: 'disabled'): Promise<string[]> {
  const model = await loadOnnxModel(bytes);
  return planModel(model, defaultOpRegistry(), undefined, { graphOptimizationLevel: level }).steps.map((s) => s.node.opType);
}

async function expectSameOutputs(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<void> {
  const fused = await InferenceSession.create(bytes);
  const plain = await InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const want = await plain.run(feeds);
  for (let r = 0; r < 2; r++) { // the second run uses the weights packed by the first
    const got = await fused.run(feeds);
    for (const k of Object.keys(want)) expect(compareTensors(got[k]!, want[k]!, { rtol: 1e-6, atol: 1e-6 }), `${k} (run ${r + 1})`).toBe('');
  }
}

describe('activations fuse into Conv and Gemm, with the same outputs as the graph as written', () => {
  for (const act of ACTS) {
    it(`Conv + ${act.name}`, async () => {
      const { bytes, feeds } = convModel(act);
      expect((await stepsOf(bytes)).filter((t) => t !== 'Constant')).toEqual(['Conv']);
      expect((await stepsOf(bytes, 'disabled')).length).toBeGreaterThan(1);
      await expectSameOutputs(bytes, feeds);
    });
    it(`Gemm + ${act.name}`, async () => {
      const { bytes, feeds } = gemmModel(act);
      expect((await stepsOf(bytes)).filter((t) => t !== 'Constant')).toEqual(['Gemm']);
      await expectSameOutputs(bytes, feeds);
    });
  }
});

describe('no fusion where it would change what the graph computes', () => {
  it('the Conv output is also a graph output', async () => {
    const { bytes, feeds } = convModel(ACTS[0]!, ['y']);
    expect(await stepsOf(bytes)).toEqual(['Conv', 'Relu']);
    await expectSameOutputs(bytes, feeds);
  });
  it('the Conv output has another reader', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] },
          { op: 'Relu', inputs: ['y'], outputs: ['r'] },
          { op: 'Add', inputs: ['y', 'r'], outputs: ['z'] },
        ],
        inputs: [{ name: 'x', elemType: FLOAT, shape: [1, 1, 4, 4] }],
        outputs: [{ name: 'z', elemType: FLOAT }],
        initializers: [f32('w', values(9, 7), [1, 1, 3, 3])],
      },
    });
    expect(await stepsOf(bytes)).toEqual(['Conv', 'Relu', 'Add']);
    await expectSameOutputs(bytes, { x: new Tensor('float32', values(16, 8, 4), [1, 1, 4, 4]) });
  });
  it('Clip bounds that are graph inputs (not constants)', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }, { op: 'Clip', inputs: ['y', 'lo'], outputs: ['z'] }],
        inputs: [{ name: 'x', elemType: FLOAT, shape: [1, 1, 4, 4] }, { name: 'lo', elemType: FLOAT, shape: [] }],
        outputs: [{ name: 'z', elemType: FLOAT }],
        initializers: [f32('w', values(9, 7), [1, 1, 3, 3])],
      },
    });
    expect(await stepsOf(bytes)).toEqual(['Conv', 'Clip']);
  });
  it('a float64 Conv (the fused epilogue is float32 only)', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }, { op: 'Relu', inputs: ['y'], outputs: ['z'] }],
        inputs: [{ name: 'x', elemType: 11, shape: [1, 1, 4, 4] }],
        outputs: [{ name: 'z', elemType: 11 }],
        initializers: [{ name: 'w', dataType: 11, dims: [1, 1, 3, 3], doubles: values(9, 7) }],
      },
    });
    expect(await stepsOf(bytes)).toEqual(['Conv', 'Relu']);
  });
});

describe('constant weights are packed once per session', () => {
  it('the Conv and Gemm memos hold the packed weight from the first run on, and a second session packs its own', async () => {
    const { bytes, feeds } = convModel(ACTS[0]!);
    const model = await loadOnnxModel(bytes);
    const session = InferenceSession.fromModel(model);
    const plan = (session as unknown as { onnx: { plan: { steps: { memo?: { value?: unknown } }[] } } }).onnx.plan;
    const memo = plan.steps[0]!.memo!;
    expect(memo.value).toBeUndefined();
    const first = await session.run(feeds);
    const packed = memo.value;
    expect(packed).toBeDefined();
    const second = await session.run(feeds);
    expect(memo.value).toBe(packed);
    expect(compareTensors(second.z!, first.z!, { rtol: 0, atol: 0 })).toBe('');
  });
  it('a weight that is a graph input is not kept: each run packs what it is given', async () => {
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
        inputs: [{ name: 'x', elemType: FLOAT, shape: [1, 1, 4, 4] }, { name: 'w', elemType: FLOAT, shape: [1, 1, 3, 3] }],
        outputs: [{ name: 'y', elemType: FLOAT }],
      },
    });
    const s = await InferenceSession.create(bytes);
    const x = new Tensor('float32', values(16, 8, 4), [1, 1, 4, 4]);
    const a = await s.run({ x, w: new Tensor('float32', new Float32Array(9).fill(1), [1, 1, 3, 3]) });
    const b = await s.run({ x, w: new Tensor('float32', new Float32Array(9).fill(2), [1, 1, 3, 3]) });
    const ad = a.y!.data as Float32Array;
    const bd = b.y!.data as Float32Array;
    for (let i = 0; i < ad.length; i++) expect(bd[i]).toBeCloseTo(2 * ad[i]!, 5);
  });
});
