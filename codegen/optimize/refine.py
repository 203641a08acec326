"""Leaf refinement: the kept trees' leaf values re-fitted on the training rows for the
ensemble as a whole (Buschjäger & Morik, "Joint leaf-refinement and ensemble pruning through
L1 regularization", DMKD 2023), after ensemble pruning and depth cuts have changed what the
leaves were fitted for. The tree structure is untouched; a NEW fitted estimator of the same
class is returned, whose `predict` is what mcugen's C computes.

- Forests (and single trees): a few epochs of Adam on the ensemble's loss, jointly over all
  leaves: cross-entropy of the soft-vote mean (classifiers), squared error of the mean
  (regressors). The forest's output is a sparse design `A @ values` (one 1/T entry per row and
  tree, from `tree.apply`), so an epoch is two sparse products. A classifier leaf stays a
  class distribution (softmax of free logits), then lands on a 2**-16 grid summing to exactly
  1: scikit-learn's normalisation leaves it unchanged and mcugen's fixed-point sums are exact,
  so ties stay ties in both.
- Gradient boosting: the same joint Adam on the loss of the raw score (squared error, log
  loss, exponential), keeping `init_` and `learning_rate`: raw = init + learning_rate * sum of
  the stages' leaf values. It starts from the better of the input's leaves and one sequential
  Newton pass (each stage's leaves set as scikit-learn's own leaf update would, given the
  stages before it).

A share of the training rows is held out of the gradient to pick the best epoch (early
stopping); the input is kept when refining does not lower the loss on those rows.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from codegen.errors import UserError
from codegen.optimize.tree_surgery import rebuild_tree
from codegen.optimize.trees import _round_distributions, all_trees, is_classifier, kind_of, quantize_leaf_values

DISTRIBUTION_BITS = 16  # refined class distributions land on this grid (exact in fixed point)
PROBABILITY_FLOOR = 1e-12  # cross-entropy of a row whose true class got probability 0
BOOSTING_LOSSES = ("squared_error", "log_loss", "exponential")


def refine_leaves(estimator, X_train, y_train, *, epochs: int = 40, learning_rate: float = 0.05,
                  batch_size: int | None = None, validation_fraction: float = 0.2, leaf_bits: int | None = None,
                  seed: int = 0) -> object:
    """A copy of `estimator` with its leaf values re-fitted jointly on (X_train, y_train):
    at most `epochs` epochs of Adam (step `learning_rate`: in logits for forest classifiers,
    in units of the targets' (forests) or leaf values' (boosting) standard deviation), full
    batch unless `batch_size`. A `validation_fraction` of the rows (drawn by `seed`) is held
    out of the gradient to pick the best epoch and stop early (0: the training loss decides);
    the input is returned unchanged unless refining lowers that loss. Boosting starts from the
    better of its leaves and one sequential Newton pass. `leaf_bits` (4, 8, 16): round the
    refined leaves to that grid (`quantize_leaf_values`)."""
    kind = kind_of(estimator)
    X = np.asarray(X_train, dtype=np.float32)
    if X.ndim != 2 or len(X) != len(y_train) or len(X) == 0:
        raise UserError(f"training rows and labels must match: X has shape {X.shape}, y has {len(y_train)} labels")
    if not 0.0 <= validation_fraction < 1.0:
        raise UserError(f"validation_fraction must be in [0, 1), not {validation_fraction}")
    plan = _Plan(epochs, learning_rate, batch_size, _split_rows(len(X), validation_fraction, seed), seed)
    if kind == "boosting":
        refined = _refine_boosting(estimator, X, np.asarray(y_train), plan)
    else:
        refined = _refine_forest(estimator, X, np.asarray(y_train), plan)
    if leaf_bits is not None:
        refined = quantize_leaf_values(refined, leaf_bits)
    return refined


@dataclass(frozen=True)
class _Plan:
    epochs: int
    learning_rate: float
    batch_size: int | None
    rows: tuple[np.ndarray, np.ndarray]  # (rows the gradient sees, rows that pick the epoch)
    seed: int


def _split_rows(n_rows: int, validation_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n_rows)
    n_check = int(round(validation_fraction * n_rows))
    if n_check == 0 or n_check == n_rows:
        return np.arange(n_rows), np.arange(n_rows)
    return np.sort(order[n_check:]), np.sort(order[:n_check])


def training_loss(estimator, X_train, y_train) -> float:
    """The loss refinement lowers: mean cross-entropy of `predict_proba` (classifiers, forests
    and trees), mean squared error (regressors), the boosting loss of the raw score."""
    X = np.asarray(X_train, dtype=np.float32)
    y = np.asarray(y_train)
    if kind_of(estimator) == "boosting":
        raw = np.asarray(estimator._raw_predict(X), dtype=np.float64)
        return _boosting_loss(estimator, _boosting_targets(estimator, y), raw)
    if is_classifier(estimator):
        proba = estimator.predict_proba(X)[np.arange(len(y)), _class_index(estimator, y)]
        return float(-np.mean(np.log(np.maximum(proba, PROBABILITY_FLOOR))))
    return float(np.mean((estimator.predict(X) - y.astype(np.float64)) ** 2))


# ---- forests and single trees -------------------------------------------------------------

class _LeafDesign:
    """Leaves of all trees numbered 0..G-1, and the sparse (rows x G) matrix whose product with
    the leaf values is the ensemble's output per row: each reached leaf weighted 1/T (the mean
    of a forest) or by `weight` (boosting's learning rate)."""

    def __init__(self, trees: list, X: np.ndarray, weight: float | None = None):
        self.leaf_nodes, columns, offset = [], [], 0
        for tree in trees:
            leaves = np.flatnonzero(tree.tree_.children_left < 0)
            number = np.full(tree.tree_.node_count, -1, dtype=np.int64)
            number[leaves] = offset + np.arange(len(leaves))
            columns.append(number[tree.apply(X)])
            self.leaf_nodes.append(leaves)
            offset += len(leaves)
        n_rows, n_trees = len(X), len(trees)
        rows = np.repeat(np.arange(n_rows), n_trees)
        values = np.full(n_rows * n_trees, 1.0 / n_trees if weight is None else weight)
        self.matrix = sp.csr_matrix((values, (rows, np.stack(columns, axis=1).ravel())), shape=(n_rows, offset))
        self.n_leaves = offset

    def gather(self, trees: list) -> np.ndarray:
        """(G, K) current leaf values (class distributions normalised, as predict_proba reads them)."""
        blocks = [np.asarray(t.tree_.value, dtype=np.float64)[nodes, 0, :] for t, nodes in zip(trees, self.leaf_nodes,
                                                                                              strict=True)]
        return np.concatenate(blocks)

    def scatter(self, trees: list, values: np.ndarray) -> None:
        """Writes (G, K) leaf values back into each tree (a rebuilt Tree, same structure)."""
        start = 0
        for tree, nodes in zip(trees, self.leaf_nodes, strict=True):
            node_values = np.array(tree.tree_.value, dtype=np.float64)
            node_values[nodes, 0, :] = values[start:start + len(nodes)]
            start += len(nodes)
            keep = np.zeros(tree.tree_.node_count, dtype=bool)
            tree.tree_ = rebuild_tree(tree.tree_, keep, node_values)


def _refine_forest(estimator, X, y, plan: _Plan):
    refined = copy.deepcopy(estimator)
    trees = all_trees(refined)
    design = _LeafDesign(trees, X)
    start = design.gather(trees)
    if is_classifier(estimator):
        loss, target = _cross_entropy, _class_index(estimator, y)
        start = start / np.maximum(start.sum(axis=1, keepdims=True), PROBABILITY_FLOOR)
        # pure leaves (zeros) must be able to move: start from a lightly smoothed distribution
        smoothed = 0.99 * start + 0.01 / start.shape[1]
        fitted = _adam(design.matrix, np.log(smoothed), loss, target, _softmax, plan, plan.learning_rate)
        fitted = quantize_distributions(fitted, DISTRIBUTION_BITS)
    else:
        loss, target = _squared_error, y.astype(np.float64).reshape(-1, 1)
        step = plan.learning_rate * (float(np.std(target)) or 1.0)
        fitted = _adam(design.matrix, start, loss, target, _identity, plan, step)
    check = plan.rows[1]
    if loss(design.matrix[check], fitted, target[check])[0] >= loss(design.matrix[check], start, target[check])[0]:
        return copy.deepcopy(estimator)
    design.scatter(trees, fitted)
    return refined


def _cross_entropy(matrix, values: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean -log p(true class) of the mean distribution, and its gradient in the leaf values."""
    rows = np.arange(len(target))
    proba = np.maximum(np.asarray(matrix @ values)[rows, target], PROBABILITY_FLOOR)
    grad_out = np.zeros((len(target), values.shape[1]))
    grad_out[rows, target] = -1.0 / (proba * len(target))
    return float(-np.mean(np.log(proba))), np.asarray(matrix.T @ grad_out)


def _squared_error(matrix, values: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    residual = np.asarray(matrix @ values) - target
    return float(np.mean(residual**2)), np.asarray(matrix.T @ (2.0 * residual / len(target)))


def _softmax(logits: np.ndarray) -> tuple[np.ndarray, object]:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba = shifted / shifted.sum(axis=1, keepdims=True)
    return proba, lambda grad: proba * (grad - np.sum(proba * grad, axis=1, keepdims=True))


def _identity(values: np.ndarray) -> tuple[np.ndarray, object]:
    return values, lambda grad: grad


def _adam(matrix, params: np.ndarray, loss, target: np.ndarray, link, plan: _Plan, step: float,
          patience: int = 5, tol: float = 1e-4) -> np.ndarray:
    """Adam on `params` (leaf values = link(params)) over the fitting rows; returns the leaf
    values of the epoch with the lowest loss on the checking rows, stopping after `patience`
    epochs without a `tol` relative gain there."""
    fit_rows, check_rows = plan.rows
    rng = np.random.default_rng(plan.seed)
    size = len(fit_rows) if plan.batch_size is None else max(1, int(plan.batch_size))
    first, second, t = np.zeros_like(params), np.zeros_like(params), 0
    check_matrix, check_target = matrix[check_rows], target[check_rows]
    best_values = link(params)[0]
    best_loss, stalled = loss(check_matrix, best_values, check_target)[0], 0
    for _ in range(plan.epochs):
        order = fit_rows if plan.batch_size is None else rng.permutation(fit_rows)
        for begin in range(0, len(order), size):
            rows = order[begin:begin + size]
            values, backward = link(params)
            grad = backward(loss(matrix[rows], values, target[rows])[1])
            t += 1
            first = 0.9 * first + 0.1 * grad
            second = 0.999 * second + 0.001 * grad**2
            params = params - step * (first / (1 - 0.9**t)) / (np.sqrt(second / (1 - 0.999**t)) + 1e-8)
        values = link(params)[0]
        current = loss(check_matrix, values, check_target)[0]
        stalled = stalled + 1 if current > best_loss - tol * abs(best_loss) else 0
        if current < best_loss:
            best_loss, best_values = current, values
        if stalled >= patience:
            break
    return best_values


def quantize_distributions(values: np.ndarray, bits: int) -> np.ndarray:
    """(G, K) distributions as multiples of 2**-bits summing to exactly 1 (largest remainders
    take the rounding; what `quantize_leaf_values` does to a tree's class distributions)."""
    return _round_distributions(values[:, None, :], bits)[:, 0, :]


def _class_index(estimator, y: np.ndarray) -> np.ndarray:
    classes = np.asarray(estimator.classes_)
    index = np.searchsorted(classes, y)
    if (index >= len(classes)).any() or (classes[np.minimum(index, len(classes) - 1)] != y).any():
        raise UserError("the training labels hold classes the model does not know; pass the rows it was trained on")
    return index


# ---- gradient boosting --------------------------------------------------------------------

def _refine_boosting(estimator, X: np.ndarray, y: np.ndarray, plan: _Plan):
    if estimator.loss not in BOOSTING_LOSSES:
        raise UserError(f"leaf refinement of gradient boosting supports loss {', '.join(BOOSTING_LOSSES)}, "
                        f"not {estimator.loss!r}")
    targets = _boosting_targets(estimator, y)
    init = np.asarray(estimator._raw_predict_init(X), dtype=np.float64).reshape(len(X), -1)
    check = plan.rows[1]

    def check_loss(model) -> float:
        return _boosting_loss(estimator, targets[check], np.asarray(model._raw_predict(X[check]), dtype=np.float64))

    start = min((estimator, _newton_pass(estimator, X, targets, init)), key=check_loss)
    refined = copy.deepcopy(start)
    trees = list(refined.estimators_.ravel())  # stage after stage, output k = index % K
    design = _LeafDesign(trees, X, weight=float(estimator.learning_rate))
    n_outputs = refined.estimators_.shape[1]
    owner = np.concatenate([np.full(len(nodes), i % n_outputs) for i, nodes in enumerate(design.leaf_nodes)])
    mask = np.eye(n_outputs)[owner]  # a leaf adds to its own tree's output only
    values = design.gather(trees) * mask
    step = plan.learning_rate * (float(np.std(values[mask > 0])) or 1.0)
    loss = functools.partial(_raw_score_loss, estimator.loss)
    packed = np.hstack([targets, init])  # rows carry their init score, so mini-batches slice both
    fitted = _adam(design.matrix, values, loss, packed, lambda v: (v * mask, lambda g: g * mask), plan, step)
    if loss(design.matrix[check], fitted, packed[check])[0] >= check_loss(start):
        return start if start is estimator else copy.deepcopy(start)
    design.scatter(trees, fitted.sum(axis=1, keepdims=True))
    return refined


def _raw_score_loss(name: str, matrix, values: np.ndarray, packed: np.ndarray) -> tuple[float, np.ndarray]:
    """The boosting loss of raw = init + matrix @ values, and its gradient in the leaf values."""
    n_outputs = packed.shape[1] // 2
    targets, raw = packed[:, :n_outputs], packed[:, n_outputs:] + np.asarray(matrix @ values)
    if name == "squared_error":
        grad = 2.0 * (raw - targets)
    elif name == "exponential":
        sign = 2.0 * targets - 1.0
        grad = -sign * np.exp(-sign * raw)
    elif n_outputs == 1:
        grad = 1.0 / (1.0 + np.exp(-raw)) - targets
    else:
        proba = np.exp(raw - raw.max(axis=1, keepdims=True))
        grad = proba / proba.sum(axis=1, keepdims=True) - targets
    return _boosting_loss_named(name, targets, raw), np.asarray(matrix.T @ (grad / len(raw)))


def _newton_pass(estimator, X: np.ndarray, targets: np.ndarray, init: np.ndarray):
    """Stage after stage, each leaf set to the Newton step of the loss given the stages before
    it (scikit-learn's own leaf update, on the rows given)."""
    refined = copy.deepcopy(estimator)
    raw = init.copy()
    for stage in refined.estimators_:
        # every tree of a stage starts from the same raw score, as in scikit-learn's fit
        numerator, denominator = _newton_terms(estimator, targets, raw)
        for k, tree in enumerate(stage):
            leaves = tree.apply(X)
            values = np.array(tree.tree_.value, dtype=np.float64)
            num = np.bincount(leaves, numerator[:, k], minlength=len(values))
            den = np.bincount(leaves, denominator[:, k], minlength=len(values))
            reached = np.bincount(leaves, minlength=len(values)) > 0
            safe = np.where(np.abs(den) < 1e-150, np.inf, den)  # scikit-learn's _safe_divide: 0
            values[reached, 0, 0] = num[reached] / safe[reached]
            tree.tree_ = rebuild_tree(tree.tree_, np.zeros(len(values), dtype=bool), values)
            raw[:, k] += estimator.learning_rate * values[leaves, 0, 0]
    return refined


def _boosting_targets(estimator, y: np.ndarray) -> np.ndarray:
    """(rows, outputs): y (regression), 0/1 (binary), one-hot class (multiclass)."""
    if not is_classifier(estimator):
        return y.astype(np.float64).reshape(-1, 1)
    index = _class_index(estimator, y)
    if estimator.estimators_.shape[1] == 1:
        return index.astype(np.float64).reshape(-1, 1)
    return np.eye(estimator.estimators_.shape[1])[index]


def _newton_terms(estimator, targets: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row and output: minus the loss gradient and its Hessian at `raw` (scikit-learn's
    leaf update is their leaf sums' ratio; multiclass scaled by (K-1)/K)."""
    if estimator.loss == "squared_error":
        return targets - raw, np.ones_like(raw)
    if estimator.loss == "exponential":
        sign = 2.0 * targets - 1.0
        weight = np.exp(-sign * raw)
        return sign * weight, weight
    if raw.shape[1] == 1:
        proba = 1.0 / (1.0 + np.exp(-raw))
        return targets - proba, proba * (1.0 - proba)
    proba = np.exp(raw - raw.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    n_classes = raw.shape[1]
    return (n_classes - 1) / n_classes * (targets - proba), proba * (1.0 - proba)


def _boosting_loss(estimator, targets: np.ndarray, raw: np.ndarray) -> float:
    return _boosting_loss_named(estimator.loss, targets, raw.reshape(len(targets), -1))


def _boosting_loss_named(name: str, targets: np.ndarray, raw: np.ndarray) -> float:
    if name == "squared_error":
        return float(np.mean((targets - raw) ** 2))
    if name == "exponential":
        return float(np.mean(np.exp(-(2.0 * targets - 1.0) * raw)))
    if raw.shape[1] == 1:
        return float(np.mean(np.logaddexp(0.0, raw) - targets * raw))
    top = raw.max(axis=1, keepdims=True)
    log_sum = (top + np.log(np.exp(raw - top).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(log_sum - np.sum(targets * raw, axis=1)))
