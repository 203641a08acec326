"""LightGBM text models (`save_model`, `model_to_string()`) -> float IR, parsed without the
lightgbm package.

Each node follows LightGBM's `Tree::NumericalDecision` / `CategoricalDecision` (tree.h) on the
value as a double (the device passes float32, which widens to double exactly; LightGBM's
predict first turns inputs with |x| <= 1e-35f into 0.0):
- numerical, go left when x <= threshold (double). Missing type None: NaN is taken as 0.0;
  NaN: NaN goes the default direction; Zero (`zero_as_missing`): NaN and |x| <= 1e-35f go
  the default direction.
- categorical: NaN goes right; else c = (int)x (truncation); c < 0 goes right; left when bit
  c of the node's bitset is set (categories past the bitset go right). Values >= 2**31 make
  the int cast undefined in C++; x86 gives INT_MIN (right), and so does mcugen.
Where a node is not one `x <= t` (the zero band, category sets) it becomes a chain of
threshold nodes over the float intervals where the rule is constant (frontends/builder).
The raw score is the sum of the leaves (already shrunk); binary: class 1 when raw > 0 (the
double sigmoid moves that boundary by < 2e-16, far below the fixed-point bound);
multiclass: the argmax of the per-class sums (trees interleave classes).
What predict does to the sum before its link is folded into the leaves: `average_output`
(boosting='rf') divides it by the number of iterations, the binary objective's sigmoid:k
multiplies it by k. `reg_sqrt` (objective "... sqrt") makes predict return sign(s) * s**2 of the raw sum s: the
IR's signed-square output, within the bound passes/quantize_leaves proves. Objectives whose
predict is another non-linear function of the sum (exp links, cross-entropy) are refused
with what predict returns.
"""

from __future__ import annotations

import sys

import numpy as np

from codegen.errors import UserError
from codegen.frontends.builder import (
    EnsembleBuilder,
    below,
    boosting_facts,
    boosting_post,
    integer_intervals,
    interval_split_shape,
    segments_of,
)
from codegen.frontends.expanded_size import MAX_DEPTH, check_expanded_sizes, expanded_size
from codegen.frontends.lightgbm_text import LightGBMText, objective_of, parse_model_text
from codegen.ir.model import POST_IDENTITY, POST_SIGNED_SQUARE, InputSpec, TreeEnsemble

ZERO_THRESHOLD = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float)
MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2
# predict returns the raw sum for these (ranking scores included); classes from the margins for these
IDENTITY_OBJECTIVES = ("regression", "regression_l1", "huber", "fair", "quantile", "mape", "lambdarank",
                       "rank_xendcg", "custom")
CLASSIFIER_OBJECTIVES = ("binary", "multiclass", "multiclassova")
LINKS = {"poisson": "exp(raw score)", "gamma": "exp(raw score)", "tweedie": "exp(raw score)",
         "cross_entropy": "the sigmoid of the raw score", "cross_entropy_lambda": "log(1 + exp(raw score))"}


def read_lightgbm_text(text: str, *, classes: tuple | None = None) -> TreeEnsemble:
    model = parse_model_text(text)
    objective, params, flags = objective_of(model.header)
    _check_pandas_categorical(model)
    if objective == "custom" and classes is not None:
        raise UserError("the LightGBM classifier was trained with a Python objective function: LightGBM's predict "
                        "returns raw scores, not classes, for it; train with objective='binary' or 'multiclass'")
    per_iteration = model.per_iteration
    _check_outputs(objective, params, per_iteration)
    post, classes = boosting_post("LightGBM", objective, per_iteration, classes,
                                  IDENTITY_OBJECTIVES, CLASSIFIER_OBJECTIVES, LINKS)
    if "sqrt" in flags and post == POST_IDENTITY:
        post = POST_SIGNED_SQUARE  # reg_sqrt: predict is sign(s) * s**2 of the raw sum s
    scale, notes = _leaf_scale(model, objective, params)
    plans = [_tree_plan(tree) for tree in model.trees]
    _check_expanded_size(model, plans)
    builder = EnsembleBuilder(per_iteration)
    if post == POST_SIGNED_SQUARE:
        _check_square_range(model, scale)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 40 * MAX_DEPTH))
    try:
        for index, (tree, plan) in enumerate(zip(model.trees, plans)):
            builder.add_tree(_emit(builder, tree, plan, 0 if plan else -1, index % per_iteration, scale))
    finally:
        sys.setrecursionlimit(limit)
    names = tuple(model.header.get("feature_names", "").split())
    spec = InputSpec(n_features=model.n_features, feature_names=names)
    # the whole objective line names the model: "binary sigmoid:1", "multiclass num_class:3"
    described = " ".join(model.header.get("objective", objective).split())
    facts = boosting_facts("lightgbm", post, sigmoid=objective == "binary", softmax=objective == "multiclass")
    return builder.ensemble(spec, np.zeros(per_iteration), post, classes, f"LightGBM {described}", notes, facts)


