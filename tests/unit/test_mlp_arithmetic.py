"""Requantisation, multipliers, lookup tables and input codes of the integer MLP, checked
against exact reference formulas on Python integers and fractions."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.ir.interpret_mlp import (
    input_codes,
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)
from codegen.ir.mlp import ACT_IDENTITY, ACT_LOGISTIC, ACT_TANH, MLP, DenseLayer
from codegen.ir.model import POST_IDENTITY, InputSpec
from codegen.passes.quantize_mlp import LUT_OUTPUT, _lut, affine_range, quantize_mlp, quantize_multiplier
from codegen.settings import Settings

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
FIXED = settings(derandomize=True, max_examples=300, deadline=None)


def ref_high_mul(a: int, b: int) -> int:
    """gemmlowp: round a*b / 2**31 half up for a*b >= 0, half toward zero below."""
    q = Fraction(a * b, 2**31)
    return math.floor(q + Fraction(1, 2)) if q >= 0 else -math.ceil(-q - Fraction(1, 2))


def ref_divide_by_pot(x: int, e: int) -> int:
    """x / 2**e rounded half away from zero."""
    magnitude = math.floor(Fraction(abs(x), 2**e) + Fraction(1, 2))
    return magnitude if x >= 0 else -magnitude


EDGE_A = [0, 1, -1, 2**30, -(2**30), INT32_MAX, INT32_MIN, 3 * 2**29, -3 * 2**29, 12345, -12345]
EDGE_B = [0, 2**30, 2**30 + 1, INT32_MAX, 1518500250]


@pytest.mark.parametrize("a", EDGE_A)
@pytest.mark.parametrize("b", EDGE_B)
def test_high_mul_edges(a, b):
    assert int(saturating_rounding_doubling_high_mul(a, b)) == ref_high_mul(a, b)


@FIXED
@given(st.integers(INT32_MIN, INT32_MAX), st.integers(0, INT32_MAX))
def test_high_mul_random(a, b):
    assert int(saturating_rounding_doubling_high_mul(a, b)) == ref_high_mul(a, b)


@pytest.mark.parametrize("e", [0, 1, 2, 7, 30, 31])
def test_divide_by_pot_half_cases(e):
    for k in range(-3, 4):
        for delta in (-1, 0, 1):
            x = k * 2**e + (2 ** (e - 1) if e else 0) + delta
            if INT32_MIN <= x <= INT32_MAX:
                assert int(rounding_divide_by_pot(x, e)) == ref_divide_by_pot(x, e), (x, e)
    for x in (INT32_MIN, INT32_MAX, INT32_MIN + 1):
        assert int(rounding_divide_by_pot(x, e)) == ref_divide_by_pot(x, e)


@FIXED
@given(st.integers(INT32_MIN, INT32_MAX), st.integers(0, 31))
def test_divide_by_pot_random(x, e):
    assert int(rounding_divide_by_pot(x, e)) == ref_divide_by_pot(x, e)


@FIXED
@given(st.floats(2.0**-40, 2.0**20, allow_nan=False))
def test_quantize_multiplier_represents_real(real):
    multiplier, shift = quantize_multiplier(real)
    if multiplier == 0:
        assert real < 2.0**-31
        return
    assert 2**30 <= multiplier < 2**31 and -31 <= shift <= 30
    assert abs(multiplier * 2.0 ** (shift - 31) - real) <= real * 2.0**-30


@FIXED
@given(st.integers(-(2**20), 2**20), st.floats(2.0**-20, 0.999, allow_nan=False))
def test_requantisation_close_to_real_product(acc, real):
    multiplier, shift = quantize_multiplier(real)
    got = int(multiply_by_quantized_multiplier(np.array([acc]), np.array([multiplier]), np.array([shift]))[0])
    assert abs(got - acc * real) <= 1.0 + abs(acc) * real * 2.0**-29


def test_quantize_multiplier_rounds_up_to_next_power():
    multiplier, shift = quantize_multiplier(1.0 - 2.0**-40)  # fraction rounds to 2**31
    assert (multiplier, shift) == (2**30, 1)


@pytest.mark.parametrize("activation", [ACT_TANH, ACT_LOGISTIC])
def test_lut_is_monotone_and_matches_formula(activation):
    s_pre, z_pre = affine_range(-3.0, 2.0)
    s_out, z_out = LUT_OUTPUT[activation]
    table = _lut(activation, s_pre, z_pre, s_out, z_out).astype(np.int64)
    assert table.shape == (256,) and np.all(np.diff(table) >= 0)
    f = np.tanh if activation == ACT_TANH else (lambda v: 1.0 / (1.0 + np.exp(-v)))
    for index in (0, 37, 128, 200, 255):
        real = f(s_pre * (index - 128 - z_pre))
        assert table[index] == min(127, max(-128, round(real / s_out) + z_out))


def _tiny_ir(low: float, high: float, dtype: str = "float32") -> MLP:
    """1 feature, identity net; calibrated on [low, high] for a shared input table."""
    layer = DenseLayer(weights=np.array([[1.0]]), bias=np.array([0.0]), activation=ACT_IDENTITY)
    spec = InputSpec(
        n_features=1,
        dtype=dtype,
        scale=(0.5,) if dtype != "float32" else (),
        zero_point=(3,) if dtype != "float32" else (),
    )
    float_ir = MLP(input=spec, layers=(layer,), post=POST_IDENTITY, feature_mult=np.ones(1), feature_add=np.zeros(1))
    return quantize_mlp(float_ir, np.array([[low], [high]]), Settings(input=dtype))


def _exact_code(x: float, scale: float, zero: int) -> int:
    """clamp(floor(x / scale + zero + 1/2)): round to nearest, ties up, in exact arithmetic."""
    return min(127, max(-128, math.floor(Fraction(x) / Fraction(scale) + zero + Fraction(1, 2))))


def test_float_input_codes_round_to_nearest_exactly():
    ir = _tiny_ir(-1.0, 3.0)
    scale, zero = ir.input_quant.scale[0], int(ir.input_quant.zero_point[0])
    rng = np.random.default_rng(0)
    xs = np.concatenate([rng.uniform(-1.5, 3.5, 2000), scale * (np.arange(-128, 128) + 0.5 - zero)]).astype(np.float32)
    xs = np.concatenate([xs, np.nextafter(xs, np.float32(np.inf)), np.nextafter(xs, np.float32(-np.inf))])
    codes, _ = input_codes(ir, xs.reshape(-1, 1))
    expected = [_exact_code(float(x), scale, zero) for x in xs]
    assert codes[:, 0].tolist() == expected


def test_float_input_special_values():
    ir = _tiny_ir(-1.0, 3.0)
    zero = int(ir.input_quant.zero_point[0])
    xs = np.array([-0.0, 0.0, 1e-45, -1e-45, 1e-40, np.inf, -np.inf, np.nan, -np.nan], dtype=np.float32)
    codes, nan = input_codes(ir, xs.reshape(-1, 1))
    assert codes[:, 0].tolist() == [zero] * 5 + [127, -128, zero, zero]
    assert nan[:, 0].tolist() == [False] * 7 + [True, True]


def test_integer_table_input_codes():
    ir = _tiny_ir(-1.0, 3.0, dtype="int16")  # reading q stands for 0.5 * (q - 3)
    scale, zero = ir.input_quant.scale[0], int(ir.input_quant.zero_point[0])
    qs = np.arange(-(2**15), 2**15, 7, dtype=np.int64)
    codes, _ = input_codes(ir, qs.reshape(-1, 1))
    expected = [_exact_code(0.5 * (int(q) - 3), scale, zero) for q in qs]
    assert codes[:, 0].tolist() == expected


def test_direct_uint8_codes():
    ir = _tiny_ir(-1.0, 3.0, dtype="uint8")
    codes, _ = input_codes(ir, np.array([[0], [255], [3]]))
    assert codes[:, 0].tolist() == [-128, 127, -125]
    assert int(ir.input_quant.zero_point[0]) == 3 - 128
