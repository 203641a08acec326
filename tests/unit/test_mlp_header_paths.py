"""An MLP header converted for a chip carries only the code paths that chip can run (as tree
headers do); the host header keeps every path behind its #if, so it builds anywhere."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import codegen

# the markers of each path: AVR asm, the Cortex-M DSP path (SMLAD C and asm), the RV32 loops
MARKERS = {"avr": "_AVR_FAST", "dsp": "__ARM_FEATURE_DSP", "arm_asm": "_ARM_FAST", "riscv": "__riscv"}
PATHS = {
    "host": {"avr", "dsp", "arm_asm", "riscv"},
    "atmega328p": {"avr"},
    "avr": {"avr"},
    "cortex-m0": set(),
    "cortex-m3": set(),
    "cortex-m4": {"dsp", "arm_asm"},
    "cortex-m7": {"dsp", "arm_asm"},
    "esp32": set(),
    "riscv32": {"riscv"},
}


@lru_cache(maxsize=1)
def _digits_mlp():
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0).fit(X / 16, y), X[:200] / 16


@pytest.mark.parametrize("target", list(PATHS))
def test_header_carries_the_paths_of_its_target(target: str) -> None:
    model, rows = _digits_mlp()
    text = codegen.convert(model, name="m", calibration=rows, target=target).header_text
    present = {path for path, marker in MARKERS.items() if marker in text}
    assert present == PATHS[target]
    assert ("inline asm" in text) == bool(PATHS[target] & {"avr", "arm_asm"})
    assert text.count("#if") == len(re.findall(r"^#endif", text, re.M))  # every #if closed


def test_a_chip_header_computes_what_the_host_header_does() -> None:
    model, rows = _digits_mlp()
    host = codegen.convert(model, name="m", calibration=rows)
    for target in ("cortex-m0", "cortex-m4", "atmega328p"):
        chip = codegen.convert(model, name="m", calibration=rows, target=target)
        assert chip.model_hash == host.model_hash
        assert (chip.run_c(rows).scores == host.run_c(rows).scores).all()
