// ai.onnx.ml preprocessing: ArrayFeatureExtractor, Binarizer, Scaler, Normalizer, Imputer,
// FeatureVectorizer.

import {
  NormKind, binarize, copyColumns, imputeBigInt, imputeFloat, normalizeRows, scaleColumns,
} from '../../kernels/ml-preprocess.js';
import { takeSlices } from '../../kernels/unique.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import { dimAdd, dimProduct, elemOf, knownInts, sameAs, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import type { Dim } from '../../src/ir/graph.js';
import { outputWords, tensorWords } from '../tensor-words.js';
import { required } from '../op-inputs.js';
import { ML, featureMatrix, rowsOf } from './ml-common.js';

function floatInput(opName: string, t: Tensor | undefined): Tensor {
  const x = required(opName, t, 'X');
  if (!isFloatType(x.type)) throw new InvalidNodeError(`${opName}: input must be float, double or float16, got ${x.type}`);
  return x;
}

/** ArrayFeatureExtractor: picks columns Y (int64) of the last axis of X; a 1-D X gives [1, len(Y)]. */
function runArrayFeatureExtractor(x: Tensor, y: Tensor): Tensor {
  const picks = y.toNumbers();
  const rank = x.dims.length;
  const n = rank ? x.dims[rank - 1]! : 1;
  for (const p of picks) {
    if (!(p >= 0 && p < n)) throw new ShapeError(`ArrayFeatureExtractor: index ${p} out of range [0, ${n})`);
  }
  const outer = x.size / Math.max(n, 1);
  const dims = rank <= 1 ? [1, picks.length] : [...x.dims.slice(0, -1), picks.length];
  const out = outputWords(x.type, dims);
  const { words, width } = tensorWords(x);
  takeSlices(words, out.words, n === 0 ? 0 : outer, n, width, Int32Array.from(picks));
  return out.tensor;
}

function runBinarizer(x: Tensor, threshold: number): Tensor {
  const data = floatData(x);
  const out = allocFloat(x.type, x.size);
  binarize(data, threshold, out);
  return floatTensor(x.type, out, x.dims);
}

interface ScalerAttrs { readonly offset: Float64Array; readonly scale: Float64Array }

function runScaler(x: Tensor | undefined, a: ScalerAttrs): Tensor {
  const { data, cols } = featureMatrix('Scaler', x);
  for (const [name, v] of [['offset', a.offset], ['scale', a.scale]] as const) {
    if (v.length !== 1 && v.length !== cols) {
      throw new ShapeError(`Scaler: ${name} has ${v.length} values, X has ${cols} features`);
    }
  }
  const out = new Float32Array(x!.size);
  scaleColumns(data, cols, a.offset, a.scale, out);
  return new Tensor('float32', out, x!.dims);
}

function runNormalizer(x: Tensor | undefined, kind: NormKind): Tensor {
  const { data, rows, cols } = featureMatrix('Normalizer', x);
  const out = new Float32Array(x!.size);
  normalizeRows(data, rows, cols, kind, out);
  return new Tensor('float32', out, x!.dims);
}

interface ImputerAttrs {
  readonly floats: Float64Array | null;
  readonly ints: BigInt64Array | null;
  readonly replacedFloat: number;
  readonly replacedInt: bigint;
}

function parseImputer(a: Attrs): ImputerAttrs {
  const floats = a.has('imputed_value_floats') ? Float64Array.from(a.floats('imputed_value_floats')) : null;
  const ints = a.has('imputed_value_int64s') ? BigInt64Array.from(a.ints('imputed_value_int64s').map(BigInt)) : null;
  if (!floats === !ints) throw new InvalidNodeError('Imputer: exactly one of imputed_value_floats / imputed_value_int64s is required');
  return Object.freeze({
    floats, ints, replacedFloat: a.float('replaced_value_float', 0), replacedInt: BigInt(a.int('replaced_value_int64', 0)),
  });
}

