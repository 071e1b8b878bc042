// ai.onnx.ml SVMClassifier and SVMRegressor (libsvm models, e.g. scikit-learn SVC / SVR).

import { binaryScores } from '../../kernels/ml-binary.js';
import { argmaxRows } from '../../kernels/ml-classify.js';
import { linearScores } from '../../kernels/ml-linear.js';
import { PostTransform, postTransformRows } from '../../kernels/ml-post-transform.js';
import {
  SvmKernel, type SvmKernelParams, kernelMatrix, signRows, svmOneVsOne, svmProbabilities, svmRegress,
} from '../../kernels/svm.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import {
  type Labels, ML, classifierTypes, featureMatrix, labelTensor, parseLabels, parsePostTransform, scoreTensor, scoreTypes,
} from './ml-common.js';

const KERNELS = ['LINEAR', 'POLY', 'RBF', 'SIGMOID'];

function parseKernel(opName: string, a: Attrs): SvmKernelParams {
  const name = a.string('kernel_type', 'LINEAR');
  const kind = KERNELS.indexOf(name);
  if (kind < 0) throw new InvalidNodeError(`${opName}: unknown kernel_type '${name}'`);
  const p = a.floats('kernel_params', []);
  return Object.freeze({ kind: kind as SvmKernel, gamma: p[0] ?? 0, coef0: p[1] ?? 0, degree: p[2] ?? 0 });
}

function svCount(opName: string, sv: Float64Array, n: number, cols: number): void {
  if (sv.length !== n * cols) {
    throw new ShapeError(`${opName}: ${sv.length} support vector values do not fit ${n} vectors x ${cols} features`);
  }
}

// ---- SVMRegressor ----

interface RegressorAttrs {
  readonly kernel: SvmKernelParams;
  readonly nSv: number;
  readonly sv: Float64Array;
  readonly coef: Float64Array;
  readonly rho: number;
  readonly oneClass: boolean;
  readonly post: PostTransform;
}

function parseRegressor(a: Attrs): RegressorAttrs {
  const name = 'SVMRegressor';
  const nSv = a.int('n_supports', 0);
  const coef = Float64Array.from(a.floats('coefficients'));
  if (nSv > 0 && coef.length !== nSv) throw new InvalidNodeError(`${name}: ${coef.length} coefficients for ${nSv} support vectors`);
  return Object.freeze({
    kernel: parseKernel(name, a), nSv, sv: Float64Array.from(a.floats('support_vectors', [])), coef,
    rho: a.floats('rho', [0])[0] ?? 0, oneClass: a.int('one_class', 0) !== 0, post: parsePostTransform(name, a),
  });
}

/** y = sum_i coef_i K(x, sv_i) + rho (no support vectors: y = coef . x + rho); one_class: sign as +-1. */
function runRegressor(x: Tensor | undefined, a: RegressorAttrs): Tensor {
  const name = 'SVMRegressor';
  const { data, rows, cols } = featureMatrix(name, x);
  const out = new Float64Array(rows);
  if (a.nSv > 0) {
    svCount(name, a.sv, a.nSv, cols);
    const k = new Float64Array(rows * a.nSv);
    kernelMatrix(data, rows, cols, a.sv, a.nSv, a.kernel, k);
    svmRegress(k, rows, a.nSv, a.coef, a.rho, out);
  } else {
    if (a.coef.length !== cols) throw new ShapeError(`${name}: ${a.coef.length} coefficients for ${cols} features`);
    linearScores(data, rows, cols, a.coef, Float64Array.of(a.rho), 1, out);
  }
  if (a.oneClass) {
    // +1 inside, -1 outside, as onnxruntime.
    signRows(out);
  }
  postTransformRows(out, rows, 1, a.post);
  return scoreTensor('float32', out, [rows, 1]);
}

// ---- SVMClassifier ----

interface ClassifierAttrs {
  readonly kernel: SvmKernelParams;
  readonly labels: Labels;
  readonly classStart: Int32Array | null;
  readonly sv: Float64Array;
  readonly coef: Float64Array;
  readonly rho: Float64Array;
  readonly probA: Float64Array | null;
  readonly probB: Float64Array | null;
  readonly post: PostTransform;
}

