"""IsolationForest: predict (1 inlier / -1 outlier) from the C equals scikit-learn's on every
row of breast_cancer and of generated data with outliers; the fixed-point sum of path lengths is
within the reported bound of scikit-learn's, and rows that close to the inlier threshold are
counted and printed (none so far), not hidden."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

import codegen
from codegen.frontends.isolation_forest import inlier_threshold
from tests.support.models import dataset


def _generated_with_outliers() -> np.ndarray:
    rng = np.random.default_rng(3)
    inliers = rng.normal(size=(900, 4))
    outliers = rng.uniform(-8, 8, size=(60, 4))
    X = np.concatenate([inliers, outliers]).astype(np.float32)
    X[rng.random(X.shape) < 0.03] = 0.0
    X[rng.random(X.shape) < 0.03] = -0.0
    return X


def _path_length_sums(estimator, X) -> np.ndarray:
    """D from scikit-learn's own score: score_samples = -2 ** (-D / denominator)."""
    from sklearn.ensemble._iforest import _average_path_length

    denominator = len(estimator.estimators_) * _average_path_length([estimator._max_samples])[0]
    return -np.log2(-estimator.score_samples(X)) * denominator


@pytest.mark.parametrize("params", [{}, {"max_features": 0.5}, {"contamination": 0.05, "n_estimators": 30},
                                    {"max_samples": 64, "n_estimators": 200}])
@pytest.mark.parametrize("data", ["breast_cancer", "outliers"])
def test_isolation_forest_predict_matches(data, params):
    X_train, _, X_test, _ = dataset("breast_cancer")
    X = np.concatenate([X_train, X_test]) if data == "breast_cancer" else _generated_with_outliers()
    estimator = IsolationForest(random_state=0, **params).fit(X)
    model = codegen.convert(estimator, name="m")
    run = model.run_c(X)
    np.testing.assert_array_equal(run.predictions, model.interpret(X).predictions)
    np.testing.assert_array_equal(run.scores, model.interpret(X).scores)
    reference = estimator.predict(X)
    assert set(np.unique(reference)) == {-1, 1}
    np.testing.assert_array_equal(model.predict(X), reference)
    # the C's score is D - D0 in fixed point, within the bound of scikit-learn's D - D0
    score = np.ldexp(run.scores[:, 0].astype(np.float64), -model.ir.leaf_format.frac_bits)
    exact = _path_length_sums(estimator, X) - inlier_threshold(estimator)
    assert np.max(np.abs(score - exact)) <= model.ir.error_bound + 1e-9 * np.max(np.abs(exact))
    near = int(np.sum(np.abs(exact) <= model.ir.error_bound + 1e-9))
    print(f"IsolationForest {data} {params}: {len(X)} rows agree, bound {model.ir.error_bound:.2e}, "
          f"{near} rows within it of the threshold")
