"""The cheap half of measuring a candidate, done before any firmware is built: convert it,
score it with the interpreter on the validation rows, price its operations (energy) and
estimate its flash. Everything here is exact except the flash estimate, which only decides
what is worth building."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from codegen.api import convert_with
from codegen.energy import energy_pj
from codegen.errors import UserError
from codegen.optimize.candidates import as_json, describe
from codegen.optimize.inputs import input_quantization, quantize_rows
from codegen.settings import InputQuantization, Settings


@dataclass(frozen=True)
class Context:
    """What every candidate of one search shares."""

    name: str
    conversion_target: str  # backend profile (avr, cortex-m3, ...)
    X_val: np.ndarray
    y_val: np.ndarray
    is_classifier: bool
    node_bytes: int  # if-else code per node on this target (estimate)


def settings_for(context: Context, layout: str, input_dtype: str) -> Settings:
    if input_dtype == "float32":
        quantization = InputQuantization()
    else:
        quantization = InputQuantization(*input_quantization(context.X_val, input_dtype))
    return Settings(name=context.name, layout=layout, input=input_dtype, target=context.conversion_target,
                    quantization=quantization)


def device_rows(context: Context, X: np.ndarray, settings: Settings) -> np.ndarray:
    """X as the device passes it for these settings (integer readings, or float32)."""
    if settings.input == "float32":
        return np.asarray(X, dtype=np.float32)
    scale, zero_point = settings.quantization.for_features(X.shape[1])
    return quantize_rows(X, settings.input, scale, zero_point)


def score(converted, rows: np.ndarray, labels: np.ndarray, is_classifier: bool) -> tuple[float, object]:
    """Accuracy (classifiers) or R^2 (regressors), in points, of the interpreter."""
    result = converted.interpret(rows)
    predicted = converted.decode(result.predictions)
    if is_classifier:
        return 100.0 * _accuracy(predicted, labels), result
    labels = np.asarray(labels, dtype=np.float64)
    residual = float(np.sum((labels - predicted) ** 2))
    total = float(np.sum((labels - labels.mean()) ** 2)) or 1.0
    return 100.0 * (1.0 - residual / total), result


def evaluate(context: Context, model, transform: dict, layouts: tuple[str, ...], input_dtype: str,
             chip_flash: int) -> list[dict]:
    """One row per layout. The interpreter runs once (layouts share the integer IR); a layout
    estimated far too big for the chip is recorded without a header (not built). Conversions
    mcugen refuses are skipped (empty list)."""
    try:
        first = convert_with(model, settings_for(context, layouts[0], input_dtype), calibration=context.X_val)
    except UserError:
        return []
    inputs = device_rows(context, context.X_val, first.settings)
    value, result = score(first, inputs, context.y_val, context.is_classifier)
    ops = {op: float(np.mean(counts)) for op, counts in result.op_counts.items() if np.any(counts)}
    report = first.report()
    rows = []
    for layout in layouts:
        estimate = _flash_estimate(report, first.layout if layout == "auto" else layout, context.node_bytes)
        converted = None
        if estimate <= 2 * chip_flash:
            converted = first if layout == layouts[0] else convert_with(
                model, settings_for(context, layout, input_dtype), calibration=context.X_val)
        rows.append({
            "transform": describe(transform, model), "transform_json": json.dumps(as_json(transform), sort_keys=True),
            "layout": first.layout if layout == "auto" else layout, "input": input_dtype, "score": value,
            "energy_pj": round(energy_pj(ops), 3), "size": int(report.get("n_nodes", _mlp_weights(report))),
            "flash_estimate": estimate, "leaf_bytes": report.get("leaf_bytes", ""),
            "_header": None if converted is None else converted.header_text, "_expected": result.predictions,
            "_settings": first.settings if converted is None else converted.settings,
        })
    return rows


def _accuracy(predicted: np.ndarray, labels) -> float:
    """Labels read from a file are floats or strings: compare as numbers when both are."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.dtype.kind in "USO" or labels.dtype.kind in "USO":
        return float(np.mean(predicted.astype(str) == labels.astype(str)))
    return float(np.mean(predicted.astype(np.float64) == labels.astype(np.float64)))


def _mlp_weights(report: dict) -> int:
    return sum(layer["n_in"] * layer["n_out"] for layer in report.get("layers", []))


def _flash_estimate(report: dict, layout: str, node_bytes: int) -> int:
    if "layers" in report:
        return int(sum(layer["flash_bytes"] for layer in report["layers"]))
    if layout == "ifelse":
        return int(report["n_nodes"] * node_bytes)
    return int(report["table_bytes_estimate"])
