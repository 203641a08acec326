"""Store each distinct leaf vector once and drop leaves no tree reaches.

Forests repeat leaf vectors a lot (every pure leaf of a class is the same vector), so this
shrinks the leaf table without changing any score.
"""

from __future__ import annotations

import numpy as np

from codegen.ir.model import TreeEnsemble


def compact_leaves(ir: TreeEnsemble) -> TreeEnsemble:
    children = np.concatenate([ir.left, ir.right, ir.roots]).astype(np.int64)
    used = np.unique(-children[children < 0] - 1)
    unique_rows, inverse = distinct_rows(ir.leaf_values[used])
    new_leaf = np.full(ir.n_leaves, -1, dtype=np.int64)
    new_leaf[used] = inverse.reshape(-1)

    def remap(child: np.ndarray) -> np.ndarray:
        child = np.asarray(child, dtype=np.int64)
        return np.where(child < 0, -new_leaf[np.maximum(-child - 1, 0)] - 1, child).astype(np.int32)

    return ir.with_(
        left=remap(ir.left), right=remap(ir.right), roots=remap(ir.roots), leaf_values=unique_rows
    )


def distinct_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, axis=0, return_inverse=True): the distinct rows in lexicographic order
    and each row's index among them, by one lexsort of the columns (np.unique with an axis sorts
    records, 20x slower on the leaves of a 500-tree forest)."""
    values = np.asarray(values)
    if values.shape[0] == 0:
        return values.copy(), np.zeros(0, dtype=np.int64)
    order = np.lexsort(values.T[::-1])  # the first column is the primary key
    ordered = values[order]
    starts = np.ones(len(ordered), dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse
