"""Input quantisation: per-feature scale and zero point from the data, so the device passes
integer readings (real = scale * (q - zero_point)) and every node compares integers."""

from __future__ import annotations

import numpy as np

from codegen.input_types import INPUT_TYPES


def input_quantization(X, dtype: str) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Scale and zero point per feature mapping the data's [min, max] (with 0 inside) onto the
    type's whole range. A constant feature gets scale 1. Data that already is whole numbers
    within the type (raw sensor counts) is passed as it is: scale 1, zero point 0, exact."""
    info = INPUT_TYPES[dtype]
    X = np.asarray(X, dtype=np.float64)
    if np.array_equal(X, np.round(X)) and X.min(initial=0) >= info.low and X.max(initial=0) <= info.high:
        return (1.0,) * X.shape[1], (0,) * X.shape[1]
    low = np.minimum(np.nanmin(X, axis=0), 0.0)
    high = np.maximum(np.nanmax(X, axis=0), 0.0)
    span = high - low
    scale = np.where(span > 0, span / (info.high - info.low), 1.0)
    zero_point = np.clip(np.rint(info.low - low / scale), info.low, info.high).astype(np.int64)
    return tuple(float(s) for s in scale), tuple(int(z) for z in zero_point)


def quantize_rows(X, dtype: str, scale, zero_point) -> np.ndarray:
    """The integer readings a device would pass for the real rows X (clipped to the type)."""
    info = INPUT_TYPES[dtype]
    q = np.rint(np.asarray(X, dtype=np.float64) / np.asarray(scale) + np.asarray(zero_point))
    return np.clip(q, info.low, info.high).astype(info.numpy)
