"""The AVR asm layers take digits MLPs whether the pixels come scaled to [0, 1] or raw (0..16,
where the channels' requantisation gains span 2**16): otherwise the AVR silently runs the
portable C, about 8 times slower."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

import codegen
from codegen.backends.mlp_avr import avr_context


@pytest.mark.parametrize("divisor", [16.0, 1.0])
def test_digits_mlp_takes_the_avr_asm_path(divisor):
    X, y = load_digits(return_X_y=True)
    X = (X / divisor).astype(np.float32)
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=600, random_state=0).fit(X[::2], y[::2])
    model = codegen.convert(mlp, name="m", target="avr", calibration=X[::2])
    assert avr_context(model.ir) is not None
    agreement = np.mean(model.decode(model.interpret(X[1::2]).predictions) == mlp.predict(X[1::2]))
    assert agreement >= 0.99
