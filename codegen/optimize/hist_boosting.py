"""Transforms of fitted HistGradientBoosting models, on their own predictor node arrays. Each
returns a NEW fitted estimator of the same class (the input is never changed) whose `predict`
walks the edited nodes, as mcugen's frontend reads them.

- `first_iterations`: the first n boosting iterations (what `staged_predict` gives at n).
- `quantize_leaves`: leaf values on one power-of-two grid of `bits` signed bits.
- `cut_depth`: nodes at a depth become leaves. HistGradientBoosting keeps, in every node, the
  Newton step -G / (H + l2) of the rows reaching it (bounded by the monotonic constraints, as
  the grower computes it), and multiplies only the leaves by the learning rate when a tree is
  finished: a cut node's leaf value is learning_rate * its value, which is the leaf HGB grows
  there when the tree stops at that node (for squared error: the count-weighted mean of the
  leaves below; the tests check it).
"""

from __future__ import annotations

import copy

import numpy as np

from codegen.errors import UserError
from codegen.optimize.model_copies import power_of_two_step

HIST_CLASSES = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")


def is_hist_boosting(model) -> bool:
    return type(model).__name__ in HIST_CLASSES


def n_iterations(model) -> int:
    return len(model._predictors)


def predictors(model) -> list:
    """Every TreePredictor, iteration by iteration (one per class within an iteration)."""
    return [predictor for iteration in model._predictors for predictor in iteration]


def deepest(model) -> int:
    return max(predictor.get_max_depth() for predictor in predictors(model))


def first_iterations(model, n: int):
    """The model with its first `n` iterations (and the scores recorded for them)."""
    if not 1 <= n <= n_iterations(model):
        raise UserError(f"keep between 1 and {n_iterations(model)} iterations, not {n}")
    kept = copy.deepcopy(model)
    kept._predictors = kept._predictors[:n]
    for name in ("train_score_", "validation_score_"):  # one score before the first iteration
        scores = getattr(kept, name, None)
        if scores is not None and len(scores):
            setattr(kept, name, np.asarray(scores)[: n + 1].copy())
    kept.max_iter = n
    return kept


def quantize_leaves(model, bits: int):
    """Leaf values rounded to the power-of-two step that spans the largest |leaf| in `bits`
    signed bits (as trees.quantize_leaf_values does for GradientBoosting)."""
    if bits not in (8, 16):
        raise UserError(f"leaf bits must be 8 or 16, not {bits}")
    quantized = copy.deepcopy(model)
    nodes = [p.nodes for p in predictors(quantized)]
    largest = max(float(np.abs(n["value"][n["is_leaf"].astype(bool)]).max(initial=0.0)) for n in nodes)
    step = power_of_two_step(largest, bits)
    for predictor in predictors(quantized):
        values = predictor.nodes["value"].copy()
        leaf = predictor.nodes["is_leaf"].astype(bool)
        values[leaf] = np.rint(values[leaf] / step) * step
        predictor.nodes["value"] = values
    return quantized


def cut_depth(model, max_depth: int):
    """Every tree cut at `max_depth`: a node at that depth becomes a leaf worth
    learning_rate * its Newton step (see the module docstring)."""
    if max_depth < 1:
        raise UserError(f"max_depth must be at least 1, not {max_depth}")
    cut = copy.deepcopy(model)
    for predictor in predictors(cut):
        predictor.nodes = _cut_nodes(predictor.nodes, max_depth, float(model.learning_rate))
    if cut.max_depth is None or cut.max_depth > max_depth:
        cut.max_depth = max_depth
    return cut


def _cut_nodes(nodes: np.ndarray, max_depth: int, shrinkage: float) -> np.ndarray:
    """The nodes reachable without passing a node at `max_depth`, renumbered depth first;
    kept nodes keep their bitset index (the predictor's bitset arrays are unchanged)."""
    order, stack = [], [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if not nodes["is_leaf"][node] and nodes["depth"][node] < max_depth:
            stack.extend((int(nodes["right"][node]), int(nodes["left"][node])))
    new_index = {old: new for new, old in enumerate(order)}
    cut = nodes[order].copy()
    for new, old in enumerate(order):
        if nodes["is_leaf"][old]:
            continue
        if nodes["depth"][old] >= max_depth:
            cut["is_leaf"][new] = 1
            cut["value"][new] = shrinkage * nodes["value"][old]
            cut["left"][new] = cut["right"][new] = 0
            cut["feature_idx"][new] = cut["is_categorical"][new] = 0
            cut["gain"][new] = -1  # what the grower writes for a leaf
        else:
            cut["left"][new] = new_index[int(nodes["left"][old])]
            cut["right"][new] = new_index[int(nodes["right"][old])]
    return cut
