"""XGBoost / LightGBM / IsolationForest models and checks for the tests. A test that needs
xgboost or lightgbm fails in CI (CI=true installs the extras) and is skipped elsewhere with the
install command in the reason, as conftest.require_tool does for toolchains."""

from __future__ import annotations

import functools
import importlib
import os

import numpy as np
import pytest

import codegen
from codegen.frontends import read_trees
from codegen.ir.interpret import interpret_trees
from codegen.ir.model import POST_SIGNED_SQUARE
from codegen.passes.quantize_leaves import leaf_owner
from tests.support.models import dataset, with_missing


def require_package(name: str, install: str | None = None):
    """The module `name`; CI installs every optional package, so there a missing one fails the
    test, elsewhere it is skipped with the install command."""
    try:
        return importlib.import_module(name)
    except ImportError:
        install = install or f"pip install 'mcugen[{name}]'"
        reason = f"{name} is missing; run: {install}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have it: {reason}")
        pytest.skip(reason)


def adversarial_rows(X: np.ndarray, thresholds: np.ndarray, features: np.ndarray, seed: int = 0) -> np.ndarray:
    """X with NaN of both signs, +0.0 and -0.0, and rows holding each split's threshold and
    the float32 values either side of it."""
    X = with_missing(np.asarray(X, dtype=np.float32), seed=seed)
    rng = np.random.default_rng(seed)
    zeros = rng.random(X.shape) < 0.05
    X[zeros] = np.where(rng.random(zeros.sum()) < 0.5, np.float32(0.0), np.float32(-0.0))
    rows = []
    for index in rng.permutation(len(thresholds))[:300]:
        t32 = np.float32(thresholds[index])
        for value in (t32, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf))):
            row = X[len(rows) % len(X)].copy()
            row[features[index]] = value
            rows.append(row)
    return np.concatenate([X, np.asarray(rows, dtype=np.float32).reshape(-1, X.shape[1])])


def split_points(estimator) -> tuple[np.ndarray, np.ndarray]:
    """Every split threshold of a converted model's float IR and its feature (the IR holds
    XGBoost's strict t as the float32 below it: both sides of t are then in the rows)."""
    ir = read_trees(estimator)
    finite = np.isfinite(ir.threshold)
    return ir.threshold[finite], ir.feature[finite]


def score_bound(estimator, relative_rounding: float) -> float:
    """|library's summed score - exact sum| <= (n_trees + 2) * relative_rounding * B, with B
    the largest partial sum: each addition rounds by at most relative_rounding * |partial|,
    and two more units cover scaled leaves (dart weights, averaged forests)."""
    ir = read_trees(estimator)
    owner = leaf_owner(ir)
    per_tree = np.zeros((ir.n_trees, ir.n_outputs))
    np.maximum.at(per_tree, owner, np.abs(ir.leaf_values))
    largest = float((np.abs(ir.base_score) + per_tree.sum(axis=0)).max())
    error = (ir.n_trees + 2) * relative_rounding * largest
    if ir.post == POST_SIGNED_SQUARE:  # reg_sqrt: the output is the sum squared, sign kept
        error = error * (2 * largest + error) + relative_rounding * (largest + error) ** 2
    return error


def near_boundary_rows(estimator, X: np.ndarray, model, float_rounding: float) -> int:
    """Rows whose exact score (float IR in float64) is within the fixed-point bound plus the
    library's own rounding of a class boundary: only there could C and library disagree."""
    exact = interpret_trees(read_trees(estimator), X).scores
    slack = model.ir.error_bound + score_bound(estimator, float_rounding)
    if exact.shape[1] == 1:
        return int(np.sum(np.abs(exact[:, 0]) <= slack))
    top_two = np.sort(exact, axis=1)[:, -2:]
    return int(np.sum(top_two[:, 1] - top_two[:, 0] <= 2 * slack))


def check_model(estimator, X: np.ndarray, *, float_rounding: float, layout: str = "auto", predict=None):
    """C == interpreter bit for bit; classes == the library's predict on every row; regression
    within the fixed-point bound plus the library's own summation bound. Returns the model and
    the number of rows near a class boundary (reported, and still required to agree)."""
    model = codegen.convert(estimator, name="m", layout=layout)
    run = model.run_c(X)
    oracle = model.interpret(X)
    np.testing.assert_array_equal(run.predictions, oracle.predictions)
    np.testing.assert_array_equal(run.scores, oracle.scores)
    reference = np.asarray((predict or estimator.predict)(X))
    got = model.decode(run.predictions)
    if model.is_classifier:
        mismatches = int(np.sum(got != reference))
        assert mismatches == 0, f"{mismatches} of {len(X)} rows differ from the library"
        return model, near_boundary_rows(estimator, X, model, float_rounding)
    bound = model.report()["output_error_bound"] + score_bound(estimator, float_rounding)
    worst = float(np.max(np.abs(got - reference)))
    assert worst <= bound, f"error {worst} beyond the bound {bound}"
    return model, 0


@functools.cache
def xgboost_model(kind: str, data: str, n_estimators: int = 20, max_depth: int = 4):
    xgb = require_package("xgboost")
    X, y, _, _ = dataset(data)
    if data.startswith("generated"):
        X = with_missing(X, seed=1)
    factory = xgb.XGBClassifier if kind == "classifier" else xgb.XGBRegressor
    return factory(n_estimators=n_estimators, max_depth=max_depth, random_state=0, n_jobs=1).fit(X, y)


@functools.cache
def lightgbm_model(kind: str, data: str, n_estimators: int = 20, **params):
    lgb = require_package("lightgbm")
    X, y, _, _ = dataset(data)
    if data.startswith("generated"):
        X = with_missing(X, seed=1)
    factory = lgb.LGBMClassifier if kind == "classifier" else lgb.LGBMRegressor
    return factory(n_estimators=n_estimators, num_leaves=15, min_child_samples=5, random_state=0,
                   n_jobs=1, verbose=-1, **params).fit(X, y)


def adversarial_test_rows(estimator, data: str) -> np.ndarray:
    _, _, X_test, _ = dataset(data)
    thresholds, features = split_points(estimator)
    return adversarial_rows(X_test, thresholds, features)
