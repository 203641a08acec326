"""Rebuilding a fitted scikit-learn `Tree` with some subtrees cut into leaves or new leaf values.

A cut node keeps what scikit-learn already holds for it (`tree_.value`, impurity, sample
counts), so the cut tree is a valid tree: `predict` walks it like any other. Nodes are
renumbered in depth-first order, as scikit-learn numbers them.
"""

from __future__ import annotations

import numpy as np
from sklearn.tree._tree import TREE_LEAF, TREE_UNDEFINED, Tree


def node_depths(tree: Tree) -> np.ndarray:
    """Depth of every node (the root is 0)."""
    depth = np.zeros(tree.node_count, dtype=np.int64)
    left, right = tree.children_left, tree.children_right
    frontier, level = np.array([0]), 0
    while len(frontier):  # one level of every branch per step
        depth[frontier] = level
        inner = frontier[left[frontier] != TREE_LEAF]
        frontier, level = np.concatenate([left[inner], right[inner]]), level + 1
    return depth


def rebuild_tree(tree: Tree, is_leaf: np.ndarray, values: np.ndarray | None = None) -> Tree:
    """A new Tree where every node with `is_leaf[node]` becomes a leaf (its subtree dropped).
    `values`: new `tree_.value` per old node (default: the old ones)."""
    state = tree.__getstate__()
    old_nodes = state["nodes"]
    old_values = state["values"] if values is None else np.asarray(values, dtype=np.float64)
    order = _kept_nodes(tree, is_leaf)
    new_index = {old: new for new, old in enumerate(order)}
    nodes = old_nodes[order].copy()
    for new, old in enumerate(order):
        if is_leaf[old] or old_nodes["left_child"][old] == TREE_LEAF:
            nodes["left_child"][new] = nodes["right_child"][new] = TREE_LEAF
            nodes["feature"][new] = TREE_UNDEFINED
            nodes["threshold"][new] = TREE_UNDEFINED
        else:
            nodes["left_child"][new] = new_index[int(old_nodes["left_child"][old])]
            nodes["right_child"][new] = new_index[int(old_nodes["right_child"][old])]
    kept_depth = node_depths(tree)[order]
    new_state = {"max_depth": int(kept_depth.max(initial=0)), "node_count": len(order),
                 "nodes": nodes, "values": np.ascontiguousarray(old_values[order])}
    rebuilt = Tree(tree.n_features, np.asarray(tree.n_classes, dtype=np.intp), tree.n_outputs)
    rebuilt.__setstate__(new_state)
    return rebuilt


def _kept_nodes(tree: Tree, is_leaf: np.ndarray) -> list[int]:
    """Old node ids reachable without passing through a cut, in depth-first (pre-)order."""
    left, right = tree.children_left, tree.children_right
    order, stack = [], [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if left[node] != TREE_LEAF and not is_leaf[node]:
            stack.extend((int(right[node]), int(left[node])))
    return order


def walk(tree: Tree, X: np.ndarray, stop: np.ndarray | None = None) -> np.ndarray:
    """The node each row ends at, walked in Python (an independent check of `tree.apply`),
    stopping early at nodes with `stop[node]` (what a cut makes of them)."""
    X = np.asarray(X, dtype=np.float32)
    stop = np.zeros(tree.node_count, dtype=bool) if stop is None else stop
    leaves = np.empty(len(X), dtype=np.int64)
    for row, x in enumerate(X):
        node = 0
        while tree.children_left[node] != TREE_LEAF and not stop[node]:
            go_left = x[tree.feature[node]] <= tree.threshold[node]
            node = tree.children_left[node] if go_left else tree.children_right[node]
        leaves[row] = node
    return leaves
