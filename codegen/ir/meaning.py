"""What a tree model's scores mean in the float model's terms, for the header comment and the
report: from the facts the frontend recorded (`TreeEnsemble.source`), never from names."""

from __future__ import annotations

from codegen.ir.model import SCORES_MARGIN, SCORES_PATH_LENGTH, TreeEnsemble

# How each library hands out the raw margin that the scores are
RAW_MARGIN_CALL = {"xgboost": "output_margin=True", "lightgbm": "raw_score=True",
                   "catboost": "prediction_type='RawFormulaVal'"}
DEFAULT_RAW_MARGIN_CALL = "decision_function"


def score_meaning(ir: TreeEnsemble) -> str:
    """What scores / 2**output_frac_bits are: from how leaves add up, how the class is picked
    and what the frontend recorded of the model's scores."""
    if not ir.is_classifier:
        return "the regression output (predict)"
    if ir.returns_leaf_class:
        return "1.0 for the predicted class, 0 for the others"
    one_score = ir.n_outputs == 1
    if ir.source.scores == SCORES_PATH_LENGTH:
        return ("the summed path length of the row over all trees minus the inlier threshold "
                "(inlier, label 1, when >= 0; the sign of decision_function)")
    if ir.source.scores == SCORES_MARGIN:
        raw = RAW_MARGIN_CALL.get(ir.source.library, DEFAULT_RAW_MARGIN_CALL)
        which = "of class 1" if one_score else "per class"
        return f"the raw boosting margin {which} (the sum of leaf values and base score, {raw}; not probabilities)"
    if one_score and len(ir.classes) == 2:
        return "the sum over trees of P(class 1) - P(class 0) (predict_proba margin times n_trees)"
    return "the sum over trees of the leaf class probabilities (predict_proba times n_trees)"
