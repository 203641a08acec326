"""The oracle: runs a TreeEnsemble IR on rows with numpy and counts operations.

On the integer IR this is the specification of the generated C (bit for bit). On the float IR
(before lowering) it evaluates scikit-learn's semantics, which tests use to check frontends.

Operation counts are logical and layout-independent, and the C counts the same points:
per node visited one compare (of the input's width) and one branch, plus the input bytes read;
per leaf reached one add per score it touches plus the bytes of those values read from flash;
argmax: one 32-bit compare per output after the first.

`predict` exits early (codegen/ir/early_exit.py): rows decided at a checkpoint count no further
trees and no final argmax, but the compares of every check made; scores are always full.
"""

from __future__ import annotations

import numpy as np

from codegen.input_types import INPUT_TYPES
from codegen.ir import opcount
from codegen.ir.early_exit import check_argmax, check_sign, exit_plan
from codegen.ir.floatkey import float32_is_nan, float32_key
from codegen.ir.interpretation import Interpretation
from codegen.ir.model import (
    POST_ARGMAX,
    POST_IDENTITY,
    POST_NONNEGATIVE,
    POST_POSITIVE,
    POST_SIGNED_SQUARE,
    REGRESSION_POSTS,
    TreeEnsemble,
)

COMPARE_CLASS = {8: opcount.CMP8, 16: opcount.CMP16, 32: opcount.CMP32}
ADD_CLASS = {8: opcount.ADD8, 16: opcount.ADD16, 32: opcount.ADD32}


def interpret_trees(ir: TreeEnsemble, X: np.ndarray, early_exit: bool = True) -> Interpretation:
    X = _as_input(ir, X)
    plan = exit_plan(ir) if early_exit else None
    checks = {int(done): c for c, done in enumerate(plan.checkpoints)} if plan else {}
    keys, nan = _comparable(ir, X)
    n_rows = X.shape[0]
    scores = np.tile(ir.base_score, (n_rows, 1))
    visits = np.zeros(n_rows, dtype=np.int64)
    touched = np.zeros(n_rows, dtype=np.int64)
    rows = np.arange(n_rows)
    votes = np.zeros((n_rows, ir.n_outputs), dtype=np.int64)
    running = np.ones(n_rows, dtype=bool)  # not yet decided by an early exit
    early_class = np.zeros(n_rows, dtype=np.int64)
    exit_compares = np.zeros(n_rows, dtype=np.int64)
    for tree, leaf, tree_visits in _walked_trees(ir, keys, nan):
        if tree in checks:
            acc = votes if ir.leaf_encoding == "class" else scores
            check = check_argmax if plan.kind == "argmax" else check_sign
            decided, chosen, compares = check(plan, checks[tree], acc if plan.kind == "argmax" else acc[:, 0])
            exit_compares += np.where(running, compares, 0)
            early_class = np.where(running & decided, chosen, early_class)
            running &= ~decided
        visits += np.where(running, tree_visits, 0)
        if ir.leaf_encoding in ("dense", "sparse"):
            scores = scores + ir.leaf_values[leaf]
            adds = ir.n_outputs if ir.leaf_encoding == "dense" else np.count_nonzero(ir.leaf_values[leaf], axis=1)
        elif ir.leaf_encoding == "scalar":
            scores[:, ir.tree_output[tree]] += ir.leaf_values[leaf, 0]
            adds = 1
        else:
            votes[rows, ir.leaf_values[leaf, 0]] += 1
            adds = 0 if ir.returns_leaf_class else 1
        touched += np.where(running, adds, 0)
    if ir.leaf_encoding == "class":
        scores = scores + votes * ir.class_vote
        predictions = np.argmax(votes, axis=1).astype(np.int64)
    else:
        predictions = _post(ir, scores)
    predictions = np.where(running, predictions, early_class)
    counts = _op_counts(ir, visits, touched, running, exit_compares)
    return Interpretation(predictions, scores, counts)


WALK_CELLS = 1 << 22  # rows x trees walked together: a few tens of MB of index arrays at most


