"""Requantisation, multipliers, lookup tables and input codes of the integer MLP, checked
against exact reference formulas on Python integers and fractions."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.ir.interpret_mlp import input_codes, pow2_codes, requantize
from codegen.ir.mlp import ACT_IDENTITY, ACT_LOGISTIC, ACT_TANH, MLP, MULTIPLIER_LIMIT, SHIFTS, DenseLayer
from codegen.ir.model import POST_IDENTITY, InputSpec
from codegen.passes.quantize_mlp import LUT_OUTPUT, _lut, affine_range, pow2_range, quantize_mlp, quantize_multiplier
from codegen.settings import Settings

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
FIXED = settings(derandomize=True, max_examples=300, deadline=None)


def ref_requant(acc: int, multiplier: int, shift: int) -> int:
    """acc * M / 2**s rounded half up, in exact arithmetic."""
    return math.floor(Fraction(acc * multiplier, 2**shift) + Fraction(1, 2))


@FIXED
@given(st.integers(INT32_MIN, INT32_MAX), st.integers(0, MULTIPLIER_LIMIT - 1), st.sampled_from(SHIFTS))
def test_requantize_random(acc, multiplier, shift):
    assert int(requantize(acc, multiplier, shift)) == ref_requant(acc, multiplier, shift)


@pytest.mark.parametrize("shift", SHIFTS)
def test_requantize_half_cases(shift):
    for k in range(-3, 4):
        for delta in (-1, 0, 1):
            acc = k * 2**shift + 2 ** (shift - 1) + delta  # multiplier 1: ties round up
            if INT32_MIN <= acc <= INT32_MAX:
                assert int(requantize(acc, 1, shift)) == ref_requant(acc, 1, shift), (acc, shift)


@FIXED
@given(st.floats(2.0**-40, 2.0**14, allow_nan=False))
def test_quantize_multiplier_represents_real(real):
    multiplier, shift = quantize_multiplier(real)
    assert 0 <= multiplier < MULTIPLIER_LIMIT and shift in SHIFTS
    assert abs(multiplier - real * 2.0**shift) <= 0.5
    if real >= 2.0**-17:
        assert multiplier >= 2**15  # 16 significant bits


def ref_pow2_code(x: np.float32, exponent: int, zero: int) -> int:
    """clamp(zero +- floor(|x| * 2**k + 1/2)) in exact arithmetic; NaN is the zero point."""
    if np.isnan(x):
        return zero
    if np.isinf(x):
        return 127 if x > 0 else -128
    r = math.floor(abs(Fraction(float(x))) * Fraction(2) ** exponent + Fraction(1, 2))
    return min(127, max(-128, zero + (r if not np.signbit(x) else -r)))


@pytest.mark.parametrize("exponent", [-100, -20, -3, 0, 1, 7, 30, 104])
@pytest.mark.parametrize("zero", [-128, -64, 0, 5, 127])
def test_pow2_codes_exact_at_every_boundary(exponent, zero):
    """Every tie, its float32 neighbours, the saturation points, specials and random floats."""
    ties = (np.arange(-300, 301) + 0.5) * 2.0**-exponent
    ties = np.concatenate([ties, np.arange(-300, 301) * 2.0**-exponent]).astype(np.float32)
    rng = np.random.default_rng(exponent + 1000 + zero)
    random = rng.integers(0, 2**32, 3000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    special = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-38, np.inf, -np.inf, np.nan, -np.nan, 3e38], dtype=np.float32)
    xs = np.concatenate([ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, np.float32(-np.inf))])
    xs = np.concatenate([xs, random, special]).astype(np.float32)
    got = pow2_codes(xs.reshape(-1, 1), np.array([exponent]), np.array([zero]))[:, 0]
    assert got.tolist() == [ref_pow2_code(x, exponent, zero) for x in xs]


def test_pow2_range_covers_and_centres():
    assert pow2_range(0.0, 1.0) == (7, -64)
    k, zero = pow2_range(-3.0, 10.0)
    assert 13.0 * 2.0**k <= 255.0 < 26.0 * 2.0**k
    assert zero + round(-3.0 * 2.0**k) >= -128 and zero + round(10.0 * 2.0**k) <= 127


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
    exponent, zero = int(ir.input_quant.exponent[0]), int(ir.input_quant.zero_point[0])
    assert ir.input_quant.scale[0] == 2.0**-exponent
    rng = np.random.default_rng(0)
    ties = 2.0**-exponent * (np.arange(-128, 128) + 0.5 - zero)
    xs = np.concatenate([rng.uniform(-1.5, 3.5, 2000), ties]).astype(np.float32)
    xs = np.concatenate([xs, np.nextafter(xs, np.float32(np.inf)), np.nextafter(xs, np.float32(-np.inf))])
    codes, _ = input_codes(ir, xs.reshape(-1, 1))
    assert codes[:, 0].tolist() == [ref_pow2_code(x, exponent, zero) for x in xs]


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
