"""The digits MLP (64-32-10, relu, inputs load_digits().data / 16) on simulated chips:
predictions and scores equal the interpreter on every simulated row, and the cycle and
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
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import codegen
from codegen.harness.targets import run_on_target

pytestmark = pytest.mark.sim

MACS = 64 * 32 + 32 * 10
ROWS = 60
# (target, extra cflags): (sum of the counts over the first ROWS test rows, first five counts)
EXPECTED = {
    ("atmega328p", ()): (5_542_555, [92428, 92405, 92430, 92341, 92434]),
    ("cortex-m4", ()): (1_013_067, [16906, 16891, 16910, 16861, 16875]),
    ("cortex-m4", ("-DDIGITS_NO_SIMD",)): (1_296_396, [21630, 21614, 21634, 21584, 21599]),
}
# Upper bounds per MAC of a whole inference (input codes, requantisation and argmax included).
PER_MAC = {"atmega328p": 39.1, "cortex-m4": 7.2, "cortex-m4-no-simd": 9.2}


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
    converted = codegen.convert(model, name="digits", calibration=X_train)
    header = tmp_path / "digits.h"
    header.write_text(converted.header_text)
    rows = X_test[:ROWS].astype(np.float32)
    run = run_on_target(target, header, "digits", rows, "float32", with_scores=True, extra_cflags=cflags)
    expected = converted.interpret(rows)
    np.testing.assert_array_equal(run.predictions, expected.predictions)
    np.testing.assert_array_equal(run.scores, expected.scores)
    total, first = EXPECTED[(target, cflags)]
    assert (int(run.counts.sum()), run.counts[:5].tolist()) == (total, first)
    assert run.counts.max() / MACS <= PER_MAC[target + ("-no-simd" if cflags else "")]
    assert run.ram_bytes == 0 and run.flash_bytes < run.chip_flash
