"""How far a library's own summed score may be from the exact sum of the leaves: the slack
verification allows between a booster's predict and the C (which adds exactly)."""

from __future__ import annotations

import numpy as np

from codegen.ir.model import POST_SIGNED_SQUARE, TreeEnsemble


def library_sum_error(ir: TreeEnsemble) -> float:
    """A bound on how far the library's own summed score is from the exact sum of the leaves:
    XGBoost adds in float32, every addition rounding by at most 2**-24 of the partial sum,
    which is at most B = |base| + sum over trees of the tree's largest |leaf| (the bound the
    fixed-point width is chosen from); other libraries add in float64 (2**-53). Two more
    units of B cover the roundings of leaves mcugen scales (dart weights, averaged forests). Works on the
    float or the lowered IR (whose trees may share leaf rows)."""
    if ir.source.sum_unit == 0.0 or ir.leaf_encoding == "class":
        return 0.0
    magnitude = np.abs(ir.leaf_values).astype(np.float64).max(axis=1)
    tree_of_node = _tree_of_node(ir)
    per_tree = np.zeros(ir.n_trees)
    for children in (ir.left, ir.right):
        reached = children < 0
        np.maximum.at(per_tree, tree_of_node[reached], magnitude[-children[reached].astype(np.int64) - 1])
    leaf_roots = np.flatnonzero(ir.roots < 0)
    per_tree[leaf_roots] = magnitude[-ir.roots[leaf_roots].astype(np.int64) - 1]
    largest = float(np.abs(ir.base_score).max(initial=0)) + float(per_tree.sum())
    if ir.is_lowered:
        largest = float(np.ldexp(largest, -ir.leaf_format.frac_bits))
    unit = ir.source.sum_unit
    # + 2: dart's products rounded to float32 (within unit * largest in all), LightGBM's
    # division of an averaged sum and mcugen's of each leaf (unit * largest each)
    error = (ir.n_trees + 2) * unit * largest
    if ir.post == POST_SIGNED_SQUARE:  # |a**2 - b**2| <= |a - b| (|a| + |b|), and the square's own rounding
        error = error * (2 * largest + error) + unit * (largest + error) ** 2
    return error


def _tree_of_node(ir: TreeEnsemble) -> np.ndarray:
    """The tree of every node, level by level from the roots (no per-node Python loop)."""
    tree_of_node = np.full(ir.n_nodes, -1, dtype=np.int64)
    trees = np.flatnonzero(ir.roots >= 0)
    frontier = ir.roots[trees].astype(np.int64)
    while len(frontier):
        tree_of_node[frontier] = trees
        children = np.concatenate([ir.left[frontier], ir.right[frontier]]).astype(np.int64)
        owners = np.concatenate([trees, trees])
        inner = children >= 0
        frontier, trees = children[inner], owners[inner]
    return tree_of_node
