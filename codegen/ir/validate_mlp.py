"""Consistency checks of an MLP IR, float or integer. Raises InvalidIR (a ValueError, as for
trees) on the first problem.

For the integer form this also proves that no int32 intermediate of the C can overflow:
every accumulator is bounded by |bias| + 128 * sum |w| (int8 inputs lie in [-128, 127]),
that bound must fit int32, and so must the requantised value (bound * M / 2**s, plus 2**15).
"""

from __future__ import annotations

import numpy as np

from codegen.ir.mlp import (
    ACT_LUT,
    ACT_SCORE,
    EXPONENT_RANGE,
    FLOAT_ACTIVATIONS,
    INPUT_DIRECT,
    INPUT_MODES,
    INPUT_POW2,
    INT8_MAX,
    INT8_MIN,
    INT_ACTIVATIONS,
    MLP,
    MULTIPLIER_LIMIT,
    N_BOUNDARIES,
    SHIFTS,
    DenseLayer,
    InputQuant,
)
from codegen.ir.model import POSTS
from codegen.ir.validate import InvalidIR

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def validate_mlp(ir: MLP) -> None:
    if not ir.layers:
        raise InvalidIR("an MLP needs at least one layer")
    if ir.post not in POSTS:
        raise InvalidIR(f"unknown post-processing {ir.post!r}")
    if ir.n_features < 1 or ir.layers[0].n_in != ir.n_features:
        raise InvalidIR("the first layer's inputs do not match the number of features")
    for index, (before, after) in enumerate(zip(ir.layers, ir.layers[1:])):
        if after.n_in != before.n_out:
            raise InvalidIR(f"layer {index + 1} takes {after.n_in} inputs but layer {index} gives {before.n_out}")
    if ir.post != "argmax" and ir.n_outputs != 1:
        raise InvalidIR(f"post {ir.post!r} needs one output, not {ir.n_outputs}")
    if ir.is_classifier and ir.post == "argmax" and len(ir.classes) != ir.n_outputs:
        raise InvalidIR("argmax needs one output per class")
    if ir.is_quantized:
        _validate_integer(ir)
    else:
        _validate_float(ir)


def _validate_float(ir: MLP) -> None:
    for name in ("feature_mult", "feature_add"):
        values = getattr(ir, name)
        if values is None or values.shape != (ir.n_features,) or not np.all(np.isfinite(values)):
            raise InvalidIR(f"float MLP needs finite {name} of shape ({ir.n_features},)")
    for index, layer in enumerate(ir.layers):
        if layer.activation not in FLOAT_ACTIVATIONS or layer.is_quantized:
            raise InvalidIR(f"layer {index}: not a float layer ({layer.activation!r})")
        if layer.bias.shape != (layer.n_out,):
            raise InvalidIR(f"layer {index}: bias shape {layer.bias.shape} != ({layer.n_out},)")
        if not (np.all(np.isfinite(layer.weights)) and np.all(np.isfinite(layer.bias))):
            raise InvalidIR(f"layer {index}: weights or bias not finite")


def _validate_integer(ir: MLP) -> None:
    if ir.feature_mult is not None or ir.feature_add is not None:
        raise InvalidIR("integer MLP still holds the float scaler")
    if ir.output_format is None or not 0 <= ir.output_format.frac_bits <= 30:
        raise InvalidIR("integer MLP needs an output format with 0..30 fraction bits")
    _validate_input(ir.input_quant, ir.n_features, ir.input.is_float)
    for index, layer in enumerate(ir.layers):
        last = index == len(ir.layers) - 1
        try:
            _validate_layer(layer, last)
        except ValueError as error:
            raise InvalidIR(f"layer {index}: {error}") from None


def _integer(array, name: str, dtype, shape: tuple) -> np.ndarray:
    if array is None or not isinstance(array, np.ndarray) or array.dtype != np.dtype(dtype):
        raise InvalidIR(f"{name} must be a {np.dtype(dtype).name} array")
    if array.shape != shape:
        raise InvalidIR(f"{name} has shape {array.shape}, expected {shape}")
    return array.astype(np.int64)


