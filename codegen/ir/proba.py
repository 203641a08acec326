"""Class probabilities in integer arithmetic: the softmax of the scores (binary: of (0, z),
which is the sigmoid of z), exactly as `<name>_proba` computes them in C; this module is its
specification (C == `interpret_proba` bit for bit) and states its error bound.

For logits l_k in the scores' fixed point (F fraction bits): d_k = max(l) - l_k >= 0;
e_k = 2 ** -(d_k log2 e) in Q30 from a 65-entry table of 2 ** (-j/64) with linear
interpolation, shifted right by the integer part of the exponent; S = sum e_k; 1 / S by three
Newton steps from 48/17 - 32/17 x (S normalised to x in [0.5, 1)); p_k = e_k / S in Q16,
rounded. No division and no float anywhere.

Which models: boosting classifiers whose probability is the sigmoid / softmax of their score
(XGBoost binary:logistic and multi:softprob, LightGBM binary and multiclass, CatBoost Logloss
and MultiClass (scale_and_bias folded into the leaves and base score), scikit-learn
HistGradientBoostingClassifier, GradientBoostingClassifier with several classes or binary with
log loss), and forests
(soft voting: p_k = score_k / n_trees, by a multiply with round(2**30 / n) and a shift). Others
have no `_proba` (`proba_link` returns None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from codegen.ir.model import POST_ARGMAX, POST_NONNEGATIVE, POST_POSITIVE, TreeEnsemble

PROBA_FRAC_BITS = 16
TABLE_STEPS_LOG2 = 6  # 2 ** 6 = 64 table steps per octave
Q30 = 1 << 30
LOG2E_BITS = 24
LOG2E = round(math.log2(math.e) * (1 << LOG2E_BITS))
RECIPROCAL_C1 = round(48 / 17 * Q30)
RECIPROCAL_C2 = round(32 / 17 * Q30)
NEWTON_STEPS = 3
FORESTS = ("RandomForestClassifier", "ExtraTreesClassifier")
MEAN_SHIFT = 14  # p = score * round(2**30 / n) >> (F + 14): products stay below 2**62


@dataclass(frozen=True)
class ProbaLink:
    binary: bool  # one score z: probabilities (1 - sigmoid(z), sigmoid(z)); forests: a margin
    offset: int  # added to a binary score first, in the scores' fixed point
    mean_of: int = 0  # forests (soft voting): the number of trees the summed probabilities divide by


def proba_link(ir: TreeEnsemble) -> ProbaLink | None:
    """How this model's probabilities follow from its scores, or None when they do not by a
    plain sigmoid / softmax."""
    if not ir.is_lowered or ir.returns_leaf_class or (ir.leaf_encoding == "class" and ir.estimator not in FORESTS):
        return None
    kind = ir.estimator
    if kind in FORESTS and ir.n_trees > 1:
        return ProbaLink(ir.post == POST_POSITIVE, 0, ir.n_trees)
    if ir.tie_margin or ir.leaf_format.frac_bits < 0:
        return None  # scores in units above 1 (huge raw margins): the C's shifts assume F >= 0
    if ir.post == POST_POSITIVE and ir.n_outputs == 1:
        if kind == "XGBoost binary:logistic":
            from codegen.frontends.xgboost_model import SIGMOID_HALF_MARGIN

            return ProbaLink(True, round(SIGMOID_HALF_MARGIN * 2.0**ir.leaf_format.frac_bits))
        # LightGBM's sigmoid:k and average_output, CatBoost's scale, are folded into the leaves: the score is the margin
        if kind in ("HistGradientBoostingClassifier", "CatBoost Logloss") or kind.startswith(
                "LightGBM binary sigmoid:"):
            return ProbaLink(True, 0)
        return None
    if ir.post == POST_NONNEGATIVE and kind == "GradientBoostingClassifier" and "loss=log_loss" in ir.notes:
        return ProbaLink(True, 0)  # sigmoid(raw); the class rule raw >= 0 differs from > 0 only at 0.5
    if ir.post == POST_ARGMAX and (
            kind in ("XGBoost multi:softprob", "HistGradientBoostingClassifier", "GradientBoostingClassifier",
                     "CatBoost MultiClass")
            or kind.startswith("LightGBM multiclass num_class:")):
        return ProbaLink(False, 0)
    return None


def exp2_table() -> np.ndarray:
    """2 ** (-j / 64) for j = 0..64, in Q30."""
    steps = 1 << TABLE_STEPS_LOG2
    return np.array([round(2.0 ** (-j / steps) * Q30) for j in range(steps + 1)], dtype=np.int64)


def logits(link: ProbaLink, scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.int64)
    if link.binary:
        return np.column_stack([np.zeros(len(scores), dtype=np.int64), scores[:, 0] + link.offset])
    return scores


def mean_reciprocal(link: ProbaLink) -> int:
    """round(2**30 / n), n the trees (binary margin: 2n, as p1 = (n + margin) / 2n)."""
    return round(Q30 / (link.mean_of * (2 if link.binary else 1)))


def _interpret_mean(ir: TreeEnsemble, link: ProbaLink, scores: np.ndarray) -> np.ndarray:
    """Soft voting: the summed probabilities over the number of trees; a binary forest's one
    score is the margin s1 - s0 with s0 + s1 = n, so p1 = (n + margin) / 2n."""
    frac = ir.leaf_format.frac_bits
    scores = np.asarray(scores, dtype=np.int64)
    shift = frac + MEAN_SHIFT
    if link.binary:
        numerator = (np.int64(link.mean_of) << frac) + scores[:, :1]
        p1 = (numerator * mean_reciprocal(link) + (np.int64(1) << (shift - 1))) >> shift
        return np.column_stack([(1 << PROBA_FRAC_BITS) - p1[:, 0], p1[:, 0]])
    return (scores * mean_reciprocal(link) + (np.int64(1) << (shift - 1))) >> shift


def interpret_proba(ir: TreeEnsemble, link: ProbaLink, scores: np.ndarray) -> np.ndarray:
    """Probabilities in Q16 (int64, rows x classes), as the C computes them."""
    if link.mean_of:
        return _interpret_mean(ir, link, scores)
    frac = ir.leaf_format.frac_bits
    values = logits(link, scores)
    d = values.max(axis=1, keepdims=True) - values
    e = _exp2_negative(d, frac)
    total = e.sum(axis=1, keepdims=True)
    length = np.array([[int(t).bit_length()] for t in total[:, 0]], dtype=np.int64)
    x = total >> (length - 31)
    y = RECIPROCAL_C1 - ((RECIPROCAL_C2 * x) >> 31)
    for _ in range(NEWTON_STEPS):
        y = (y * ((1 << 31) - ((x * y) >> 31))) >> 30
    shift = length + 30 - PROBA_FRAC_BITS
    return (e * y + (np.int64(1) << (shift - 1))) >> shift


def _exp2_negative(d: np.ndarray, frac: int) -> np.ndarray:
    """e = 2 ** -(d log2 e) in Q30 for d >= 0 in Q(frac): the C's table walk."""
    table = exp2_table()
    far = d >= (np.int64(32) << frac)
    t = (np.where(far, 0, d) * LOG2E) >> LOG2E_BITS
    whole, part = t >> frac, t & ((np.int64(1) << frac) - 1)
    if frac >= TABLE_STEPS_LOG2:
        rest_bits = frac - TABLE_STEPS_LOG2
        j = part >> rest_bits
        rest = part & ((np.int64(1) << rest_bits) - 1)
        e = table[j] - (((table[j] - table[np.minimum(j + 1, len(table) - 1)]) * rest) >> rest_bits)
    else:
        e = table[part << (TABLE_STEPS_LOG2 - frac)]
    return np.where(far | (whole >= 31), 0, e >> np.minimum(whole, 31))


