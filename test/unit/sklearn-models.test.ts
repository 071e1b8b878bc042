// ai.onnx.ml models built from fitted scikit-learn models (spec-models/sklearn_models.py), checked
// against scikit-learn's own predictions.

import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/index.js';
import type { AttrSpec } from '../helpers/onnx-writer.js';
import { type Json, loadCase, matrix, oldTreeAttrs, runMlNode, v5TreeAttrs } from '../helpers/sklearn-onnx.js';
import { compareArrays } from '../helpers/allclose.js';

// ---- scikit-learn reference models (outputs computed by scikit-learn) ----

const close = (got: ArrayLike<number>, want: number[], tol: number, what: string) => {
  expect(compareArrays(got, want, { rtol: tol, atol: tol }), what).toBe('');
};
const labels = (t: Tensor) => Array.from(t.data as BigInt64Array, Number);
const classLabels = (c: number[]): AttrSpec => ({ name: 'classlabels_int64s', ints: c });

describe('ai.onnx.ml models vs scikit-learn', () => {
  it('LinearRegression -> LinearRegressor', async () => {
    const c = loadCase('linear_regression');
    const r = await runMlNode('LinearRegressor', [
      { name: 'coefficients', floats: c.coef.flat() }, { name: 'intercepts', floats: c.intercept }, { name: 'targets', i: 2 },
    ], matrix(c.X), ['Y']);
    close(r.Y!.data as Float32Array, c.predict.flat(), 1e-4, 'predict');
  });

  it('LogisticRegression (multinomial) -> LinearClassifier SOFTMAX', async () => {
    const c = loadCase('logistic_multinomial');
    const r = await runMlNode('LinearClassifier', [
      { name: 'coefficients', floats: c.coef.flat() }, { name: 'intercepts', floats: c.intercept },
      classLabels(c.classes), { name: 'post_transform', s: 'SOFTMAX' },
    ], matrix(c.X), ['label', 'proba']);
    expect(labels(r.label!)).toEqual(c.predict);
    close(r.proba!.data as Float32Array, c.proba.flat(), 1e-5, 'proba');
  });

  it('LogisticRegression (binary) -> LinearClassifier, two rows and one row', async () => {
    const c = loadCase('logistic_binary');
    const w = c.coef[0] as number[];
    const r = await runMlNode('LinearClassifier', [
      { name: 'coefficients', floats: [...w.map((v) => -v), ...w] }, { name: 'intercepts', floats: [-c.intercept[0], c.intercept[0]] },
      classLabels(c.classes), { name: 'post_transform', s: 'LOGISTIC' },
    ], matrix(c.X), ['label', 'proba']);
    expect(labels(r.label!)).toEqual(c.predict);
    close(r.proba!.data as Float32Array, c.proba.flat(), 1e-5, 'proba');
    const one = await runMlNode('LinearClassifier', [
      { name: 'coefficients', floats: w }, { name: 'intercepts', floats: c.intercept }, classLabels(c.classes),
    ], matrix(c.X), ['label', 'score']);
    expect(labels(one.label!)).toEqual(c.predict);
    close(one.score!.data as Float32Array, (c.decision as number[]).flatMap((d) => [-d, d]), 1e-5, 'decision');
  });

  it('DecisionTreeClassifier -> TreeEnsembleClassifier', async () => {
    const c = loadCase('decision_tree_classifier');
    const attrs = oldTreeAttrs(c.trees, 'class', (t, i) => {
      const v = c.trees[t].value[i] as number[];
      const s = v.reduce((a, b) => a + b, 0);
      return v.map((x, k) => [k, x / s] as [number, number]);
    });
    const r = await runMlNode('TreeEnsembleClassifier', [...attrs, classLabels(c.classes)], matrix(c.X), ['label', 'proba']);
    expect(labels(r.label!)).toEqual(c.predict);
    close(r.proba!.data as Float32Array, c.proba.flat(), 1e-6, 'proba');
  });

  it('DecisionTreeRegressor -> TreeEnsembleRegressor (opset 3) and TreeEnsemble (opset 5)', async () => {
    const c = loadCase('decision_tree_regressor');
    const attrs = oldTreeAttrs(c.trees, 'target', (t, i) => (c.trees[t].value[i] as number[]).map((v, k) => [k, v]));
    const r = await runMlNode('TreeEnsembleRegressor', [...attrs, { name: 'n_targets', i: 2 }], matrix(c.X), ['Y']);
    close(r.Y!.data as Float32Array, c.predict.flat(), 1e-5, 'predict');
    // v5: one single-target ensemble per output column.
    for (let k = 0; k < 2; k++) {
      const single = c.trees.map((t: Json) => ({ ...t, value: t.value.map((v: number[]) => [v[k]]) }));
      const v5 = await runMlNode('TreeEnsemble', v5TreeAttrs(single, 1, 1), matrix(c.X, 'float64'), ['Y'], 5);
      expect(v5.Y!.type).toBe('float64');
      close(v5.Y!.data as Float64Array, c.predict.map((p: number[]) => p[k]), 1e-12, `v5 target ${k}`);
    }
  });

  it('RandomForestRegressor -> TreeEnsembleRegressor AVERAGE', async () => {
    const c = loadCase('random_forest_regressor');
    const attrs = oldTreeAttrs(c.trees, 'target', (t, i) => [[0, c.trees[t].value[i][0]]]);
    const r = await runMlNode('TreeEnsembleRegressor', [...attrs, { name: 'aggregate_function', s: 'AVERAGE' }], matrix(c.X), ['Y']);
    close(r.Y!.data as Float32Array, c.predict, 1e-5, 'predict');
    const v5 = await runMlNode('TreeEnsemble', v5TreeAttrs(c.trees, 1, 0), matrix(c.X), ['Y'], 5);
    close(v5.Y!.data as Float32Array, c.predict, 1e-5, 'v5 predict');
  });

  it('GradientBoostingClassifier (binary) -> TreeEnsembleClassifier LOGISTIC with base value', async () => {
    const c = loadCase('gradient_boosting_binary');
    const attrs = oldTreeAttrs(c.trees, 'class', (t, i) => [[0, c.learning_rate * c.trees[t].value[i][0]]]);
    const r = await runMlNode('TreeEnsembleClassifier', [
      ...attrs, classLabels(c.classes), { name: 'base_values', floats: [c.init] }, { name: 'post_transform', s: 'LOGISTIC' },
    ], matrix(c.X), ['label', 'proba']);
    expect(labels(r.label!)).toEqual(c.predict);
    close(r.proba!.data as Float32Array, c.proba.flat(), 1e-5, 'proba');
  });

  for (const kernel of ['rbf', 'poly', 'linear', 'sigmoid']) {
    it(`SVC(kernel=${kernel}, probability=True) -> SVMClassifier`, async () => {
      const c = loadCase(`svc_${kernel}`);
      const common: AttrSpec[] = [
        { name: 'kernel_type', s: kernel.toUpperCase() }, { name: 'kernel_params', floats: [c.gamma, c.coef0, c.degree] },
        { name: 'support_vectors', floats: c.support_vectors.flat() }, { name: 'vectors_per_class', ints: c.n_support },
        { name: 'coefficients', floats: c.dual_coef.flat() }, { name: 'rho', floats: c.intercept }, classLabels(c.classes),
      ];
      const r = await runMlNode('SVMClassifier', [
        ...common, { name: 'prob_a', floats: c.prob_a }, { name: 'prob_b', floats: c.prob_b },
      ], matrix(c.X), ['label', 'proba']);
      expect(labels(r.label!)).toEqual(c.predict);
      close(r.proba!.data as Float32Array, c.proba.flat(), 2e-3, 'proba');
      const d = await runMlNode('SVMClassifier', common, matrix(c.X), ['label', 'decision']);
      expect(labels(d.label!)).toEqual(c.predict);
      close(d.decision!.data as Float32Array, c.decision.flat(), 1e-4, 'decision');
    });
  }

  it('SVR(rbf) -> SVMRegressor', async () => {
    const c = loadCase('svr_rbf');
    const r = await runMlNode('SVMRegressor', [
      { name: 'kernel_type', s: 'RBF' }, { name: 'kernel_params', floats: [c.gamma, 0, 3] },
      { name: 'support_vectors', floats: c.support_vectors.flat() }, { name: 'n_supports', i: c.support_vectors.length },
      { name: 'coefficients', floats: c.dual_coef[0] }, { name: 'rho', floats: c.intercept },
    ], matrix(c.X), ['Y']);
    close(r.Y!.data as Float32Array, c.predict, 1e-4, 'predict');
  });

  it('StandardScaler -> Scaler; Normalizer -> Normalizer; Binarizer -> Binarizer', async () => {
    const s = loadCase('standard_scaler');
    const r = await runMlNode('Scaler', [
      { name: 'offset', floats: s.mean }, { name: 'scale', floats: s.scale.map((v: number) => 1 / v) },
    ], matrix(s.X), ['Y']);
    close(r.Y!.data as Float32Array, s.transform.flat(), 1e-5, 'scaler');
    for (const norm of ['l1', 'l2']) {
      const c = loadCase(`normalizer_${norm}`);
      const n = await runMlNode('Normalizer', [{ name: 'norm', s: norm.toUpperCase() }], matrix(c.X), ['Y']);
      close(n.Y!.data as Float32Array, c.transform.flat(), 1e-6, norm);
    }
    const b = loadCase('binarizer');
    const y = await runMlNode('Binarizer', [{ name: 'threshold', f: b.threshold }], matrix(b.X), ['Y']);
    close(y.Y!.data as Float32Array, b.transform.flat(), 0, 'binarizer');
  });

  it('OneHotEncoder(handle_unknown=ignore) -> OneHotEncoder; SimpleImputer -> Imputer', async () => {
    const c = loadCase('one_hot_encoder');
    const x = new Tensor('int64', BigInt64Array.from(c.X.flat().map(BigInt)), [c.X.length]);
    const r = await runMlNode('OneHotEncoder', [{ name: 'cats_int64s', ints: c.categories }], x, ['Y']);
    expect(r.Y!.dims).toEqual([c.X.length, c.categories.length]);
    close(r.Y!.data as Float32Array, c.transform.flat(), 0, 'one-hot');
    const m = loadCase('simple_imputer');
    const xi = matrix(m.X.map((row: (number | null)[]) => row.map((v) => (v === null ? NaN : v))));
    const i = await runMlNode('Imputer', [{ name: 'imputed_value_floats', floats: m.statistics }, { name: 'replaced_value_float', f: NaN }], xi, ['Y']);
    close(i.Y!.data as Float32Array, m.transform.flat(), 1e-6, 'imputer');
  });
});

