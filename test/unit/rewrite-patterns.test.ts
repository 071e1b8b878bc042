// Exporters' decompositions run by one kernel (src/runtime/rewrite/patterns.ts): exact Gelu as
// Div/Erf/Add/Mul/Mul and LayerNormalization as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add
// (PyTorch 1.13 at opset 13). The plan must show the one step, and the outputs must equal the
// decomposition run as written within patterns.ts's bounds: the decomposition rounds to float32
// after every node, the kernels once, so they differ by a few ulp of the inputs' scale:
//   Gelu: |diff| <= 2^-21 * max |x|   (1 + erf(x / sqrt 2) cancels for negative x, in float32)
//   LayerNorm: |diff| <= 2^-20 * max |output|   (for rows whose |mean| is not far above sigma;
//              a wrong epsilon of 1e-5 would already show)
// and onnxruntime-node's (which runs the decomposition too) within 1e-5.

import { describe, expect, it } from 'vitest';
import { type NodeSpec, type TensorSpec, writeModel } from '../helpers/onnx-writer.js';
import { FLOAT, expectSameOutputs, f32, i64, input, maxAbs, rewrittenSteps, values } from '../helpers/rewrites.js';
import type { Tensor } from '../../src/tensor.js';

const scalar = (name: string, v: number): TensorSpec => f32(name, [v], []);
const ORT = { rtol: 1e-5, atol: 1e-5 };

function model(nodes: NodeSpec[], x: number[], inits: TensorSpec[], opset = 13, extraOut: string[] = []) {
  return writeModel({
    opsets: [['', opset]],
    graph: {
      nodes,
      inputs: [{ name: 'x', elemType: FLOAT, shape: x }],
      outputs: ['z', ...extraOut].map((name) => ({ name, elemType: FLOAT })),
      initializers: inits,
    },
  });
}

const GELU_CONSTS = [scalar('sqrt2', Math.SQRT2), scalar('one', 1), scalar('half', 0.5), scalar('rsqrt2', Math.SQRT1_2)];

/** Gelu of `x` into `z`, the three factors 0.5, x and (1 + erf) grouped as `grouping` says. */
function gelu(x: string, z: string, grouping: 'x*e then *0.5' | '0.5*x then *e' | 'e*0.5 then *x', mulBy = false): NodeSpec[] {
  const pre: NodeSpec[] = [
    mulBy ? { op: 'Mul', inputs: ['rsqrt2', x], outputs: ['g_d'] } : { op: 'Div', inputs: [x, 'sqrt2'], outputs: ['g_d'] },
    { op: 'Erf', inputs: ['g_d'], outputs: ['g_e'] },
    { op: 'Add', inputs: ['g_e', 'one'], outputs: ['g_a'] },
  ];
  switch (grouping) {
    case 'x*e then *0.5': return [...pre, { op: 'Mul', inputs: [x, 'g_a'], outputs: ['g_m'] }, { op: 'Mul', inputs: ['g_m', 'half'], outputs: [z] }];
    case '0.5*x then *e': return [{ op: 'Mul', inputs: [x, 'half'], outputs: ['g_h'] }, ...pre, { op: 'Mul', inputs: ['g_h', 'g_a'], outputs: [z] }];
    case 'e*0.5 then *x': return [...pre, { op: 'Mul', inputs: ['half', 'g_a'], outputs: ['g_m'] }, { op: 'Mul', inputs: ['g_m', x], outputs: [z] }];
  }
}

async function expectGeluClose(bytes: Uint8Array, x: Tensor) {
  await expectSameOutputs(bytes, { x }, { rtol: 0, atol: 2 ** -21 * maxAbs(x) }, ORT);
}

describe('Gelu written as Div/Erf/Add/Mul/Mul runs as one Gelu', () => {
  for (const grouping of ['x*e then *0.5', '0.5*x then *e', 'e*0.5 then *x'] as const) {
    it(`alone, ${grouping}`, async () => {
      const bytes = model(gelu('x', 'z', grouping), [3, 40], GELU_CONSTS);
      expect(await rewrittenSteps(bytes)).toEqual(['Gelu']);
      await expectGeluClose(bytes, input([3, 40], 1, 10));
    });
  }
  it('with Mul(x, 1/sqrt 2), in the store of MatMul + bias (a Transformer MLP)', async () => {
    const bytes = model([
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] }, { op: 'Add', inputs: ['h', 'b'], outputs: ['hb'] },
      ...gelu('hb', 'z', 'x*e then *0.5', true),
    ], [2, 5, 8], [...GELU_CONSTS, f32('w', values(8 * 16, 2), [8, 16]), f32('b', values(16, 3), [16])]);
    expect(await rewrittenSteps(bytes)).toEqual(['MatMul+bias+gelu']);
    const want = await expectSameOutputs(bytes, { x: input([2, 5, 8], 1, 4) }, { rtol: 0, atol: Infinity });
    await expectSameOutputs(bytes, { x: input([2, 5, 8], 1, 4) }, { rtol: 0, atol: 2 ** -21 * 2 * maxAbs(want.z!) }, ORT);
  });
  it('not when an intermediate value is read elsewhere', async () => {
    const bytes = model(gelu('x', 'z', 'x*e then *0.5'), [3, 4], GELU_CONSTS, 13, ['g_e']);
    expect(await rewrittenSteps(bytes)).toEqual(['Div', 'Erf', 'Add', 'Mul', 'Mul']);
  });
  it('not with another constant (that is not Gelu)', async () => {
    const bytes = model(gelu('x', 'z', 'x*e then *0.5'), [3, 4], [scalar('sqrt2', 1.5), ...GELU_CONSTS.slice(1)]);
    expect(await rewrittenSteps(bytes)).toEqual(['Div', 'Erf', 'Add', 'Mul', 'Mul']);
  });
});

