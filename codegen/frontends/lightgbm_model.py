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
"""

from __future__ import annotations

import numpy as np

from codegen.errors import UserError
from codegen.frontends.builder import EnsembleBuilder, below, boosting_post, integer_intervals, segments_of
from codegen.ir.model import InputSpec, TreeEnsemble

ZERO_THRESHOLD = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float)
MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2
IDENTITY_OBJECTIVES = ("regression", "regression_l1", "huber", "fair", "quantile", "mape")
CLASSIFIER_OBJECTIVES = ("binary", "multiclass", "multiclassova")


def parse_model_text(text: str) -> tuple[dict, list[dict]]:
    """The header fields and one dict per tree (values still strings)."""
    header: dict[str, str] = {}
    trees: list[dict[str, str]] = []
    current = header
    for line in text.splitlines():
        line = line.strip()
        if line == "end of trees":
            break
        if line.startswith("Tree="):
            current = {}
            trees.append(current)
        elif "=" in line:
            key, _, value = line.partition("=")
            current[key] = value
    if "version" not in header or "max_feature_idx" not in header:
        raise UserError("the text is not a LightGBM model (no version/max_feature_idx); save it with save_model")
    return header, trees


def read_lightgbm_text(text: str, *, classes: tuple | None = None) -> TreeEnsemble:
    header, trees = parse_model_text(text)
    objective = header.get("objective", "regression").split()[0]
    per_iteration = int(header.get("num_tree_per_iteration", "1"))
    post, classes = boosting_post("LightGBM", objective, per_iteration, classes,
                                  IDENTITY_OBJECTIVES, CLASSIFIER_OBJECTIVES)
    builder = EnsembleBuilder(per_iteration)
    for index, tree in enumerate(trees):
        _add_tree(builder, tree, output=index % per_iteration)
    names = tuple(header.get("feature_names", "").split())
    spec = InputSpec(n_features=int(header["max_feature_idx"]) + 1, feature_names=names)
    # the whole objective line names the model: "binary sigmoid:1", "multiclass num_class:3"
    described = " ".join(header.get("objective", objective).split())
    return builder.ensemble(spec, np.zeros(per_iteration), post, classes, f"LightGBM {described}")



def _numbers(tree: dict, key: str, dtype) -> np.ndarray:
    return np.array(tree.get(key, "").split(), dtype=dtype)


def _add_tree(builder: EnsembleBuilder, tree: dict, output: int) -> None:
    if tree.get("is_linear", "0") != "0":
        raise UserError("LightGBM linear trees (linear_tree=True) are not supported; train without them")
    leaf_value = _numbers(tree, "leaf_value", np.float64)
    if int(tree["num_leaves"]) == 1:
        builder.add_tree(builder.leaf(leaf_value[0], output))
        return
    nodes = {
        "feature": _numbers(tree, "split_feature", np.int64),
        "threshold": _numbers(tree, "threshold", np.float64),
        "decision": _numbers(tree, "decision_type", np.int64),
        "left": _numbers(tree, "left_child", np.int64),
        "right": _numbers(tree, "right_child", np.int64),
        "cat_boundaries": _numbers(tree, "cat_boundaries", np.int64),
        "cat_threshold": _numbers(tree, "cat_threshold", np.uint64),
    }

    def emit(child: int) -> int:
        if child < 0:
            return builder.leaf(leaf_value[~child], output)
        feature = int(nodes["feature"][child])
        rule, cuts = _node_rule(nodes, child)
        uppers, sides = segments_of(rule, cuts)
        targets = {True: int(nodes["left"][child]), False: int(nodes["right"][child])}
        return builder.interval_split(feature, uppers, sides, rule(float("nan")),
                                      lambda side: emit(targets[side]))

    builder.add_tree(emit(0))


def _node_rule(nodes: dict, node: int):
    """(goes_left(x), cuts): LightGBM's decision as a rule on an input value, and every point
    where it may change. LightGBM's predict first drops input values with |x| <= 1e-35f as
    zeros (c_api's dense row reader keeps only |x| > kZeroThreshold or NaN): they reach the
    tree as 0.0."""
    decision = int(nodes["decision"][node])
    rule, cuts = _categorical_rule(nodes, node) if decision & 1 else _numerical_rule(nodes, node)

    def goes_left(x: float) -> bool:
        return rule(0.0 if -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD else x)

    return goes_left, [*cuts, below(-ZERO_THRESHOLD), ZERO_THRESHOLD]


def _numerical_rule(nodes: dict, node: int):
    decision = int(nodes["decision"][node])
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
