"""GradientBoosting's `init_`: the raw score scikit-learn starts from, read exactly.

`_raw_predict_init(X)` is link(init.predict(X)) (regressors) or link(clip(init.predict_proba(X)))
(classifiers; log / logit, so not linear). For a constant init (the default DummyRegressor /
DummyClassifier, or "zero") that is one base score. For a fitted tree init it is constant on
each of the init's leaves, so the init becomes one more tree whose leaf values are scikit-learn's
own `_raw_predict_init` at a point that reaches that leaf. Anything else (a linear model, a
pipeline, a forest) has no exact integer form and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor

from codegen.errors import UserError

TREE_INITS = (DecisionTreeRegressor, DecisionTreeClassifier, ExtraTreeRegressor, ExtraTreeClassifier)
# DummyClassifier's "stratified" and "uniform" draw random answers: no fixed raw score
CONSTANT_DUMMY_CLASSIFIER = ("prior", "most_frequent", "constant")
FLOAT32_LOWEST = np.float32(np.finfo(np.float32).min)
_FIX = "use init=None (the default), init='zero' or a DecisionTreeRegressor / DecisionTreeClassifier"


@dataclass(frozen=True)
class InitScore:
    """`base` (n_outputs,) plus, for a tree init, its fitted `tree_` and per-node raw scores
    (n_nodes, n_outputs; meaningful at leaves)."""

    base: np.ndarray
    tree: object | None = None
    node_values: np.ndarray | None = None


def read_init(estimator, n_outputs: int) -> InitScore:
    init = estimator.init_
    if isinstance(init, str):  # "zero": the only string scikit-learn accepts
        return InitScore(np.zeros(n_outputs))
    if type(init) is DummyRegressor or (
        type(init) is DummyClassifier and init.strategy in CONSTANT_DUMMY_CLASSIFIER
    ):
        probe = np.zeros((1, estimator.n_features_in_), dtype=np.float32)
        return InitScore(np.asarray(estimator._raw_predict_init(probe), dtype=np.float64).reshape(-1))
    if type(init) in TREE_INITS:
        if getattr(init, "n_outputs_", 1) != 1:
            what = type(init).__name__
            raise UserError(f"GradientBoosting init={what} with several outputs is not supported; {_FIX}")
        return _tree_init(estimator, init, n_outputs)
    what = type(init).__name__
    if type(init) is DummyClassifier:
        what += f"(strategy={init.strategy!r}), whose answers are random,"
    raise UserError(f"GradientBoosting init={what} has no exact integer form; {_FIX}")


def _tree_init(estimator, init, n_outputs: int) -> InitScore:
    tree = init.tree_
    leaves, points = leaf_points(tree, estimator.n_features_in_)
    reachable = np.all(np.isfinite(points), axis=1)
    node_values = np.zeros((tree.node_count, n_outputs))
    if reachable.any():
        rows = points[reachable]
        reached = init.apply(rows)
        if not np.array_equal(reached, leaves[reachable]):
            raise AssertionError("an init-tree leaf point does not reach its leaf")
        raw = np.asarray(estimator._raw_predict_init(rows), dtype=np.float64).reshape(len(rows), n_outputs)
        node_values[leaves[reachable]] = raw
    # a leaf no finite float32 reaches (its box is empty in float32) keeps 0: it is never used
    return InitScore(np.zeros(n_outputs), tree, node_values)


def leaf_points(tree, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Each leaf of a fitted `tree_` and a float32 row that reaches it (x <= t goes left),
    or a row with NaN where no finite float32 row does."""
    leaves, points = [], []
    stack = [(0, np.full(n_features, -np.inf), np.full(n_features, np.inf))]
    while stack:
        node, low, high = stack.pop()
        left, right = int(tree.children_left[node]), int(tree.children_right[node])
        if left < 0:
            leaves.append(node)
            points.append(_point_in_box(low, high))
            continue
        feature, threshold = int(tree.feature[node]), float(tree.threshold[node])
        left_high, right_low = high.copy(), low.copy()
        left_high[feature] = min(high[feature], threshold)
        right_low[feature] = max(low[feature], threshold)
        stack.append((left, low, left_high))
        stack.append((right, right_low, high))
    return np.asarray(leaves, dtype=np.int64), np.asarray(points, dtype=np.float32).reshape(-1, n_features)


def _point_in_box(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Per feature a finite float32 x with low < x <= high (0 when it qualifies), else NaN."""
    point = np.empty(len(low), dtype=np.float32)
    for f, (lo, hi) in enumerate(zip(low, high)):
        if lo < 0.0 <= hi:
            point[f] = 0.0
            continue
        with np.errstate(over="ignore"):  # beyond float32's range: inf, and no finite x
            x = FLOAT32_LOWEST if lo == -np.inf else np.float32(lo)
        if np.isfinite(x) and float(x) <= lo:
            x = np.nextafter(x, np.float32(np.inf))
        point[f] = x if np.isfinite(x) and float(x) <= hi else np.nan
    return point
