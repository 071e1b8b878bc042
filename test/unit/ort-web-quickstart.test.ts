// onnxruntime-web's quick start and its documented run / RunOptions / externalData /
// Tensor.fromImage usage, written once against an `ort` module and run twice: with
// onnxruntime-web and with tessera (issue 13: "run unchanged with only the import swapped").
// The outputs must agree. In Node, onnxruntime-web's fromImage needs ImageData and a 2D canvas:
// test/helpers/fake-canvas.ts supplies both (they copy pixels, which is all that path does).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tessera from '../../src/node.js';
import { FakeImageData, installFakeCanvas } from '../helpers/fake-canvas.js';
import { writeModel } from '../helpers/onnx-writer.js';

installFakeCanvas();

const FLOAT = 1;
const dir = mkdtempSync(join(tmpdir(), 'tessera-quickstart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The quick start's model.onnx: c = MatMul(a [3, 4], b [4, 3]).
writeFileSync(join(dir, 'model.onnx'), writeModel({
  graph: {
    nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
    inputs: [{ name: 'a', elemType: FLOAT, shape: [3, 4] }, { name: 'b', elemType: FLOAT, shape: [4, 3] }],
    outputs: [{ name: 'c', elemType: FLOAT, shape: [3, 3] }],
  },
}));

// Weights in an external file, and two outputs to fetch from: sum = x + w, product = x * w.
const weights = new Float32Array([0.5, -1, 2, 4, 8, -16]);
const externalModel = writeModel({
  graph: {
    nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['sum'] }, { op: 'Mul', inputs: ['x', 'w'], outputs: ['product'] }],
    inputs: [{ name: 'x', elemType: FLOAT, shape: [2, 3] }],
    outputs: [{ name: 'sum', elemType: FLOAT, shape: [2, 3] }, { name: 'product', elemType: FLOAT, shape: [2, 3] }],
    initializers: [{ name: 'w', dataType: FLOAT, dims: [2, 3], external: { location: 'weights.bin', offset: 0, length: 24 } }],
  },
});

// An image model: the mean of each channel of a [1, 3, H, W] image, and the image scaled by 2.
const imageModel = writeModel({
  graph: {
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['image'], outputs: ['means'] },
      { op: 'Add', inputs: ['image', 'image'], outputs: ['doubled'] },
    ],
    inputs: [{ name: 'image', elemType: FLOAT, shape: [1, 3, 'H', 'W'] }],
    outputs: [{ name: 'means', elemType: FLOAT, shape: [1, 3, 1, 1] }, { name: 'doubled', elemType: FLOAT, shape: [1, 3, 'H', 'W'] }],
  },
});

type Ort = typeof ortWeb;
type Result = Record<string, { dims: readonly number[]; data: number[] }>;
const plain = (t: { dims: readonly number[]; data: unknown }) => ({ dims: [...t.dims], data: Array.from(t.data as Float32Array) });

/** The quick start (https://onnxruntime.ai/docs/get-started/with-javascript/web.html), as written there. */
async function quickStart(ort: Ort): Promise<Result> {
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  const dataA = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const dataB = Float32Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
  const tensorA = new ort.Tensor('float32', dataA, [3, 4]);
  const tensorB = new ort.Tensor('float32', dataB, [4, 3]);
  const feeds = { a: tensorA, b: tensorB };
  const results = await session.run(feeds);
  const dataC = results.c!.data;
  expect(dataC).toBeInstanceOf(Float32Array);
  return { c: plain(results.c!), names: { dims: [], data: [session.inputNames.length, session.outputNames.length] } };
}

/** InferenceSession.run with fetches and RunOptions, externalData, and release(), per the API docs. */
async function runAndExternalData(ort: Ort): Promise<Result> {
  const session = await ort.InferenceSession.create(externalModel, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    externalData: [{ path: 'weights.bin', data: new Uint8Array(weights.buffer) }],
  });
  const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const out: Result = {};
  const all = await session.run({ x }, { tag: 'all outputs', logSeverityLevel: 3 });
  out.all = { dims: [], data: Object.keys(all).sort().map((k) => k.length) };
  const byList = await session.run({ x }, ['product'], { tag: 'by list' });
  out.byListKeys = { dims: [], data: Object.keys(byList).map((k) => k.length) };
  out.product = plain(byList.product!);
  const byObject = await session.run({ x }, { sum: null }, { logSeverityLevel: 2, terminate: false });
  out.byObjectKeys = { dims: [], data: Object.keys(byObject).map((k) => k.length) };
  out.sum = plain(byObject.sum!);
  await session.release();
  return out;
}

/** Tensor.fromImage on ImageData (with and without options), fed to a model; toImageData back. */
async function fromImageUsage(ort: Ort): Promise<Result> {
  const w = 5;
  const h = 4;
  const pixels = new Uint8ClampedArray(w * h * 4).map((_, i) => (i * 29) % 256);
  const imageData = new FakeImageData(pixels, w, h) as unknown as ImageData;
  const session = await ort.InferenceSession.create(imageModel);
  const out: Result = {};
  const plainTensor = await ort.Tensor.fromImage(imageData);
  out.plainMeans = plain((await session.run({ image: plainTensor })).means!);
  const normalized = await ort.Tensor.fromImage(imageData, {
    tensorFormat: 'BGR', norm: { mean: [58.395, 57.12, 57.375], bias: [-123.675, -116.28, -103.53] },
  });
  const res = await session.run({ image: normalized });
  out.means = plain(res.means!);
  out.doubled = plain(res.doubled!);
  const back = plainTensor.toImageData({ format: 'RGB' });
  out.back = { dims: [back.width, back.height], data: Array.from(back.data) };
  return out;
}

describe('the same code with onnxruntime-web and with tessera', () => {
  const both = async (f: (ort: Ort) => Promise<Result>): Promise<[Result, Result]> =>
    [await f(ortWeb), await f(tessera as unknown as Ort)];

  const expectSame = (want: Result, got: Result, tol = 0) => {
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) {
      expect(got[k]!.dims, k).toEqual(want[k]!.dims);
      expect(got[k]!.data.length, k).toBe(want[k]!.data.length);
      want[k]!.data.forEach((v, i) => expect(Math.abs(got[k]!.data[i]! - v), `${k}[${i}]`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
    }
  };

  it('the quick start (a model path, Tensor, run, results.c.data)', async () => {
    const [want, got] = await both(quickStart);
    expect(want.c!.data).toEqual([700, 800, 900, 1580, 1840, 2100, 2460, 2880, 3300]);
    expectSame(want, got);
  });

  it('run(feeds, fetches, RunOptions) and externalData [{ path, data }], then release()', async () => {
    const [want, got] = await both(runAndExternalData);
    expectSame(want, got);
  });

  it('Tensor.fromImage(ImageData[, options]) into a model, and toImageData() back', async () => {
    const [want, got] = await both(fromImageUsage);
    expectSame(want, got, 1e-6);
  });
});
