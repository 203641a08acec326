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

    # real() is monotone in q, so bisect for the largest q with real(q) <= limit, lo - 1 when
    # there is none. (A walk from limit / scale + zero is not enough: with int32 input up to
    # 2**31 steps of q round to one float32, so the guess can be hundreds of steps away.)
    below = np.full(limit.shape, lo - 1, dtype=np.int64)  # real(below) <= limit, taking real(lo - 1) = -inf
    above = np.full(limit.shape, hi + 1, dtype=np.int64)  # real(above) > limit, taking real(hi + 1) = +inf
    while np.any(above - below > 1):
        middle = below + (above - below) // 2
        fits = real(middle) <= limit
        below = np.where(fits, middle, below)
        above = np.where(fits, above, middle)
    return below
