"""Exact float comparisons with integer instructions only.

A float32 is compared through an order-preserving integer *key* of its IEEE-754 bits:
key = +magnitude_bits for a positive sign, -magnitude_bits for a negative one. Keys of
non-NaN floats order exactly as the floats do, and -0.0 and +0.0 share the key 0, as they
compare equal. NaN is recognised separately (magnitude bits above those of infinity).

scikit-learn compares a float32 input x with a float64 threshold t. For every float32 x,
x <= t holds exactly when x <= round_down_to_float32(t), so thresholds are rounded down
before their key is taken.
"""

from __future__ import annotations

import numpy as np

INF_BITS = 0x7F800000
SIGN_BIT = 0x80000000
MAGNITUDE_MASK = 0x7FFFFFFF


def float32_key(values: np.ndarray) -> np.ndarray:
    """Order-preserving int64 keys of float32 values (NaN gets a key above +inf's; callers
    must test NaN with `float32_is_nan` first)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.int64)
    magnitude = bits & MAGNITUDE_MASK
    return np.where(bits & SIGN_BIT, -magnitude, magnitude)


def float32_is_nan(values: np.ndarray) -> np.ndarray:
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.int64)
    return (bits & MAGNITUDE_MASK) > INF_BITS


def round_down_to_float32(thresholds: np.ndarray) -> np.ndarray:
    """The largest float32 <= each float64 threshold (-inf below the float32 range)."""
    t64 = np.asarray(thresholds, dtype=np.float64)
    # overflow to inf and underflow to subnormals/zero are expected here and corrected below
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        t32 = t64.astype(np.float32)
        too_high = t32.astype(np.float64) > t64
        t32[too_high] = np.nextafter(t32[too_high], np.float32(-np.inf))
    # -0.0 and +0.0 compare equal; keep one spelling so identical models give identical keys.
    t32[t32 == 0] = np.float32(0.0)
    return t32


def threshold_key(thresholds: np.ndarray) -> np.ndarray:
    """Keys K such that (float32 x <= float64 t) == (float32_key(x) <= K) for non-NaN x."""
    return float32_key(round_down_to_float32(thresholds))


def key_bits(keys):
    """The float32 bits whose order-preserving key is each key (the inverse of float32_key on
    non-NaN values; -0.0 and +0.0 share the key 0, given as +0.0's bits)."""
    keys = np.asarray(keys, dtype=np.int64)
    return np.where(keys >= 0, keys, SIGN_BIT - keys)
