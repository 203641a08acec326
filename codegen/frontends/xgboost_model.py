"""XGBoost models (the JSON document of `save_model`/`save_raw("json")`) -> float IR.

Semantics of XGBoost's CPU predictor, kept exactly:
- a node goes left when the float32 input x < the float32 split_condition t (strict). For
  every float32 x, `x < t` is `x <= t'` with t' the float32 just below t, which the IR holds
  (float64 threshold compared with the float32 input: exact);
- NaN follows the node's `default_left`;
- the margin is base_margin + the leaves, one score per class (`tree_info`), the trees up to
  `best_iteration` when one is recorded (what the scikit-learn wrapper's predict uses);
  random forests (`num_parallel_tree`, XGBRF*) sum their trees too (XGBoost already scales a
  forest's leaves by 1 / num_parallel_tree when it trains); dart multiplies each tree by its
  `weight_drop` at predict time, folded into the leaves;
- identity-output objectives (reg:squarederror and the other identity `reg:`, rank:*) return
  the margin; binary:hinge is class 1 when margin > 0, binary:logitraw when margin > 0.5
  (XGBClassifier.predict thresholds the raw margin at 0.5). Objectives whose predict is a
  non-linear function of the margin are refused, naming it.
- XGBoost adds the leaves in float32; mcugen adds them in fixed point. Both are within a bound
  of the exact sum, so they decide alike except for rows whose margin is within the two
  bounds of a decision boundary (tests count such rows on every data set; see README).
- binary:logistic predicts class 1 when float32 sigmoid(margin) > 0.5, that is when the
  margin exceeds SIGMOID_HALF_MARGIN (not 0: float32 rounds sigmoid of tiny margins to 0.5);
  the IR moves that constant into the base score and uses "score > 0".
"""

from __future__ import annotations

import json

import numpy as np

from codegen.errors import UserError
from codegen.frontends.builder import boosting_facts, boosting_post, joined_ensemble
from codegen.frontends.xgboost_checks import check_model_counts, check_weight_drop
from codegen.ir.model import POST_POSITIVE, SUM_FLOAT32, InputSpec, TreeEnsemble

# predict returns the margin itself for these (ranking scores included)
IDENTITY_OBJECTIVES = ("reg:squarederror", "reg:squaredlogerror", "reg:absoluteerror",
                       "reg:pseudohubererror", "reg:quantileerror", "rank:pairwise", "rank:ndcg", "rank:map")
# classes from the margin: binary:logitraw's XGBClassifier.predict takes class 1 when the raw
# margin > 0.5 (it thresholds predict's output, the margin itself, at 0.5); hinge when > 0
CLASSIFIER_OBJECTIVES = ("binary:logistic", "multi:softprob", "multi:softmax", "binary:logitraw", "binary:hinge")
LINKS = {"reg:logistic": "the sigmoid of the margin", "reg:gamma": "exp(margin)", "reg:tweedie": "exp(margin)",
         "count:poisson": "exp(margin)", "survival:cox": "exp(margin)", "survival:aft": "exp(margin)"}
# what the class rule "score > 0" subtracts from the margin, per objective (logistic: below)
CLASS_BOUNDARY = {"binary:logitraw": 0.5}


def _sigmoid_half_margin() -> float:
    """The largest float32 margin m whose float32 1 / (1 + exp(-m)) is not above 0.5
    (about 9e-8), by bisection over the bit patterns of positive float32 values. expf is
    taken correctly rounded (as glibc's is): the float64 exp rounded once to float32."""
    one = np.float32(1.0)

    def above_half(bits: int) -> bool:
        m = np.array([bits], dtype=np.uint32).view(np.float32)[0]
        e = np.float32(np.exp(-np.float64(m)))
        return bool(one / (one + e) > np.float32(0.5))

    low, high = 0, int(np.array([1.0], dtype=np.float32).view(np.uint32)[0])  # low: not above
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if above_half(middle) else (middle, high)
    return float(np.array([low], dtype=np.uint32).view(np.float32)[0])


SIGMOID_HALF_MARGIN = _sigmoid_half_margin()


def read_xgboost_document(document: dict, *, classes: tuple | None = None,
                          n_features: int | None = None) -> TreeEnsemble:
    try:
        learner = document["learner"]
        objective = learner["objective"]["name"]
        params = learner["learner_model_param"]
        booster = learner["gradient_booster"]
    except (KeyError, TypeError):
        raise UserError("the file is not an XGBoost model (no learner section); save it with save_model") from None
    model, weights = _tree_model(booster, params)
    n_classes = int(params.get("num_class", 0))
    n_outputs = n_classes if n_classes > 1 else 1
    post, classes = boosting_post("XGBoost", objective, n_classes, classes, IDENTITY_OBJECTIVES,
                                  CLASSIFIER_OBJECTIVES, LINKS)
    base = _base_margin(objective, params["base_score"], n_outputs)
    if post == POST_POSITIVE:
        base = base - (SIGMOID_HALF_MARGIN if objective == "binary:logistic" else CLASS_BOUNDARY.get(objective, 0.0))
    attributes = learner.get("attributes", {})
    n_features = int(n_features or params["num_feature"])
    check_model_counts(model, n_outputs, n_features, attributes.get("best_iteration"))
    if weights is not None:
        weights = check_weight_drop(weights, len(model["trees"]))
    trees, groups = _trees_in_use(model, attributes)
    names = tuple(str(n) for n in learner.get("feature_names", []) or ())
    if names and len(names) != n_features:
        raise UserError(f"the XGBoost model names {len(names)} features but has num_feature={n_features}; "
                        "save the model again with save_model")
    spec = InputSpec(n_features=n_features, feature_names=names)
    ir = _assemble(trees, groups, n_outputs, spec, base, post, classes, f"XGBoost {objective}",
                   None if weights is None else weights[: len(trees)])
    ir = ir.with_(source=boosting_facts("xgboost", post, sigmoid=objective == "binary:logistic",
                                        softmax=objective == "multi:softprob", offset=SIGMOID_HALF_MARGIN,
                                        sum_unit=SUM_FLOAT32))
    return ir.with_(notes=("dart",)) if weights is not None else ir


