"""`ConvertedModel.report()` for trees: structure, table sizes and types, fixed-point format."""

from __future__ import annotations

import numpy as np

from codegen.ir.interpret import leaf_bytes
from codegen.ir.model import TreeEnsemble


def tree_depths(ir: TreeEnsemble) -> np.ndarray:
    """Depth of each tree (decisions on its longest path)."""
    from codegen.ir.walk import tree_depths as depths

    return depths(ir)


def score_meaning(ir: TreeEnsemble) -> str:
    """What scores / 2**output_frac_bits are, in the float model's terms: from what the IR
    records (the estimator it was read from, how leaves add up, how the class is picked)."""
    if not ir.is_classifier:
        return "the regression output (predict)"
    if ir.returns_leaf_class:
        return "1.0 for the predicted class, 0 for the others"
    family = estimator_family(ir.estimator)
    one_score = ir.n_outputs == 1
    if family == "isolation":
        return ("the summed path length of the row over all trees minus the inlier threshold "
                "(inlier, label 1, when >= 0; the sign of decision_function)")
    if family in ("xgboost", "lightgbm", "catboost", "sklearn-boosting"):
        raw = {"xgboost": "output_margin=True", "lightgbm": "raw_score=True",
               "catboost": "prediction_type='RawFormulaVal'",
               "sklearn-boosting": "decision_function"}[family]
        which = "of class 1" if one_score else "per class"
        return f"the raw boosting margin {which} (the sum of leaf values and base score, {raw}; not probabilities)"
    if one_score and len(ir.classes) == 2:
        return "the sum over trees of P(class 1) - P(class 0) (predict_proba margin times n_trees)"
    return "the sum over trees of the leaf class probabilities (predict_proba times n_trees)"


def estimator_family(estimator: str) -> str:
    """The kind of model the IR's `estimator` names (a Pipeline: its final estimator)."""
    while estimator.startswith("Pipeline(") and estimator.endswith(")"):
        estimator = estimator[len("Pipeline("):-1].rsplit(", ", 1)[-1]
    if estimator.startswith("XGBoost"):
        return "xgboost"
    if estimator.startswith("LightGBM") or estimator.startswith("LGBM"):
        return "lightgbm"
    if estimator.startswith("CatBoost"):
        return "catboost"
    if estimator == "IsolationForest":
        return "isolation"
    if "GradientBoosting" in estimator:
        return "sklearn-boosting"
    return "sklearn-trees"


def tree_report(ir: TreeEnsemble, layout: str, target: str) -> dict:
    from codegen.backends.trees import estimate_table_bytes

    depths = tree_depths(ir)
    report = {
        "kind": "trees",
        "estimator": ir.estimator,
        "target": target,
        "n_features": ir.input.n_features,
        "input": ir.input.dtype,
        "n_outputs": ir.n_outputs,
        "n_classes": len(ir.classes),
        "n_trees": ir.n_trees,
        "n_nodes": ir.n_nodes,
        "n_leaves": ir.n_leaves,
        "max_depth": int(depths.max(initial=0)),
        "leaf_encoding": ir.leaf_encoding,
        "leaf_bytes": leaf_bytes(ir),
        "table_bytes_estimate": estimate_table_bytes(ir),
        "output_frac_bits": ir.leaf_format.frac_bits,
        "scores": score_meaning(ir),
        "post": ir.post,
    }
    if not ir.is_classifier:
        report["output_error_bound"] = ir.error_bound
    return report