def _check_outputs(objective: str, params: dict, per_iteration: int) -> None:
    """One tree per iteration for one score, num_class trees for the multiclass objectives."""
    multiclass = objective in ("multiclass", "multiclassova")
    expected = params.get("num_class", "?") if multiclass else "1"
    if str(per_iteration) != expected or (multiclass and per_iteration < 2):
        raise UserError(f"the LightGBM model has num_tree_per_iteration={per_iteration} for objective {objective!r} "
                        f"({'num_class:' + expected if multiclass else 'one score'}): the file is edited; "
                        "save the model again with save_model")


def _check_square_range(model: LightGBMText, scale: float) -> None:
    """reg_sqrt squares the sum: its largest possible |sum|, B, squared must fit the 32-bit
    output with a fraction bit to spare (B**2 <= 2**30)."""
    largest = sum(float(np.abs(tree["leaf_value"]).max()) for tree in model.trees) * abs(scale)
    if largest**2 > 2.0**30:
        raise UserError(f"the LightGBM reg_sqrt model's output can reach {largest**2:.3g} (the square of its largest "
                        "sum), beyond the 32-bit fixed point mcugen returns (2**30); scale the target down")


def _leaf_scale(model: LightGBMText, objective: str, params: dict) -> tuple[float, tuple[str, ...]]:
    """The factor predict applies to the raw sum before its link, folded into every leaf:
    `average_output` (boosting='rf') divides the sum by the number of iterations; the binary
    objective's sigmoid:k takes sigmoid(k * sum) (the class rule sum > 0 is unchanged)."""
    scale, notes = 1.0, []
    if "average_output" in model.header:
        scale /= model.n_iterations
        notes.append(f"average_output: the sum over {model.n_iterations} iterations is averaged")
    if objective == "binary":
        try:
            sigmoid = float(params.get("sigmoid", "1"))
        except ValueError:
            sigmoid = float("nan")
        if not sigmoid > 0 or not np.isfinite(sigmoid):
            raise UserError(f"the LightGBM binary objective has sigmoid:{params.get('sigmoid')} (a positive "
                            "number expected); save the model again with save_model")
        scale *= sigmoid
    return scale, tuple(notes)


def _check_pandas_categorical(model: LightGBMText) -> None:
    """A model fitted on pandas `category` columns compares the columns' category codes (the
    position of a value in the recorded list, what predict(DataFrame) computes). The device
    sends numbers compared as codes: accepted when every list is 0..k-1 (code == value)."""
    if model.pandas_categorical is None:
        return
    infos = model.header.get("feature_infos", "").split()
    names = model.header.get("feature_names", "").split()
    # the lists follow the categorical columns in order; LightGBM lists their categories in feature_infos
    categorical = [names[i] if i < len(names) else f"#{i}" for i, info in enumerate(infos)
                   if info != "none" and not info.startswith("[")]
    for position, values in enumerate(model.pandas_categorical):
        column = categorical[position] if position < len(categorical) else f"#{position}"
        if values != list(range(len(values))):
            shown = ", ".join(str(v) for v in values[:5]) + (", ..." if len(values) > 5 else "")
            raise UserError(f"the LightGBM model was fitted on pandas category column {column!r} whose categories "
                            f"are {shown}, not 0..{len(values) - 1}: its trees compare category codes; refit on "
                            f"the integer codes (df[{column!r}].cat.codes), which the device then sends")