def _tree_model(booster: dict, params: dict) -> tuple[dict, list | None]:
    """The trees' section and dart's per-tree weights (None for gbtree)."""
    name = booster.get("name")
    if int(params.get("num_target", 1)) > 1:
        raise UserError("multi-target XGBoost models are not supported; train one model per target")
    if name == "gbtree" and isinstance(booster.get("model"), dict):
        return booster["model"], None
    if name == "dart" and isinstance(booster.get("gbtree"), dict) and isinstance(booster["gbtree"].get("model"), dict):
        return booster["gbtree"]["model"], booster.get("weight_drop")
    if name == "gblinear":
        raise UserError("XGBoost booster 'gblinear' is a linear model, not trees; train with booster='gbtree'")
    raise UserError(f"XGBoost booster {name!r} is not supported; train with booster='gbtree' or 'dart'")


def _base_margin(objective: str, base_score, n_outputs: int) -> np.ndarray:
    """XGBoost >= 2 stores base_score as "[v, ...]" (one per output), older ones as "v"; for
    binary:logistic it is a probability and the margin is logit(base_score), in float32."""
    values = json.loads(base_score) if isinstance(base_score, str) else base_score
    base = np.atleast_1d(np.asarray(values, dtype=np.float32))
    if base.ndim != 1 or base.size not in (1, n_outputs) or not np.all(np.isfinite(base)):
        raise UserError(f"the XGBoost model's base_score {base_score!r} is not {n_outputs} finite number(s); "
                        "save the model again with save_model")
    if objective == "binary:logistic":
        if not np.all((base > 0) & (base < 1)):
            raise UserError(f"the XGBoost binary:logistic model's base_score {base_score!r} is not a probability "
                            "in (0, 1); save the model again with save_model")
        base = (-np.log(1.0 / base.astype(np.float64) - 1.0)).astype(np.float32)
    if base.size == 1:
        base = np.repeat(base, n_outputs)
    return base.astype(np.float64)


def _trees_in_use(model: dict, attributes: dict) -> tuple[list[dict], np.ndarray]:
    trees = model["trees"]
    groups = np.asarray(model.get("tree_info", [0] * len(trees)), dtype=np.int64)
    best = attributes.get("best_iteration")
    if best is not None and "iteration_indptr" in model:
        used = int(model["iteration_indptr"][int(best) + 1])
        trees, groups = trees[:used], groups[:used]
    for tree in trees:
        if any(int(t) != 0 for t in tree.get("split_type", [])):
            raise UserError("the XGBoost model has categorical splits, which mcugen does not convert; "
                            "one-hot or ordinal-encode those features instead")
        if int(tree.get("tree_param", {}).get("size_leaf_vector", "1")) > 1:
            raise UserError("XGBoost vector-leaf trees are not supported; use multi_strategy='one_output_per_tree'")
    return trees, groups


def _assemble(trees, groups, n_outputs, spec, base, post, classes, estimator, weights=None) -> TreeEnsemble:
    """All trees at once: internal nodes get global indices, leaves become leaf rows. dart:
    each tree's leaves times its float32 weight (the float64 product of two float32 values is
    exact; XGBoost rounds it to float32, within its summation bound, see library_sum_error)."""
    parts = {name: [] for name in ("feature", "threshold", "left", "right", "missing", "leaves")}
    roots = []
    node_offset = leaf_offset = 0
    for position, (tree, group) in enumerate(zip(trees, groups)):
        left = np.asarray(tree["left_children"], dtype=np.int64)
        right = np.asarray(tree["right_children"], dtype=np.int64)
        condition = np.asarray(tree["split_conditions"], dtype=np.float32)
        is_leaf = left < 0
        internal, leaves = np.flatnonzero(~is_leaf), np.flatnonzero(is_leaf)
        where = np.empty(len(left), dtype=np.int64)
        where[internal] = node_offset + np.arange(len(internal))
        where[leaves] = -(leaf_offset + np.arange(len(leaves))) - 1
        strict = condition[internal]
        parts["threshold"].append(np.nextafter(strict, np.float32(-np.inf)).astype(np.float64))
        parts["feature"].append(np.asarray(tree["split_indices"], dtype=np.int64)[internal])
        parts["left"].append(where[left[internal]])
        parts["right"].append(where[right[internal]])
        parts["missing"].append(np.asarray(tree["default_left"], dtype=bool)[internal])
        values = np.zeros((len(leaves), n_outputs))
        weight = 1.0 if weights is None else float(weights[position])  # a leaf's split_condition is its value
        values[:, int(group)] = condition[leaves].astype(np.float64) * weight
        parts["leaves"].append(values)
        roots.append(where[0])
        node_offset += len(internal)
        leaf_offset += len(leaves)
    return joined_ensemble(parts, roots, n_outputs, input=spec, base_score=base, post=post, classes=classes,
                           estimator=estimator)
