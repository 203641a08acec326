"""Transforms of fitted XGBoost models (XGBClassifier / XGBRegressor / xgboost.Booster), by
the library's own means. Each returns a NEW model of the same class (the input is unchanged).

- `first_rounds`: the first n boosting rounds, by the Booster's own slicing (`booster[:n]`),
  which keeps every round whole (its num_parallel_tree trees and one tree per class). A model
  trained with early stopping predicts with the rounds up to `best_iteration`: those are the
  rounds it has, and a slice holds no best_iteration (it predicts with all its rounds).
- `quantize_leaves`: leaf values on one power-of-two grid, written into the model's JSON
  document (a leaf's value is its `split_conditions` entry, `base_weights` keeps the same) and
  loaded back as a Booster: XGBoost holds leaves in float32, where every value of that grid
  is exact.
- `cut_depth`: nodes at a depth become leaves (the mean of the leaves below, weighted by their
  hessian sums), the JSON trees rebuilt and loaded as a new Booster.
"""

from __future__ import annotations

import json

import numpy as np

from codegen.errors import UserError
from codegen.optimize.model_copies import native_library, power_of_two_step, with_booster

WRAPPERS = ("XGBClassifier", "XGBRegressor", "XGBRFClassifier", "XGBRFRegressor")


def is_xgboost(model) -> bool:
    """A wrapper, a Booster, or an XGBoost model file mcugen read (with xgboost installed)."""
    name, module = type(model).__name__, type(model).__module__.split(".")[0]
    return (module == "xgboost" and (name in WRAPPERS or name == "Booster")) or native_library(model) == "xgboost"


def booster_of(model):
    if native_library(model):
        import xgboost

        from codegen.frontends.native_predict import _xgboost_booster

        return _xgboost_booster(xgboost, model.document)
    return model if type(model).__name__ == "Booster" else model.get_booster()


def n_rounds(model) -> int:
    """The rounds the model predicts with (up to best_iteration when one is recorded)."""
    booster = booster_of(model)
    best = booster.attr("best_iteration")
    return int(best) + 1 if best is not None else int(booster.num_boosted_rounds())


def first_rounds(model, n: int):
    if not 1 <= n <= n_rounds(model):
        raise UserError(f"keep between 1 and {n_rounds(model)} boosting rounds, not {n}")
    return with_booster(model, booster_of(model)[:n])


def quantize_leaves(model, bits: int):
    if bits not in (8, 16):
        raise UserError(f"leaf bits must be 8 or 16, not {bits}")
    document = _document(model)
    trees = _trees(document)
    leaves = [np.asarray(tree["left_children"]) < 0 for tree in trees]
    largest = max(float(np.abs(np.asarray(t["split_conditions"])[leaf]).max(initial=0.0))
                  for t, leaf in zip(trees, leaves))
    step = power_of_two_step(largest, bits)
    for tree, leaf in zip(trees, leaves):
        for key in ("split_conditions", "base_weights"):
            values = np.asarray(tree[key], dtype=np.float64)
            values[leaf] = np.rint(values[leaf] / step) * step
            tree[key] = values.tolist()
    return with_booster(model, _booster(document))


def deepest(model) -> int:
    return max(int(_node_depths(tree).max()) for tree in _trees(_document(model)))


def cut_depth(model, max_depth: int):
    """Every tree cut at `max_depth`: a node at that depth becomes a leaf worth the mean of the
    leaves below weighted by their `sum_hessian` (without regularisation, the node's own
    shrunk Newton step; the learning rate itself is not in the model file)."""
    if max_depth < 1:
        raise UserError(f"max_depth must be at least 1, not {max_depth}")
    document = _document(model)
    for tree in _trees(document):
        _cut_tree(tree, max_depth)
    return with_booster(model, _booster(document))


def _document(model) -> dict:
    """The JSON document of the rounds the model predicts with."""
    return json.loads(bytes(booster_of(model)[: n_rounds(model)].save_raw("json")))


def _booster(document: dict):
    import xgboost

    return xgboost.Booster(model_file=bytearray(json.dumps(document).encode()))


def _trees(document: dict) -> list[dict]:
    return document["learner"]["gradient_booster"]["model"]["trees"]


def _node_depths(tree: dict) -> np.ndarray:
    left, right = tree["left_children"], tree["right_children"]
    depth, stack = np.zeros(len(left), dtype=np.int64), [0]
    while stack:
        node = stack.pop()
        if left[node] >= 0:
            depth[left[node]] = depth[right[node]] = depth[node] + 1
            stack += [left[node], right[node]]
    return depth


def _cut_tree(tree: dict, max_depth: int) -> None:
    left, right = tree["left_children"], tree["right_children"]
    depth = _node_depths(tree)
    order, stack = [], [0]  # kept nodes, depth first, renumbered in that order
    while stack:
        node = stack.pop()
        order.append(node)
        if left[node] >= 0 and depth[node] < max_depth:
            stack += [right[node], left[node]]
    new = {old: index for index, old in enumerate(order)}
    columns = {key: [tree[key][old] for old in order] for key in
               ("base_weights", "default_left", "loss_changes", "split_conditions", "split_indices", "split_type",
                "sum_hessian")}
    columns["left_children"], columns["right_children"], columns["parents"] = [], [], []
    for index, old in enumerate(order):
        inner = left[old] >= 0 and depth[old] < max_depth
        columns["left_children"].append(new[left[old]] if inner else -1)
        columns["right_children"].append(new[right[old]] if inner else -1)
        columns["parents"].append(new[tree["parents"][old]] if index else tree["parents"][0])
        if left[old] >= 0 and not inner:
            value = _hessian_weighted_leaves(tree, old)
            columns["split_conditions"][index] = columns["base_weights"][index] = value
            columns["split_indices"][index] = columns["split_type"][index] = columns["default_left"][index] = 0
            columns["loss_changes"][index] = 0.0
    tree.update(columns)
    tree["tree_param"] = dict(tree["tree_param"], num_nodes=str(len(order)))


def _hessian_weighted_leaves(tree: dict, top: int) -> float:
    total = weight = 0.0
    stack = [top]
    while stack:
        node = stack.pop()
        if tree["left_children"][node] < 0:
            total += tree["sum_hessian"][node] * tree["split_conditions"][node]
            weight += tree["sum_hessian"][node]
        else:
            stack += [tree["left_children"][node], tree["right_children"][node]]
    return total / weight if weight > 0 else 0.0