def _walked_trees(ir: TreeEnsemble, keys: np.ndarray, nan: np.ndarray):
    """(tree, leaf index per row, nodes visited per row) for each tree in order. The trees of a
    block are walked together, one numpy step per level over every (row, tree) still at a node,
    so a forest of hundreds of shallow trees costs its depth in steps, not trees x depth. Only
    the cells still walking are carried from level to level (tune interprets every candidate
    on every decision row: this loop is most of its conversion time)."""
    n_rows, n_trees = keys.shape[0], len(ir.roots)
    n_features = keys.shape[1]
    flat_keys = np.ascontiguousarray(keys).ravel()
    flat_nan = np.ascontiguousarray(nan).ravel() if nan.any() else None  # integer input never is NaN
    feature = ir.feature.astype(np.int64)
    block = max(1, min(n_trees, WALK_CELLS // max(n_rows, 1)))
    for first in range(0, n_trees, block):
        roots = np.asarray(ir.roots[first:first + block], dtype=np.int64)
        width = len(roots)
        start = np.tile(roots, n_rows)  # cell r * width + t: row r in tree first + t
        leaves = -start - 1  # a tree that is one leaf
        visits = np.zeros(start.size, dtype=np.int64)
        cell = np.flatnonzero(start >= 0)
        node = start[cell]
        row_start = (cell // width) * n_features  # where the cell's row begins in flat_keys
        level = 0
        while cell.size:
            level += 1
            at = row_start + feature[node]
            go_left = flat_keys[at] <= ir.threshold[node]
            if flat_nan is not None:
                go_left = np.where(flat_nan[at], ir.missing_left[node], go_left)
            node = np.where(go_left, ir.left[node], ir.right[node])
            done = node < 0
            if done.any():
                finished = cell[done]
                leaves[finished] = -node[done] - 1
                visits[finished] = level
                walking = ~done
                cell, node, row_start = cell[walking], node[walking], row_start[walking]
        leaves, visits = leaves.reshape(n_rows, width), visits.reshape(n_rows, width)
        for t in range(width):
            yield first + t, leaves[:, t], visits[:, t]


def _as_input(ir: TreeEnsemble, X: np.ndarray) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != ir.input.n_features:
        raise ValueError(f"expected rows of {ir.input.n_features} features, got shape {X.shape}")
    if ir.input.is_float:
        return X.astype(np.float32)
    return X.astype(np.int64)


def _comparable(ir: TreeEnsemble, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What each node compares with its threshold, and where the input is NaN."""
    if not ir.input.is_float:
        return X, np.zeros(X.shape, dtype=bool)
    if ir.is_lowered:
        return float32_key(X), float32_is_nan(X)
    return X.astype(np.float64), np.isnan(X)


def post_process(post: str, scores: np.ndarray, tie_margin: int = 0, frac_bits: int = 0) -> np.ndarray:
    """Predictions from integer scores, as the C computes them; one rule for trees and MLPs
    (an MLP's tie_margin is 0: argmax keeps the first maximum)."""
    if post == POST_ARGMAX:
        # the C's scan: a later class wins only by more than tie_margin
        best = np.zeros(len(scores), dtype=np.int64)
        rows = np.arange(len(scores))
        for k in range(1, scores.shape[1]):
            best = np.where(scores[:, k] - scores[rows, best] > tie_margin, k, best)
        return best
    if post == POST_POSITIVE:
        return (scores[:, 0] > tie_margin).astype(np.int64)
    if post == POST_NONNEGATIVE:
        return (scores[:, 0] >= 0).astype(np.int64)
    if post == POST_SIGNED_SQUARE:
        return signed_square(scores[:, 0], frac_bits)
    if post == POST_IDENTITY:
        return scores[:, 0].copy()
    raise ValueError(f"unknown post-processing {post!r}")


def _post(ir: TreeEnsemble, scores: np.ndarray) -> np.ndarray:
    frac_bits = ir.leaf_format.frac_bits if ir.post == POST_SIGNED_SQUARE else 0
    return post_process(ir.post, scores, ir.tie_margin, frac_bits)


def signed_square(score: np.ndarray, frac_bits: int) -> np.ndarray:
    """sign(s) * s**2 in the same fixed point: the magnitude s*s >> F rounded half up (the C's
    int64 product; frac_bits >= 1 and |s*s| < 2**62, as quantize_leaves chooses them)."""
    score = np.asarray(score, dtype=np.int64)
    magnitude = (score * score + (np.int64(1) << (frac_bits - 1))) >> frac_bits
    return np.where(score < 0, -magnitude, magnitude)


def _op_counts(ir: TreeEnsemble, visits: np.ndarray, touched: np.ndarray, running: np.ndarray,
               exit_compares: np.ndarray) -> dict[str, np.ndarray]:
    input_bits = INPUT_TYPES[ir.input.dtype].bits
    accumulator_bits = vote_bits(ir) if ir.leaf_encoding == "class" else 32
    argmax_compares = {POST_ARGMAX: ir.n_outputs - 1, **dict.fromkeys(REGRESSION_POSTS, 0)}.get(ir.post, 1)
    if ir.returns_leaf_class:
        argmax_compares = 0
    counts = {name: np.zeros_like(visits) for name in opcount.OP_CLASSES}
    counts[COMPARE_CLASS[input_bits]] += visits
    counts[COMPARE_CLASS[accumulator_bits]] += np.where(running, argmax_compares, 0) + exit_compares
    counts[opcount.BRANCH] += visits
    counts[opcount.RAM_BYTES] += visits * (input_bits // 8)
    counts[ADD_CLASS[accumulator_bits]] += touched
    counts[opcount.FLASH_BYTES] += touched * leaf_bytes(ir)
    if ir.post == POST_SIGNED_SQUARE:
        counts[opcount.MUL32] += 1  # the square (a 32 x 32 -> 64-bit product)
    return counts


def vote_bits(ir: TreeEnsemble) -> int:
    """Width of the vote counters of a "class"-encoded model: enough for one vote per tree."""
    return 8 if ir.n_trees <= 0xFF else 16 if ir.n_trees <= 0xFFFF else 32


def leaf_bytes(ir: TreeEnsemble) -> int:
    """Bytes of one leaf entry in the leaf table: the smallest type holding every value."""
    if not ir.is_lowered:
        return 8
    low, high = int(ir.leaf_values.min(initial=0)), int(ir.leaf_values.max(initial=0))
    for size in (1, 2, 4):
        bits = 8 * size
        if ir.leaf_encoding == "class" and high < 2**bits:
            return size
        if -(2 ** (bits - 1)) <= low and high < 2 ** (bits - 1):
            return size
    return 4
