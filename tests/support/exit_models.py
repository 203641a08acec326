"""Small hand-built integer tree ensembles with tiny leaves, for the early-exit tests: depth-2
trees over int8 features, optionally with duplicated trees, so near-ties are common."""

from __future__ import annotations

import numpy as np

from codegen.ir.model import POST_ARGMAX, InputSpec, QFormat, TreeEnsemble

# (leaf encoding, post) of every multi-tree classifier shape with an early exit
KINDS = [("class", "argmax"), ("sparse", "argmax"), ("scalar", "argmax"), ("scalar", "positive"),
         ("scalar", "nonnegative")]


def small_ensemble(rng: np.random.Generator, encoding: str, post: str, n_trees: int, n_outputs: int,
                   tie_margin: int, duplicate: bool) -> TreeEnsemble:
    """`n_trees` full depth-2 trees on 2 int8 features (thresholds in -2..2), leaves in -2..2
    (class indices for "class"); with `duplicate`, the second half repeats the first."""
    n_outputs = 1 if post != POST_ARGMAX else n_outputs
    distinct = (n_trees + 1) // 2 if duplicate else n_trees
    shapes = [rng.integers(-2, 3, size=3) for _ in range(distinct)]
    features = [rng.integers(0, 2, size=3) for _ in range(distinct)]
    order = [i % distinct for i in range(n_trees)]
    feature, threshold, left, right, leaves = [], [], [], [], []
    for tree in order:
        node = len(feature)
        first_leaf = len(leaves)
        feature += list(features[tree])
        threshold += list(shapes[tree])
        left += [node + 1, -(first_leaf + 0) - 1, -(first_leaf + 2) - 1]
        right += [node + 2, -(first_leaf + 1) - 1, -(first_leaf + 3) - 1]
        leaves += [_leaf(rng, encoding, n_outputs, tree) for _ in range(4)]
    outputs = rng.integers(0, n_outputs, size=distinct)
    base = rng.integers(-1, 2, size=n_outputs) if encoding in ("scalar", "sparse") else np.zeros(n_outputs, np.int64)
    return TreeEnsemble(
        input=InputSpec(n_features=2, dtype="int8", scale=(1.0, 1.0), zero_point=(0, 0)),
        feature=np.array(feature, np.int32), threshold=np.array(threshold, np.int64),
        left=np.array(left, np.int32), right=np.array(right, np.int32),
        missing_left=np.zeros(len(feature), bool), roots=np.arange(0, 3 * n_trees, 3, dtype=np.int32),
        leaf_values=np.array(leaves, np.int64).reshape(len(leaves), -1), base_score=base.astype(np.int64),
        post=post, classes=tuple(range(max(n_outputs, 2))), leaf_format=QFormat(32, 0),
        leaf_encoding=encoding, class_vote=1 if encoding == "class" else 0,
        tree_output=np.array([outputs[t] for t in order], np.int32) if encoding == "scalar" else None,
        # vote counts have no tie margin; "nonnegative" (GradientBoosting's ">= 0") ignores it,
        # which a nonzero margin here checks
        tie_margin=0 if encoding == "class" else tie_margin,
    )


def _leaf(rng: np.random.Generator, encoding: str, n_outputs: int, tree: int) -> list[int]:
    if encoding == "class":
        return [int(rng.integers(0, n_outputs))]
    if encoding == "scalar":
        return [int(rng.integers(-2, 3))]
    return [int(v) for v in rng.integers(0, 3, size=n_outputs)]  # soft-vote-like: >= 0


def all_rows() -> np.ndarray:
    """Every pair of feature values around the thresholds: every path of every tree."""
    values = np.arange(-3, 4)
    return np.array([(a, b) for a in values for b in values], dtype=np.int8)
