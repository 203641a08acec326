"""Float thresholds -> integer comparisons that decide exactly as scikit-learn does.

float32 input: the threshold becomes the key of the largest float32 <= t (see ir/floatkey).
Integer input q with real = float32(scale * (q - zero_point)): the threshold becomes the
largest integer Q with real(Q) <= t, so `q <= Q` decides exactly as `real(q) <= t`. A split
that no input value can reach one side of is left for `prune_constant_splits`.
"""

from __future__ import annotations

import numpy as np

from codegen.ir.floatkey import round_down_to_float32, threshold_key
from codegen.ir.model import TreeEnsemble


def lower_thresholds(ir: TreeEnsemble) -> TreeEnsemble:
    if ir.input.is_float:
        return ir.with_(threshold=threshold_key(ir.threshold))
    return ir.with_(threshold=_integer_thresholds(ir))


def _integer_thresholds(ir: TreeEnsemble) -> np.ndarray:
    spec = ir.input
    lo, hi = spec.value_range
    scale = np.asarray(spec.scale, dtype=np.float64)[ir.feature]
    zero = np.asarray(spec.zero_point, dtype=np.float64)[ir.feature]
    limit = round_down_to_float32(ir.threshold)

    def real(q: np.ndarray) -> np.ndarray:
        return (scale * (q.astype(np.float64) - zero)).astype(np.float32)

    with np.errstate(over="ignore", invalid="ignore"):
        guess = np.floor(limit.astype(np.float64) / scale + zero)
    q = np.clip(np.nan_to_num(guess, nan=lo - 1, posinf=hi, neginf=lo - 1), lo - 1, hi).astype(np.int64)
    # The guess is off by at most a few steps of float rounding; walk it to the exact answer.
    for _ in range(64):
        up = (q < hi) & (real(np.minimum(q + 1, hi)) <= limit)
        down = (q >= lo) & (real(np.maximum(q, lo)) > limit)
        if not up.any() and not down.any():
            return q
        q = q + up - down
    raise AssertionError("integer threshold search did not settle")