function parseClassifier(a: Attrs): ClassifierAttrs {
  const name = 'SVMClassifier';
  const labels = parseLabels(name, a);
  const perClass = a.ints('vectors_per_class', []);
  const nc = labels.values.length;
  const coef = Float64Array.from(a.floats('coefficients'));
  const rho = Float64Array.from(a.floats('rho'));
  let classStart: Int32Array | null = null;
  if (perClass.length) {
    if (perClass.length !== nc) throw new InvalidNodeError(`${name}: vectors_per_class has ${perClass.length} entries for ${nc} classes`);
    classStart = new Int32Array(nc + 1);
    perClass.forEach((v, i) => { classStart![i + 1] = classStart![i]! + v; });
    const nSv = classStart[nc]!;
    if (coef.length !== (nc - 1) * nSv) throw new InvalidNodeError(`${name}: ${coef.length} coefficients, expected ${(nc - 1) * nSv}`);
    if (rho.length !== (nc * (nc - 1)) / 2) throw new InvalidNodeError(`${name}: ${rho.length} rho values for ${nc} classes`);
  }
  const probA = a.floats('prob_a', []);
  const probB = a.floats('prob_b', []);
  const hasProb = probA.length > 0 && classStart !== null;
  if (hasProb && (probA.length !== rho.length || probB.length !== rho.length)) {
    throw new InvalidNodeError(`${name}: prob_a / prob_b need one value per class pair (${rho.length})`);
  }
  return Object.freeze({
    kernel: parseKernel(name, a), labels, classStart, sv: Float64Array.from(a.floats('support_vectors', [])), coef, rho,
    probA: hasProb ? Float64Array.from(probA) : null, probB: hasProb ? Float64Array.from(probB) : null,
    post: parsePostTransform(name, a),
  });
}

/**
 * With support vectors (one-vs-one, libsvm): the label is the class with most pairwise votes
 * (as libsvm and scikit-learn's predict; onnxruntime takes the argmax of the probabilities when
 * they exist, which can differ on near ties). Z holds the class probabilities when prob_a/prob_b
 * are given (Platt scaling + libsvm's pairwise coupling), else the n(n-1)/2 pairwise decision
 * values (positive favours the first class of the pair) after post_transform.
 * Without support vectors: linear scores coefficients . x + rho per class, label = argmax.
 */
function runClassifier(x: Tensor | undefined, a: ClassifierAttrs): Tensor[] {
  const name = 'SVMClassifier';
  const { data, rows, cols } = featureMatrix(name, x);
  const nc = a.labels.values.length;
  const idx = new Int32Array(rows);
  if (!a.classStart) {
    const nOut = a.rho.length;
    if (a.coef.length !== nOut * cols) throw new ShapeError(`${name}: ${a.coef.length} coefficients for ${nOut} classes x ${cols} features`);
    const scores = new Float64Array(rows * nOut);
    linearScores(data, rows, cols, a.coef, a.rho, nOut, scores);
    if (nOut === 1 && nc === 2) {
      const two = new Float64Array(rows * 2);
      binaryScores(scores, 1, 0, 0, 0, false, a.post, rows, idx, two);
      return [labelTensor(a.labels, idx), scoreTensor('float32', two, [rows, 2])];
    }
    argmaxRows(scores, rows, nOut, idx);
    postTransformRows(scores, rows, nOut, a.post);
    return [labelTensor(a.labels, idx), scoreTensor('float32', scores, [rows, nOut])];
  }
  const nSv = a.classStart[nc]!;
  svCount(name, a.sv, nSv, cols);
  const k = new Float64Array(rows * nSv);
  kernelMatrix(data, rows, cols, a.sv, nSv, a.kernel, k);
  const np = (nc * (nc - 1)) / 2;
  const dec = new Float64Array(rows * np);
  svmOneVsOne(k, rows, nSv, a.classStart, a.coef, a.rho, dec, idx, new Int32Array(nc));
  if (a.probA && a.probB) {
    const prob = new Float64Array(rows * nc);
    svmProbabilities(dec, rows, nc, a.probA, a.probB, prob);
    return [labelTensor(a.labels, idx), scoreTensor('float32', prob, [rows, nc])];
  }
  postTransformRows(dec, rows, np, a.post);
  return [labelTensor(a.labels, idx), scoreTensor('float32', dec, [rows, np])];
}

/** Z's column count, following runClassifier's cases. */
function classifierScoreCount(a: ClassifierAttrs): number {
  const nc = a.labels.values.length;
  if (!a.classStart) return a.rho.length === 1 && nc === 2 ? 2 : a.rho.length;
  return a.probA && a.probB ? nc : (nc * (nc - 1)) / 2;
}

export const svmOps: OpDef[] = [
  op<RegressorAttrs>({
    name: 'SVMRegressor', domain: ML, since: 1, parse: parseRegressor, run: (inputs, a) => [runRegressor(inputs[0], a)],
    infer: ([x]) => scoreTypes(x, 1, 'float32'),
  }),
  op<ClassifierAttrs>({
    name: 'SVMClassifier', domain: ML, since: 1, parse: parseClassifier, run: (inputs, a) => runClassifier(inputs[0], a),
    infer: ([x], a) => classifierTypes(x, a.labels, classifierScoreCount(a)),
  }),
];
