// The custom operator API: a model with a layer tessera does not know runs once the user
// supplies the op, per session (customOps) or globally (registerOp).

import { describe, expect, it } from 'vitest';
import { InferenceSession, registerOp, Tensor, UnsupportedOpError, op } from '../../src/index.js';
import { writeModel } from '../helpers/onnx-writer.js';

// y = x * sigmoid(beta * x), with beta an attribute: a layer from a custom domain.
const swishBeta = op({
  domain: 'com.example', name: 'SwishBeta', since: 1,
  parse: (a) => Object.freeze({ beta: a.float('beta', 1) }),
  run: ([x], { beta }) => {
    const src = x!.data as Float32Array;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i]! / (1 + Math.exp(-beta * src[i]!));
    return [new Tensor('float32', out, x!.dims)];
  },
});

const model = writeModel({
  opsets: [['', 17], ['com.example', 1]],
  graph: {
    nodes: [
      { op: 'SwishBeta', domain: 'com.example', inputs: ['x'], outputs: ['s'], attrs: [{ name: 'beta', f: 2 }] },
      { op: 'Relu', inputs: ['s'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', elemType: 1, shape: [3] }],
    outputs: [{ name: 'y', elemType: 1, shape: [3] }],
  },
});
const x = new Tensor('float32', [-1, 0, 2], [3]);
const expected = [-1, 0, 2].map((v) => Math.max(0, v / (1 + Math.exp(-2 * v))));

describe('custom operators', () => {
  it('a model with an unknown op fails to load, naming it', async () => {
    await expect(InferenceSession.create(model)).rejects.toThrow(UnsupportedOpError);
    await expect(InferenceSession.create(model)).rejects.toThrow(/com\.example::SwishBeta\(1\)/);
  });

  it('runs with customOps given to one session', async () => {
    const s = await InferenceSession.create(model, { customOps: [swishBeta] });
    const y = Array.from((await s.run({ x })).y!.data as Float32Array);
    y.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('runs after registerOp for every later session', async () => {
    registerOp(swishBeta);
    const s = await InferenceSession.create(model);
    const y = Array.from((await s.run({ x })).y!.data as Float32Array);
    y.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });
});
