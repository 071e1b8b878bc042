// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12 on; later versions only
// widen the accepted types). SoftmaxCrossEntropyLoss is a log-softmax over the class axis
// followed by the same loss, and optionally returns the log-probabilities.

import { type LossReduction, nllLossFloat } from '../../kernels/loss.js';
import { logSoftmaxFloat } from '../../kernels/softmax.js';
import { sizeBetween } from '../../kernels/strides.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { type FloatArray, allocFloat, floatData, floatTensor, intValues } from '../compute.js';
import type { ValueType } from '../../src/ir/graph.js';
import { elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';

interface LossAttrs {
  readonly reduction: LossReduction;
  readonly ignoreIndex: number | null;
}

function parseLoss(name: string) {
  return (a: Attrs): LossAttrs => {
    const reduction = a.string('reduction', 'mean');
    if (reduction !== 'none' && reduction !== 'sum' && reduction !== 'mean') {
      throw new InvalidNodeError(`${name}: reduction '${reduction}' is not none, sum or mean`);
    }
    return Object.freeze({
      reduction,
      ignoreIndex: a.has('ignore_index') ? a.int('ignore_index') : null,
    });
  };
}

interface LossView { readonly n: number; readonly c: number; readonly inner: number }

/** Checks input [N, C, d1..dk], target [N, d1..dk] (int) and weight [C]; returns the view. */
function lossView(name: string, x: Tensor, target: Tensor, weight: Tensor | undefined): LossView {
  if (!isFloatType(x.type)) throw new ShapeError(`${name}: input must be a float tensor, got ${x.type}`);
  if (x.dims.length < 2) throw new ShapeError(`${name}: input must have rank >= 2 ([N, C, ...]), got [${x.dims.join(', ')}]`);
  if (target.type !== 'int32' && target.type !== 'int64') {
    throw new ShapeError(`${name}: target must be int32 or int64, got ${target.type}`);
  }
  const want = [x.dims[0]!, ...x.dims.slice(2)];
  if (target.dims.length !== want.length || target.dims.some((d, i) => d !== want[i])) {
    throw new ShapeError(
      `${name}: target has shape [${target.dims.join(', ')}], expected [${want.join(', ')}] for input [${x.dims.join(', ')}]`,
    );
  }
  const c = x.dims[1]!;
  if (weight) {
    if (weight.type !== x.type) throw new ShapeError(`${name}: weight is ${weight.type}, expected ${x.type} like the input`);
    if (weight.dims.length !== 1 || weight.dims[0] !== c) {
      throw new ShapeError(`${name}: weight has shape [${weight.dims.join(', ')}], expected [${c}]`);
    }
  }
  return { n: x.dims[0]!, c, inner: sizeBetween(x.dims, 2, x.dims.length) };
}

/** Runs the loss kernel over `logProb` (float data of the input's view) and wraps the result. */
function lossTensor(
  name: string, type: Tensor['type'], logProb: FloatArray, target: Tensor, weight: Tensor | undefined,
  v: LossView, attrs: LossAttrs,
): Tensor {
  const targets = intValues(target);
  const perElement = attrs.reduction === 'none';
  const out = allocFloat(type, perElement ? target.size : 1);
  const bad = nllLossFloat(
    logProb, targets, weight ? floatData(weight) : null, attrs.ignoreIndex, v.n, v.c, v.inner, attrs.reduction, out,
  );
  if (bad >= 0) {
    throw new ShapeError(`${name}: target value ${targets[bad]} at flat index ${bad} out of range [0, ${v.c})`);
  }
  return floatTensor(type, out, perElement ? target.dims : []);
}

/** The loss: target-shaped with reduction 'none', else a scalar. */
function lossType(x: InferInput | undefined, target: InferInput | undefined, attrs: LossAttrs): ValueType {
  const xs = shapeOf(x);
  const perElement = shapeOf(target) ?? (xs && [xs[0]!, ...xs.slice(2)]);
  return tensorType(elemOf(x), attrs.reduction === 'none' ? perElement : []);
}

const NLL = 'NegativeLogLikelihoodLoss';
const SCE = 'SoftmaxCrossEntropyLoss';

export const lossOps: OpDef[] = [
  op({
    name: NLL, since: 12, parse: parseLoss(NLL),
    infer: (inputs, attrs: LossAttrs) => [lossType(inputs[0], inputs[1], attrs)],
    run: (inputs, attrs: LossAttrs) => {
      const [x, target, weight] = inputs;
      if (!x || !target) throw new ShapeError(`${NLL}: input and target are required`);
      const v = lossView(NLL, x, target, weight);
      return [lossTensor(NLL, x.type, floatData(x), target, weight, v, attrs)];
    },
  }),
  op({
    name: SCE, since: 12, parse: parseLoss(SCE),
    infer: (inputs, attrs: LossAttrs) => [lossType(inputs[0], inputs[1], attrs), tensorType(elemOf(inputs[0]), shapeOf(inputs[0]))],
    run: (inputs, attrs: LossAttrs) => {
      const [scores, labels, weights] = inputs;
      if (!scores || !labels) throw new ShapeError(`${SCE}: scores and labels are required`);
      const v = lossView(SCE, scores, labels, weights);
      const logProb = allocFloat(scores.type, scores.size);
      logSoftmaxFloat(floatData(scores), logProb, v.n, v.c, v.inner);
      return [
        lossTensor(SCE, scores.type, logProb, labels, weights, v, attrs),
        floatTensor(scores.type, logProb, scores.dims),
      ];
    },
  }),
];
