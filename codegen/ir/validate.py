"""Structural checks of a TreeEnsemble IR. A failure here is a bug in mcugen, not user error."""

from __future__ import annotations

import numpy as np

from codegen.ir.model import LEAF_ENCODINGS, POSTS, TreeEnsemble


class InvalidIR(ValueError):
    pass


def _require(condition, message: str) -> None:
    if not condition:
        raise InvalidIR(message)


def validate_trees(ir: TreeEnsemble, partial: bool = False) -> None:
    """`partial`: a lowering in progress may still hold float leaf values."""
    n = ir.n_nodes
    for name in ("feature", "threshold", "left", "right", "missing_left"):
        _require(getattr(ir, name).shape == (n,), f"{name} must have one entry per node")
    _require(ir.post in POSTS, f"unknown post-processing {ir.post!r}")
    _require(ir.leaf_encoding in LEAF_ENCODINGS, f"unknown leaf encoding {ir.leaf_encoding!r}")
    _require(((ir.feature >= 0) & (ir.feature < ir.input.n_features)).all(), "feature index out of range")
    for name in ("left", "right", "roots"):
        children = getattr(ir, name)
        _require(((children < n) & (children >= -ir.n_leaves)).all(), f"{name} points outside the IR")
    _require(_is_forest(ir), "nodes must form trees: each node has one parent and no cycles")
    if ir.child_weight is not None:
        _require(ir.child_weight.shape == (n, 2) and np.issubdtype(ir.child_weight.dtype, np.integer)
                 and (ir.child_weight >= 0).all(), "child_weight must hold two counts >= 0 per node")
    if not ir.is_lowered:
        return
    if not partial:
        for name in ("threshold", "leaf_values", "base_score"):
            _require(np.issubdtype(getattr(ir, name).dtype, np.integer), f"lowered {name} must be integers")
    _require(np.abs(ir.threshold).max(initial=0) < 2**31, "thresholds must fit int32")
    if ir.leaf_encoding == "scalar":
        _require(ir.tree_output is not None and ir.tree_output.shape == (ir.n_trees,), "scalar leaves need tree_output")
    if ir.leaf_encoding == "class":
        _require(ir.class_vote > 0, "class leaves need a positive vote")
        _require(((ir.leaf_values >= 0) & (ir.leaf_values < ir.n_outputs)).all(), "class index out of range")
    else:
        _check_no_overflow(ir)


def _check_no_overflow(ir: TreeEnsemble) -> None:
    """Every partial sum of every score must fit the accumulator (int32)."""
    from codegen.ir.walk import reached_leaves

    limit = 2 ** (ir.leaf_format.bits - 1) - 1
    worst = [abs(int(b)) for b in ir.base_score]
    trees, leaves = reached_leaves(ir)
    largest = np.zeros((ir.n_trees, ir.leaf_values.shape[1]), dtype=np.int64)
    np.maximum.at(largest, trees, np.abs(ir.leaf_values[leaves].astype(np.int64)))
    for tree in range(ir.n_trees):
        if ir.leaf_encoding == "scalar":
            worst[int(ir.tree_output[tree])] += int(largest[tree, 0])
        else:
            worst = [w + int(v) for w, v in zip(worst, largest[tree])]
    _require(max(worst) <= limit, f"scores may reach {max(worst)}, beyond the int32 accumulator")


def _is_forest(ir: TreeEnsemble) -> bool:
    parents = np.zeros(ir.n_nodes, dtype=np.int64)
    for children in (ir.left, ir.right, ir.roots):
        inner = children[children >= 0]
        np.add.at(parents, inner, 1)
    return bool((parents == 1).all())
