// ai.onnx.preview.training::Gradient against central finite differences of sum(y),
// computed by running the forward graph alone with perturbed inputs.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import { InferenceSession } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import { InvalidNodeError } from '../../src/errors.js';
import { type NodeSpec, writeModel } from '../helpers/onnx-writer.js';

const DOUBLE = 11;
const A_SHAPE = [2, 3];
const B_SHAPE = [3];

// Forward graphs of a (2x3) and b (3,), broadcasting b, producing 'y'.
const GRAPHS: Record<string, NodeSpec[]> = {
  'mul-add': [
    { op: 'Mul', inputs: ['a', 'b'], outputs: ['m'] },
    { op: 'Add', inputs: ['m', 'a'], outputs: ['y'] },
  ],
  'div-exp-sub': [
    { op: 'Exp', inputs: ['b'], outputs: ['e'] },
    { op: 'Div', inputs: ['a', 'e'], outputs: ['d'] },
    { op: 'Sub', inputs: ['d', 'b'], outputs: ['y'] },
  ],
  'tanh-sigmoid-relu': [
    { op: 'Tanh', inputs: ['a'], outputs: ['t'] },
    { op: 'Sigmoid', inputs: ['b'], outputs: ['s'] },
    { op: 'Mul', inputs: ['t', 's'], outputs: ['p'] },
    { op: 'Relu', inputs: ['p'], outputs: ['r'] },
    { op: 'Add', inputs: ['r', 'p'], outputs: ['y'] },
  ],
  'matmul-neg': [
    { op: 'Transpose', inputs: ['a'], outputs: ['at'], attrs: [{ name: 'perm', ints: [1, 0] }] },
    { op: 'MatMul', inputs: ['a', 'at'], outputs: ['g'] },
    { op: 'Neg', inputs: ['g'], outputs: ['y'] },
  ],
};

async function forwardSession(nodes: NodeSpec[]) {
  return InferenceSession.fromModel(await loadOnnxModel(writeModel({
    opsets: [['', 17]],
    graph: { nodes, inputs: [{ name: 'a', elemType: DOUBLE }, { name: 'b', elemType: DOUBLE }], outputs: [{ name: 'y', elemType: DOUBLE }] },
  })));
}

async function gradientSession(nodes: NodeSpec[]) {
  return InferenceSession.fromModel(await loadOnnxModel(writeModel({
    opsets: [['', 17], ['ai.onnx.preview.training', 1]],
    graph: {
      nodes: [...nodes, {
        op: 'Gradient', domain: 'ai.onnx.preview.training', inputs: ['a', 'b'], outputs: ['da', 'db'],
        attrs: [{ name: 'xs', strings: ['a', 'b'] }, { name: 'y', s: 'y' }],
      }],
      inputs: [{ name: 'a', elemType: DOUBLE }, { name: 'b', elemType: DOUBLE }],
      outputs: [{ name: 'y', elemType: DOUBLE }, { name: 'da', elemType: DOUBLE }, { name: 'db', elemType: DOUBLE }],
    },
  })));
}

const sum = (t: Tensor) => (t.data as Float64Array).reduce((x, v) => x + v, 0);

describe('Gradient (reverse-mode autodiff)', () => {
  for (const [name, nodes] of Object.entries(GRAPHS)) {
    it(`${name}: matches central finite differences of sum(y)`, async () => {
      const fwd = await forwardSession(nodes);
      const grad = await gradientSession(nodes);
      const values = fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 9, maxLength: 9 });
      await fc.assert(fc.asyncProperty(values, async (v) => {
        // Keep Relu away from its kink, where the derivative is undefined.
        const av = Float64Array.from(v.slice(0, 6), (x) => (Math.abs(x) < 0.05 ? x + 0.1 : x));
        const bv = Float64Array.from(v.slice(6));
        const out = await grad.run({ a: new Tensor('float64', av, A_SHAPE), b: new Tensor('float64', bv, B_SHAPE) });
        const f = async (a: Float64Array, b: Float64Array) =>
          sum((await fwd.run({ a: new Tensor('float64', a, A_SHAPE), b: new Tensor('float64', b, B_SHAPE) })).y!);
        const h = 1e-6;
        for (const [key, base, other] of [['da', av, bv], ['db', bv, av]] as const) {
          const got = out[key]!.data as Float64Array;
          expect(out[key]!.dims).toEqual(key === 'da' ? A_SHAPE : B_SHAPE);
          for (let i = 0; i < base.length; i++) {
            const plus = base.slice(); plus[i]! += h;
            const minus = base.slice(); minus[i]! -= h;
            const fd = key === 'da'
              ? ((await f(plus, other)) - (await f(minus, other))) / (2 * h)
              : ((await f(other, plus)) - (await f(other, minus))) / (2 * h);
            expect(Math.abs(got[i]! - fd)).toBeLessThan(1e-5 * (1 + Math.abs(fd)));
          }
        }
      }), { numRuns: 15 });
    });
  }

  it('names the op it cannot differentiate through', async () => {
    await expect(gradientSession([{ op: 'Floor', inputs: ['a'], outputs: ['f'] }, { op: 'Add', inputs: ['f', 'b'], outputs: ['y'] }]))
      .rejects.toThrow(InvalidNodeError);
    await expect(gradientSession([{ op: 'Floor', inputs: ['a'], outputs: ['f'] }, { op: 'Add', inputs: ['f', 'b'], outputs: ['y'] }]))
      .rejects.toThrow(/cannot differentiate through Floor/);
  });
});