def _tree_plan(tree: dict) -> list[tuple[int, list[float], list[bool], bool]]:
    """Per node: (feature, segment bounds, side of each segment, side of NaN)."""
    plan = []
    for node in range(tree["num_leaves"] - 1):
        rule, cuts = _node_rule(tree, node)
        uppers, sides = segments_of(rule, cuts)
        plan.append((int(tree["split_feature"][node]), uppers, sides, rule(float("nan"))))
    return plan


def _check_expanded_size(model: LightGBMText, plans: list) -> None:
    """Count the nodes the interval chains will make (copies included) before building any."""

    def sizes():
        for tree, plan in zip(model.trees, plans):
            if not plan:
                yield 0, 0
                continue
            left, right = tree["left_child"], tree["right_child"]
            yield expanded_size(0, lambda node, left=left, right=right: None if node < 0 else (
                int(left[node]), int(right[node])), lambda node, plan=plan: interval_split_shape(*plan[node][1:]))

    advice = "train with a smaller max_cat_threshold / fewer categories per split, or one-hot encode the feature"
    check_expanded_sizes("LightGBM", sizes(), sum(len(plan) for plan in plans), advice)


def _emit(builder: EnsembleBuilder, tree: dict, plan: list, child: int, output: int, scale: float) -> int:
    if child < 0:
        return builder.leaf(float(tree["leaf_value"][~child]) * scale, output)
    feature, uppers, sides, nan_left = plan[child]
    targets = {True: int(tree["left_child"][child]), False: int(tree["right_child"][child])}
    return builder.interval_split(feature, uppers, sides, nan_left,
                                  lambda side: _emit(builder, tree, plan, targets[side], output, scale))


def _node_rule(nodes: dict, node: int):
    """(goes_left(x), cuts): LightGBM's decision as a rule on an input value, and every point
    where it may change. LightGBM's predict first drops input values with |x| <= 1e-35f as
    zeros (c_api's dense row reader keeps only |x| > kZeroThreshold or NaN): they reach the
    tree as 0.0."""
    decision = int(nodes["decision_type"][node])
    rule, cuts = _categorical_rule(nodes, node) if decision & 1 else _numerical_rule(nodes, node)

    def goes_left(x: float) -> bool:
        return rule(0.0 if -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD else x)

    return goes_left, [*cuts, below(-ZERO_THRESHOLD), ZERO_THRESHOLD]


def _numerical_rule(nodes: dict, node: int):
    decision = int(nodes["decision_type"][node])
    threshold = float(nodes["threshold"][node])
    missing = (decision >> 2) & 3
    default_left = bool(decision & 2)

    def goes_left(x: float) -> bool:
        if np.isnan(x) and missing != MISSING_NAN:
            x = 0.0
        if (missing == MISSING_ZERO and -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD) or (
                missing == MISSING_NAN and np.isnan(x)):
            return default_left
        return x <= threshold

    return goes_left, [threshold]


def _categorical_rule(nodes: dict, node: int):
    index = int(nodes["threshold"][node])
    start, end = nodes["cat_boundaries"][index], nodes["cat_boundaries"][index + 1]
    words = [int(w) for w in nodes["cat_threshold"][start:end]]
    members = {32 * i + bit for i, word in enumerate(words) for bit in range(32) if word >> bit & 1}

    def goes_left(x: float) -> bool:
        if np.isnan(x):
            return False
        category = int(x) if abs(x) < 2.0**31 else -(2**31)  # x86's (int) of an out-of-range double
        return category >= 0 and category in members

    cuts = []
    for first, last in integer_intervals(members):
        # left on [first, last + 1), or (-1, last + 1) when first is 0 (int(-0.5) is 0)
        cuts += [-1.0 if first == 0 else below(first), below(last + 1)]
    return goes_left, cuts
