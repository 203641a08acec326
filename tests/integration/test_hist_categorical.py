"""HistGradientBoosting with categorical features: == scikit-learn's predict on every row,
including categories never seen in training, values between categories, NaN and +-0.0
(unknown values count as missing), for binary, multiclass and regression."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

import codegen


def _data(n_classes: int | None, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 1500
    X = np.column_stack([
        rng.normal(size=n),
        rng.choice([0.0, 1.0, 2.0, 5.0, 9.0, 11.0, 12.0, 30.0], size=n),  # categorical, with gaps
        rng.choice([0.5, 1.25, 3.0, -2.0], size=n),  # categorical, non-integer and negative codes
        rng.integers(0, 4, size=n),
    ]).astype(np.float32)
    X[rng.random(n) < 0.05, 1] = np.nan
    signal = X[:, 0] + np.isin(X[:, 1], [1.0, 9.0, 12.0]) * 2 - (X[:, 2] == 1.25) + 0.5 * X[:, 3]
    if n_classes is None:
        return X, signal
    return X, np.digitize(signal, np.quantile(signal[np.isfinite(signal)], np.linspace(0, 1, n_classes + 1)[1:-1]))


def _probe_rows(X: np.ndarray) -> np.ndarray:
    probes = np.array([0.0, -0.0, 1.0, 1.5, 3.0, 4.0, 9.0, 10.0, 30.0, 31.0, 0.5, 1.25, -2.0, -1.0, 2.0**31,
                       np.nextafter(np.float32(1.0), np.float32(2)), np.nextafter(np.float32(1.0), np.float32(0)),
                       np.nan], dtype=np.float32)  # scikit-learn refuses +-inf in a categorical column
    grid = np.meshgrid([0.3, np.inf, -np.inf], probes, probes, [0.0, 3.0, 7.0], indexing="ij")
    grid = np.array(grid).reshape(4, -1).T
    return np.concatenate([X, grid.astype(np.float32)])


@pytest.mark.parametrize("n_classes", [2, 3, None])
def test_categorical_hist_gradient_boosting_matches(n_classes):
    X, y = _data(n_classes)
    factory = HistGradientBoostingRegressor if n_classes is None else HistGradientBoostingClassifier
    estimator = factory(max_iter=10, max_leaf_nodes=8, categorical_features=[1, 2], random_state=0).fit(X, y)
    rows = _probe_rows(X)
    model = codegen.convert(estimator, name="m")
    run = model.run_c(rows)
    np.testing.assert_array_equal(run.predictions, model.interpret(rows).predictions)
    np.testing.assert_array_equal(run.scores, model.interpret(rows).scores)
    reference = estimator.predict(rows)
    got = model.decode(run.predictions)
    if n_classes is None:
        bound = model.report()["output_error_bound"] + 1e-9 * np.max(np.abs(reference))
        assert np.max(np.abs(got - reference)) <= bound
    else:
        assert int(np.sum(got != reference)) == 0
    print(f"HGB categorical {n_classes}: {len(rows)} rows agree; {model.ir.n_nodes} nodes")
