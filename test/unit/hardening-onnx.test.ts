// Issue 9, ONNX side: a model file is untrusted input. External data stays inside the model's
// folder and within its declared range; outputs, loops and runs are bounded by ResourceLimits;
// public calls with bad arguments get typed errors.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import '../../src/node.js'; // installs the file loader for InferenceSession.create(path)
import { readModelFile } from '../../src/node.js';
import { main } from '../../src/cli/main.js';
import { parseRunArgs } from '../../src/cli/run.js';
import { writeNpy } from '../../src/formats/npy/npy.js';
import {
  InvalidArgumentError, ModelFormatError, ResourceLimitError, RunCancelledError,
} from '../../src/errors.js';
import { InferenceSession } from '../../src/api/session.js';
import { planModel } from '../../src/runtime/plan.js';
import { defaultOpRegistry } from '../../src/api/session.js';
import { buildBackwardGraph } from '../../ops/onnx/gradient.js';
import { Tensor } from '../../src/tensor.js';
import { allocate, withElementCap } from '../../src/dtypes.js';
import { op } from '../../ops/op-def.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import {
  type GraphSpec, type ModelSpec, type NodeSpec, type TensorSpec, f32raw, writeModel,
} from '../helpers/onnx-writer.js';

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;

const tmp = () => mkdtempSync(join(tmpdir(), 'tessera-h9-'));
const i64 = (name: string, vals: number[], dims = [vals.length]): TensorSpec =>
  ({ name, dataType: INT64, dims, int64s: vals.map(BigInt) });
const f32 = (name: string, vals: number[], dims = [vals.length]): TensorSpec =>
  ({ name, dataType: FLOAT, dims, floats: vals });

/** A one-node model whose inputs are all initializers: running it needs no feeds. */
function oneNode(node: NodeSpec, initializers: TensorSpec[], opset = 17, outType = FLOAT): Uint8Array {
  return writeModel({
    opsets: [['', opset]],
    graph: { nodes: [{ name: 'big', ...node }], inputs: [], outputs: [{ name: node.outputs[0]!, elemType: outType }], initializers },
  });
}

/** Expects a ResourceLimitError with `limit`, whose message names `where`. */
async function expectLimit(p: Promise<unknown> | (() => unknown), limit: string, where: RegExp): Promise<ResourceLimitError> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ResourceLimitError);
  const e = err as ResourceLimitError;
  expect(e.code).toBe('RESOURCE_LIMIT');
  expect(e.limit).toBe(limit);
  expect(e.message).toMatch(where);
  return e;
}

// ---- Finding 1 and 2: external data ----

/** A model whose initializer 'w' (float32[2]) lives in `location`; output y = Identity(w). */
function externalModel(location: string, offset?: number, length?: number, dims = [2]): Uint8Array {
  return writeModel({
    graph: {
      nodes: [{ op: 'Identity', inputs: ['w'], outputs: ['y'] }],
      inputs: [],
      outputs: [{ name: 'y', elemType: FLOAT }],
      initializers: [{ name: 'w', dataType: FLOAT, dims, external: { location, offset, length } }],
    },
  });
}

