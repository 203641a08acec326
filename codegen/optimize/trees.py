"""Transforms of fitted scikit-learn tree models. Each returns a NEW fitted estimator of the
same class (the input is never changed), so a transformed model converts, verifies and saves
like any other.

- `select_trees`, `greedy_tree_order`: ensemble pruning by greedy reduced-error selection
  on validation rows (forests); `fewer_stages` for gradient boosting.
- `cut_depth`: subtrees below a depth become leaves.
- `hard_voting`: every leaf votes for its majority class (the C then counts votes).
- `quantize_leaf_values`: leaf values rounded to a 2**-k grid the estimator itself holds.
"""

from __future__ import annotations

import copy

import numpy as np

from codegen.errors import UserError
from codegen.optimize.model_copies import power_of_two_step
from codegen.optimize.tree_surgery import node_depths, rebuild_tree

FOREST_CLASSES = ("RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor")
BOOSTING_CLASSES = ("GradientBoostingClassifier", "GradientBoostingRegressor")
SINGLE_TREE_CLASSES = ("DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier",
                       "ExtraTreeRegressor")


def kind_of(estimator) -> str:
    """"forest", "boosting" or "tree" (a UserError for other models)."""
    name = type(estimator).__name__
    for kind, names in (("forest", FOREST_CLASSES), ("boosting", BOOSTING_CLASSES), ("tree", SINGLE_TREE_CLASSES)):
        if name in names:
            return kind
    raise UserError(f"tune's tree transforms take forests, gradient boosting or single trees, not {name}")


def is_classifier(estimator) -> bool:
    return hasattr(estimator, "classes_")


def all_trees(estimator) -> list:
    """The DecisionTree* objects of a model, in order."""
    kind = kind_of(estimator)
    if kind == "tree":
        return [estimator]
    if kind == "forest":
        return list(estimator.estimators_)
    return list(np.asarray(estimator.estimators_).ravel())


# ---- ensemble pruning ---------------------------------------------------------------------

def select_trees(forest, indices) -> object:
    """A forest of the trees at `indices` (in that order)."""
    if kind_of(forest) != "forest":
        raise UserError("select_trees takes a random forest or extra-trees model")
    indices = [int(i) for i in indices]
    if not indices:
        raise UserError("keep at least one tree")
    pruned = copy.copy(forest)  # the other trees are not copied: they are left out
    pruned.estimators_ = [copy.deepcopy(forest.estimators_[i]) for i in indices]
    pruned.n_estimators = len(indices)
    return pruned


def greedy_tree_order(forest, X_val, y_val) -> list[int]:
    """Reduced-error forward selection: each step adds the tree that makes the sub-forest most
    accurate on the validation rows (regressors: least squared error); ties take the first."""
    classify = is_classifier(forest)
    truth = np.searchsorted(forest.classes_, np.asarray(y_val)) if classify else np.asarray(y_val, dtype=np.float64)
    return greedy_order_from_outputs(tree_outputs(forest, X_val, classify), truth, classify)


def tree_outputs(forest, X, classify: bool) -> np.ndarray:
    """Per tree, per row: its class probabilities (classifiers) or its prediction, (trees, rows, k)."""
    X = np.asarray(X, dtype=np.float32)
    if classify:
        return np.stack([tree.predict_proba(X) for tree in forest.estimators_])
    return np.stack([tree.predict(X).reshape(len(X), -1) for tree in forest.estimators_])


def greedy_order_from_outputs(outputs: np.ndarray, truth: np.ndarray, classify: bool) -> list[int]:
    """The greedy order of `greedy_tree_order`, from each tree's outputs on the rows."""
    remaining, order = list(range(len(outputs))), []
    total = np.zeros_like(outputs[0])
    while remaining:
        candidates = total[None] + outputs[remaining]
        if classify:
            score = (np.argmax(candidates, axis=2) == truth[None]).mean(axis=1)
        else:
            score = -((candidates[..., 0] / (len(order) + 1) - truth[None]) ** 2).mean(axis=1)
        best = remaining[int(np.argmax(score))]
        order.append(best)
        remaining.remove(best)
        total = total + outputs[best]
    return order


def fewer_stages(boosting, n_stages: int) -> object:
    """Gradient boosting with only its first `n_stages` stages (what `staged_predict` gives)."""
    if kind_of(boosting) != "boosting":
        raise UserError("fewer_stages takes a GradientBoosting model")
    if not 1 <= n_stages <= boosting.n_estimators_:
        raise UserError(f"keep between 1 and {boosting.n_estimators_} stages, not {n_stages}")
    pruned = copy.deepcopy(boosting)
    pruned.estimators_ = pruned.estimators_[:n_stages].copy()
    pruned.n_estimators_ = n_stages
    pruned.n_estimators = n_stages
    pruned.train_score_ = pruned.train_score_[:n_stages].copy()
    if getattr(pruned, "oob_improvement_", None) is not None:
        for name in ("oob_improvement_", "oob_scores_"):
            if getattr(pruned, name, None) is not None:
                setattr(pruned, name, getattr(pruned, name)[:n_stages].copy())
    return pruned


