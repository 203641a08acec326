"""IsolationForest -> float IR: the sign of `decision_function` (predict: 1 inlier, -1 outlier).

scikit-learn (`_compute_score_samples`): D = sum over trees of (depth of the leaf reached +
c(n_node_samples of the leaf) - 1), with each tree seeing its `estimators_features_` columns;
score_samples = -2 ** (-D / (n_trees * c(max_samples))); decision_function = score_samples -
offset_; outlier when decision_function < 0. As -2**(-u) is increasing in u, the row is an
inlier exactly when D >= D0 = -n_trees * c(max_samples) * log2(-offset_) (offset_ < 0 always:
scores are in [-1, 0)). The IR sums the leaf values D with base score -D0 and says inlier when
the sum >= 0 ("nonnegative"). Fixed point decides alike except for rows with |D - D0| within
the reported error bound (plus the float64 rounding of scikit-learn's own arithmetic, ~1e-12):
the tests count and report such rows.
"""

from __future__ import annotations

import numpy as np

from codegen.errors import UserError
from codegen.ir.model import POST_NONNEGATIVE, SCORES_PATH_LENGTH, InputSpec, SourceFacts, TreeEnsemble


def is_isolation_forest(estimator) -> bool:
    return type(estimator).__name__ == "IsolationForest"


def inlier_threshold(estimator) -> float:
    """D0: a row is an inlier when its summed path length D >= D0."""
    from sklearn.ensemble._iforest import _average_path_length

    offset = float(estimator.offset_)
    if not offset < 0:
        raise UserError(f"IsolationForest offset_ {offset} is not negative; refit with contamination='auto' or < 0.5")
    denominator = len(estimator.estimators_) * float(_average_path_length([estimator._max_samples])[0])
    return -denominator * float(np.log2(-offset))


def read_isolation_forest(estimator) -> TreeEnsemble:
    if not hasattr(estimator, "estimators_"):
        raise UserError("the IsolationForest is not fitted; call .fit(X) before converting it")
    parts = {name: [] for name in ("feature", "threshold", "left", "right", "missing", "root", "leaf")}
    node_offset = leaf_offset = 0
    for index, member in enumerate(estimator.estimators_):
        n_internal, n_leaves = _add_member(estimator, index, member.tree_, parts, node_offset, leaf_offset)
        node_offset += n_internal
        leaf_offset += n_leaves
    names = tuple(str(n) for n in getattr(estimator, "feature_names_in_", ()))
    return TreeEnsemble(
        input=InputSpec(n_features=int(estimator.n_features_in_), feature_names=names),
        feature=np.concatenate(parts["feature"]).astype(np.int32),
        threshold=np.concatenate(parts["threshold"]).astype(np.float64),
        left=np.concatenate(parts["left"]).astype(np.int32),
        right=np.concatenate(parts["right"]).astype(np.int32),
        missing_left=np.concatenate(parts["missing"]).astype(bool),
        roots=np.asarray(parts["root"], dtype=np.int32),
        leaf_values=np.concatenate(parts["leaf"]).astype(np.float64).reshape(-1, 1),
        base_score=np.array([-inlier_threshold(estimator)]),
        post=POST_NONNEGATIVE,
        classes=(-1, 1),
        estimator="IsolationForest",
        # scikit-learn's score is compared exactly: no summation slack (library_sums)
        source=SourceFacts(scores=SCORES_PATH_LENGTH, sum_unit=0.0),
    )


def _add_member(estimator, index: int, tree, parts: dict, node_offset: int, leaf_offset: int) -> tuple[int, int]:
    """Append tree `index` (its features mapped through estimators_features_)."""
    is_leaf = tree.children_left < 0
    internal, leaves = np.flatnonzero(~is_leaf), np.flatnonzero(is_leaf)
    where = np.empty(tree.node_count, dtype=np.int64)
    where[internal] = node_offset + np.arange(len(internal))
    where[leaves] = -(leaf_offset + np.arange(len(leaves))) - 1
    parts["feature"].append(np.asarray(estimator.estimators_features_[index])[tree.feature[internal]])
    parts["threshold"].append(tree.threshold[internal])
    parts["left"].append(where[tree.children_left[internal]])
    parts["right"].append(where[tree.children_right[internal]])
    go_left = getattr(tree, "missing_go_to_left", None)
    parts["missing"].append(np.ones(len(internal), bool) if go_left is None else np.asarray(go_left)[internal])
    parts["root"].append(where[0])
    # exactly the terms scikit-learn adds for a row reaching this leaf
    parts["leaf"].append(estimator._decision_path_lengths[index][leaves]
                         + estimator._average_path_length_per_tree[index][leaves] - 1.0)
    return len(internal), len(leaves)
