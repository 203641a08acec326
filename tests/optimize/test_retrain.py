"""Retrained candidates: the grid changes only sizes, smallest first and never the model as
trained; a retrained model keeps every other hyper-parameter, is deterministic, honours the
size; the baseline is the most accurate retrained model that fits."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from codegen.errors import UserError
from codegen.optimize.retrain import retrain, retrain_grid, retraining_baseline

SIZE_KEYS = {"n_estimators", "max_depth", "max_leaf_nodes", "max_iter", "hidden_layer_sizes"}


@pytest.fixture(autouse=True)
def one_thread():
    """HistGradientBoosting's OpenMP threads spin on a busy machine: 20x slower than one."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:300], y[:300], X[300:], y[300:]


def _other_params(model) -> dict:
    return {k: v for k, v in model.get_params().items() if k.split("__")[-1] not in SIZE_KEYS | {"random_state"}}


def test_forest_grid_is_capped_by_the_model_and_smallest_first(data):
    X, y, _, _ = data
    forest = RandomForestClassifier(n_estimators=20, min_samples_leaf=2, max_features=0.5, random_state=1).fit(X, y)
    grid = retrain_grid(forest)
    depth = max(t.get_depth() for t in forest.estimators_)
    assert {tuple(sorted(c)) for c in grid} == {("max_depth", "n_estimators")}
    assert {c["n_estimators"] for c in grid} == {3, 5, 8, 10, 15, 20}
    assert {c["max_depth"] for c in grid} == {d for d in (4, 6, 8, 10, 12) if d < depth} | {None}
    assert {"n_estimators": 20, "max_depth": None} not in grid  # the model as trained
    budgets = [c["n_estimators"] * 2 ** (depth if c["max_depth"] is None else c["max_depth"]) for c in grid]
    assert budgets == sorted(budgets)


def test_retrained_model_keeps_the_users_parameters_and_honours_the_size(data):
    X, y, _, _ = data
    forest = RandomForestClassifier(n_estimators=20, min_samples_leaf=2, max_features=0.5).fit(X, y)
    small = retrain(forest, {"n_estimators": 5, "max_depth": 4}, X, y, seed=7)
    assert len(small.estimators_) == 5 and max(t.get_depth() for t in small.estimators_) <= 4
    assert _other_params(small) == _other_params(forest) and small.random_state == 7
    again = retrain(forest, {"n_estimators": 5, "max_depth": 4}, X, y, seed=7)
    np.testing.assert_array_equal(small.predict_proba(X), again.predict_proba(X))
    seeded = RandomForestClassifier(n_estimators=4, random_state=3).fit(X, y)
    assert retrain(seeded, {"n_estimators": 3}, X, y, seed=9).random_state == 3  # the user's seed stays


@pytest.mark.parametrize("make,keys", [
    (lambda: GradientBoostingClassifier(n_estimators=30, max_depth=4, subsample=0.8, random_state=0),
     {"n_estimators", "max_depth"}),
    (lambda: HistGradientBoostingClassifier(max_iter=12, l2_regularization=0.1, random_state=0),
     {"max_iter", "max_leaf_nodes"}),
    (lambda: ExtraTreesRegressor(n_estimators=8, random_state=0), {"n_estimators", "max_depth"}),
])
def test_every_boosting_and_forest_change_is_honoured(data, make, keys):
    X, y, _, _ = data
    model = make().fit(X, y)
    grid = retrain_grid(model)
    assert grid and all(set(c) == keys for c in grid)
    first = retrain(model, grid[0], X, y)
    assert first.get_params() == {**model.get_params(), **grid[0]}
    if "max_iter" in keys:
        assert first.n_iter_ <= grid[0]["max_iter"]
    else:
        assert len(np.asarray(first.estimators_).ravel()) <= len(np.asarray(model.estimators_).ravel())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_single_tree_and_mlp_pipeline_grids(data):
    X, y, _, _ = data
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    grid = retrain_grid(tree)
    assert all(len(c) == 1 for c in grid)
    assert all(c["max_depth"] < tree.get_depth() for c in grid if "max_depth" in c)
    assert all(c["max_leaf_nodes"] < tree.get_n_leaves() for c in grid if "max_leaf_nodes" in c)
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=50,
                                                             random_state=0)).fit(X, y)
    grid = retrain_grid(pipeline)
    assert grid[0] == {"mlpclassifier__hidden_layer_sizes": (2, 1)}
    assert {"mlpclassifier__hidden_layer_sizes": (8, 4)} in grid and len(grid) == 5
    small = retrain(pipeline, {"mlpclassifier__hidden_layer_sizes": (8, 4)}, X, y)
    assert [c.shape[1] for c in small.steps[-1][1].coefs_] == [8, 4, 1]
    with pytest.raises(UserError, match="not SVC"):
        retrain_grid(SVC().fit(X, y))


def test_baseline_is_the_most_accurate_retrained_model_that_fits():
    X, y = load_digits(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=8, max_depth=8, random_state=0).fit(X[:800], y[:800])

    def small(model) -> bool:
        return sum(t.tree_.node_count for t in model.estimators_) <= 600

    change, model, score = retraining_baseline(forest, X[:800], y[:800], X[800:1200], y[800:1200], small)
    assert small(model) and score == model.score(X[800:1200], y[800:1200])
    for other in retrain_grid(forest):
        candidate = retrain(forest, other, X[:800], y[:800])
        if small(candidate):
            assert candidate.score(X[800:1200], y[800:1200]) <= score
    assert retraining_baseline(forest, X[:800], y[:800], X[800:], y[800:], lambda m: False) is None
