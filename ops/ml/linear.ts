// ai.onnx.ml LinearClassifier and LinearRegressor.

import { binaryScores } from '../../kernels/ml-binary.js';
import { argmaxRows } from '../../kernels/ml-classify.js';
import { linearScores } from '../../kernels/ml-linear.js';
import { PostTransform, postTransformRows } from '../../kernels/ml-post-transform.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import {
  type Labels, ML, featureMatrix, labelTensor, parseLabels, parsePostTransform, scoreTensor,
  classifierTypes, scoreTypes,
} from './ml-common.js';

interface LinearAttrs {
  readonly coef: Float64Array;
  readonly intercept: Float64Array | null;
  readonly nOut: number;
  readonly post: PostTransform;
}

/** Scores X [N, F] against nOut coefficient rows (nOut = 0: as many rows as coefficients / F). */
function linearRows(opName: string, x: Tensor | undefined, a: LinearAttrs) {
  const { data, rows, cols } = featureMatrix(opName, x);
  const nOut = a.nOut || (cols ? a.coef.length / cols : 0);
  if (!Number.isInteger(nOut) || nOut === 0 || a.coef.length !== nOut * cols) {
    throw new ShapeError(`${opName}: ${a.coef.length} coefficients do not fit ${cols} features${a.nOut ? ` x ${a.nOut} outputs` : ''}`);
  }
  const scores = new Float64Array(rows * nOut);
  linearScores(data, rows, cols, a.coef, a.intercept, nOut, scores);
  return { scores, rows, nOut };
}

function parseIntercepts(opName: string, a: Attrs, nOut: number): Float64Array | null {
  if (!a.has('intercepts')) return null;
  const b = a.floats('intercepts');
  if (b.length !== nOut) throw new InvalidNodeError(`${opName}: ${b.length} intercepts for ${nOut} outputs`);
  return Float64Array.from(b);
}

function parseRegressor(a: Attrs): LinearAttrs {
  const nOut = a.int('targets', 1);
  return Object.freeze({
    coef: Float64Array.from(a.floats('coefficients')), intercept: parseIntercepts('LinearRegressor', a, nOut), nOut,
    post: parsePostTransform('LinearRegressor', a),
  });
}

interface ClassifierAttrs extends LinearAttrs { readonly labels: Labels }

function parseClassifier(a: Attrs): ClassifierAttrs {
  const name = 'LinearClassifier';
  const labels = parseLabels(name, a);
  const coef = Float64Array.from(a.floats('coefficients'));
  // One coefficient row per class, or a single row for a binary classifier. Without intercepts
  // the row count is known once X's feature count is (nOut = 0).
  const nOut = a.has('intercepts') ? a.floats('intercepts').length : 0;
  if (a.has('intercepts') && nOut !== labels.values.length && !(nOut === 1 && labels.values.length === 2)) {
    throw new InvalidNodeError(`${name}: ${nOut} coefficient rows for ${labels.values.length} class labels`);
  }
  return Object.freeze({ coef, intercept: parseIntercepts(name, a, nOut), nOut, post: parsePostTransform(name, a), labels });
}

/**
 * Label = argmax of the raw scores; Z = post_transform(scores). With one coefficient row and two
 * labels (binary), the score s > 0 picks label 1 and Z is [-s, s] (or [logistic(-s), logistic(s)]).
 */
function runClassifier(x: Tensor | undefined, a: ClassifierAttrs): Tensor[] {
  const { scores, rows, nOut } = linearRows('LinearClassifier', x, a);
  const nc = a.labels.values.length;
  if (nOut !== nc && !(nOut === 1 && nc === 2)) {
    throw new ShapeError(`LinearClassifier: ${nOut} coefficient rows for ${nc} class labels`);
  }
  const idx = new Int32Array(rows);
  if (nOut === 1) {
    const two = new Float64Array(rows * 2);
    binaryScores(scores, 1, 0, 0, 0, false, a.post, rows, idx, two);
    return [labelTensor(a.labels, idx), scoreTensor('float32', two, [rows, 2])];
  }
  argmaxRows(scores, rows, nOut, idx);
  postTransformRows(scores, rows, nOut, a.post);
  return [labelTensor(a.labels, idx), scoreTensor('float32', scores, [rows, nOut])];
}

export const linearOps: OpDef[] = [
  op<LinearAttrs>({
    name: 'LinearRegressor', domain: ML, since: 1, parse: parseRegressor,
    run: (inputs, a) => {
      const { scores, rows, nOut } = linearRows('LinearRegressor', inputs[0], a);
      postTransformRows(scores, rows, nOut, a.post);
      return [scoreTensor('float32', scores, [rows, nOut])];
    },
    infer: ([x], a) => scoreTypes(x, a.nOut, 'float32'),
  }),
  op<ClassifierAttrs>({
    name: 'LinearClassifier', domain: ML, since: 1, parse: parseClassifier,
    run: (inputs, a) => runClassifier(inputs[0], a),
    // Scores have one column per class (a binary classifier's single row gives two).
    infer: ([x], a) => classifierTypes(x, a.labels, a.labels.values.length),
  }),
];
