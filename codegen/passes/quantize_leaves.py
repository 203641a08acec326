"""Leaf values and base score -> fixed-point integers whose every partial sum fits int32.

The bound is proven, not guessed: whatever leaves a row reaches, the running score is at most
|base| + sum over trees of that tree's largest |leaf|, so the fraction bits are the most that
keep this bound (in stored integers, after rounding) within int32. The rounding error of the
final score is at most the sum of each tree's largest leaf rounding error plus the base's.

A signed-square output (LightGBM reg_sqrt: sign(s) * s**2) is held in the same fixed point:
the fraction bits also keep B**2 (in stored units, shifted back) within int32, and its bound
is |a**2 - b**2| <= |a - b| (|a| + |b|) <= e (2 B + e) for scores within e of each other and
|exact score| <= B, plus half a unit for rounding the shifted square.
"""

from __future__ import annotations

import numpy as np

from codegen.ir.model import POST_ARGMAX, POST_SIGNED_SQUARE, QFormat, TreeEnsemble
from codegen.ir.walk import leaf_trees

ACCUMULATOR_BITS = 32
MAX_FRAC_BITS = 30  # keeps <NAME>_OUTPUT_ONE = 1L << frac_bits within a 32-bit long


def quantize_leaves(ir: TreeEnsemble) -> TreeEnsemble:
    tree_of_leaf = leaf_owner(ir)
    limit = 2 ** (ACCUMULATOR_BITS - 1) - 1
    frac_bits = _initial_frac_bits(ir, tree_of_leaf, limit)
    while True:
        leaves = np.rint(np.ldexp(ir.leaf_values, frac_bits)).astype(np.int64)
        base = np.rint(np.ldexp(ir.base_score, frac_bits)).astype(np.int64)
        bound = int(_score_bound(np.abs(leaves), np.abs(base), tree_of_leaf, ir.n_trees))
        fits = max(bound, _margin_bound(ir, leaves, tree_of_leaf)) <= limit
        if fits and (ir.post != POST_SIGNED_SQUARE or (bound * bound) >> frac_bits <= limit - 1):
            break
        frac_bits -= 1
    rounding = np.abs(np.ldexp(leaves.astype(np.float64), -frac_bits) - ir.leaf_values)
    error = _score_bound(rounding, np.abs(np.ldexp(base.astype(np.float64), -frac_bits) - ir.base_score),
                         tree_of_leaf, ir.n_trees)
    if ir.post == POST_SIGNED_SQUARE:
        exact = float(_score_bound(np.abs(ir.leaf_values), np.abs(ir.base_score), tree_of_leaf, ir.n_trees))
        error = max(error, error * (2 * exact + error) + 2.0 ** -(frac_bits + 1))
    return ir.with_(
        leaf_values=leaves,
        base_score=base,
        leaf_format=QFormat(ACCUMULATOR_BITS, frac_bits),
        error_bound=float(error),
    )


def _margin_bound(ir: TreeEnsemble, leaves: np.ndarray, tree_of_leaf: np.ndarray) -> int:
    """Binary soft voting may become one margin score s1 - s0 (encode_leaves), whose proven
    bound is the sum of each tree's largest |v1 - v0|: it must fit too. It can exceed each
    class's own bound (pure leaves of both classes in every tree)."""
    if ir.post != POST_ARGMAX or ir.n_outputs != 2 or ir.base_score.any() or (ir.leaf_values < 0).any():
        return 0
    margin = np.abs(leaves[:, 1] - leaves[:, 0]).reshape(-1, 1)
    return int(_score_bound(margin, np.zeros(1, dtype=np.int64), tree_of_leaf, ir.n_trees))


def leaf_owner(ir: TreeEnsemble) -> np.ndarray:
    """The tree each leaf belongs to (leaves are numbered tree after tree by the frontend,
    but walk the trees so that any order is right)."""
    return leaf_trees(ir)


def _score_bound(magnitude: np.ndarray, base: np.ndarray, tree_of_leaf: np.ndarray, n_trees: int):
    """max over outputs of |base| + sum over trees of the tree's largest leaf magnitude."""
    per_tree = np.zeros((n_trees, magnitude.shape[1]), dtype=magnitude.dtype)
    reached = tree_of_leaf >= 0
    np.maximum.at(per_tree, tree_of_leaf[reached], magnitude[reached])
    return (base + per_tree.sum(axis=0)).max(initial=0)


def _initial_frac_bits(ir: TreeEnsemble, tree_of_leaf: np.ndarray, limit: int) -> int:
    bound = float(_score_bound(np.abs(ir.leaf_values), np.abs(ir.base_score), tree_of_leaf, ir.n_trees))
    if bound == 0.0:
        return MAX_FRAC_BITS
    return int(min(MAX_FRAC_BITS, np.floor(np.log2(limit / bound))))
