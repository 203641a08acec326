"""Remove splits whose outcome is the same for every value the input type can hold.

With integer input, `q <= Q` is always false when Q is below the type's range and always true
when Q is at or above its top; such a node is replaced by the child that is always taken, and
nodes no longer reachable are dropped. Float input keeps every split (NaN may go either way).
"""

from __future__ import annotations

import numpy as np

from codegen.ir.model import TreeEnsemble


def prune_constant_splits(ir: TreeEnsemble) -> TreeEnsemble:
    if ir.input.is_float:
        return ir
    lo, hi = ir.input.value_range
    always_right = ir.threshold < lo
    always_left = ir.threshold >= hi
    if not (always_left.any() or always_right.any()):
        return ir
    forced = np.where(always_left, ir.left, np.where(always_right, ir.right, 0))
    constant = always_left | always_right

    def resolve(child: int) -> int:
        while child >= 0 and constant[child]:
            child = int(forced[child])
        return child

    left = np.array([resolve(int(c)) for c in ir.left], dtype=np.int64)
    right = np.array([resolve(int(c)) for c in ir.right], dtype=np.int64)
    roots = np.array([resolve(int(r)) for r in ir.roots], dtype=np.int64)
    return drop_unreachable_nodes(ir.with_(left=left, right=right, roots=roots))


def drop_unreachable_nodes(ir: TreeEnsemble) -> TreeEnsemble:
    """Keep the nodes reachable from the roots (in their original order) and renumber."""
    reachable = np.zeros(ir.n_nodes, dtype=bool)
    stack = [int(r) for r in ir.roots if r >= 0]
    while stack:
        node = stack.pop()
        if reachable[node]:
            continue
        reachable[node] = True
        stack.extend(int(c) for c in (ir.left[node], ir.right[node]) if c >= 0)
    new_index = np.cumsum(reachable) - 1

    def renumber(children: np.ndarray) -> np.ndarray:
        children = np.asarray(children, dtype=np.int64)
        return np.where(children >= 0, new_index[np.maximum(children, 0)], children).astype(np.int32)

    keep = np.flatnonzero(reachable)
    return ir.with_(
        feature=ir.feature[keep],
        threshold=ir.threshold[keep],
        left=renumber(ir.left[keep]),
        right=renumber(ir.right[keep]),
        missing_left=ir.missing_left[keep],
        child_weight=None if ir.child_weight is None else ir.child_weight[keep],
        roots=renumber(ir.roots),
    )
