"""The cheap half of measuring a candidate, before any firmware is built: convert it (every
layout on its own, the chip's size check off: near the limit the build decides), interpret it
on the decision rows, price its operations (energy) and estimate its flash. Everything here is
exact except the flash estimate, which only decides what is worth building."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codegen.api import convert_with
from codegen.energy import energy_pj
from codegen.errors import UserError
from codegen.optimize.inputs import input_quantization, quantize_rows
from codegen.settings import InputQuantization, Settings

# A candidate estimated above this many times the chip's flash is recorded without a build
# (if-else estimates are within 0.6x-1.45x of the built size, table estimates within a few %).
BUILD_MARGIN = {"ifelse": 1.7, "table": 1.1}
ENERGY_ROWS = 200  # rows whose operation counts price a candidate's energy


@dataclass(frozen=True)
class Context:
    """What every candidate of one search shares."""

    name: str
    conversion_target: str  # backend profile (avr, cortex-m3, ...)
    X: np.ndarray  # the decision rows (real values)
    y: np.ndarray
    is_classifier: bool
    flash_limit: int  # the chip's flash, or --max-flash when that is smaller
    input_types: tuple[str, ...] = ("float32", "int16", "int8")  # what the device may pass
    training: tuple | None = None  # (X, y) the model was trained on, when given: retrain, refine


def settings_for(context: Context, layout: str, input_dtype: str) -> Settings:
    quantization = InputQuantization() if input_dtype == "float32" else \
        InputQuantization(*input_quantization(context.X, input_dtype))
    return Settings(name=context.name, layout=layout, input=input_dtype, target=context.conversion_target,
                    quantization=quantization, check_flash=False)


def device_rows(settings: Settings, X: np.ndarray) -> np.ndarray:
    """X as the device passes it for these settings (integer readings, or float32)."""
    if settings.input == "float32":
        return np.asarray(X, dtype=np.float32)
    scale, zero_point = settings.quantization.for_features(X.shape[1])
    return quantize_rows(X, settings.input, scale, zero_point)


def real_rows(settings: Settings, X: np.ndarray) -> np.ndarray:
    """The float32 rows the library sees for what the device passes (its dequantised readings)."""
    from codegen.ir.model import InputSpec

    rows = device_rows(settings, X)
    if settings.input == "float32":
        return rows
    scale, zero_point = settings.quantization.for_features(X.shape[1])
    return InputSpec(X.shape[1], settings.input, scale, zero_point).dequantize(rows)


def convert_candidate(context: Context, model, layouts: tuple[str, ...], input_dtype: str,
                      scored_elsewhere: bool = False) -> list[dict]:
    """One row per layout: the converted model (or the reason mcugen refused it), its flash
    estimate, energy and predictions on every decision row (device input; only the first
    ENERGY_ROWS when `scored_elsewhere`: the predictions are not needed)."""
    try:
        first = convert_with(model, settings_for(context, layouts[-1], input_dtype), calibration=context.X)
    except UserError as error:
        return [_refused(layout, input_dtype, str(error)) for layout in layouts]
    rows_in = device_rows(first.settings, context.X)
    result = first.interpret(rows_in[:ENERGY_ROWS] if scored_elsewhere else rows_in)
    sample = result if scored_elsewhere or len(rows_in) <= ENERGY_ROWS else first.interpret(rows_in[:ENERGY_ROWS])
    ops = {op: float(np.mean(counts)) for op, counts in sample.op_counts.items() if np.any(counts)}
    predicted = None if scored_elsewhere else first.decode(result.predictions)
    report = first.report()  # what the rows take from it does not depend on the layout
    rows = []
    for layout in layouts:
        chosen = first.layout if layout == "auto" else layout
        rows.append({
            "layout": chosen, "input": input_dtype, "energy_pj": round(energy_pj(ops), 3),
            "size": int(report.get("n_nodes", _mlp_weights(report))),
            "flash_estimate": flash_estimate(first, report, chosen),
            "leaf_bytes": report.get("leaf_bytes", ""), "_base": first, "_predicted": predicted,
        })
    return rows


def converted_of(row: dict):
    """The candidate's ConvertedModel in its layout, its C rendered on first use (an if-else
    forest can be megabytes, and most candidates are never built)."""
    if "_converted" not in row:
        base = row.get("_base")
        row["_converted"] = None if base is None else base.relayout(row["layout"])
    return row["_converted"]


def _refused(layout: str, input_dtype: str, reason: str) -> dict:
    return {"layout": layout, "input": input_dtype, "fits": False, "measured": False,
            "reason": "mcugen refused it: " + reason, "_base": None}


def _mlp_weights(report: dict) -> int:
    return sum(layer["n_in"] * layer["n_out"] for layer in report.get("layers", []))


def flash_estimate(converted, report: dict, layout: str) -> int:
    from codegen.fit import tree_code_bytes

    if "layers" in report:
        return int(sum(layer["flash_bytes"] for layer in report["layers"]))
    return tree_code_bytes(converted.ir, layout, converted.settings.target)
