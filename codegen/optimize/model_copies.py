"""What the transforms of HistGradientBoosting, XGBoost and LightGBM models share: the leaf
grid step, a copy of a library's scikit-learn wrapper around a new Booster, and model files
mcugen read without the library (frontends.native.NativeModel), which the transforms take as
the library's Booster when the library is installed."""

from __future__ import annotations

import copy

import numpy as np


def power_of_two_step(largest: float, bits: int) -> float:
    """The power-of-two step that spans `largest` (|leaf| at most) in `bits` signed bits."""
    if largest == 0.0:
        return 1.0
    return float(2.0 ** np.ceil(np.log2(largest / (2 ** (bits - 1) - 1))))


def native_library(model) -> str:
    """"xgboost" or "lightgbm" for a model file mcugen read whose library is installed, else ""."""
    if type(model).__name__ != "NativeModel" or not type(model).__module__.startswith("codegen."):
        return ""
    try:
        __import__(model.library)
    except ImportError:
        return ""
    return model.library


def with_booster(model, booster, **attributes):
    """`booster` itself when `model` is a bare Booster or a model file; else a copy of the
    wrapper `model` holding `booster` (and `attributes`), the input unchanged."""
    if type(model).__name__ in ("Booster", "NativeModel"):
        return booster
    wrapped = copy.copy(model)
    wrapped.__dict__ = {key: booster if key == "_Booster" else copy.deepcopy(value)
                        for key, value in model.__dict__.items()}
    for name, value in attributes.items():
        setattr(wrapped, name, value)
    return wrapped