/** nn.LayerNorm over the last `axes.length` dims as PyTorch 1.13 exports it at opset 13 (axes attribute) or 18 (input). */
function layerNorm(opset: number, axes: number[], affine: 'scale' | 'scale+bias'): NodeSpec[] {
  const mean = (x: string, y: string): NodeSpec => (opset >= 18
    ? { op: 'ReduceMean', inputs: [x, 'axes'], outputs: [y] }
    : { op: 'ReduceMean', inputs: [x], outputs: [y], attrs: [{ name: 'axes', ints: axes }] });
  return [
    mean('x', 'm'), { op: 'Sub', inputs: ['x', 'm'], outputs: ['d'] }, { op: 'Pow', inputs: ['d', 'two'], outputs: ['p'] },
    mean('p', 'v'), { op: 'Add', inputs: ['v', 'eps'], outputs: ['ve'] }, { op: 'Sqrt', inputs: ['ve'], outputs: ['s'] },
    { op: 'Div', inputs: ['d', 's'], outputs: ['n'] },
    { op: 'Mul', inputs: ['n', 'gamma'], outputs: affine === 'scale' ? ['z'] : ['ng'] },
    ...(affine === 'scale' ? [] : [{ op: 'Add', inputs: ['ng', 'beta'], outputs: ['z'] }]),
  ];
}

function lnInits(tail: number[], axes: number[]): TensorSpec[] {
  const n = tail.reduce((a, b) => a * b, 1);
  return [scalar('two', 2), scalar('eps', 1e-5), f32('gamma', values(n, 7, 3), tail), f32('beta', values(n, 8), tail), i64('axes', axes)];
}

describe('LayerNormalization written as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add runs as one', () => {
  const cases: { opset: number; x: number[]; axes: number[]; affine: 'scale' | 'scale+bias' }[] = [
    { opset: 13, x: [2, 7, 32], axes: [-1], affine: 'scale+bias' },
    { opset: 18, x: [2, 7, 32], axes: [2], affine: 'scale' },
    { opset: 13, x: [3, 4, 5], axes: [-2, -1], affine: 'scale+bias' },
  ];
  for (const c of cases) {
    it(`opset ${c.opset}, axes [${c.axes}], ${c.affine}`, async () => {
      const tail = c.x.slice(c.x.length - c.axes.length);
      const bytes = model(layerNorm(c.opset, c.axes, c.affine), c.x, lnInits(tail, c.axes), c.opset);
      expect(await rewrittenSteps(bytes)).toEqual(['LayerNormalization']);
      // Inputs with a mean well away from 0 (as activations have): the bound scales with |x - mean| / sigma.
      const x = input(c.x, 3, 4);
      const xd = x.data as Float32Array;
      for (let i = 0; i < xd.length; i++) xd[i] = xd[i]! + 1.5;
      const want = await expectSameOutputs(bytes, { x }, { rtol: 0, atol: Infinity });
      await expectSameOutputs(bytes, { x }, { rtol: 0, atol: 2 ** -20 * maxAbs(want.z!) }, ORT);
      expect(want.z!.dims).toEqual(c.x);
    });
  }
  it('not over a leading axis', async () => {
    const bytes = model(layerNorm(13, [1], 'scale+bias'), [2, 7, 32], lnInits([7, 1], [1]));
    expect(await rewrittenSteps(bytes)).not.toContain('LayerNormalization');
  });
  it('not when the epsilon is computed at run time', async () => {
    const nodes = layerNorm(13, [-1], 'scale+bias').map((n) => (n.op === 'Add' && n.inputs[1] === 'eps' ? { ...n, inputs: ['v', 'm'] } : n));
    const bytes = model(nodes, [2, 7, 32], lnInits([32], [-1]));
    expect(await rewrittenSteps(bytes)).not.toContain('LayerNormalization');
    await expectSameOutputs(bytes, { x: input([2, 7, 32], 3, 4) });
  });
});
