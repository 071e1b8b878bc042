// onnxruntime-web's API where tessera has the same concept (issue 13): run()'s fetches as a list
// or as an object keyed by output names, RunOptions (logSeverityLevel, logVerbosityLevel, tag,
// terminate), and Tensor.location / getData() / dispose(). Each case is written as
// onnxruntime-web's docs (InferenceSession.run, RunOptions, Tensor) use it.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/node.js'; // the worker factory for threads, as a Node user gets it
import { env, InferenceSession, InvalidArgumentError, Tensor, VERSION } from '../../src/index.js';
import { writeModel } from '../helpers/onnx-writer.js';

const FLOAT = 1;

/** y = x + x, z = x * x: two outputs to fetch from. */
const twoOutputs = () => writeModel({
  graph: {
    nodes: [
      { op: 'Add', inputs: ['x', 'x'], outputs: ['y'] },
      { op: 'Mul', inputs: ['x', 'x'], outputs: ['z'] },
    ],
    inputs: [{ name: 'x', elemType: FLOAT, shape: [3] }],
    outputs: [{ name: 'y', elemType: FLOAT, shape: [3] }, { name: 'z', elemType: FLOAT, shape: [3] }],
  },
});

const x = () => ({ x: new Tensor('float32', [1, 2, 3], [3]) });

describe('run(feeds, fetches, options) as onnxruntime-web takes it', () => {
  it('fetches as an object keyed by output names (null or a Tensor) returns just those outputs', async () => {
    const s = await InferenceSession.create(twoOutputs());
    const a = await s.run(x(), { z: null });
    expect(Object.keys(a)).toEqual(['z']);
    expect(Array.from(a.z!.data as Float32Array)).toEqual([1, 4, 9]);
    const b = await s.run(x(), { y: new Tensor('float32', new Float32Array(3), [3]), z: null }, { tag: 'both' });
    expect(Object.keys(b).sort()).toEqual(['y', 'z']);
    expect(Array.from(b.y!.data as Float32Array)).toEqual([2, 4, 6]);
    // as a list, as before
    expect(Object.keys(await s.run(x(), ['y']))).toEqual(['y']);
  });

  it('an object naming no output is the options; RunOptions fields are checked', async () => {
    const s = await InferenceSession.create(twoOutputs());
    const all = await s.run(x(), { logSeverityLevel: 3, logVerbosityLevel: 0, tag: 'run-1', terminate: false });
    expect(Object.keys(all).sort()).toEqual(['y', 'z']);
    await expect(s.run(x(), { logSeverityLevel: 7 as never })).rejects.toThrow(/options\.logSeverityLevel must be 0, 1, 2, 3 or 4, got 7/);
    await expect(s.run(x(), { tag: 5 as never })).rejects.toThrow(InvalidArgumentError);
    await expect(s.run(x(), { tag: 5 as never })).rejects.toThrow(/options\.tag must be a string/);
    // an options object in the fetches place next to a real options object
    await expect(s.run(x(), { timeoutMs: 5 } as never, {})).rejects.toThrow(/fetches must be an array of output names or an object keyed by them \(outputs: y, z\)/);
    await expect(s.run(x(), new Tensor('float32', [1], [1]) as never)).rejects.toThrow(/fetches must be output names or an object keyed by them, got a Tensor/);
    // terminate: true stops the run with the typed AbortError
    await expect(s.run(x(), { terminate: true })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('Tensor.location, getData(), dispose()', () => {
  it('a tensor is on the CPU; getData() resolves to its data; dispose() lets go of it', async () => {
    const data = new Float32Array([1, 2, 3]);
    const t = new Tensor('float32', data, [3]);
    expect(t.location).toBe('cpu');
    expect(await t.getData()).toBe(data);
    t.dispose();
    expect(t.location).toBe('none');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.data.length).toBe(0);
    await expect(t.getData()).rejects.toThrow(/Tensor\.getData: the tensor was disposed/);
    t.dispose(); // again: nothing happens
    expect(t.location).toBe('none');
  });

  it('getData(true) returns the data and releases it; string tensors too', async () => {
    const t = new Tensor('string', ['a', 'b'], [2]);
    expect(await t.getData(true)).toEqual(['a', 'b']);
    expect(t.location).toBe('none');
    expect(t.data).toEqual([]);
    const outputs = await (await InferenceSession.create(twoOutputs())).run(x());
    expect(outputs.y!.location).toBe('cpu');
  });
});

describe('env', () => {
  afterEach(() => {
    env.wasm.numThreads = 0;
    env.logLevel = 'warning';
  });

  it('env.wasm.numThreads is the thread count of sessions that do not set intraOpNumThreads', async () => {
    env.wasm.numThreads = 1;
    expect((await InferenceSession.create(twoOutputs(), { executionProviders: ['wasm'] })).threads).toBe(1);
    env.wasm.numThreads = 2;
    expect((await InferenceSession.create(twoOutputs(), { executionProviders: ['wasm'] })).threads).toBe(2);
    // the session's own option wins
    expect((await InferenceSession.create(twoOutputs(), { executionProviders: ['wasm'], intraOpNumThreads: 1 })).threads).toBe(1);
    expect(() => { env.wasm.numThreads = -1; }).toThrow(/env\.wasm\.numThreads must be a whole number >= 0/);
    expect(() => { env.wasm.numThreads = 1.5; }).toThrow(InvalidArgumentError);
  });

  it('env.logLevel takes onnxruntime-web\'s levels; env.versions.tessera is the package version', () => {
    env.logLevel = 'error';
    expect(env.logLevel).toBe('error');
    expect(() => { env.logLevel = 'loud' as never; }).toThrow(/env\.logLevel must be one of verbose, info, warning, error, fatal, got loud/);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(env.versions.tessera).toBe(pkg.version);
  });
});

describe('release()', () => {
  it('lets the session go: run() afterwards is a typed error; releasing twice is fine', async () => {
    const s = await InferenceSession.create(twoOutputs());
    await s.run(x());
    await s.release();
    await expect(s.run(x())).rejects.toThrow(InvalidArgumentError);
    await expect(s.run(x())).rejects.toThrow(/run: this session was released/);
    expect(() => s.runSync(x())).toThrow(/runSync: this session was released/);
    expect(s.format).toBe('onnx');
    expect(s.arenaStats.freeBytes).toBe(0);
    await s.release();
    const ts = await InferenceSession.create(new Uint8Array(readFileSync(new URL('../../spec-models/digits/digits_cnn_script.pt', import.meta.url))));
    await ts.release();
    await expect(ts.run({ x: new Tensor('float32', new Float32Array(64), [1, 1, 8, 8]) })).rejects.toThrow(/run: this session was released/);
  });
});
