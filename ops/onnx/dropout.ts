// Dropout: the identity at inference (with an all-true mask), and training mode with a mask drawn
// from numpy's MT19937 stream when seeded.

import { dropoutTrain } from '../../kernels/dropout.js';
import { fillPattern } from '../../kernels/element-words.js';
import { mt19937, mt19937FillUniform } from '../../kernels/mt19937.js';
import { type DataType, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import { elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import type { ValueType } from '../../src/ir/graph.js';
import { required } from '../op-inputs.js';
import { outputWords, scalarWords } from '../tensor-words.js';

/** The input's type and shape, optionally with another element type (the mask). */
function sameAs(x: InferInput | undefined, elemType?: DataType): ValueType | undefined {
  return x && tensorType(elemType ?? elemOf(x), shapeOf(x));
}

/** A tensor of `dims` filled with the element `1` of `type` (the pre-opset-10 Dropout mask). */
function onesLike(type: DataType, dims: readonly number[]): Tensor {
  const out = outputWords(type, dims);
  fillPattern(out.words, scalarWords(type, 1), out.tensor.size);
  return out.tensor;
}

function allTrue(dims: readonly number[]): Tensor {
  const t = Tensor.zeros('bool', dims);
  (t.data as Uint8Array).fill(1);
  return t;
}

/**
 * Training-mode Dropout. With a `seed` the mask is numpy's: the same as
 * `np.random.seed(seed); np.random.uniform(0, 1, x.shape) >= ratio` (MT19937, as the ONNX
 * reference draws it); without one, the generator is seeded from crypto.getRandomValues.
 */
function dropoutTraining(data: Tensor, ratio: number, seed: number | undefined, wantMask: boolean): Tensor[] {
  if (!(ratio >= 0 && ratio < 1)) throw new InvalidNodeError(`Dropout: ratio ${ratio} must be in [0, 1)`);
  if (!isFloatType(data.type)) throw new InvalidNodeError(`Dropout: training needs a float input, got ${data.type}`);
  const s = seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const u = new Float64Array(data.size);
  mt19937FillUniform(mt19937(s), u);
  const y = allocFloat(data.type, data.size);
  const mask = new Uint8Array(data.size);
  dropoutTrain(floatData(data), u, ratio, y, mask);
  const out = floatTensor(data.type, y, data.dims);
  return wantMask ? [out, new Tensor('bool', mask, data.dims)] : [out];
}

export const dropoutOps: OpDef[] = [
  // Opsets 1-9: the mask has the input's type.
  op({
    name: 'Dropout', since: 1,
    infer: ([x]) => [sameAs(x), sameAs(x)],
    run: ([x], _a, ctx) => {
      const data = required('Dropout', x, 'data');
      return ctx.node.outputs.length > 1 ? [data, onesLike(data.type, data.dims)] : [data];
    },
  }),
  op({
    name: 'Dropout', since: 10,
    infer: ([x]) => [sameAs(x), sameAs(x, 'bool')],
    run: ([x], _a, ctx) => {
      const data = required('Dropout', x, 'data');
      return ctx.node.outputs.length > 1 ? [data, allTrue(data.dims)] : [data];
    },
  }),
  op({
    name: 'Dropout', since: 12,
    parse: (a: Attrs) => Object.freeze({ seed: a.has('seed') ? a.int('seed') : undefined }),
    infer: ([x]) => [sameAs(x), sameAs(x, 'bool')],
    run: ([x, ratioT, trainingT], attrs: { seed: number | undefined }, ctx) => {
      const data = required('Dropout', x, 'data');
      const training = trainingT ? trainingT.toNumbers()[0] !== 0 : false;
      const ratio = ratioT ? floatData(ratioT)[0]! : 0.5;
      if (training && ratio !== 0) return dropoutTraining(data, ratio, attrs.seed, ctx.node.outputs.length > 1);
      return ctx.node.outputs.length > 1 ? [data, allTrue(data.dims)] : [data];
    },
  }),
];
