"""The digits MLP (64-32-10, relu, inputs load_digits().data / 16) on simulated chips:
predictions and scores equal the interpreter on 180 of the 540 test rows (every third; the host
tests check all of them), and the cycle and
instruction counts are the exact ones measured with Debian bookworm's avr-gcc 5.4.0 / simavr
and arm-none-eabi-gcc 12.2 / unicorn 2.1.4 (deterministic; a change means the generated C,
the compiler or the harness changed)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import codegen
from codegen.harness.targets import run_on_target

pytestmark = pytest.mark.sim

MACS = 64 * 32 + 32 * 10
# (target, extra cflags): (sum of the counts over the simulated rows, first five counts)
# The asm paths (AVR; Cortex-M4 DSP) and their C fallbacks (DIGITS_NO_ASM: plain C on the AVR,
# SXTB16/SMLAD C on the M4; DIGITS_NO_SIMD: plain C on the M4) all equal the interpreter.
EXPECTED = {
    ("atmega328p", ()): (4_947_807, [27478, 27446, 27435, 27385, 27468]),
    ("atmega328p", ("-DDIGITS_NO_ASM",)): (37_937_688, [210501, 211481, 211309, 212758, 211051]),
    ("cortex-m4", ()): (475_897, [2644, 2643, 2643, 2644, 2644]),
    # the C input codes read each float's bits with one load, not a memcpy call (63 fewer)
    ("cortex-m4", ("-DDIGITS_NO_ASM",)): (2_288_677, [12715, 12714, 12714, 12715, 12715]),
    ("cortex-m4", ("-DDIGITS_NO_SIMD",)): (2_636_644, [14650, 14648, 14646, 14649, 14644]),
}
# Upper bounds per MAC of a whole inference (input codes, requantisation and argmax included).
PER_MAC = {
    ("atmega328p", ()): 12.0,
    ("atmega328p", ("-DDIGITS_NO_ASM",)): 90.4,
    ("cortex-m4", ()): 1.5,
    ("cortex-m4", ("-DDIGITS_NO_ASM",)): 5.4,
    ("cortex-m4", ("-DDIGITS_NO_SIMD",)): 6.3,
}


@lru_cache(maxsize=1)
def _digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X / 16.0, y, test_size=0.3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X_train, y_train)
    return model, X_train, X_test


@pytest.mark.parametrize(("target", "cflags"), list(EXPECTED))
def test_digits_mlp_on_target(target: str, cflags: tuple, require_target: Callable[[str], None], tmp_path: Path):
    require_target(target)
    model, X_train, X_test = _digits()
    converted = codegen.convert(model, name="digits", calibration=X_train, target=target)  # only its paths
    header = tmp_path / "digits.h"
    header.write_text(converted.header_text)
    rows = X_test[::3].astype(np.float32)
    run = run_on_target(target, header, "digits", rows, "float32", with_scores=True, extra_cflags=cflags)
    expected = converted.interpret(rows)
    np.testing.assert_array_equal(run.predictions, expected.predictions)
    np.testing.assert_array_equal(run.scores, expected.scores)
    total, first = EXPECTED[(target, cflags)]
    assert (int(run.counts.sum()), run.counts[:5].tolist()) == (total, first)
    assert run.counts.max() / MACS <= PER_MAC[(target, cflags)]
    assert run.ram_bytes == 0 and run.flash_bytes < run.chip_flash


@pytest.mark.parametrize("target", ["atmega328p", "cortex-m4"])
def test_float_input_codes_on_asm_paths(target: str, require_target: Callable[[str], None], tmp_path: Path):
    """The asm input stages (slow paths included) on every code: floats of both signs over
    exponents from far below to far above the range, exact halfway points, NaN, +-inf,
    subnormals and -0."""
    require_target(target)
    model, X_train, _ = _digits()
    converted = codegen.convert(model, name="digits", calibration=X_train)  # the host header: every path
    header = tmp_path / "digits.h"
    header.write_text(converted.header_text)
    rng = np.random.default_rng(0)
    shape = (200, 64)
    sign = np.where(rng.random(shape) < 0.3, -1.0, 1.0)
    rows = sign * np.ldexp(1.0 + rng.random(shape), rng.integers(-14, 4, size=shape))
    halfway = sign * (rng.integers(0, 256, size=shape) / 128.0)  # (k - 0.5) / 128 + 0.5 / 128
    rows = np.where(rng.random(shape) < 0.3, halfway, rows)
    special = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-38, 3e38, 1.99, 2.0, -1.0])
    rows = np.where(rng.random(shape) < 0.1, special[rng.integers(0, special.size, size=shape)], rows)
    rows = rows.astype(np.float32)
    run = run_on_target(target, header, "digits", rows, "float32", with_scores=True)
    expected = converted.interpret(rows)
    np.testing.assert_array_equal(run.predictions, expected.predictions)
    np.testing.assert_array_equal(run.scores, expected.scores)


def test_breast_cancer_pipeline_fits_atmega328p(require_target: Callable[[str], None], tmp_path: Path):
    """StandardScaler + MLP 30-16-2: per-feature power-of-two input scales need 60 bytes of
    tables (no 1 KB boundary tables), so it fits and runs exactly on the 328P."""
    require_target("atmega328p")
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=0))
        model.fit(X_train, y_train)
    converted = codegen.convert(model, name="bc", calibration=X_train, target="atmega328p")
    header = tmp_path / "bc.h"
    header.write_text(converted.header_text)
    rows = X_test.astype(np.float32)
    run = run_on_target("atmega328p", header, "bc", rows, "float32", with_scores=True)
    expected = converted.interpret(rows)
    np.testing.assert_array_equal(run.predictions, expected.predictions)
    np.testing.assert_array_equal(run.scores, expected.scores)
    # flash: 2502 until the null model stopped reading x[0] (48 B of AVR code, issue 8)
    assert (int(run.flash_bytes), int(run.counts.max())) == (2550, 10996)
    assert run.ram_bytes == 0
