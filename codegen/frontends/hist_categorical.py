"""HistGradientBoosting with categorical features -> float IR.

What scikit-learn's predict does with such a model (1.4+): a ColumnTransformer first maps each
categorical column through an OrdinalEncoder (a value equal to the i-th known category becomes
i; any other value, and NaN, becomes NaN) and moves the categorical columns before the
numerical ones; then each tree node sends NaN to `missing_go_to_left`, and a categorical node
sends category i left when bit i of its `raw_left_cat_bitsets` row is set, right when i is a
known category, and anything else the missing way.

On the device's raw float32 value x that rule is constant between the known category values,
so each categorical node becomes a chain of threshold nodes over the intervals [v, v] of the
categories and the gaps between them (frontends/builder), its children copied per interval.
"""

from __future__ import annotations

import numpy as np

from codegen.errors import UserError
from codegen.frontends.builder import EnsembleBuilder, below, boosting_facts, interval_split_shape
from codegen.frontends.expanded_size import check_expanded_sizes, expanded_size
from codegen.ir.model import POST_ARGMAX, POST_IDENTITY, POST_POSITIVE, InputSpec, TreeEnsemble


def read_categorical_hist_boosting(estimator, kind: str) -> TreeEnsemble:
    loss = getattr(estimator, "loss", "")
    if kind.endswith("Regressor") and loss not in ("squared_error", "absolute_error", "quantile"):
        raise UserError(f"{kind} with loss={loss!r} needs a non-linear link (exp); "
                        "use loss='squared_error', 'absolute_error' or 'quantile'")
    original, categories = _columns(estimator)
    known, category_row = estimator._bin_mapper.make_known_categories_bitsets()
    n_outputs = len(estimator._predictors[0])

    def context_of(predictor):
        return predictor.nodes, predictor.raw_left_cat_bitsets, known, category_row, original, categories

    _check_size(estimator, context_of)
    builder = EnsembleBuilder(n_outputs)
    for iteration in estimator._predictors:
        for output, predictor in enumerate(iteration):
            builder.add_tree(_emit(builder, context_of(predictor), 0, output))
    names = tuple(str(n) for n in getattr(estimator, "feature_names_in_", ()))
    spec = InputSpec(n_features=int(estimator.n_features_in_), feature_names=names)
    base = np.asarray(estimator._baseline_prediction, dtype=np.float64).reshape(-1)
    post = POST_IDENTITY if kind.endswith("Regressor") else POST_POSITIVE if n_outputs == 1 else POST_ARGMAX
    classes = tuple(np.asarray(estimator.classes_).tolist()) if post != POST_IDENTITY else ()
    return builder.ensemble(spec, base, post, classes, kind, source=boosting_facts("scikit-learn", post))


def _columns(estimator) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The original column of each column the trees see, and the known category values of
    each categorical column (by the trees' column index)."""
    preprocessor = getattr(estimator, "_preprocessor", None)
    is_categorical = np.asarray(estimator.is_categorical_, dtype=bool)
    if preprocessor is None:
        raise UserError(f"this {type(estimator).__name__} predates scikit-learn 1.4's categorical encoding; "
                        "refit it with scikit-learn >= 1.4")
    order = np.concatenate([np.flatnonzero(is_categorical), np.flatnonzero(~is_categorical)])
    encoder = preprocessor.named_transformers_["encoder"]
    names = np.asarray(getattr(estimator, "feature_names_in_", np.arange(len(is_categorical))))[order]
    categories = {}
    for index, values in enumerate(encoder.categories_):
        if np.asarray(values).dtype.kind not in "biuf":
            shown = ", ".join(repr(v) for v in list(values)[:3])
            raise UserError(f"the {type(estimator).__name__}'s categorical column {str(names[index])!r} holds text "
                            f"categories ({shown}, ...) and the device sends numbers: fit on numeric codes "
                            f"instead (e.g. df[{str(names[index])!r}].cat.codes), which the device then sends")
        categories[index] = np.asarray(values, dtype=np.float64)
    return order, categories


def _emit(builder: EnsembleBuilder, context, index: int, output: int) -> int:
    nodes, original = context[0], context[4]
    node = nodes[index]
    if node["is_leaf"]:
        return builder.leaf(float(node["value"]), output)
    missing_left = bool(node["missing_go_to_left"])

    def child(side: bool) -> int:
        return _emit(builder, context, int(node["left"] if side else node["right"]), output)

    if not node["is_categorical"]:
        return builder.split(int(original[int(node["feature_idx"])]), float(node["num_threshold"]), missing_left,
                             lambda: child(True), lambda: child(False))
    cuts, sides = _segments(context, node)
    return builder.interval_split(int(original[int(node["feature_idx"])]), cuts, sides, missing_left, child)


def _segments(context, node) -> tuple[list[float], list[bool]]:
    """A categorical node on the raw value: below the first category, then [v_i, v_i] and
    the gap after each category (unknown values and gaps go the missing way)."""
    _, left_sets, known, category_row, _, categories = context
    feature = int(node["feature_idx"])
    missing_left = bool(node["missing_go_to_left"])
    left_set = _bits(left_sets[int(node["bitset_idx"])])
    known_set = _bits(known[int(category_row[feature])])

    def side_of(code: int) -> bool:
        return True if code in left_set else False if code in known_set else missing_left

    cuts, sides = [], [missing_left]
    for code, value in enumerate(categories[feature]):
        if np.isnan(value) or float(np.float32(value)) != value:
            continue  # no float32 input equals it: such values are never this category
        if value == -np.inf:
            cuts, sides = [value], [side_of(code), missing_left]
            continue
        cuts += [below(value), value]
        sides += [side_of(code), missing_left]
    return cuts, sides


def _check_size(estimator, context_of) -> None:
    """The built size of every tree, counted before anything is built."""

    def sizes():
        for iteration in estimator._predictors:
            for predictor in iteration:
                context, nodes = context_of(predictor), predictor.nodes

                def shape(index: int, context=context, nodes=nodes) -> tuple[int, int, int]:
                    node = nodes[index]
                    if not node["is_categorical"]:
                        return 1, 1, 1
                    return interval_split_shape(*_segments(context, node), bool(node["missing_go_to_left"]))

                yield expanded_size(0, lambda i, nodes=nodes: None if nodes[i]["is_leaf"] else (
                    int(nodes[i]["left"]), int(nodes[i]["right"])), shape)

    file_nodes = sum(int(np.sum(~p.nodes["is_leaf"].astype(bool))) for it in estimator._predictors for p in it)
    check_expanded_sizes(type(estimator).__name__, sizes(), file_nodes,
                         "train with fewer categories (or fewer max_leaf_nodes), or one-hot encode the feature")


def _bits(words: np.ndarray) -> set[int]:
    return {32 * i + bit for i, word in enumerate(np.asarray(words, dtype=np.uint64).tolist())
            for bit in range(32) if int(word) >> bit & 1}
