"""Property test over every transform tune tries on tree models: random small forests,
boosters (scikit-learn, HistGradientBoosting, XGBoost, LightGBM), single trees and isolation
forests on binary, multiclass and regression data, a random value drawn for every transform
(soft and hard leaves, rounded leaves, fewer members, cuts, pruning). Every returned estimator
converts in every layout, its interpreter predicts what its own predict says on every row,
and its C equals the interpreter bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import ensemble, tree

from codegen.optimize.transforms import TRANSFORMS, apply, model_family
from tests.support.external import require_package
from tests.support.families import LAYOUTS, check_c, check_interpreter, one_thread

OBJECTIVES = ("binary", "multiclass", "regression")


def _xgboost(objective: str, size: int, seed: int):
    xgb = require_package("xgboost")
    factory = xgb.XGBRegressor if objective == "regression" else xgb.XGBClassifier
    return factory(n_estimators=size, max_depth=3, random_state=seed, n_jobs=1)


def _lightgbm(objective: str, size: int, seed: int):
    lgb = require_package("lightgbm")
    factory = lgb.LGBMRegressor if objective == "regression" else lgb.LGBMClassifier
    return factory(n_estimators=size, num_leaves=6, min_child_samples=3, random_state=seed, n_jobs=1, verbose=-1)


def _sklearn(classifier, regressor, params):
    return lambda objective, size, seed: (regressor if objective == "regression" else classifier)(
        random_state=seed, **params(size))


KINDS = {  # name -> (make(objective, size, seed), takes NaN)
    "random_forest": (_sklearn(ensemble.RandomForestClassifier, ensemble.RandomForestRegressor,
                               params=lambda n: {"n_estimators": n, "max_depth": 5}), True),
    "extra_trees": (_sklearn(ensemble.ExtraTreesClassifier, ensemble.ExtraTreesRegressor,
                             params=lambda n: {"n_estimators": n, "max_depth": 5}), False),
    "gradient_boosting": (_sklearn(ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor,
                                   params=lambda n: {"n_estimators": n, "max_depth": 3}), False),
    "hist_boosting": (_sklearn(ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor,
                               params=lambda n: {"max_iter": n, "max_leaf_nodes": 8}), True),
    "xgboost": (_xgboost, True),
    "lightgbm": (_lightgbm, True),
    "decision_tree": (_sklearn(tree.DecisionTreeClassifier, tree.DecisionTreeRegressor,
                               params=lambda n: {"min_samples_leaf": 2}), True),
    "extra_tree": (_sklearn(tree.ExtraTreeClassifier, tree.ExtraTreeRegressor, params=lambda n: {}), False),
    "isolation_forest": (lambda objective, size, seed: ensemble.IsolationForest(n_estimators=size, max_samples=64,
                                                                                random_state=seed), False),
}


def _data(objective: str, seed: int, missing: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(150, 4))
    X[:, 1] = np.round(X[:, 1])  # ties
    signal = X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=len(X))
    if missing:
        X[rng.random(X.shape) < 0.05] = np.nan
    y = {"binary": signal > 0, "multiclass": np.digitize(signal, [-1.0, 1.0]), "regression": signal}[objective]
    return X.astype(np.float32), y.astype(np.float64 if objective == "regression" else np.int64)


def _fit(kind: str, objective: str, size: int, seed: int):
    make, takes_nan = KINDS[kind]
    X, y = _data(objective, seed, missing=takes_nan and seed % 2 == 0)
    with one_thread():
        model = make(objective, size, seed)
        return (model.fit(X) if kind == "isolation_forest" else model.fit(X, y)), X


def _grids(model) -> dict:
    family = model_family(model)
    grids = {t.axis: t.values(model, family) for t in TRANSFORMS}
    return {axis: grid for axis, grid in grids.items() if grid}


CASES = [(kind, objective) for kind in sorted(KINDS) for objective in OBJECTIVES
         if kind != "isolation_forest" or objective == "binary"]  # an isolation forest takes no labels


@pytest.mark.parametrize("kind, objective", CASES)  # every kind and objective, random models of each
@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 2**16), c_layout=st.sampled_from(LAYOUTS))
def test_every_transform_returns_a_model_exact_against_its_own_predict(kind, objective, seed, c_layout):
    # the seed picks the size and every value (hypothesis' own draws favour the first ones)
    rng = np.random.default_rng(seed)
    model, X = _fit(kind, objective, int(rng.integers(2, 13)), seed)
    candidate = {axis: grid[int(rng.integers(len(grid)))] for axis, grid in _grids(model).items()}
    for axis, value in candidate.items():  # each transform alone, then all of them together
        alone = apply(model, {axis: value})
        for layout in LAYOUTS:
            check_interpreter(alone, X, layout)
    combined = apply(model, candidate)
    for layout in LAYOUTS:
        check_interpreter(combined, X, layout)
    check_c(combined, X, c_layout)


def test_the_property_test_reaches_every_tree_transform():
    """A transform added to TRANSFORMS that no drawn model takes would go untested: each one
    (but the MLP's) has values for at least one kind the test draws."""
    reached = set()
    for kind, objective in CASES:
        reached |= set(_grids(_fit(kind, objective, 6, 0)[0]))
    needs_rows = {t.axis for t in TRANSFORMS if getattr(t, "needs_training_rows", False)}  # tests of their own
    assert reached == {t.axis for t in TRANSFORMS} - {"units"} - needs_rows