function runImputer(t: Tensor | undefined, a: ImputerAttrs): Tensor {
  const x = required('Imputer', t, 'X');
  const cols = x.dims.length ? x.dims[x.dims.length - 1]! : 1;
  const n = (a.floats ?? a.ints)!.length;
  if (n !== 1 && n !== cols) throw new ShapeError(`Imputer: ${n} imputed values for ${cols} features`);
  if (a.floats && isFloatType(x.type)) {
    const out = allocFloat(x.type, x.size);
    imputeFloat(floatData(x), cols, a.replacedFloat, a.floats, out);
    return floatTensor(x.type, out, x.dims);
  }
  if (a.ints && x.type === 'int64') {
    const out = new BigInt64Array(x.size);
    imputeBigInt(x.data as BigInt64Array, cols, a.replacedInt, a.ints, out);
    return new Tensor('int64', out, x.dims);
  }
  throw new InvalidNodeError(`Imputer: a ${x.type} input needs imputed_value_${isFloatType(x.type) ? 'floats' : 'int64s'}`);
}

/** FeatureVectorizer: concatenates the first inputdimensions[i] columns of each input, zero-padded. */
function runFeatureVectorizer(inputs: readonly (Tensor | undefined)[], dimsAttr: readonly number[]): Tensor {
  if (dimsAttr.length !== inputs.length) {
    throw new InvalidNodeError(`FeatureVectorizer: ${inputs.length} inputs but ${dimsAttr.length} inputdimensions`);
  }
  const mats = inputs.map((t) => featureMatrix('FeatureVectorizer', t));
  const rows = mats.length ? mats[0]!.rows : 0;
  const total = dimsAttr.reduce((s, d) => s + d, 0);
  const out = new Float32Array(rows * total);
  let at = 0;
  mats.forEach((m, i) => {
    if (m.rows !== rows) throw new ShapeError(`FeatureVectorizer: input ${i} has ${m.rows} rows, input 0 has ${rows}`);
    copyColumns(m.data, rows, m.cols, dimsAttr[i]!, out, total, at);
    at += dimsAttr[i]!;
  });
  return new Tensor('float32', out, [rows, total]);
}

const NORMS = ['MAX', 'L1', 'L2'];

const float32SameShape = sameAs(0, 'float32');

export const preprocessOps: OpDef[] = [
  op({
    name: 'ArrayFeatureExtractor', domain: ML, since: 1,
    run: (inputs) => [runArrayFeatureExtractor(required('ArrayFeatureExtractor', inputs[0], 'X'), required('ArrayFeatureExtractor', inputs[1], 'Y'))],
    infer: ([x, y]) => {
      const s = shapeOf(x);
      const ys = shapeOf(y);
      const picks: Dim = knownInts(y)?.length ?? (ys ? dimProduct(ys) : null);
      return [tensorType(elemOf(x),
        s && (s.length <= 1 ? [1, picks] : [...s.slice(0, -1), picks]))];
    },
  }),
  op<{ readonly threshold: number }>({
    name: 'Binarizer', domain: ML, since: 1,
    parse: (a) => Object.freeze({ threshold: a.float('threshold', 0) }),
    run: (inputs, a) => [runBinarizer(floatInput('Binarizer', inputs[0]), a.threshold)],
    infer: sameAs(0),
  }),
  op<ScalerAttrs>({
    name: 'Scaler', domain: ML, since: 1,
    parse: (a) => Object.freeze({
      offset: Float64Array.from(a.floats('offset', [0])), scale: Float64Array.from(a.floats('scale', [1])),
    }),
    run: (inputs, a) => [runScaler(inputs[0], a)],
    infer: float32SameShape,
  }),
  op<{ readonly kind: NormKind }>({
    name: 'Normalizer', domain: ML, since: 1,
    parse: (a) => {
      const norm = a.string('norm', 'MAX');
      const kind = NORMS.indexOf(norm);
      if (kind < 0) throw new InvalidNodeError(`Normalizer: norm must be MAX, L1 or L2, got '${norm}'`);
      return Object.freeze({ kind: kind as NormKind });
    },
    run: (inputs, a) => [runNormalizer(inputs[0], a.kind)],
    infer: float32SameShape,
  }),
  op<ImputerAttrs>({
    name: 'Imputer', domain: ML, since: 1, parse: parseImputer, run: (inputs, a) => [runImputer(inputs[0], a)], infer: sameAs(0),
  }),
  op<{ readonly dims: readonly number[] }>({
    name: 'FeatureVectorizer', domain: ML, since: 1,
    parse: (a) => Object.freeze({ dims: a.ints('inputdimensions') }),
    run: (inputs, a) => [runFeatureVectorizer(inputs, a.dims)],
    infer: (inputs, a) => [tensorType('float32', [rowsOf(inputs[0]) ?? null, a.dims.reduce<Dim>((s, d) => dimAdd(s, d), 0)])],
  }),
];
