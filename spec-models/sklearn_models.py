"""Fits small scikit-learn models and saves their parameters plus scikit-learn's own outputs.

skl2onnx is not available here, so the ONNX ai.onnx.ml graphs are built by the test
(test/props/ml.test.ts) from these parameters with test/helpers/onnx-writer.ts; the reference
outputs (predict / predict_proba / decision_function / transform) come from scikit-learn itself.

Run: /usr/bin/python3 spec-models/sklearn_models.py   (writes spec-models/sklearn/*.json)
"""

import json
import os

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import Binarizer, Normalizer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sklearn')
rng = np.random.RandomState(0)


def f32(a):
    """Float32-rounded data: the models are run on float32 inputs."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def save(name, **kw):
    def conv(v):
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, (np.floating, np.integer)):
            return v.item()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(conv(kw), f, separators=(',', ':'))


def tree_params(t):
    """sklearn tree arrays: children (-1 = leaf), feature, threshold, value."""
    tr = t.tree_
    return dict(left=tr.children_left, right=tr.children_right, feature=tr.feature,
                threshold=tr.threshold, value=tr.value.reshape(tr.node_count, -1))


def main():
    os.makedirs(OUT, exist_ok=True)
    X, y = make_classification(n_samples=60, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, random_state=0)
    X = f32(X)
    Xt = f32(X[:20] + rng.normal(scale=0.3, size=(20, 4)))
    Xb, yb = make_classification(n_samples=60, n_features=4, random_state=1)
    Xb = f32(Xb)
    Xbt = f32(Xb[:20])
    Xr, yr = make_regression(n_samples=60, n_features=4, n_targets=2, random_state=0)
    Xr = f32(Xr)
    Xrt = f32(Xr[:20])

    m = LinearRegression().fit(Xr, yr)
    save('linear_regression', coef=m.coef_, intercept=m.intercept_, X=Xrt, predict=m.predict(Xrt))

    m = LogisticRegression(max_iter=500).fit(X, y)  # multinomial: softmax
    save('logistic_multinomial', coef=m.coef_, intercept=m.intercept_, classes=m.classes_, X=Xt,
         predict=m.predict(Xt), proba=m.predict_proba(Xt))

    m = LogisticRegression(max_iter=500).fit(Xb, yb)
    save('logistic_binary', coef=m.coef_, intercept=m.intercept_, classes=m.classes_, X=Xbt,
         predict=m.predict(Xbt), proba=m.predict_proba(Xbt), decision=m.decision_function(Xbt))

    m = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    save('decision_tree_classifier', trees=[tree_params(m)], classes=m.classes_, X=Xt,
         predict=m.predict(Xt), proba=m.predict_proba(Xt))

    m = DecisionTreeRegressor(max_depth=4, random_state=0).fit(Xr, yr)
    save('decision_tree_regressor', trees=[tree_params(m)], X=Xrt, predict=m.predict(Xrt))

    m = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(Xr, yr[:, 0])
    save('random_forest_regressor', trees=[tree_params(e) for e in m.estimators_], X=Xrt, predict=m.predict(Xrt))

    m = GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0).fit(Xb, yb)
    init = m._raw_predict_init(Xbt[:1])[0, 0]
    save('gradient_boosting_binary', trees=[tree_params(e[0]) for e in m.estimators_],
         learning_rate=m.learning_rate, init=init, classes=m.classes_, X=Xbt,
         predict=m.predict(Xbt), proba=m.predict_proba(Xbt), decision=m.decision_function(Xbt))

    for kernel in ['rbf', 'poly', 'linear', 'sigmoid']:
        m = SVC(kernel=kernel, gamma=0.3, coef0=0.5, degree=2, probability=True, random_state=0,
                decision_function_shape='ovo').fit(X, y)
        save(f'svc_{kernel}', support_vectors=m.support_vectors_, n_support=m.n_support_,
             dual_coef=m._dual_coef_, intercept=m._intercept_, prob_a=m.probA_, prob_b=m.probB_,
             gamma=m._gamma, coef0=m.coef0, degree=m.degree, classes=m.classes_, X=Xt,
             predict=m.predict(Xt), proba=m.predict_proba(Xt), decision=m.decision_function(Xt))

    m = SVR(kernel='rbf', gamma=0.2, C=10.0).fit(Xr, yr[:, 0])
    save('svr_rbf', support_vectors=m.support_vectors_, dual_coef=m.dual_coef_, intercept=m.intercept_,
         gamma=m._gamma, X=Xrt, predict=m.predict(Xrt))

    m = StandardScaler().fit(Xr)
    save('standard_scaler', mean=m.mean_, scale=m.scale_, X=Xrt, transform=m.transform(Xrt))

    for norm in ['l1', 'l2']:
        save(f'normalizer_{norm}', norm=norm, X=Xrt, transform=Normalizer(norm=norm).fit(Xrt).transform(Xrt))

    save('binarizer', threshold=0.25, X=Xrt, transform=Binarizer(threshold=0.25).fit(Xrt).transform(Xrt))

    cats = rng.randint(0, 5, size=(20, 1)) * 3
    m = OneHotEncoder(handle_unknown='ignore').fit(cats)
    test_cats = np.concatenate([cats[:10], [[1], [2]]])  # 1 and 2 are unknown
    save('one_hot_encoder', categories=m.categories_[0], X=test_cats, transform=m.transform(test_cats).toarray())

    Xn = Xrt.copy()
    Xn[::3, 1] = np.nan
    Xn[1::4, 3] = np.nan
    m = SimpleImputer(strategy='mean').fit(Xn)
    save('simple_imputer', statistics=m.statistics_, X=np.where(np.isnan(Xn), None, Xn).tolist(),
         transform=m.transform(Xn))


if __name__ == '__main__':
    main()
