"""Pipeline(StandardScaler | MinMaxScaler, tree model): the scaler folded into the thresholds.

A tree compares the *scaled* float32 feature s(x) with a float64 threshold t. scikit-learn's
scalers work elementwise on the float32 column (x - mean_, then / scale_; or x * scale_, then
+ min_, then an optional clip), each step computed in float64 and rounded back to float32.
Each step is monotone, so s is monotone per feature, and {float32 x : s(x) <= t} is {x <= x*}
(non-decreasing s) or {x >= x*} (non-increasing s). x* is found by binary search over the
ordered float32 keys, evaluating s with the scaler's own `transform`, so the fold is exact by
construction. NaN passes through a scaler unchanged, so it keeps each node's NaN direction.
A non-increasing s flips the node: its children swap and the test becomes x <= pred(x*).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from codegen.errors import UserError
from codegen.frontends.overrides import check_not_overridden
from codegen.ir.floatkey import INF_BITS, key_bits
from codegen.ir.model import InputSpec, TreeEnsemble

SCALERS = (StandardScaler, MinMaxScaler)
MAX_FINITE_KEY = INF_BITS - 1  # the key of float32's largest finite value; its lowest is -this
CHECK_POINTS = 4097  # keys on which monotonicity is checked before trusting the search


def split_scaled_pipeline(estimator, is_model) -> tuple[object, object] | None:
    """(scaler or None, model) for a Pipeline ending in a model `is_model` accepts, with at
    most one scaler before it; None for anything else. Other steps: a UserError."""
    if not isinstance(estimator, Pipeline) or not estimator.steps or not is_model(estimator.steps[-1][1]):
        return None
    steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
    if len(steps) == 1:
        return None, steps[0]
    if len(steps) == 2 and isinstance(steps[0], SCALERS):
        return steps[0], steps[1]
    names = ", ".join(type(step).__name__ for step in steps[:-1])
    raise UserError(f"pipeline steps {names} before the tree model are not supported; "
                    "use at most one StandardScaler or MinMaxScaler")


def fold_scaler(scaler, ir: TreeEnsemble, pipeline) -> TreeEnsemble:
    """The float IR of the pipeline: `ir` (the tree model's) with thresholds in input units."""
    check_not_overridden(pipeline, Pipeline)
    check_not_overridden(scaler, StandardScaler if isinstance(scaler, StandardScaler) else MinMaxScaler)
    if not hasattr(scaler, "n_features_in_"):
        raise UserError(f"the {type(scaler).__name__} is not fitted; fit the whole pipeline before converting it")
    if scaler.n_features_in_ != ir.input.n_features:
        raise UserError("the scaler and the tree model disagree on the number of features; refit the pipeline")
    image = _Image(scaler, ir.input.n_features)
    increasing = image.non_decreasing()
    keys, flip = _search(image, ir.feature.astype(np.int64), ir.threshold, increasing[ir.feature])
    names = tuple(str(n) for n in getattr(pipeline, "feature_names_in_", getattr(scaler, "feature_names_in_", ())))
    return ir.with_(
        threshold=_key_to_float32(keys).astype(np.float64),
        left=np.where(flip, ir.right, ir.left),
        right=np.where(flip, ir.left, ir.right),
        missing_left=np.where(flip, ~ir.missing_left, ir.missing_left),
        child_weight=None if ir.child_weight is None else np.where(flip[:, None], ir.child_weight[:, ::-1],
                                                                   ir.child_weight),
        input=InputSpec(n_features=ir.input.n_features, feature_names=names),
        estimator=f"Pipeline({type(scaler).__name__}, {ir.estimator})",
    )


class _Image:
    """s(x) per feature, computed by the scaler itself (finite x) or its steps (x = +-inf,
    which `transform` rejects; the C still has to route them)."""

    def __init__(self, scaler, n_features: int):
        self.scaler, self.n_features = scaler, n_features

    def of(self, features: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """s(x) for x the float32 of each key (finite), on feature features[i]; float64."""
        out = np.empty(len(keys))
        values = _key_to_float32(keys)
        for feature in np.unique(features):
            rows = np.flatnonzero(features == feature)
            block = np.zeros((len(rows), self.n_features), dtype=np.float32)
            block[:, feature] = values[rows]
            with warnings.catch_warnings(), np.errstate(over="ignore"):
                warnings.simplefilter("ignore")  # feature names, overflow to inf: as in predict
                out[rows] = np.asarray(self.scaler.transform(block), dtype=np.float32)[:, feature]
        return out

    def of_infinity(self, features: np.ndarray, sign: float) -> np.ndarray:
        x = np.full(len(features), np.float32(sign * np.inf))
        s = self.scaler
        with np.errstate(invalid="ignore"):
            if isinstance(s, StandardScaler):
                if s.with_mean:
                    x = (x - np.asarray(s.mean_)[features]).astype(np.float32)
                if s.with_std:
                    x = (x / np.asarray(s.scale_)[features]).astype(np.float32)
                return x.astype(np.float64)
            x = (x * np.asarray(s.scale_)[features]).astype(np.float32)
            x = (x + np.asarray(s.min_)[features]).astype(np.float32)
            if s.clip:
                x = np.clip(x, *s.feature_range).astype(np.float32)
        return x.astype(np.float64)

    def non_decreasing(self) -> np.ndarray:
        """Per feature: True when s never decreases, False when it never increases; checked
        on evenly spread keys (a scaler map is one or the other; anything else is refused)."""
        probe = np.linspace(-MAX_FINITE_KEY, MAX_FINITE_KEY, CHECK_POINTS).astype(np.int64)
        result = np.ones(self.n_features, dtype=bool)
        for feature in range(self.n_features):
            values = self.of(np.full(len(probe), feature), probe)
            values = values[~np.isnan(values)]
            if (values[1:] >= values[:-1]).all():
                continue
            if not (values[1:] <= values[:-1]).all():
                raise UserError(f"the scaler's map of feature {feature} is not monotone (NaN or changed "
                                "attributes?); refit the pipeline")
            result[feature] = False
        return result


def _search(image: _Image, features: np.ndarray, thresholds: np.ndarray,
            increasing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per node (K, flip): s(x) <= t exactly when key(x) <= K (flip False) or when
    key(x) > K (flip True), for every non-NaN float32 x, with -inf's key <= K <= +inf's."""
    sign = np.where(increasing, 1, -1)
    # in u = sign * key the set {x : s(x) <= t} is a down-set: find its largest finite u
    lo = np.full(len(features), -MAX_FINITE_KEY - 1, dtype=np.int64)  # sentinel: no finite u
    hi = np.full(len(features), MAX_FINITE_KEY, dtype=np.int64)
    while (lo < hi).any():
        mid = lo + (hi - lo + 1) // 2
        inside = image.of(features, sign * np.maximum(mid, -MAX_FINITE_KEY)) <= thresholds  # settled: any
        active = lo < hi
        lo = np.where(active & inside, mid, lo)
        hi = np.where(active & ~inside, mid - 1, hi)
    # the infinities lie beyond the finite u: u = -INF_BITS is x = -sign * inf
    minus_inf, plus_inf = image.of_infinity(features, -1.0), image.of_infinity(features, 1.0)
    low_in = np.where(increasing, minus_inf, plus_inf) <= thresholds
    high_in = np.where(increasing, plus_inf, minus_inf) <= thresholds
    u = np.where(lo == MAX_FINITE_KEY, np.where(high_in, INF_BITS, MAX_FINITE_KEY), lo)
    u = np.where(lo < -MAX_FINITE_KEY, np.where(low_in, -INF_BITS, -INF_BITS - 1), u)
    # decreasing s: u <= u* is key >= -u*, which is not (key <= -u* - 1)
    keys = np.where(increasing, u, -u - 1)
    flip = ~increasing
    # "no x has key <= K" cannot be written as a float threshold: flip the node instead, so
    # that every non-NaN x takes the other child (x <= +inf)
    empty = keys < -INF_BITS
    return np.where(empty, INF_BITS, keys), flip ^ empty


def _key_to_float32(keys: np.ndarray) -> np.ndarray:
    """The float32 whose order-preserving key is each key (-inf's key to +inf's)."""
    keys = np.asarray(keys, dtype=np.int64)
    bits = key_bits(keys).astype(np.uint32)
    return bits.view(np.float32).copy()
