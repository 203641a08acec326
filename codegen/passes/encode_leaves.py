"""Pick the cheapest exact way for leaves to add to the scores.

- "class": every leaf adds the same amount c to exactly one class (pure leaves of a forest),
  or the model is a single classification tree, whose prediction is its leaf's argmax
  (computed here, in float, exactly as scikit-learn does). A leaf is then one class index,
  and the C counts votes. For a single impure tree the scores become votes for the predicted
  class instead of the leaf's probabilities; predictions are unchanged.
- "scalar": each tree adds to one score only (boosting, regression): a leaf is one number.
- "vector": anything else: a leaf is a row of scores.
Runs after quantize_leaves (values are integers) and before compact_leaves.
"""

from __future__ import annotations

import numpy as np

from codegen.ir.model import POST_ARGMAX, TreeEnsemble
from codegen.passes.quantize_leaves import leaf_owner


def encode_leaves(ir: TreeEnsemble, float_leaves: np.ndarray) -> TreeEnsemble:
    """`float_leaves`: the leaf values before quantisation (for a single tree's argmax)."""
    values = ir.leaf_values
    if ir.post == POST_ARGMAX:
        nonzero = values != 0
        one_hot = nonzero.sum(axis=1) == 1
        votes = np.unique(values[nonzero])
        if one_hot.all() and len(votes) == 1 and votes[0] > 0 and not ir.base_score.any():
            return _as_classes(ir, np.argmax(nonzero, axis=1), int(votes[0]))
        if ir.n_trees == 1 and not ir.base_score.any():
            vote = int(values.max(initial=1)) or 1
            return _as_classes(ir, np.argmax(float_leaves, axis=1), vote)
    owner = leaf_owner(ir)
    touched = np.zeros((ir.n_trees, ir.n_outputs), dtype=bool)
    reached = owner >= 0
    np.logical_or.at(touched, owner[reached], values[reached] != 0)
    if (touched.sum(axis=1) <= 1).all():
        column = np.argmax(touched, axis=1).astype(np.int32)
        scalars = values[np.arange(ir.n_leaves), column[np.maximum(owner, 0)]]
        return ir.with_(leaf_encoding="scalar", leaf_values=scalars.reshape(-1, 1), tree_output=column)
    return ir


def _as_classes(ir: TreeEnsemble, classes: np.ndarray, vote: int) -> TreeEnsemble:
    return ir.with_(
        leaf_encoding="class",
        leaf_values=classes.astype(np.int64).reshape(-1, 1),
        class_vote=vote,
    )
