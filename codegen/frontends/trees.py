"""scikit-learn tree ensembles -> float TreeEnsemble IR, keeping sklearn's semantics exactly.

Per estimator, what `predict` computes (scikit-learn 1.x):
- DecisionTree*/ExtraTree*: the leaf's class distribution (argmax) or value.
- RandomForest*/ExtraTrees*: the mean of the trees' leaf probabilities (soft voting) or values;
  the IR keeps the sum of probabilities (same argmax).
- GradientBoosting*: init + learning_rate * sum of tree values; binary class 1 when raw >= 0.
  A constant init is the base score; a tree init is one more tree (see boosting_init).
- HistGradientBoosting*: baseline + sum of (already shrunk) leaf values; binary class 1 when
  raw > 0; NaN follows each node's missing_go_to_left.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from codegen.errors import UserError
from codegen.frontends.boosting_init import read_init
from codegen.frontends.builder import boosting_facts
from codegen.frontends.overrides import check_not_overridden, most_derived_base
from codegen.ir.model import (
    POST_ARGMAX,
    POST_IDENTITY,
    POST_NONNEGATIVE,
    POST_POSITIVE,
    PROBA_MEAN,
    InputSpec,
    SourceFacts,
    TreeEnsemble,
)

SINGLE_TREES = ("DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor")
FORESTS = ("RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor")
BOOSTING = ("GradientBoostingClassifier", "GradientBoostingRegressor")
HIST_BOOSTING = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")
SUPPORTED = SINGLE_TREES + FORESTS + BOOSTING + HIST_BOOSTING


@dataclass
class _Tree:
    """One tree in node-table form, as read from scikit-learn (leaves still in place)."""

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    value: np.ndarray  # (n_nodes, n_outputs): what a leaf contributes
    samples: np.ndarray | None = None  # int64 (n_nodes,): training samples reaching each node


@functools.cache
def _sklearn_classes() -> dict[type, str]:
    from sklearn import ensemble, tree

    return {getattr(tree if name in SINGLE_TREES else ensemble, name): name for name in SUPPORTED}


def is_tree_model(estimator) -> bool:
    return most_derived_base(estimator, _sklearn_classes()) is not None


def read_trees(estimator) -> TreeEnsemble:
    base = most_derived_base(estimator, _sklearn_classes())
    if base is None:
        supported = ", ".join(SUPPORTED)
        raise UserError(f"{type(estimator).__name__} is not a supported tree model; mcugen converts: {supported}")
    check_not_overridden(estimator, base)
    kind = _sklearn_classes()[base]
    _check_fitted(estimator, kind)
    if kind in SINGLE_TREES:
        return _single_tree(estimator, kind)
    if kind in FORESTS:
        return _forest(estimator, kind)
    if kind in BOOSTING:
        return _boosting(estimator, kind)
    return _hist_boosting(estimator, kind)


def _check_fitted(estimator, kind: str) -> None:
    if not hasattr(estimator, "n_features_in_"):
        raise UserError(f"the {kind} is not fitted; call .fit(X, y) before converting it")
    classes = getattr(estimator, "classes_", np.zeros(1))
    if getattr(estimator, "n_outputs_", 1) != 1 or isinstance(classes, list) or np.ndim(classes) != 1:
        raise UserError(
            f"the {kind} has several outputs (multi-output target); train one model per output"
        )


def _input_spec(estimator) -> InputSpec:
    names = tuple(str(n) for n in getattr(estimator, "feature_names_in_", ()))
    return InputSpec(n_features=int(estimator.n_features_in_), feature_names=names)


def _sklearn_tree(tree, scale: np.ndarray, normalise: bool) -> _Tree:
    """A fitted `tree_`; leaf value = value * scale (per output), rows normalised to sum 1
    first for classifiers (what DecisionTreeClassifier.predict_proba does)."""
    value = np.asarray(tree.value, dtype=np.float64)[:, 0, :]
    if normalise:
        total = value.sum(axis=1, keepdims=True)
        value = value / np.where(total == 0.0, 1.0, total)
    return _Tree(
        children_left=np.asarray(tree.children_left, dtype=np.int64),
        children_right=np.asarray(tree.children_right, dtype=np.int64),
        feature=np.asarray(tree.feature, dtype=np.int64),
        threshold=np.asarray(tree.threshold, dtype=np.float64),
        missing_left=_missing_go_to_left(tree),
        value=value * scale,
        samples=np.asarray(tree.n_node_samples, dtype=np.int64),
    )


def _missing_go_to_left(tree) -> np.ndarray:
    missing = getattr(tree, "missing_go_to_left", None)
    if missing is None:  # scikit-learn < 1.3 trees never route NaN: sklearn rejects NaN input
        return np.ones(tree.node_count, dtype=bool)
    return np.asarray(missing, dtype=bool)


def _classes(estimator) -> tuple:
    return tuple(np.asarray(estimator.classes_).tolist())


def _single_tree(estimator, kind: str) -> TreeEnsemble:
    classifier = kind.endswith("Classifier")
    tree = _sklearn_tree(estimator.tree_, np.float64(1.0), normalise=classifier)
    n_outputs = tree.value.shape[1]
    return _assemble(
        estimator, kind, [tree], np.zeros(n_outputs),
        POST_ARGMAX if classifier else POST_IDENTITY,
    )


def _forest(estimator, kind: str) -> TreeEnsemble:
    classifier = kind.endswith("Classifier")
    members = estimator.estimators_
    # Regression: the mean of the trees. Classification: the *sum* of leaf probabilities, as
    # scikit-learn adds them before dividing by the number of trees; the division cannot
    # change the argmax, and leaving it out keeps dyadic probabilities (1/2, 3/4, ...) exact in
    # fixed point, so exact ties stay ties and go to the lowest class, as in scikit-learn.
    scale = np.float64(1.0) if classifier else np.float64(1.0) / len(members)
    trees = [_sklearn_tree(m.tree_, scale, normalise=classifier) for m in members]
    n_outputs = trees[0].value.shape[1]
    ir = _assemble(estimator, kind, trees, np.zeros(n_outputs), POST_ARGMAX if classifier else POST_IDENTITY)
    return ir.with_(source=SourceFacts(proba=PROBA_MEAN)) if classifier else ir


def _boosting(estimator, kind: str) -> TreeEnsemble:
    stages = estimator.estimators_  # (n_stages, n_outputs) of DecisionTreeRegressor
    n_outputs = stages.shape[1]
    lr = np.float64(estimator.learning_rate)
    init = read_init(estimator, n_outputs)
    trees = []
    if init.tree is not None:  # a tree init: one more tree, its leaves scikit-learn's raw init
        trees.append(_sklearn_tree(init.tree, np.float64(1.0), normalise=False))
        trees[0].value = init.node_values
    for stage in stages:
        for k, member in enumerate(stage):
            tree = _sklearn_tree(member.tree_, lr, normalise=False)
            # a regression tree feeds one output: spread it to column k of the score vector
            value = np.zeros((tree.value.shape[0], n_outputs))
            value[:, k] = tree.value[:, 0]
            tree.value = value
            trees.append(tree)
    post = _boosting_post(kind, n_outputs, POST_NONNEGATIVE)
    ir = _assemble(estimator, kind, trees, init.base, post)
    # predict_proba is expit(raw) for log loss, expit(2 raw) for the exponential loss
    loss = getattr(estimator, "loss", "")
    return ir.with_(notes=(f"loss={loss}",), source=boosting_facts("scikit-learn", post, sigmoid=loss == "log_loss"))


def _hist_boosting(estimator, kind: str) -> TreeEnsemble:
    if getattr(estimator, "is_categorical_", None) is not None and np.any(estimator.is_categorical_):
        from codegen.frontends.hist_categorical import read_categorical_hist_boosting

        return read_categorical_hist_boosting(estimator, kind)
    loss = getattr(estimator, "loss", "")
    if kind.endswith("Regressor") and loss not in ("squared_error", "absolute_error", "quantile"):
        raise UserError(
            f"HistGradientBoostingRegressor with loss={loss!r} needs a non-linear link (exp); "
            "use loss='squared_error', 'absolute_error' or 'quantile'"
        )
    n_outputs = len(estimator._predictors[0])
    trees = []
    for iteration in estimator._predictors:
        for k, predictor in enumerate(iteration):
            trees.append(_hist_tree(predictor.nodes, k, n_outputs))
    base = np.asarray(estimator._baseline_prediction, dtype=np.float64).reshape(-1)
    post = _boosting_post(kind, n_outputs, POST_POSITIVE)
    return _assemble(estimator, kind, trees, base, post).with_(source=boosting_facts("scikit-learn", post))


def _boosting_post(kind: str, n_outputs: int, binary: str) -> str:
    """Regression: the raw score. Binary: one score and its sign rule. Multiclass: argmax."""
    if kind.endswith("Regressor"):
        return POST_IDENTITY
    return binary if n_outputs == 1 else POST_ARGMAX


def _hist_tree(nodes: np.ndarray, output: int, n_outputs: int) -> _Tree:
    leaf = nodes["is_leaf"].astype(bool)
    value = np.zeros((len(nodes), n_outputs))
    value[:, output] = nodes["value"]
    return _Tree(
        children_left=np.where(leaf, -1, nodes["left"].astype(np.int64)),
        children_right=np.where(leaf, -1, nodes["right"].astype(np.int64)),
        feature=nodes["feature_idx"].astype(np.int64),
        threshold=nodes["num_threshold"].astype(np.float64),
        missing_left=nodes["missing_go_to_left"].astype(bool),
        value=value,
        samples=nodes["count"].astype(np.int64),
    )


def _assemble(estimator, kind: str, trees: list[_Tree], base: np.ndarray, post: str) -> TreeEnsemble:
    """Concatenate trees: internal nodes get global indices, leaves become leaf rows."""
    features, thresholds, lefts, rights, missing, roots, leaf_blocks = [], [], [], [], [], [], []
    weights = []
    node_offset = leaf_offset = 0
    for tree in trees:
        is_leaf = tree.children_left < 0
        internal = np.flatnonzero(~is_leaf)
        leaves = np.flatnonzero(is_leaf)
        # where each sklearn node lands: internal -> global node, leaf -> encoded leaf child
        where = np.empty(len(is_leaf), dtype=np.int64)
        where[internal] = node_offset + np.arange(len(internal))
        where[leaves] = -(leaf_offset + np.arange(len(leaves))) - 1
        features.append(tree.feature[internal])
        thresholds.append(tree.threshold[internal])
        lefts.append(where[tree.children_left[internal]])
        rights.append(where[tree.children_right[internal]])
        missing.append(tree.missing_left[internal])
        if tree.samples is not None:
            weights.append(tree.samples[np.stack([tree.children_left[internal], tree.children_right[internal]], 1)])
        roots.append(where[0])
        leaf_blocks.append(tree.value[leaves])
        node_offset += len(internal)
        leaf_offset += len(leaves)
    return TreeEnsemble(
        input=_input_spec(estimator),
        feature=np.concatenate(features).astype(np.int32),
        threshold=np.concatenate(thresholds),
        left=np.concatenate(lefts).astype(np.int32),
        right=np.concatenate(rights).astype(np.int32),
        missing_left=np.concatenate(missing),
        roots=np.asarray(roots, dtype=np.int32),
        leaf_values=np.concatenate(leaf_blocks),
        base_score=np.asarray(base, dtype=np.float64),
        post=post,
        classes=_classes(estimator) if post != POST_IDENTITY else (),
        estimator=kind,
        child_weight=np.concatenate(weights).reshape(-1, 2) if len(weights) == len(trees) else None,
    )
