"""Checking that an XGBoost model document adds up before anything is built from it: the
counts it records (`num_trees`, `tree_info`, `iteration_indptr`, `best_iteration`, each
tree's `num_nodes` and array lengths, `weight_drop` of dart) and child indices that form one
tree. A file cut short or edited by hand is refused with one line; xgboost is never asked."""

from __future__ import annotations

import numpy as np

from codegen.errors import UserError

RESAVE = "save the model again with save_model"
NODE_ARRAYS = ("left_children", "right_children", "split_indices", "split_conditions", "default_left")
# not read by mcugen, but by xgboost (which crashes on a short one): checked when present
OTHER_NODE_ARRAYS = ("parents", "base_weights", "loss_changes", "sum_hessian", "split_type")
CATEGORY_ARRAYS = ("categories", "categories_nodes", "categories_segments", "categories_sizes")
ROOT_PARENT = 2**31 - 1  # what XGBoost records as the root's parent


def _refuse(what: str) -> UserError:
    return UserError(f"the XGBoost model {what}: the file is cut short or edited; {RESAVE}")


def _count(value, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _refuse(f"has {what}={value!r}, not a count") from None
    if number < 0:
        raise _refuse(f"has {what}={number}")
    return number


def check_model_counts(model: dict, n_outputs: int, n_features: int, best_iteration) -> None:
    trees = model.get("trees")
    if not isinstance(trees, list):
        raise _refuse("has no list of trees")
    recorded = _count(model.get("gbtree_model_param", {}).get("num_trees", len(trees)), "num_trees")
    if recorded != len(trees):
        raise _refuse(f"records num_trees={recorded} but holds {len(trees)} trees")
    info = np.asarray(model.get("tree_info", [0] * len(trees)))
    if info.shape != (len(trees),) or not np.all((info >= 0) & (info < n_outputs)):
        raise _refuse(f"has a tree_info of {info.size} entries for {len(trees)} trees and {n_outputs} outputs")
    if "iteration_indptr" in model:
        indptr = np.asarray(model["iteration_indptr"])
        if indptr.ndim != 1 or len(indptr) < 1 or indptr[0] != 0 or indptr[-1] != len(trees) or np.any(
                np.diff(indptr) < 0):
            raise _refuse(f"has an iteration_indptr that does not end at its {len(trees)} trees")
        if best_iteration is not None and not 0 <= _count(best_iteration, "best_iteration") < len(indptr) - 1:
            raise _refuse(f"has best_iteration={best_iteration} beyond its {len(indptr) - 1} rounds")
    for index, tree in enumerate(trees):
        check_tree(index, tree, n_features)


def check_tree(index: int, tree, n_features: int) -> None:
    """num_nodes == every node array's length, split features in range, and the children of
    the internal nodes reaching every other node exactly once from the root."""
    where = f"tree {index}"
    if not isinstance(tree, dict):
        raise _refuse(f"{where} is not an object")
    n_nodes = _count(tree.get("tree_param", {}).get("num_nodes"), f"{where} num_nodes")
    arrays = {key: np.asarray(tree.get(key, [])) for key in NODE_ARRAYS}
    arrays.update({key: np.asarray(tree[key]) for key in OTHER_NODE_ARRAYS if key in tree})
    for key, array in arrays.items():
        if array.shape != (n_nodes,) or array.dtype.kind not in "biuf":
            raise _refuse(f"{where} has {array.size} {key} for num_nodes={n_nodes}")
    if n_nodes == 0:
        raise _refuse(f"{where} has no nodes")
    left, right = arrays["left_children"].astype(np.int64), arrays["right_children"].astype(np.int64)
    inner = left >= 0
    if np.any(inner != (right >= 0)) or np.any(~inner & ((left != -1) | (right != -1))):
        raise _refuse(f"{where} has a node with one child")
    children = np.concatenate([left[inner], right[inner]])
    if children.size and (children.min() < 1 or children.max() >= n_nodes):
        raise _refuse(f"{where} has a child index outside its {n_nodes} nodes")
    if not np.array_equal(np.bincount(children, minlength=n_nodes), np.r_[0, np.ones(n_nodes - 1)]):
        raise _refuse(f"{where}: its children do not form one tree (a node reached twice or never)")
    parents = arrays.get("parents", np.r_[ROOT_PARENT, np.zeros(n_nodes - 1)]).astype(np.int64)
    if "parents" in arrays and (parents[0] != ROOT_PARENT or np.any(parents[left[inner]] != np.flatnonzero(inner))
                                or np.any(parents[right[inner]] != np.flatnonzero(inner))):
        raise _refuse(f"{where} has parents that do not match its children")
    if not np.any(arrays.get("split_type", 0) != 0) and any(np.size(tree.get(key, [])) for key in CATEGORY_ARRAYS):
        raise _refuse(f"{where} lists categories but has no categorical split")
    features = arrays["split_indices"][inner]
    if features.size and (features.min() < 0 or features.max() >= n_features):
        raise _refuse(f"{where} splits on feature {int(features.max())} of {n_features}")
    reached, frontier = 1, np.array([0])
    while len(frontier) and reached <= n_nodes:
        frontier = frontier[inner[frontier]]
        frontier = np.concatenate([left[frontier], right[frontier]])
        reached += len(frontier)
    if reached != n_nodes:
        raise _refuse(f"{where}: its children do not form one tree (a cycle)")


def check_weight_drop(weights, n_trees: int) -> np.ndarray:
    """dart's per-tree weights (predict multiplies each tree's leaves by its weight)."""
    weights = np.asarray(weights if weights is not None else [], dtype=object)
    try:
        weights = weights.astype(np.float32)
    except (TypeError, ValueError):
        raise _refuse("has a weight_drop that is not a list of numbers") from None
    if weights.shape != (n_trees,) or not np.all(np.isfinite(weights)):
        raise _refuse(f"has {weights.size} dart weight_drop entries for {n_trees} trees")
    return weights
