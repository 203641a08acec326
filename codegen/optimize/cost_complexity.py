"""Minimal cost-complexity pruning of a fitted single tree without its training rows.

scikit-learn's pruning works on the fitted tree alone: `ccp_pruning_path` gives the effective
alphas from the tree's stored impurities and weighted sample counts, and `_prune_tree` (what
`fit` runs when ccp_alpha > 0) builds the pruned tree from the fitted one. So a copy with
`ccp_alpha` set and pruned is the tree `fit(..., ccp_alpha=alpha)` grows on the same rows.
"""

from __future__ import annotations

import copy

import numpy as np

from codegen.errors import UserError

# Shares of the leaves the grid keeps: dense near the full tree, down to a fortieth
LEAF_SHARES = (0.7, 0.5, 0.35, 0.25, 0.15, 0.1, 0.05, 0.025)
TREE_CLASSES = ("DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor")


def pruning_path(tree) -> np.ndarray:
    """The effective alphas at which the tree loses a subtree, increasing (0.0 first)."""
    from sklearn.tree._tree import ccp_pruning_path

    return np.asarray(ccp_pruning_path(tree.tree_)["ccp_alphas"], dtype=np.float64)


def alpha_grid(tree, shares=LEAF_SHARES) -> tuple[float, ...]:
    """Alphas along the path whose pruned trees keep about each share of the leaves: for each
    share, the smallest path alpha leaving at most that many leaves (found by bisection over
    the path, the leaf count falling as alpha grows). The last alpha (the root alone) is left
    out: a tree of one leaf predicts a constant."""
    path = pruning_path(tree)[1:-1]
    n_leaves = int(tree.get_n_leaves())
    alphas = []
    for share in shares:
        target = max(2, int(round(n_leaves * share)))
        low, high = 0, len(path)  # the answer is in path[low:high], or none when low == len(path)
        while low < high:
            middle = (low + high) // 2
            if leaves_after_pruning(tree.tree_, path[middle]) <= target:
                high = middle
            else:
                low = middle + 1
        if low < len(path):
            alphas.append(float(path[low]))
    return tuple(sorted(set(alphas)))


def leaves_after_pruning(tree_, ccp_alpha: float) -> int:
    """The leaves of the smallest subtree minimising R(T) + alpha |leaves(T)|, in one bottom-up
    pass: the tree the weakest-link pruning of `_prune_tree` reaches at that alpha, except at
    the path's own alphas, where rounding of the sums can keep a subtree scikit-learn prunes
    (a leaf or two). A grid needs many counts, and each `_prune_tree` of a large tree takes
    tens of milliseconds; only the grid uses this count: `prune` is scikit-learn's."""
    left, right = tree_.children_left.tolist(), tree_.children_right.tolist()
    weight = np.asarray(tree_.weighted_n_node_samples, dtype=np.float64)
    risk = (weight / weight[0] * np.asarray(tree_.impurity, dtype=np.float64)).tolist()
    cost, leaves = [0.0] * tree_.node_count, [1] * tree_.node_count
    for node in range(tree_.node_count - 1, -1, -1):  # children come after their parent
        as_leaf = risk[node] + ccp_alpha
        if left[node] < 0:
            cost[node] = as_leaf
            continue
        below = cost[left[node]] + cost[right[node]]
        if as_leaf <= below:
            cost[node] = as_leaf
        else:
            cost[node], leaves[node] = below, leaves[left[node]] + leaves[right[node]]
    return leaves[0]


def prune(tree, ccp_alpha: float):
    if type(tree).__name__ not in TREE_CLASSES:
        raise UserError(f"cost-complexity pruning takes a single decision tree, not {type(tree).__name__}")
    if not ccp_alpha >= 0.0:
        raise UserError(f"ccp_alpha must be >= 0, not {ccp_alpha}")
    pruned = copy.deepcopy(tree)
    pruned.ccp_alpha = float(ccp_alpha)
    pruned._prune_tree()
    return pruned