describe('external data stays inside the model folder (finding 1)', () => {
  it('reads an inside file, at its offset and length only', async () => {
    const dir = tmp();
    const data = new Uint8Array(24);
    data.set(f32raw([7, 8]), 8);
    writeFileSync(join(dir, 'w.bin'), data);
    writeFileSync(join(dir, 'm.onnx'), externalModel('w.bin', 8, 8));
    const s = await InferenceSession.create(join(dir, 'm.onnx'));
    const { y } = await s.run({});
    expect(Array.from(y!.data as Float32Array)).toEqual([7, 8]);
  });

  it('refuses a location that is a symlink to a file outside the folder', async () => {
    const dir = tmp();
    const outside = join(tmp(), 'secret.bin');
    writeFileSync(outside, f32raw([1, 2]));
    symlinkSync(outside, join(dir, 'w.bin'));
    writeFileSync(join(dir, 'm.onnx'), externalModel('w.bin'));
    const err = await InferenceSession.create(join(dir, 'm.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as ModelFormatError).code).toBe('MODEL_FORMAT');
    expect((err as Error).message).toMatch(/external data 'w\.bin'.*outside the model's folder/);
  });

  it('refuses a location whose folder is a symlink out of the model folder (lnk/passwd, lnk -> /etc)', async () => {
    const dir = tmp();
    symlinkSync('/etc', join(dir, 'lnk'));
    writeFileSync(join(dir, 'm.onnx'), externalModel('lnk/passwd', 0, 8));
    const err = await InferenceSession.create(join(dir, 'm.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/external data 'lnk\/passwd'.*outside the model's folder/);
  });

  it('accepts a model folder reached through a symlink, with data inside it', async () => {
    const real = tmp();
    const data = f32raw([3, 4]);
    writeFileSync(join(real, 'w.bin'), data);
    writeFileSync(join(real, 'm.onnx'), externalModel('w.bin'));
    const alias = join(tmp(), 'alias');
    symlinkSync(real, alias);
    const s = await InferenceSession.create(join(alias, 'm.onnx'));
    expect(Array.from((await s.run({})).y!.data as Float32Array)).toEqual([3, 4]);
  });

  it('tessera run on a symlinked location exits 1 and writes no output', async () => {
    const dir = tmp();
    symlinkSync('/etc/passwd', join(dir, 'w.bin'));
    writeFileSync(join(dir, 'm.onnx'), externalModel('w.bin', 0, 8));
    const out = join(dir, 'out');
    const { code, text } = await cli('run', join(dir, 'm.onnx'), '--out', out);
    expect(code).toBe(1);
    expect(text).toMatch(/ModelFormatError: .*external data 'w\.bin'.*outside/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});

describe('external data is bounded (finding 2)', () => {
  it('refuses a location that is not a regular file (/dev/zero) without reading it', async () => {
    const dir = tmp();
    symlinkSync('/dev/zero', join(dir, 'w.bin'));
    writeFileSync(join(dir, 'm.onnx'), externalModel('w.bin'));
    const err = await InferenceSession.create(join(dir, 'm.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/external data 'w\.bin'/);
  }, 10_000);

  it('refuses a folder as a location', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'm.onnx'), externalModel('sub'));
    const err = await InferenceSession.create(join(dir, 'm.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/external data 'sub': not a regular file/);
  });

  it('checks offset and length against the file size before reading', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(12));
    writeFileSync(join(dir, 'm.onnx'), externalModel('w.bin', 8, 8));
    const err = await InferenceSession.create(join(dir, 'm.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/offset=8 length=8 .*'w\.bin' \(12 bytes\)/);
  });

  it('refuses a declared length that differs from the tensor size', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(64));
    writeFileSync(join(dir, 'm.onnx'), externalModel('w.bin', 0, 64));
    const err = await InferenceSession.create(join(dir, 'm.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/tensor 'w'.*needs 8 bytes.*length 64/);
  });

  it('refuses external data over maxMemoryBytes before reading it', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(4096));
    writeFileSync(join(dir, 'm.onnx'), externalModel('w.bin', 0, 4096, [1024]));
    await expectLimit(InferenceSession.create(join(dir, 'm.onnx'), { limits: { maxMemoryBytes: 1000 } }),
      'maxMemoryBytes', /tensor 'w'/);
  });

  it('the public whole-file externalData callback still works, range checked', async () => {
    const file = new Uint8Array(16);
    file.set(f32raw([5, 6]), 4);
    const s = await InferenceSession.create(externalModel('w.bin', 4, 8), { externalData: () => file });
    expect(Array.from((await s.run({})).y!.data as Float32Array)).toEqual([5, 6]);
  });

  it("onnxruntime-web's externalData form, [{ path, data }], by location (a leading ./ either side)", async () => {
    const file = new Uint8Array(16);
    file.set(f32raw([5, 6]), 4);
    for (const [path, data] of [['w.bin', file], ['./w.bin', file.buffer]] as const) {
      const s = await InferenceSession.create(externalModel('w.bin', 4, 8), { externalData: [{ path, data }] });
      expect(Array.from((await s.run({})).y!.data as Float32Array)).toEqual([5, 6]);
    }
    await expect(InferenceSession.create(externalModel('w.bin', 4, 8), { externalData: [{ path: 'other.bin', data: file }] }))
      .rejects.toThrow(/external data 'w\.bin' is not among options\.externalData \(given: other\.bin\)/);
    await expect(InferenceSession.create(externalModel('w.bin', 4, 8), { externalData: [{ path: 'w.bin', data: 'x' as never }] }))
      .rejects.toThrow(/options\.externalData\[0\] must be \{ path: string, data: Uint8Array \| ArrayBuffer \}/);
  });

  it('readModelFile refuses a model path that is not a regular file', async () => {
    const err = await readModelFile('/dev/zero').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/'\/dev\/zero' is not a regular file/);
  }, 10_000);
});

// ---- Finding 3: output sizes are checked before the kernel runs ----

const HUGE = 100_000; // HUGE * HUGE = 1e10 elements: 40 GB of float32

describe('output sizes are refused before allocation (finding 3)', () => {
  const cases: [string, () => Uint8Array, Record<string, Tensor>?][] = [
    ['ConstantOfShape', () => oneNode({ op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }, [i64('s', [HUGE, HUGE])])],
    ['Expand', () => oneNode({ op: 'Expand', inputs: ['x', 's'], outputs: ['y'] }, [f32('x', [1]), i64('s', [HUGE, HUGE])])],
    ['Tile', () => oneNode({ op: 'Tile', inputs: ['x', 'r'], outputs: ['y'] }, [f32('x', [1], [1, 1]), i64('r', [HUGE, HUGE])])],
    ['Range', () => oneNode({ op: 'Range', inputs: ['a', 'b', 'c'], outputs: ['y'] },
      [i64('a', [0], []), i64('b', [HUGE * HUGE], []), i64('c', [1], [])], 17, INT64)],
    ['Pad', () => oneNode({ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'] }, [f32('x', [1]), i64('p', [0, HUGE * HUGE])])],
    ['OneHot', () => oneNode({ op: 'OneHot', inputs: ['i', 'd', 'v'], outputs: ['y'] },
      [i64('i', [0]), i64('d', [HUGE * HUGE], []), f32('v', [0, 1])])],
    ['Resize', () => oneNode({ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'] },
      [f32('x', [1], [1, 1, 1, 1]), f32('s', [1, 1, HUGE, HUGE])])],
    ['ConvTranspose', () => oneNode({
      op: 'ConvTranspose', inputs: ['x', 'w'], outputs: ['y'], attrs: [{ name: 'dilations', ints: [HUGE, HUGE] }],
    }, [f32('x', [1], [1, 1, 1, 1]), f32('w', [1, 1, 1, 1], [1, 1, 2, 2])])],
    ['Add', () => writeModel({
      graph: {
        nodes: [{ name: 'big', op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
        inputs: [{ name: 'a', elemType: FLOAT, shape: [HUGE, 1] }, { name: 'b', elemType: FLOAT, shape: [1, HUGE] }],
        outputs: [{ name: 'y', elemType: FLOAT }],
      },
    }), { a: Tensor.zeros('float32', [HUGE, 1]), b: Tensor.zeros('float32', [1, HUGE]) }],
  ];

  for (const [name, model, feeds] of cases) {
    it(`${name} to 1e10 elements: ResourceLimitError naming node, op and output`, async () => {
      const s = await InferenceSession.create(model());
      const e = await expectLimit(s.run(feeds ?? {}), 'maxTensorElements', new RegExp(`node 'big' \\(${name}\\).*output 0 \\('y'\\)`));
      expect(e.max).toBe(2 ** 28);
      expect(e.value).toBeGreaterThanOrEqual(HUGE * HUGE);
    });
  }

  it('a lowered maxTensorElements refuses a 1e7-element ConstantOfShape (40 MB), the default allows it', async () => {
    const bytes = oneNode({ op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }, [i64('s', [10_000, 1000])]);
    const strict = await InferenceSession.create(bytes, { limits: { maxTensorElements: 1e6 } });
    const e = await expectLimit(strict.run({}), 'maxTensorElements', /node 'big' \(ConstantOfShape\): output 0 \('y'\) would hold 10000000 elements/);
    expect(e.max).toBe(1e6);
    const loose = await InferenceSession.create(bytes);
    expect((await loose.run({})).y!.size).toBe(1e7);
  });

  it('a shape fed at run time is checked on every run (the size prediction is not reused for new values)', async () => {
    const bytes = writeModel({
      graph: {
        nodes: [{ name: 'big', op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }],
        inputs: [{ name: 's', elemType: INT64, shape: [2] }],
        outputs: [{ name: 'y', elemType: FLOAT }],
      },
    });
    const s = await InferenceSession.create(bytes);
    const shape = (a: number, b: number) => ({ s: new Tensor('int64', [BigInt(a), BigInt(b)], [2]) });
    expect((await s.run(shape(10, 10))).y!.dims).toEqual([10, 10]);
    await expectLimit(s.run(shape(HUGE, HUGE)), 'maxTensorElements', /node 'big' \(ConstantOfShape\)/);
    expect((await s.run(shape(3, 4))).y!.dims).toEqual([3, 4]);
  });

  it('a lowered maxMemoryBytes refuses an output that does not fit next to the live values', async () => {
    const bytes = oneNode({ op: 'Expand', inputs: ['x', 's'], outputs: ['y'] }, [f32('x', [1]), i64('s', [1000, 1000])]);
    const s = await InferenceSession.create(bytes, { limits: { maxMemoryBytes: 2e6 } });
    await expectLimit(s.run({}), 'maxMemoryBytes', /node 'big' \(Expand\): output 0 \('y'\)/);
  });

  it('counts live activations: two 3 MB values do not fit in 5 MB', async () => {
    const bytes = writeModel({
      graph: {
        nodes: [
          { name: 'a', op: 'ConstantOfShape', inputs: ['s'], outputs: ['ya'] },
          { name: 'b', op: 'ConstantOfShape', inputs: ['s'], outputs: ['yb'] },
          { name: 'c', op: 'Add', inputs: ['ya', 'yb'], outputs: ['y'] },
        ],
        inputs: [],
        outputs: [{ name: 'y', elemType: FLOAT }],
        initializers: [i64('s', [750_000])],
      },
    });
    const s = await InferenceSession.create(bytes, { limits: { maxMemoryBytes: 5e6 } });
    await expectLimit(s.run({}), 'maxMemoryBytes', /node 'b' \(ConstantOfShape\)/);
    const ok = await InferenceSession.create(bytes, { limits: { maxMemoryBytes: 10e6 } });
    expect((await ok.run({})).y!.size).toBe(750_000);
  });

  it('a sparse initializer of 2^46 elements is refused at load, naming it', async () => {
    const bytes = writeModel({
      graph: {
        nodes: [{ op: 'Identity', inputs: ['sp'], outputs: ['y'] }],
        inputs: [],
        outputs: [{ name: 'y', elemType: FLOAT }],
        sparse: [{ values: f32('sp', [1]), indices: i64('i', [0]), dims: [2 ** 26, 2 ** 20] }],
      },
    });
    await expectLimit(InferenceSession.create(bytes), 'maxTensorElements', /sparse initializer 'sp'/);
  });

  it('allocate and Tensor.zeros refuse counts over the cap with ResourceLimitError', async () => {
    await expectLimit(() => Tensor.zeros('float32', [2 ** 40]), 'maxTensorElements', /Tensor\.zeros.*1099511627776 elements/);
    await expectLimit(() => allocate('float64', 2 ** 33), 'maxTensorElements', /8589934592 elements/);
  });

  it('string tensors get 1/16 of the element cap: their elements live on the JS heap (found by the fuzzer: a heap OOM)', async () => {
    await expectLimit(() => withElementCap(2 ** 28, () => allocate('string', 2 ** 24 + 1)), 'maxTensorElements', /maxTensorElements \/ 16 = 16777216/);
    expect(withElementCap(2 ** 28, () => allocate('string', 1000)).length).toBe(1000);
  });

  it('a custom op allocating past the session limit hits the allocation backstop', async () => {
    const greedy = op({
      name: 'Greedy', domain: 'test', since: 1,
      run: () => [Tensor.zeros('float32', [2000, 1000])],
    });
    const bytes = writeModel({
      opsets: [['', 17], ['test', 1]],
      graph: { nodes: [{ name: 'g', op: 'Greedy', domain: 'test', inputs: [], outputs: ['y'] }], inputs: [], outputs: [{ name: 'y' }] },
    });
    const s = await InferenceSession.create(bytes, { customOps: [greedy], limits: { maxTensorElements: 1e6 } });
    await expectLimit(s.run({}), 'maxTensorElements', /node 'g' \(test::Greedy\)/);
  });
});

// ---- Finding 4: Loop/Scan iterations, cancellation, timeouts ----

/**
 * A Loop that counts: carried s -> s + 1 each iteration; `trip` is the trip count (an initializer)
 * or absent (a while-true loop). The body also calls `test::Tick` when `tick` is set.
 */
function countingLoop(trip: number | undefined, tick = false): Uint8Array {
  const body: GraphSpec = {
    name: 'body',
    nodes: [
      { op: 'Identity', inputs: ['c_in'], outputs: ['c_out'] },
      { op: 'Add', inputs: ['s_in', 'one'], outputs: tick ? ['s_mid'] : ['s_out'] },
      ...(tick ? [{ op: 'Tick', domain: 'test', inputs: ['s_mid'], outputs: ['s_out'] }] : []),
    ],
    inputs: [{ name: 'i', elemType: INT64, shape: [] }, { name: 'c_in', elemType: BOOL, shape: [] }, { name: 's_in', elemType: FLOAT, shape: [] }],
    outputs: [{ name: 'c_out', elemType: BOOL, shape: [] }, { name: 's_out', elemType: FLOAT, shape: [] }],
  };
  return writeModel({
    opsets: [['', 17], ['test', 1]],
    graph: {
      nodes: [{ name: 'loop', op: 'Loop', inputs: [trip === undefined ? '' : 'M', 'cond', 's0'], outputs: ['s'], attrs: [{ name: 'body', g: body }] }],
      inputs: [{ name: 's0', elemType: FLOAT, shape: [] }],
      outputs: [{ name: 's', elemType: FLOAT, shape: [] }],
      initializers: [
        ...(trip === undefined ? [] : [i64('M', [trip], [])]),
        { name: 'cond', dataType: BOOL, dims: [], int32s: [1] },
        f32('one', [1], []),
      ],
    },
  });
}
const zero = () => ({ s0: new Tensor('float32', [0], []) });
const valueOf = (t: Tensor | undefined) => (t!.data as Float32Array)[0];

describe('loops are bounded (finding 4)', () => {
  it('a trip count above maxLoopIterations is refused before the first iteration', async () => {
    let ticks = 0;
    const tickOp = op({ name: 'Tick', domain: 'test', since: 1, run: ([x]) => { ticks++; return [x!]; } });
    const s = await InferenceSession.create(countingLoop(1e12, true), { customOps: [tickOp] });
    await expectLimit(s.run(zero()), 'maxLoopIterations', /node 'loop' \(Loop\).*1000000000000 iterations/);
    expect(ticks).toBe(0);
  }, 10_000);

  it('a trip count of 5000 with maxLoopIterations 1000 is refused, 1000 runs', async () => {
    const bytes = countingLoop(5000);
    const strict = await InferenceSession.create(bytes, { limits: { maxLoopIterations: 1000 } });
    await expectLimit(strict.run(zero()), 'maxLoopIterations', /node 'loop' \(Loop\)/);
    const ok = await InferenceSession.create(countingLoop(1000), { limits: { maxLoopIterations: 1000 } });
    expect(valueOf((await ok.run(zero())).s)).toBe(1000);
  });

  it('a condition that never turns false stops at maxLoopIterations', async () => {
    const s = await InferenceSession.create(countingLoop(undefined), { limits: { maxLoopIterations: 2000 } });
    await expectLimit(s.run(zero()), 'maxLoopIterations', /node 'loop' \(Loop\)/);
  }, 20_000);

  it('Scan counts its steps against maxLoopIterations', async () => {
    const body: GraphSpec = {
      name: 'body',
      nodes: [{ op: 'Add', inputs: ['acc', 'x'], outputs: ['acc_out'] }],
      inputs: [{ name: 'acc', elemType: FLOAT, shape: [] }, { name: 'x', elemType: FLOAT, shape: [] }],
      outputs: [{ name: 'acc_out', elemType: FLOAT, shape: [] }],
    };
    const bytes = writeModel({
      graph: {
        nodes: [{ name: 'scan', op: 'Scan', inputs: ['a0', 'xs'], outputs: ['a'], attrs: [{ name: 'body', g: body }, { name: 'num_scan_inputs', i: 1 }] }],
        inputs: [{ name: 'a0', elemType: FLOAT, shape: [] }, { name: 'xs', elemType: FLOAT, shape: [50] }],
        outputs: [{ name: 'a', elemType: FLOAT, shape: [] }],
      },
    });
    const feeds = { a0: new Tensor('float32', [0], []), xs: new Tensor('float32', new Float32Array(50).fill(2), [50]) };
    const strict = await InferenceSession.create(bytes, { limits: { maxLoopIterations: 10 } });
    await expectLimit(strict.run(feeds), 'maxLoopIterations', /node 'scan' \(Scan\).*50 iterations/);
    const ok = await InferenceSession.create(bytes);
    expect(valueOf((await ok.run(feeds)).a)).toBe(100);
  });

  it('nested Loops cannot multiply past maxLoopIterations: the run counts every iteration together', async () => {
    // outer: 200 trips, each running an inner Loop of 200 trips that adds 1: 40,200 iterations in all.
    const inner: GraphSpec = {
      name: 'inner',
      nodes: [{ op: 'Identity', inputs: ['ic_in'], outputs: ['ic_out'] }, { op: 'Add', inputs: ['is_in', 'one'], outputs: ['is_out'] }],
      inputs: [{ name: 'j', elemType: INT64, shape: [] }, { name: 'ic_in', elemType: BOOL, shape: [] }, { name: 'is_in', elemType: FLOAT, shape: [] }],
      outputs: [{ name: 'ic_out', elemType: BOOL, shape: [] }, { name: 'is_out', elemType: FLOAT, shape: [] }],
    };
    const outer: GraphSpec = {
      name: 'outer',
      nodes: [
        { op: 'Identity', inputs: ['c_in'], outputs: ['c_out'] },
        { op: 'Loop', inputs: ['M', 'cond', 's_in'], outputs: ['s_out'], attrs: [{ name: 'body', g: inner }] },
      ],
      inputs: [{ name: 'i', elemType: INT64, shape: [] }, { name: 'c_in', elemType: BOOL, shape: [] }, { name: 's_in', elemType: FLOAT, shape: [] }],
      outputs: [{ name: 'c_out', elemType: BOOL, shape: [] }, { name: 's_out', elemType: FLOAT, shape: [] }],
    };
    const bytes = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [{ name: 'loop', op: 'Loop', inputs: ['M', 'cond', 's0'], outputs: ['s'], attrs: [{ name: 'body', g: outer }] }],
        inputs: [{ name: 's0', elemType: FLOAT, shape: [] }],
        outputs: [{ name: 's', elemType: FLOAT, shape: [] }],
        initializers: [i64('M', [200], []), { name: 'cond', dataType: BOOL, dims: [], int32s: [1] }, f32('one', [1], [])],
      },
    });
    const strict = await InferenceSession.create(bytes, { limits: { maxLoopIterations: 10_000 } });
    const e = await expectLimit(strict.run(zero()), 'maxLoopIterations', /Loop.*10001 iterations in all/);
    expect(e.max).toBe(10_000);
    const ok = await InferenceSession.create(bytes, { limits: { maxLoopIterations: 40_200 } });
    expect(valueOf((await ok.run(zero())).s)).toBe(40_000);
    expect(valueOf((await ok.run(zero())).s)).toBe(40_000); // the count starts again with each run
  }, 30_000);
});

describe('runs can be cancelled and timed out; the session stays usable', () => {
  it('an already aborted signal cancels the run; the next run is right', async () => {
    const s = await InferenceSession.create(countingLoop(10));
    const c = new AbortController();
    c.abort();
    const err = await s.run(zero(), { signal: c.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunCancelledError);
    expect((err as RunCancelledError).code).toBe('CANCELLED');
    expect(valueOf((await s.run(zero())).s)).toBe(10);
    expect(valueOf((await s.run(zero(), ['s'], { signal: new AbortController().signal })).s)).toBe(10);
  });

  it('an abort during the run (from inside an op) stops the Loop at its next iteration', async () => {
    const c = new AbortController();
    let ticks = 0;
    const tickOp = op({ name: 'Tick', domain: 'test', since: 1, run: ([x]) => { if (++ticks === 5) c.abort(); return [x!]; } });
    const s = await InferenceSession.create(countingLoop(1000, true), { customOps: [tickOp] });
    const err = await s.run(zero(), { signal: c.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunCancelledError);
    expect((err as Error).message).toMatch(/node 'loop' \(Loop\)/);
    expect(ticks).toBe(5);
    expect(valueOf((await s.run(zero())).s)).toBe(1000);
  });

  it('timeoutMs stops a long Loop with ResourceLimitError(timeoutMs)', async () => {
    const s = await InferenceSession.create(countingLoop(1_000_000), { limits: { maxLoopIterations: 1e7 } });
    const t0 = performance.now();
    const e = await expectLimit(s.run(zero(), { timeoutMs: 30 }), 'timeoutMs', /over its time limit of 30 ms/);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(e.max).toBe(30);
    const short = await InferenceSession.create(countingLoop(3));
    expect(valueOf((await short.run(zero(), { timeoutMs: 10_000 })).s)).toBe(3);
  });

  it('limits.timeoutMs from create applies to every run', async () => {
    const s = await InferenceSession.create(countingLoop(1_000_000), { limits: { timeoutMs: 30, maxLoopIterations: 1e7 } });
    await expectLimit(s.run(zero()), 'timeoutMs', /time limit of 30 ms/);
  });

  it('runSync takes the same options', async () => {
    const s = await InferenceSession.create(countingLoop(10));
    const c = new AbortController();
    c.abort();
    expect(() => s.runSync(zero(), { signal: c.signal })).toThrow(RunCancelledError);
    expect(valueOf(s.runSync(zero()).s)).toBe(10);
  });
});

// ---- Finding 8: typed errors from the public API ----

describe('public API arguments are validated (finding 8)', () => {
  const identity = () => writeModel({
    graph: {
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', elemType: FLOAT, shape: [1] }],
      outputs: [{ name: 'y', elemType: FLOAT, shape: [1] }],
    },
  });

  async function expectArg(p: Promise<unknown> | (() => unknown), message: RegExp): Promise<InvalidArgumentError> {
    let err: unknown;
    try {
      await (typeof p === 'function' ? p() : p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).code).toBe('INVALID_ARGUMENT');
    expect((err as Error).message).toMatch(message);
    return err as InvalidArgumentError;
  }

  it('session.run(null) and other non-object feeds', async () => {
    const s = await InferenceSession.create(identity());
    await expectArg(s.run(null as never), /run: feeds must be an object .*got null/);
    await expectArg(s.run([] as never), /run: feeds must be an object/);
    await expectArg(s.run({ x: new Tensor('float32', [1], [1]) }, 'y' as never), /run: fetches must be an array of output names/);
    await expectArg(s.run({ x: new Tensor('float32', [1], [1]) }, ['nope']), /run: 'nope' is not an output/);
    await expectArg(s.run({ x: new Tensor('float32', [1], [1]) }, { timeoutMs: -1 }), /timeoutMs/);
    await expectArg(s.run({ x: new Tensor('float32', [1], [1]) }, { signal: 5 as never }), /run: options\.signal must be an AbortSignal/);
    await expectArg(() => s.runSync(undefined as never), /runSync: feeds must be an object/);
  });

  it('Tensor.zeros with a bad type or dims', async () => {
    await expectArg(() => Tensor.zeros('Tensor' as never, [1]), /Tensor\.zeros: unknown element type 'Tensor'/);
    await expectArg(() => Tensor.zeros('float32', [-1]), /Tensor\.zeros: invalid dimension -1/);
    await expectArg(() => Tensor.zeros('float32', 3 as never), /Tensor\.zeros: dims must be an array/);
  });

  it('create on a missing path: InvalidArgumentError with the ENOENT cause', async () => {
    const e = await expectArg(InferenceSession.create('/missing.onnx'), /model file '\/missing\.onnx' was not found/);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('create on a directory', async () => {
    const dir = tmp();
    await expectArg(InferenceSession.create(dir), /model file '.*' is not a regular file/);
  });

  it('create with bad options', async () => {
    await expectArg(InferenceSession.create(identity(), null as never), /create: options must be an object/);
    await expectArg(InferenceSession.create(identity(), { limits: { maxNodez: 1 } as never }), /unknown limit 'maxNodez'/);
    await expectArg(InferenceSession.create(identity(), { externalData: 'x' as never }), /options\.externalData must be a function \(location\) => bytes or an array of \{ path, data \}/);
    await expectArg(InferenceSession.create(42 as never), /create: expected bytes/);
  });
});

// ---- Limits plumbing and depth ----

describe('load-time limits', () => {
  const chain = (n: number): ModelSpec => ({
    graph: {
      nodes: Array.from({ length: n }, (_, i) => ({ op: 'Neg', inputs: [i ? `v${i - 1}` : 'x'], outputs: [i === n - 1 ? 'y' : `v${i}`] })),
      inputs: [{ name: 'x', elemType: FLOAT, shape: [1] }],
      outputs: [{ name: 'y', elemType: FLOAT, shape: [1] }],
    },
  });

  it('maxNodes counts the nodes of every graph, subgraphs included', async () => {
    await expectLimit(InferenceSession.create(writeModel(chain(10)), { limits: { maxNodes: 5 } }), 'maxNodes', /10 nodes/);
    // 1 Loop node + 2 body nodes = 3.
    await expectLimit(InferenceSession.create(countingLoop(3), { limits: { maxNodes: 2 } }), 'maxNodes', /3 nodes/);
    await InferenceSession.create(countingLoop(3), { limits: { maxNodes: 3 } });
  });

  it('subgraph nesting deeper than maxRecursionDepth is refused at load', async () => {
    // If(c) { If(c) { ... Identity(x) } } else { Neg(x) }, nested 12 deep.
    const leaf = (d: number): GraphSpec => ({ name: `e${d}`, nodes: [{ op: 'Neg', inputs: ['x'], outputs: [`n${d}`] }], inputs: [], outputs: [{ name: `n${d}`, elemType: FLOAT }] });
    let inner: GraphSpec = { name: 'g0', nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y0'] }], inputs: [], outputs: [{ name: 'y0', elemType: FLOAT }] };
    for (let d = 1; d <= 12; d++) {
      inner = {
        name: `g${d}`,
        nodes: [{ op: 'If', inputs: ['c'], outputs: [`y${d}`], attrs: [{ name: 'then_branch', g: inner }, { name: 'else_branch', g: leaf(d) }] }],
        inputs: [], outputs: [{ name: `y${d}`, elemType: FLOAT }],
      };
    }
    const bytes = writeModel({
      graph: { ...inner, inputs: [{ name: 'x', elemType: FLOAT, shape: [1] }, { name: 'c', elemType: BOOL, shape: [] }] },
    });
    await expectLimit(InferenceSession.create(bytes, { limits: { maxRecursionDepth: 20 } }), 'maxRecursionDepth', /nesting depth/);
    const s = await InferenceSession.create(bytes);
    const out = await s.run({ x: new Tensor('float32', [4], [1]), c: new Tensor('bool', [true], []) });
    expect(valueOf(out.y12)).toBe(4);
  });

  it('planning a hand-built model nested past maxRecursionDepth is refused', () => {
    let g: Graph = { name: 'g0', nodes: [], inputs: [], outputs: [{ name: 'x', type: { kind: 'unknown' } }], initializers: new Map(), sparseInitializers: new Map(), valueInfo: new Map() };
    for (let d = 1; d <= 30; d++) {
      const node: Node = { name: `if${d}`, domain: '', opType: 'If', inputs: ['c'], outputs: [`y${d}`], attributes: new Map([['then_branch', { type: 'graph', value: g }], ['else_branch', { type: 'graph', value: g }]]) };
      g = { ...g, name: `g${d}`, nodes: [node], outputs: [{ name: `y${d}`, type: { kind: 'unknown' } }] };
    }
    const model = { format: 'onnx' as const, irVersion: 8, opsetImports: new Map([['', 17]]), producerName: '', producerVersion: '', domain: '', modelVersion: 0, doc: '', functions: [], metadata: new Map(), graph: { ...g, inputs: [{ name: 'x', type: { kind: 'unknown' as const } }, { name: 'c', type: { kind: 'unknown' as const } }] } };
    expect(() => planModel(model, defaultOpRegistry(), { maxRecursionDepth: 10 })).toThrow(ResourceLimitError);
  });

  it('autodiff walks a 50k-node chain without overflowing the stack', () => {
    const n = 50_000;
    const nodes: Node[] = Array.from({ length: n }, (_, i) => ({
      name: '', domain: '', opType: 'Neg', inputs: [i ? `v${i - 1}` : 'x'], outputs: [`v${i}`], attributes: new Map(),
    }));
    const forward: Graph = { name: 'f', nodes, inputs: [{ name: 'x', type: { kind: 'unknown' } }], outputs: [], initializers: new Map(), sparseInitializers: new Map(), valueInfo: new Map() };
    const grad: Node = { name: 'g', domain: 'ai.onnx.preview.training', opType: 'Gradient', inputs: [], outputs: ['dx'], attributes: new Map([['xs', { type: 'strings', value: ['x'] }], ['y', { type: 'string', value: `v${n - 1}`, bytes: new Uint8Array() }]]) };
    const backward = buildBackwardGraph(forward, grad);
    expect(backward.nodes.length).toBeGreaterThan(n);
  });
});

// ---- CLI ----

async function cli(...args: string[]): Promise<{ code: number; text: string }> {
  const out: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((m: string) => { out.push(`ERR ${m}`); });
  try {
    const code = await main(args, { out: (l) => out.push(l) });
    return { code, text: out.join('\n') };
  } finally {
    err.mockRestore();
  }
}

describe('tessera run limit flags', () => {
  it('parses sizes with suffixes and maps the flags to limits', () => {
    const a = parseRunArgs(['m.onnx', '--max-memory', '512M', '--max-tensor-elements', '1000', '--max-loop-iterations', '7', '--timeout', '250']);
    expect(a.limits).toEqual({ maxMemoryBytes: 512 * 2 ** 20, maxTensorElements: 1000, maxLoopIterations: 7, timeoutMs: 250 });
    expect(parseRunArgs(['m', '--max-memory', '4G']).limits).toEqual({ maxMemoryBytes: 4 * 2 ** 30 });
    expect(parseRunArgs(['m', '--max-memory', '1024']).limits).toEqual({ maxMemoryBytes: 1024 });
    expect(parseRunArgs(['m', '--max-memory', '2k']).limits).toEqual({ maxMemoryBytes: 2048 });
    for (const bad of [['--max-memory', '12Q'], ['--max-memory'], ['--max-tensor-elements', '-3'], ['--timeout', 'soon']]) {
      expect(() => parseRunArgs(['m', ...bad])).toThrow(/--(max-memory|max-tensor-elements|timeout)/);
    }
  });

  it('a breach exits 1 with the typed error', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'cos.onnx'), oneNode({ op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }, [i64('s', [100, 100])]));
    const r = await cli('run', join(dir, 'cos.onnx'), '--max-tensor-elements', '1000');
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/ResourceLimitError: node 'big' \(ConstantOfShape\): output 0 \('y'\) would hold 10000 elements.*maxTensorElements = 1000/);
    const loop = join(dir, 'loop.onnx');
    writeFileSync(loop, countingLoop(100));
    const l = await cli('run', loop, '--input', `s0=${npyScalar(dir)}`, '--max-loop-iterations', '10');
    expect(l.code).toBe(1);
    expect(l.text).toMatch(/ResourceLimitError: .*maxLoopIterations/);
    const t = await cli('run', join(dir, 'l2.onnx'), '--timeout', '20');
    expect(t.code).toBe(2); // missing file: a usage problem
    writeFileSync(join(dir, 'l2.onnx'), countingLoop(1_000_000));
    const t2 = await cli('run', join(dir, 'l2.onnx'), '--input', `s0=${npyScalar(dir)}`, '--timeout', '20', '--max-loop-iterations', '10000000');
    expect(t2.code).toBe(1);
    expect(t2.text).toMatch(/ResourceLimitError: .*time limit of 20 ms/);
  });
});

function npyScalar(dir: string): string {
  const p = join(dir, 's0.npy');
  writeFileSync(p, writeNpy(new Tensor('float32', [0], [])));
  return p;
}
