"""`threshold_key` / `float32_key` decide `x <= t` (float32 x, float64 t) exactly as numpy and
scikit-learn do: special values, neighbours of every kind, and random floats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codegen.ir.floatkey import float32_is_nan, float32_key, round_down_to_float32, threshold_key

F32 = np.float32
F32_MAX = float(np.finfo(np.float32).max)
F32_TINY = float(np.finfo(np.float32).smallest_subnormal)
# numpy warns when nextafter steps from infinity to the largest float; that step is intended
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in nextafter:RuntimeWarning")

SPECIAL_32 = np.array([0.0, -0.0, F32_TINY, -F32_TINY, float(np.finfo(np.float32).tiny), 1.0, -1.0, 0.5, 1.5,
                       F32_MAX, -F32_MAX, np.inf, -np.inf, 1e-30, -1e-30, 3.4e38, 16777216.0, 16777217.0],
                      dtype=np.float32)


def reference(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """What scikit-learn computes: the float32 feature promoted and compared with the float64 threshold."""
    return np.asarray(x, dtype=np.float32)[:, None] <= np.asarray(t, dtype=np.float64)[None, :]


def keyed(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return float32_key(np.asarray(x, dtype=np.float32))[:, None] <= threshold_key(np.asarray(t, np.float64))[None, :]


def neighbours_32(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float32)
    up = np.nextafter(values, F32(np.inf))
    down = np.nextafter(values, F32(-np.inf))
    return np.concatenate([values, up, down, np.nextafter(up, F32(np.inf)), np.nextafter(down, F32(-np.inf))])


def neighbours_64(values: np.ndarray) -> np.ndarray:
    """Float64 thresholds just around float32 values, and halfway between float32 neighbours."""
    v = np.asarray(values, dtype=np.float32).astype(np.float64)
    finite = v[np.isfinite(v)]
    up32 = np.nextafter(finite.astype(np.float32), F32(np.inf)).astype(np.float64)
    middles = (finite + up32) / 2
    return np.concatenate([v, np.nextafter(v, np.inf), np.nextafter(v, -np.inf), middles,
                           np.nextafter(middles, np.inf), np.nextafter(middles, -np.inf)])


def not_nan(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]


def test_special_values_exhaustively():
    x = not_nan(neighbours_32(SPECIAL_32))
    t = not_nan(np.concatenate([neighbours_64(SPECIAL_32), [1e300, -1e300, 5e-324, -5e-324, F32_MAX * 1.5,
                                                            -F32_MAX * 1.5, np.inf, -np.inf]]))
    np.testing.assert_array_equal(keyed(x, t), reference(x, t))


def test_zero_signs_share_a_key():
    assert float32_key(np.array([0.0], F32))[0] == float32_key(np.array([-0.0], F32))[0] == 0
    assert threshold_key(np.array([-0.0]))[0] == threshold_key(np.array([0.0]))[0]
    assert np.array_equal(round_down_to_float32(np.array([-0.0])).view(np.uint32), np.array([0], np.uint32))


def test_keys_preserve_order():
    values = np.sort(not_nan(neighbours_32(SPECIAL_32)))
    keys = float32_key(values)
    assert (np.diff(keys) >= 0).all()
    # equal keys only for equal floats (+0.0 and -0.0)
    same = np.diff(keys) == 0
    assert (values[:-1][same] == values[1:][same]).all()


def test_nan_is_recognised_and_keyed_above_infinity():
    nans = np.array([np.nan, -np.nan], dtype=np.float32)
    payload = np.array([0x7FC00001, 0xFF800001, 0x7F800001], dtype=np.uint32).view(np.float32)
    everything = np.concatenate([nans, payload])
    assert float32_is_nan(everything).all()
    assert not float32_is_nan(SPECIAL_32).any()
    assert (np.abs(float32_key(everything)) > float32_key(np.array([np.inf], F32))[0]).all()


def test_round_down_is_largest_float32_not_above():
    t = not_nan(np.concatenate([neighbours_64(SPECIAL_32), np.random.default_rng(0).normal(size=1000) * 1e3]))
    t = t[np.abs(t) <= F32_MAX]
    down = round_down_to_float32(t)
    assert (down.astype(np.float64) <= t).all()
    up = np.nextafter(down, F32(np.inf)).astype(np.float64)
    assert (up > t).all()


def test_far_outside_float32():
    t = np.array([1e300, -1e300, np.inf, -np.inf])
    x = np.array([F32_MAX, -F32_MAX, np.inf, -np.inf, 0.0], dtype=np.float32)
    np.testing.assert_array_equal(keyed(x, t), reference(x, t))


finite64 = st.floats(allow_nan=False, allow_infinity=True)
any32 = st.floats(width=32, allow_nan=False)


@given(st.lists(any32, min_size=1, max_size=30), st.lists(finite64, min_size=1, max_size=30))
def test_random_floats(xs, ts):
    x = np.array(xs, dtype=np.float32)
    t = np.array(ts, dtype=np.float64)
    np.testing.assert_array_equal(keyed(x, t), reference(x, t))


@given(st.lists(any32, min_size=1, max_size=20))
def test_thresholds_near_the_inputs(xs):
    """The hard cases: thresholds at, just around and between the float32 inputs."""
    x = neighbours_32(np.array(xs, dtype=np.float32))
    x = not_nan(x)
    t = not_nan(neighbours_64(x))
    np.testing.assert_array_equal(keyed(x, t), reference(x, t))


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=2**32 - 1))
def test_random_bit_patterns(a, b):
    x = np.array([a, b], dtype=np.uint32).view(np.float32)
    x = not_nan(x)
    if len(x) == 0:
        return
    t = not_nan(neighbours_64(x))
    np.testing.assert_array_equal(keyed(x, t), reference(x, t))
