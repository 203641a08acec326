"""Pick the cheapest exact way for leaves to add to the scores.

- "class": every leaf adds the same amount c to exactly one class (pure leaves of a forest),
  or the model is a single classification tree, whose prediction is its leaf's argmax
  (computed here, in float, exactly as scikit-learn does). A leaf is then one class index,
  and the C counts votes; a score is votes * class_vote, in the leaves' fixed-point format, so
  scores / 2**frac_bits are sums of leaf probabilities (a forest of pure leaves: its votes).
  A single tree's scores are one vote of 1.0 for the predicted class instead of the leaf's
  probabilities; predictions are unchanged.
- "scalar": each tree adds to one score only (boosting, regression): a leaf is one number.
  Binary soft voting (two scores s0, s1, class 1 when s1 > s0) becomes one margin score
  s1 - s0 with class 1 when it is > 0: one add per tree instead of two. Soft voting keeps
  exact ties as ties (see TreeEnsemble.tie_margin).
- "sparse": anything else: a leaf adds its non-zero entries to their scores.
Runs after quantize_leaves (values are integers) and before compact_leaves.
"""

from __future__ import annotations

import numpy as np

from codegen.ir.model import POST_ARGMAX, POST_POSITIVE, TreeEnsemble
from codegen.passes.quantize_leaves import leaf_owner


def encode_leaves(ir: TreeEnsemble, float_leaves: np.ndarray) -> TreeEnsemble:
    """`float_leaves`: the leaf values before quantisation (for a single tree's argmax)."""
    values = ir.leaf_values
    if ir.post == POST_ARGMAX and not ir.base_score.any():
        nonzero = values != 0
        votes = np.unique(values[nonzero])
        if (nonzero.sum(axis=1) == 1).all() and len(votes) == 1 and votes[0] > 0:
            return _as_classes(ir, np.argmax(nonzero, axis=1), int(votes[0]))
        if ir.n_trees == 1:
            # one vote of 1.0 for the predicted class: scores / 2**frac_bits are 0 or 1
            return _as_classes(ir, np.argmax(float_leaves, axis=1), 1 << ir.leaf_format.frac_bits)
        if (values >= 0).all():  # probabilities: soft voting
            ties = _tie_margin(ir)
            if ir.n_outputs == 2:  # then |s1 - s0| <= max(s1, s0): no overflow
                margin = (values[:, 1] - values[:, 0]).reshape(-1, 1)
                return ir.with_(leaf_encoding="scalar", leaf_values=margin, base_score=np.zeros(1, dtype=np.int64),
                                tree_output=np.zeros(ir.n_trees, dtype=np.int32), post=POST_POSITIVE,
                                error_bound=2 * ir.error_bound, tie_margin=ties)
            return ir.with_(leaf_encoding="sparse", tie_margin=ties)
    owner = leaf_owner(ir)
    touched = np.zeros((ir.n_trees, ir.n_outputs), dtype=bool)
    reached = owner >= 0
    np.logical_or.at(touched, owner[reached], values[reached] != 0)
    if (touched.sum(axis=1) <= 1).all():
        column = np.argmax(touched, axis=1).astype(np.int32)
        scalars = values[np.arange(ir.n_leaves), column[np.maximum(owner, 0)]]
        return ir.with_(leaf_encoding="scalar", leaf_values=scalars.reshape(-1, 1), tree_output=column)
    return ir.with_(leaf_encoding="sparse")


def _tie_margin(ir: TreeEnsemble) -> int:
    """Two scores that are equal as rationals differ by at most twice the rounding bound."""
    return int(np.ceil(2 * ir.error_bound * 2.0**ir.leaf_format.frac_bits))


def _as_classes(ir: TreeEnsemble, classes: np.ndarray, vote: int) -> TreeEnsemble:
    return ir.with_(leaf_encoding="class", leaf_values=classes.astype(np.int64).reshape(-1, 1), class_vote=vote)
