"""IsolationForest keeps its first n trees (a NEW fitted estimator; the input is unchanged).

Everything `score_samples` reads per tree is cut alike: `estimators_`, `estimators_features_`
(each tree's columns), the per-tree path-length tables and the seeds `estimators_samples_`
is drawn from. The score divides by the number of trees, so it stays on the same scale.

`offset_` is kept as fitted. With contamination="auto" it is -0.5 by definition, and so it is
right for any number of trees. With a float contamination it was the percentile of the
*original* forest's training scores, and the rows it came from are not kept: the pruned forest
then flags outliers by the original threshold, not by a re-estimated one (its share of
outliers on the training rows can differ from `contamination`).
"""

from __future__ import annotations

import copy

from codegen.errors import UserError

PER_TREE = ("estimators_", "estimators_features_", "_decision_path_lengths", "_average_path_length_per_tree")


def is_isolation_forest(model) -> bool:
    return type(model).__name__ == "IsolationForest"


def first_trees(model, n: int):
    total = len(model.estimators_)
    if not 1 <= n <= total:
        raise UserError(f"keep between 1 and {total} trees, not {n}")
    kept = copy.deepcopy(model)
    for name in PER_TREE:
        values = getattr(kept, name)
        setattr(kept, name, type(values)(values[:n]) if isinstance(values, tuple) else list(values[:n]))
    if getattr(kept, "_seeds", None) is not None:
        kept._seeds = kept._seeds[:n].copy()
    kept.n_estimators = n
    return kept
