"""Honest accuracy for the search: every decision row is scored by a model that did not learn
from it (k-fold cross-validation of whatever a transform learns from rows, e.g. a forest's
tree order), each figure comes with its standard error, and the drop below the model as
trained is paired row by row (both are scored on the same rows, so their noise mostly cancels).

A score is the mean of per-row points: 100 for a right class and 0 for a wrong one
(accuracy), or 100 * (1 - n * e_i^2 / SST) for a regressor (the mean is R^2 in points).
The accuracy budget is judged by the drop's upper confidence bound, drop + Z * SE: a
candidate is within `--max-accuracy-drop` only when its drop is, with 95% confidence (one
sided), no larger.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

FOLDS = 5
Z = 1.645  # one-sided 95%
# A rows count below this many per fold gives no usable cross-validation estimate.
MIN_ROWS_PER_FOLD = 2


@dataclass(frozen=True)
class Estimate:
    score: float  # points (accuracy %, or R^2 x 100)
    score_se: float
    drop: float  # points below the model as trained, on the same rows
    drop_se: float
    rows: int

    @property
    def drop_upper(self) -> float:
        return self.drop + Z * self.drop_se


def folds(labels: np.ndarray, classify: bool, seed: int, k: int = FOLDS) -> list[np.ndarray]:
    """The held-out row indices of each fold; classifiers are stratified when every class has at
    least k rows (otherwise plain shuffled folds)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(labels)
    k = max(2, min(k, n // MIN_ROWS_PER_FOLD))
    _, counts = np.unique(np.asarray(labels).astype(str), return_counts=True)
    splitter = StratifiedKFold(k, shuffle=True, random_state=seed) if classify and counts.min() >= k \
        else KFold(k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [held_out for _, held_out in splitter.split(np.zeros((n, 1)), np.asarray(labels).astype(str))]


def row_points(predicted, labels, classify: bool, total_square: float | None = None) -> np.ndarray:
    """Per-row points whose mean is the score (see the module docstring). `total_square`: the
    regressor's SST over the rows scored (default: these rows)."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if classify:
        return 100.0 * same_labels(predicted, labels).astype(np.float64)
    truth = labels.astype(np.float64)
    total = total_square if total_square is not None else float(np.sum((truth - truth.mean()) ** 2))
    with np.errstate(over="ignore", invalid="ignore"):
        error = (truth - predicted.astype(np.float64)) ** 2
    return 100.0 * (1.0 - len(truth) * error / (total or 1.0))


def same_labels(predicted, labels) -> np.ndarray:
    """Labels read from a file are floats or strings: compare as numbers when both are."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.dtype.kind in "USO" or labels.dtype.kind in "USO":
        return predicted.astype(str) == labels.astype(str)
    return predicted.astype(np.float64) == labels.astype(np.float64)


def estimate(points: np.ndarray, baseline_points: np.ndarray) -> Estimate:
    points = np.nan_to_num(np.asarray(points, dtype=np.float64), nan=-1e9)
    difference = np.asarray(baseline_points, dtype=np.float64) - points
    n = len(points)
    return Estimate(float(points.mean()), _standard_error(points), float(difference.mean()),
                    _standard_error(difference), n)


def _standard_error(values: np.ndarray) -> float:
    if len(values) < 2:
        return math.inf
    return float(values.std(ddof=1) / math.sqrt(len(values)))


def too_few_rows(n_rows: int, max_drop: float | None) -> str | None:
    """A warning when one row is worth more than a quarter of the accuracy budget."""
    if max_drop is None or n_rows == 0:
        return None
    per_row = 100.0 / n_rows
    if per_row <= max_drop / 4:
        return None
    return (f"one of the {n_rows} rows the search decides by is worth {per_row:.2g} points, more than a quarter "
            f"of --max-accuracy-drop {max_drop:g}: the estimates are too coarse for this budget; give at least "
            f"{math.ceil(400 / max_drop):,} rows (--data, or --val-data)")
