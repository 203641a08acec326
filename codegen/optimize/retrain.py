"""Retrained candidates: fresh models of the same class with the user's hyper-parameters
(`get_params()`), changed only in size, trained on the training rows. Also the baseline a
data scientist runs without mcugen: retrain smaller models and keep the most accurate that fits.

A change is a dict of `set_params` keys (a Pipeline's are prefixed by its last step's name,
e.g. `mlpclassifier__hidden_layer_sizes`). The grid holds size changes only, smallest model
first, and never the unchanged configuration (that is the model as trained)."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.base import clone

from codegen.errors import UserError
from codegen.optimize.mlp_units import final_mlp

FOREST_TREES = (3, 5, 8, 10, 15, 20, 30, 50)
FOREST_DEPTHS = (4, 6, 8, 10, 12)
BOOSTING_STAGES = (10, 20, 30, 50, 75, 100, 150, 200)
BOOSTING_DEPTHS = (2, 3, 4, 5, 6)
HIST_ITERATIONS = (10, 20, 30, 50, 75, 100)
HIST_LEAVES = (4, 8, 16, 31)
TREE_DEPTHS = (2, 3, 4, 5, 6, 8, 10, 12)
TREE_LEAVES = (8, 16, 32, 64, 128, 256)
MLP_SHARES = (0.75, 0.5, 0.375, 0.25, 0.125)
RETRAINED = ("RandomForest", "ExtraTrees", "GradientBoosting", "HistGradientBoosting", "DecisionTree", "ExtraTree",
             "MLP")


def retrain_grid(estimator) -> list[dict]:
    """Size changes of a fitted `estimator` (or Pipeline ending in one), smallest first: each
    axis takes the values below the model's own (its fitted depth for unlimited trees) plus its
    own value."""
    model = final_mlp(estimator)
    prefix = f"{estimator.steps[-1][0]}__" if hasattr(estimator, "steps") else ""
    family = _family(model)
    params = model.get_params()
    if family in ("RandomForest", "ExtraTrees"):
        axes = {"n_estimators": _below(FOREST_TREES, params["n_estimators"]),
                "max_depth": _depths(FOREST_DEPTHS, params["max_depth"], _fitted_depth(model))}
    elif family == "GradientBoosting":
        axes = {"n_estimators": _below(BOOSTING_STAGES, params["n_estimators"]),
                "max_depth": _depths(BOOSTING_DEPTHS, params["max_depth"], _fitted_depth(model))}
    elif family == "HistGradientBoosting":
        leaves = params["max_leaf_nodes"]  # None: unlimited
        axes = {"max_iter": _below(HIST_ITERATIONS, params["max_iter"]),
                "max_leaf_nodes": [v for v in HIST_LEAVES if leaves is None or v < leaves] + [leaves]}
    elif family in ("DecisionTree", "ExtraTree"):  # one axis at a time: both cap the same size
        depths = _depths(TREE_DEPTHS, params["max_depth"], model.get_depth())[:-1]
        leaves = _below(TREE_LEAVES, model.get_n_leaves())[:-1]
        return [{prefix + "max_depth": d} for d in depths] + [{prefix + "max_leaf_nodes": n} for n in leaves]
    else:
        return [{prefix + "hidden_layer_sizes": sizes} for sizes in _narrower_layers(model)]
    grid = [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]
    own = {name: values[-1] for name, values in axes.items()}
    grid = sorted((change for change in grid if change != own), key=lambda change: _leaf_budget(change, model))
    return [{prefix + k: v for k, v in change.items()} for change in grid]


def retrain(estimator, change: dict, X_train, y_train, seed: int = 0):
    """`clone(estimator).set_params(**change)` fitted on the training rows: the user's
    hyper-parameters kept, every `random_state` that was None fixed to `seed`."""
    _family(final_mlp(estimator))
    model = clone(estimator).set_params(**change)
    unseeded = {name: seed for name, value in model.get_params().items()
                if name.split("__")[-1] == "random_state" and value is None}
    model.set_params(**unseeded)
    with warnings.catch_warnings():  # an MLP that stops at max_iter is the user's setting
        warnings.filterwarnings("ignore", message=".*Maximum iterations.*")
        return model.fit(X_train, y_train)


def retraining_baseline(estimator, X_train, y_train, X_select, y_select, fits: Callable[[object], bool],
                        seed: int = 0) -> tuple[dict, object, float] | None:
    """(change, model, score) of the most accurate retrained size (`model.score` on the
    selection rows: accuracy, or R^2 for regressors) among those `fits(model)` accepts; ties
    go to the smaller model. None when no retrained size fits. `fits` (which may build
    firmware) is asked in order of score until one fits; models are retrained (the same
    seed gives the same model) rather than all held in memory."""
    scored = []
    for change in retrain_grid(estimator):
        scored.append((change, float(retrain(estimator, change, X_train, y_train, seed).score(X_select, y_select))))
    for change, score in sorted(scored, key=lambda entry: -entry[1]):  # stable: the smaller first on ties
        model = retrain(estimator, change, X_train, y_train, seed)
        if fits(model):
            return change, model, score
    return None


def _family(model) -> str:
    name = type(model).__name__
    for family in sorted(RETRAINED, key=len, reverse=True):  # ExtraTrees before ExtraTree
        if name.startswith(family) and name.removeprefix(family) in ("Classifier", "Regressor"):
            return family
    raise UserError(f"retraining takes forests, (hist) gradient boosting, single trees or MLPs, not {name}")


def _below(values: tuple, own) -> list:
    """The grid's values smaller than the model's own, then its own."""
    return [v for v in values if v < own] + [own]


def _depths(values: tuple, own, fitted: int) -> list:
    """Depth limits below what the trees reach (an unlimited depth is capped by the fitted one)."""
    cap = fitted if own is None else min(own, fitted)
    return [v for v in values if v < cap] + [own]


def _leaf_budget(change: dict, model) -> int:
    """Leaves the change allows at most (trees x leaves per tree): the grid's size order."""
    trees = change.get("n_estimators", change.get("max_iter", 1))
    if "max_depth" in change:
        depth = change["max_depth"]
        return trees * 2 ** (_fitted_depth(model) if depth is None else depth)
    leaves = change.get("max_leaf_nodes")
    return trees * (2**31 if leaves is None else leaves)


def _fitted_depth(model) -> int:
    trees = np.asarray(model.estimators_).ravel()
    return max(int(tree.get_depth()) for tree in trees)


def _narrower_layers(mlp) -> list[tuple[int, ...]]:
    sizes = np.atleast_1d(mlp.hidden_layer_sizes)
    shrunk = [tuple(max(1, int(round(share * width))) for width in sizes) for share in sorted(MLP_SHARES)]
    return [s for s in dict.fromkeys(shrunk) if s != tuple(int(w) for w in sizes)]