def _validate_input(quant: InputQuant, n_features: int, is_float: bool) -> None:
    if quant.mode not in INPUT_MODES:
        raise InvalidIR(f"unknown input mode {quant.mode!r}")
    _integer(quant.zero_point, "input zero_point", np.int32, (n_features,))
    nan_code = _integer(quant.nan_code, "input nan_code", np.int32, (n_features,))
    if np.any(nan_code < INT8_MIN) or np.any(nan_code > INT8_MAX):
        raise InvalidIR("input nan_code outside int8")
    if quant.mode == INPUT_POW2:
        exponent = _integer(quant.exponent, "input exponent", np.int32, (n_features,))
        zero = quant.zero_point.astype(np.int64)
        if not is_float or np.any(exponent < EXPONENT_RANGE[0]) or np.any(exponent > EXPONENT_RANGE[1]):
            raise InvalidIR(f"pow2 input needs float32 readings and exponents in {list(EXPONENT_RANGE)}")
        if np.any(zero < INT8_MIN) or np.any(zero > INT8_MAX) or not np.array_equal(nan_code, zero):
            raise InvalidIR("pow2 input needs int8 zero points and NaN coded as the zero point")
        return
    if quant.mode == INPUT_DIRECT:
        if is_float or quant.offset not in (0, -128):
            raise InvalidIR("direct input needs int8 (offset 0) or uint8 (offset -128) readings")
        return
    n_tables = quant.boundaries.shape[0] if quant.boundaries.ndim == 2 else 0
    bounds = _integer(quant.boundaries, "input boundaries", np.int32, (n_tables, N_BOUNDARIES))
    if n_tables < 1 or np.any(np.diff(bounds, axis=1) < 0):
        raise InvalidIR("input boundaries must be non-empty and non-decreasing per table")
    table = _integer(quant.table_of_feature, "table_of_feature", np.int32, (n_features,))
    one, each = np.all(table == 0), np.array_equal(table, np.arange(n_features))
    if not ((n_tables == 1 and one) or (n_tables == n_features and each)):
        raise InvalidIR("input tables must be one shared table or one per feature, in order")


def accumulator_bound(layer: DenseLayer) -> np.ndarray:
    """int64 (n_out,): |acc| <= |bias| + 128 * sum |w| for every int8 input."""
    w = np.abs(layer.weights.astype(np.int64)).sum(axis=1)
    return np.abs(layer.bias.astype(np.int64)) + 128 * w


def _validate_layer(layer: DenseLayer, last: bool) -> None:
    if layer.activation not in INT_ACTIVATIONS or (layer.activation == ACT_SCORE) != last:
        raise InvalidIR(f"activation {layer.activation!r} (the output layer, and only it, is {ACT_SCORE!r})")
    n_out, n_in = layer.weights.shape
    w = _integer(layer.weights, "weights", np.int8, (n_out, n_in))
    _integer(layer.bias, "bias", np.int32, (n_out,))
    mult = _integer(layer.multiplier, "multiplier", np.int32, (n_out,))
    shift = _integer(layer.shift, "shift", np.int32, (n_out,))
    if np.any(w < -127):
        raise InvalidIR("weights must lie in [-127, 127] (symmetric)")
    if np.any(mult < 0) or np.any(mult >= MULTIPLIER_LIMIT):
        raise InvalidIR(f"multipliers must lie in [0, {MULTIPLIER_LIMIT})")
    if not np.all(np.isin(shift, SHIFTS)):
        raise InvalidIR(f"shifts must be one of {SHIFTS}")
    bound = accumulator_bound(layer)
    if np.any(bound > INT32_MAX) or np.any(((bound * mult) >> shift) + 2**15 > INT32_MAX):
        raise InvalidIR("an accumulator or a requantised value could overflow int32")
    if last:
        return
    low, high = layer.clamp
    if not INT8_MIN <= low <= high <= INT8_MAX:
        raise InvalidIR(f"clamp {layer.clamp} outside int8")
    if not -(2**15) <= layer.zero_point < 2**15:
        raise InvalidIR("zero point out of range")
    if layer.activation == ACT_LUT:
        _integer(layer.lut, "lut", np.int8, (256,))
    elif layer.lut is not None:
        raise InvalidIR("only a lut layer has a table")
