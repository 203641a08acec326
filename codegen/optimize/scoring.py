"""Cross-validated predictions of every candidate on the decision rows.

Transforms that learn from rows (a forest's tree order) learn it, for each fold, on the other
folds only; every row is then predicted by a candidate that never saw it. Forests take a fast
path: each variant of the whole forest (depth, leaves, input type) predicts once per tree, and
any kept subset is a sum of those outputs. Candidates that learn nothing from rows are scored
from their own conversion (the interpreter, exact for every model kind) in evaluate.py.
"""

from __future__ import annotations

import numpy as np

from codegen.optimize import transforms
from codegen.optimize.evaluate import real_rows
from codegen.optimize.trees import greedy_order_from_outputs, tree_outputs


def as_trained_predictions(model, converted, X_device: np.ndarray, X_real: np.ndarray) -> np.ndarray:
    """The model as trained on float32 rows, by its own library when it has a scikit-learn
    `predict` (for an MLP: the float network, not its int8 conversion), else by its exact
    conversion (XGBoost / LightGBM Boosters)."""
    if _has_sklearn_predict(model):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(model.predict(X_real))
    return converted.decode(converted.interpret(X_device).predictions)


def _has_sklearn_predict(model) -> bool:
    return hasattr(model, "predict") and hasattr(model, "get_params")


def forest_predictions(model, grid: list[dict], indices: list[int], settings_by_input: dict, X: np.ndarray,
                       y: np.ndarray, fold_rows: list[np.ndarray], classify: bool) -> dict:
    """{(grid index, input type): predictions on every row of X}, each row predicted by the trees
    of an order learned without its fold."""
    truth = np.searchsorted(model.classes_, y) if classify else np.asarray(y, dtype=np.float64)
    as_trained = tree_outputs(model, np.asarray(X, dtype=np.float32), classify)
    orders = [greedy_order_from_outputs(as_trained[:, _others(fold, len(X))], truth[_others(fold, len(X))], classify)
              for fold in fold_rows]
    by_variant: dict[tuple, list[int]] = {}
    for index in indices:
        rest = {axis: value for axis, value in grid[index].items() if axis != "trees"}
        by_variant.setdefault(tuple(sorted(rest.items())), []).append(index)
    found = {}
    for variant, members in by_variant.items():
        forest = transforms.apply(model, dict(variant))
        for dtype, settings in settings_by_input.items():
            outputs = tree_outputs(forest, real_rows(settings, X), classify)
            for index in members:
                kept = int(grid[index].get("trees", len(model.estimators_)))
                found[(index, dtype)] = _fold_predictions(outputs, orders, fold_rows, kept, model, classify)
    return found


def _others(fold: np.ndarray, n: int) -> np.ndarray:
    mask = np.ones(n, dtype=bool)
    mask[fold] = False
    return np.flatnonzero(mask)


def _fold_predictions(outputs: np.ndarray, orders, fold_rows, kept: int, model, classify: bool) -> np.ndarray:
    predicted = np.empty(outputs.shape[1], dtype=model.classes_.dtype if classify else np.float64)
    for order, fold in zip(orders, fold_rows, strict=True):
        total = outputs[np.asarray(order[:kept])][:, fold].sum(axis=0)
        predicted[fold] = model.classes_[np.argmax(total, axis=1)] if classify else total[:, 0] / kept
    return predicted


def fold_predictions(model, grid: list[dict], indices: list[int], settings_by_input: dict, context,
                     fold_rows: list[np.ndarray]) -> dict:
    """{(grid index, input type): predictions on every decision row} for candidates that learn
    from rows and refit on the training rows too (refined leaves of a pruned forest): each fold's
    rows are predicted by the candidate built from the other folds, by its library's `predict`."""
    X, y = context.X, context.y
    found = {}
    for fold in fold_rows:
        others = _others(fold, len(X))
        learned_by_axes: dict[tuple, dict] = {}  # e.g. one tree order per fold for every candidate
        for index in indices:
            candidate = grid[index]
            axes = tuple(sorted(a for a in candidate if transforms.BY_AXIS[a].learns_from_rows))
            if axes not in learned_by_axes:
                learned_by_axes[axes] = transforms.prepare(model, dict.fromkeys(axes), X[others], y[others])
            learned = learned_by_axes[axes]
            training = {a: context.training for a in candidate if getattr(transforms.BY_AXIS[a],
                                                                          "needs_training_rows", False)}
            fitted = transforms.apply(model, candidate, {**learned, **training})
            for dtype, settings in settings_by_input.items():
                predicted = np.asarray(fitted.predict(real_rows(settings, X[fold])))
                target = found.setdefault((index, dtype), np.empty(len(X), dtype=predicted.dtype))
                target[fold] = predicted
    return found