# ---- depth cuts -----------------------------------------------------------------------------

def cut_depth(estimator, max_depth: int) -> object:
    """Every tree cut at `max_depth`: a node at that depth becomes a leaf. Forests and single
    trees keep scikit-learn's `tree_.value` of the node. Boosting's leaves were re-fitted by its
    line search and its internal values were not, so a cut boosting node takes the mean of its
    subtree's leaves weighted by their training samples (what the leaves gave those rows)."""
    if max_depth < 1:
        raise UserError(f"max_depth must be at least 1, not {max_depth}")
    cut = copy.deepcopy(estimator)
    averaged = kind_of(estimator) == "boosting"
    for tree in all_trees(cut):
        is_leaf = node_depths(tree.tree_) >= max_depth
        values = _subtree_leaf_means(tree.tree_) if averaged else None
        tree.tree_ = rebuild_tree(tree.tree_, is_leaf, values)
        tree.max_depth = max_depth if tree.max_depth is None else min(tree.max_depth, max_depth)
    if averaged:
        cut.max_depth = min(cut.max_depth or max_depth, max_depth)
    return cut


def _subtree_leaf_means(tree) -> np.ndarray:
    """Per node: the sample-weighted mean of the leaf values below it (leaves: their own)."""
    values = np.array(tree.value, dtype=np.float64)
    weight = np.asarray(tree.weighted_n_node_samples, dtype=np.float64).copy()
    left, right = tree.children_left, tree.children_right
    for node in range(tree.node_count - 1, -1, -1):  # children come after their parent
        if left[node] >= 0:
            a, b = left[node], right[node]
            total = weight[a] + weight[b]
            values[node] = (values[a] * weight[a] + values[b] * weight[b]) / total if total else values[a]
            weight[node] = total
    return values


# ---- leaves -------------------------------------------------------------------------------

def hard_voting(forest) -> object:
    """Every leaf's class distribution becomes one-hot on its largest entry (scikit-learn's
    argmax, first on ties): the forest then predicts by majority vote."""
    if kind_of(forest) not in ("forest", "tree") or not is_classifier(forest):
        raise UserError("hard voting applies to random forest / extra-trees classifiers")
    voting = copy.deepcopy(forest)
    for tree in all_trees(voting):
        values = np.array(tree.tree_.value, dtype=np.float64)
        one_hot = np.zeros_like(values)
        np.put_along_axis(one_hot, np.argmax(values, axis=2)[..., None], 1.0, axis=2)
        tree.tree_ = rebuild_tree(tree.tree_, np.zeros(tree.tree_.node_count, dtype=bool), one_hot)
    return voting


def quantize_leaf_values(estimator, bits: int) -> object:
    """Leaf values on a grid of `bits` bits. Class distributions become multiples of
    2**-bits that still sum to exactly 1 (largest remainders get the rounding), so
    scikit-learn's normalisation leaves them unchanged; other values are rounded to the
    power-of-two step that spans their largest magnitude in `bits` signed bits."""
    if bits not in (4, 8, 16):
        raise UserError(f"leaf bits must be 4, 8 or 16, not {bits}")
    quantized = copy.deepcopy(estimator)
    trees = all_trees(quantized)
    distributions = is_classifier(estimator) and kind_of(estimator) != "boosting"
    step = None if distributions else _power_of_two_step(trees, bits)
    for tree in trees:
        values = np.array(tree.tree_.value, dtype=np.float64)
        values = _round_distributions(values, bits) if distributions else np.rint(values / step) * step
        tree.tree_ = rebuild_tree(tree.tree_, np.zeros(tree.tree_.node_count, dtype=bool), values)
    return quantized


def _power_of_two_step(trees, bits: int) -> float:
    return power_of_two_step(max(float(np.abs(tree.tree_.value).max(initial=0.0)) for tree in trees), bits)


def _round_distributions(values: np.ndarray, bits: int) -> np.ndarray:
    """Rows scaled to sum 2**bits, floored, then the shortfall given to the largest remainders."""
    one = 2**bits
    sums = values.sum(axis=2, keepdims=True)
    scaled = np.divide(values, sums, out=np.zeros_like(values), where=sums > 0) * one
    counts = np.floor(scaled)
    shortfall = (one - counts.sum(axis=2)).astype(np.int64)
    ranks = np.argsort(-(scaled - counts), axis=2, kind="stable")
    place = np.argsort(ranks, axis=2, kind="stable")  # each class's position among the remainders
    return (counts + (place < shortfall[..., None])) / one