def proba_bound(ir: TreeEnsemble, link: ProbaLink, library_error: float) -> float:
    """Proven max |p_C - p_library| per class. Softmax moves p_k by at most half the largest
    change of a logit: the scores' rounding (ir.error_bound, plus the binary offset's) and the
    library's own summation error. The 2**x table: linear interpolation of a convex function
    over steps of 1/64 errs by at most (ln 2)**2 / (8 * 64**2) of 2**-f >= 1/2, i.e. a relative
    2.94e-5, plus 2**-29 rounding and the log2(e) constant's 2**-25 relative over exponents
    < 47; each e_k off by a relative rho moves p_k by at most 2 rho. Newton's reciprocal is
    within 2**-28, truncations of x and e_k within 2**-30 each, the Q16 rounding 2**-17; the
    library rounds its own float32 sigmoid / softmax within 1e-6. Forests: the score's bound
    over n (a margin's over 2n), plus round(2**30 / n)'s relative 2**-31 n and the Q16
    rounding."""
    frac = ir.leaf_format.frac_bits
    if link.mean_of:
        parts = link.mean_of * (2 if link.binary else 1)
        return ir.error_bound / parts + link.mean_of * 2.0**-31 + 2.0**-17 + 1e-12
    offset_error = 2.0 ** -(frac + 1) if link.offset else 0.0
    score_term = 0.5 * (ir.error_bound + offset_error + library_error)
    rho = (math.log(2) ** 2) / (8 * 4096) / 0.5 + 2.0**-29 + 47 * 2.0**-25 * math.log(2) + 2.0**-frac
    fixed = 2 * rho + 2.0**-28 + ir.n_outputs * 2.0**-29 + 2.0**-17
    return score_term + fixed + 1e-6


def proba_report(ir: TreeEnsemble) -> dict:
    """{"proba_bound": ...} for a model with `<name>_proba`, else {}."""
    link = proba_link(ir)
    if link is None:
        return {}
    from codegen.frontends.external import library_sum_error

    return {"proba_bound": proba_bound(ir, link, library_sum_error(ir))}
