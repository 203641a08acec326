"""Property tests over random small XGBoost and LightGBM models (derandomised, bounded):
random data with ties, zeros of both signs, NaN and tiny values, random objectives, depths and
missing-value settings; adversarial inputs (each threshold and the float32 values either
side, -0.0, +-1e-35, subnormals, +-inf, NaN of both signs). The interpreter == the library's
predict on every row (regression: within the bounds), and the C == the interpreter bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import codegen
from tests.support.external import adversarial_rows, require_package, score_bound, split_points

SPECIAL = np.array([0.0, -0.0, 1e-35, -1e-35, 1e-45, -1e-45, np.inf, -np.inf, np.nan, -np.nan, 1.0, 2.0, 3.0],
                   dtype=np.float32)


@st.composite
def training_sets(draw):
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n, n_features = 160, draw(st.integers(1, 4))
    X = rng.choice([-2.0, -1.0, -0.0, 0.0, 1e-36, 0.5, 1.0, 3.0], size=(n, n_features)) + \
        draw(st.sampled_from([0.0, 1.0])) * rng.normal(size=(n, n_features))
    X[rng.random(X.shape) < draw(st.sampled_from([0.0, 0.1]))] = np.nan
    objective = draw(st.sampled_from(["binary", "multiclass", "regression"]))
    signal = np.nan_to_num(X).sum(axis=1) + rng.normal(scale=0.5, size=n)
    y = {"binary": signal > 0, "multiclass": np.digitize(signal, [-1.0, 1.0]), "regression": signal}[objective]
    return X.astype(np.float32), y.astype(np.float64 if objective == "regression" else np.int64), objective, seed


def _probe(estimator, X: np.ndarray, seed: int) -> np.ndarray:
    thresholds, features = split_points(estimator)
    rows = adversarial_rows(X, thresholds, features, seed=seed % 1000)
    rng = np.random.default_rng(seed)
    special = rng.choice(SPECIAL, size=(80, X.shape[1])).astype(np.float32)
    return np.concatenate([rows, special])


def _check(estimator, X: np.ndarray, rounding: float) -> None:
    model = codegen.convert(estimator, name="m")
    oracle = model.interpret(X)
    got = model.decode(oracle.predictions)
    reference = estimator.predict(X)
    if model.is_classifier:
        assert int(np.sum(got != reference)) == 0
    else:
        bound = model.report()["output_error_bound"] + score_bound(estimator, rounding)
        assert np.max(np.abs(got - reference)) <= bound
    run = model.run_c(X)
    np.testing.assert_array_equal(run.predictions, oracle.predictions)
    np.testing.assert_array_equal(run.scores, oracle.scores)


@settings(max_examples=25)
@given(training_sets(), st.integers(1, 6), st.integers(1, 5), st.sampled_from([0.1, 0.7]))
def test_random_xgboost_models(data, n_estimators, max_depth, learning_rate):
    xgb = require_package("xgboost")
    X, y, objective, seed = data
    factory = xgb.XGBRegressor if objective == "regression" else xgb.XGBClassifier
    assume(len(np.unique(y)) >= {"binary": 2, "multiclass": 3}.get(objective, 0))
    estimator = factory(n_estimators=n_estimators, max_depth=max_depth, learning_rate=learning_rate,
                        random_state=seed, n_jobs=1).fit(X, y)
    _check(estimator, _probe(estimator, X, seed), 2.0**-24)


@settings(max_examples=25)
@given(training_sets(), st.integers(1, 6), st.integers(2, 12), st.booleans(), st.booleans())
def test_random_lightgbm_models(data, n_estimators, num_leaves, zero_as_missing, use_missing):
    lgb = require_package("lightgbm")
    X, y, objective, seed = data
    factory = lgb.LGBMRegressor if objective == "regression" else lgb.LGBMClassifier
    assume(len(np.unique(y)) >= {"binary": 2, "multiclass": 3}.get(objective, 0))
    estimator = factory(n_estimators=n_estimators, num_leaves=num_leaves, min_child_samples=3, random_state=seed,
                        zero_as_missing=zero_as_missing, use_missing=use_missing, verbose=-1, n_jobs=1).fit(X, y)
    _check(estimator, _probe(estimator, X, seed), 2.0**-53)
