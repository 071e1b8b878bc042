import { describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import { GraphError, InvalidArgumentError, ShapeError, UnsupportedOpError } from '../../src/errors.js';
import { InferenceSession } from '../../src/api/session.js';
import { OpRegistry } from '../../src/runtime/registry.js';
import { planModel } from '../../src/runtime/plan.js';
import { Tensor } from '../../src/tensor.js';
import { type OpDef, op } from '../../ops/op-def.js';
import { type ModelSpec, f32raw, writeModel } from '../helpers/onnx-writer.js';

const FLOAT = 1;

// Test-only ops with obvious semantics, independent of the real operator library.
const addOne = (since: number, delta: number): OpDef => op({
  name: 'AddK', domain: 'test', since,
  parse: (a) => Object.freeze({ k: a.float('k', delta) }),
  run: ([x], { k }) => [new Tensor('float32', (x!.data as Float32Array).map((v) => v + k), x!.dims)],
});
const plus: OpDef = op({
  name: 'Plus', domain: 'test', since: 1,
  run: ([a, b]) => [new Tensor('float32', (a!.data as Float32Array).map((v, i) => v + (b!.data as Float32Array)[i]!), a!.dims)],
});
const registry = new OpRegistry([addOne(1, 1), addOne(5, 100), plus]);

const base = (nodes: ModelSpec['graph']['nodes'], opset = 3): ModelSpec => ({
  opsets: [['', 17], ['test', opset]],
  graph: {
    nodes,
    inputs: [{ name: 'x', elemType: FLOAT, shape: [2] }],
    outputs: [{ name: 'y', elemType: FLOAT, shape: [2] }],
  },
});

async function session(spec: ModelSpec) {
  return InferenceSession.fromModel(await loadOnnxModel(writeModel(spec)), registry);
}

describe('runtime', () => {
  it('resolves the newest definition with since <= the model opset', async () => {
    const x = new Tensor('float32', [1, 2], [2]);
    const old = await session(base([{ op: 'AddK', domain: 'test', inputs: ['x'], outputs: ['y'] }], 3));
    expect(Array.from((await old.run({ x })).y!.data as Float32Array)).toEqual([2, 3]);
    const next = await session(base([{ op: 'AddK', domain: 'test', inputs: ['x'], outputs: ['y'] }], 7));
    expect(Array.from((await next.run({ x })).y!.data as Float32Array)).toEqual([101, 102]);
  });

  it('lists every unsupported op at once', async () => {
    const model = await loadOnnxModel(writeModel(base([
      { op: 'Frobnicate', inputs: ['x'], outputs: ['a'] },
      { op: 'Wibble', domain: 'test', inputs: ['a'], outputs: ['b'] },
      { op: 'Frobnicate', inputs: ['b'], outputs: ['y'] },
    ])));
    let err: unknown;
    try { InferenceSession.fromModel(model, registry); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).ops).toEqual(['ai.onnx::Frobnicate(17)', 'test::Wibble(3)']);
  });

  it('releases each intermediate value after its last reader', async () => {
    const model = await loadOnnxModel(writeModel(base([
      { op: 'AddK', domain: 'test', inputs: ['x'], outputs: ['a'] },
      { op: 'AddK', domain: 'test', inputs: ['a'], outputs: ['b'] },
      { op: 'Plus', domain: 'test', inputs: ['a', 'b'], outputs: ['c'] },
      { op: 'AddK', domain: 'test', inputs: ['c'], outputs: ['y'] },
    ])));
    const plan = planModel(model, registry);
    expect(plan.steps.map((s) => [...s.release].sort())).toEqual([['x'], [], ['a', 'b'], ['c']]);
    const s = InferenceSession.fromModel(model, registry);
    // x=1: a=2, b=3, c=5, y=6
    expect(Array.from((await s.run({ x: new Tensor('float32', [1, 1], [2]) })).y!.data as Float32Array)).toEqual([6, 6]);
  });

  it('checks inputs against declared names, types and shapes', async () => {
    const s = await session(base([{ op: 'AddK', domain: 'test', inputs: ['x'], outputs: ['y'] }]));
    await expect(s.run({})).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.run({ x: new Tensor('float64', [1, 2], [2]) })).rejects.toThrow(/expected a float32 tensor, got float64/);
    await expect(s.run({ x: new Tensor('float32', [1, 2, 3], [3]) })).rejects.toBeInstanceOf(ShapeError);
    await expect(s.run({ x: new Tensor('float32', [1, 2], [2]), z: new Tensor('float32', [1], [1]) })).rejects.toThrow(/'z' is not an input/);
  });

  it('rejects graphs reading undefined values or with cycles, naming the node', async () => {
    const undef = await loadOnnxModel(writeModel(base([{ op: 'Plus', domain: 'test', name: 'p', inputs: ['x', 'ghost'], outputs: ['y'] }])));
    expect(() => InferenceSession.fromModel(undef, registry)).toThrow(/node 'p'.*'ghost' is not defined/);
    const cyc = await loadOnnxModel(writeModel(base([
      { op: 'Plus', domain: 'test', name: 'p1', inputs: ['x', 'b'], outputs: ['a'] },
      { op: 'AddK', domain: 'test', name: 'p2', inputs: ['a'], outputs: ['b'] },
      { op: 'AddK', domain: 'test', inputs: ['b'], outputs: ['y'] },
    ])));
    expect(() => InferenceSession.fromModel(cyc, registry)).toThrow(GraphError);
  });

  it('runs nodes given out of topological order', async () => {
    const s = await session(base([
      { op: 'AddK', domain: 'test', inputs: ['a'], outputs: ['y'] },
      { op: 'AddK', domain: 'test', inputs: ['x'], outputs: ['a'] },
    ]));
    expect(Array.from((await s.run({ x: new Tensor('float32', [0, 1], [2]) })).y!.data as Float32Array)).toEqual([2, 3]);
  });

  it('runs model-local functions, binding attribute references', async () => {
    const spec = base([{ op: 'Twice', domain: 'local', inputs: ['x'], outputs: ['y'], attrs: [{ name: 'step', f: 10 }] }]);
    spec.opsets!.push(['local', 1]);
    spec.functions = [{
      name: 'Twice', domain: 'local', inputs: ['i'], outputs: ['o'], attributes: ['step'],
      opsets: [['test', 1]],
      nodes: [
        { op: 'AddK', domain: 'test', inputs: ['i'], outputs: ['m'], attrs: [{ name: 'k', ref: 'step', type: 1 }] },
        { op: 'AddK', domain: 'test', inputs: ['m'], outputs: ['o'] },
      ],
    }];
    const s = await session(spec);
    expect(Array.from((await s.run({ x: new Tensor('float32', [1, 2], [2]) })).y!.data as Float32Array)).toEqual([12, 13]);
  });

  it('feeds initializers to nodes and exposes only real inputs', async () => {
    const spec = base([{ op: 'Plus', domain: 'test', inputs: ['x', 'w'], outputs: ['y'] }]);
    spec.graph.initializers = [{ name: 'w', dataType: FLOAT, dims: [2], raw: f32raw([10, 20]) }];
    spec.graph.inputs.push({ name: 'w', elemType: FLOAT, shape: [2] });
    const s = await session(spec);
    expect(s.inputNames).toEqual(['x']);
    expect(s.inputMetadata[0]).toMatchObject({ name: 'x', isTensor: true, type: 'float32', shape: [2] });
    expect(Array.from((await s.run({ x: new Tensor('float32', [1, 2], [2]) })).y!.data as Float32Array)).toEqual([11, 22]);
  });
});
