"""Integer MLP IR -> template context -> C header (templates/mlp.h.j2), and a cost report.

Every number, type and name is decided here; the template only loops and prints.
"""

from __future__ import annotations

import numpy as np

from codegen.backends.c_text import comment_text, table_rows
from codegen.backends.mlp_arm import arm_context
from codegen.backends.mlp_avr import avr_context
from codegen.backends.render import render
from codegen.chips import chip
from codegen.input_types import INPUT_TYPES
from codegen.ir.interpret_mlp import model_op_counts
from codegen.ir.mlp import ACT_LUT, INPUT_DIRECT, INPUT_POW2, MLP, N_BOUNDARIES, DenseLayer
from codegen.ir.validate_mlp import validate_mlp
from codegen.settings import Settings

PER_LINE = 16


def mlp_header(ir: MLP, settings: Settings, model_hash: int) -> str:
    validate_mlp(ir)
    if not ir.is_quantized:
        raise ValueError("mlp_header prints integer MLPs; quantize the float IR first")
    return render("mlp.h.j2", _context(ir, settings, model_hash))


def mlp_report(ir: MLP) -> dict:
    """Layers, MACs, flash bytes of the tables, RAM bytes of the two activation buffers, scales."""
    quant = ir.input_quant
    input_bytes = quant.boundaries.size * 4
    if quant.mode == INPUT_POW2:
        input_bytes = 0 if _pow2_shared(ir) else 2 * ir.n_features
    elif ir.input.is_float:
        input_bytes += ir.n_features  # NaN codes
    layer_bytes = [_layer_bytes(layer) for layer in ir.layers]
    return {
        "estimator": ir.estimator,
        "n_features": ir.n_features,
        "n_outputs": ir.n_outputs,
        "layers": [
            {
                "n_in": layer.n_in,
                "n_out": layer.n_out,
                "activation": layer.activation,
                "macs": layer.n_in * layer.n_out,
                "flash_bytes": size,
                "weight_scale_min": min(layer.weight_scale),
                "weight_scale_max": max(layer.weight_scale),
                "output_scale": layer.output_scale,
                "output_zero_point": layer.output_zero_point,
            }
            for layer, size in zip(ir.layers, layer_bytes)
        ],
        "macs": sum(layer.n_in * layer.n_out for layer in ir.layers),
        "weight_bytes": sum(layer.weights.size for layer in ir.layers),
        "flash_bytes": input_bytes + sum(layer_bytes),
        "input_table_bytes": input_bytes,
        "ram_bytes": 2 * ir.widest + 4 * ir.n_outputs,
        "input": {"dtype": ir.input.dtype, "mode": quant.mode, "tables": quant.n_tables, "scale": list(quant.scale)},
        "output_frac_bits": ir.output_format.frac_bits,
        "op_counts": model_op_counts(ir),
    }


def _layer_bytes(layer: DenseLayer) -> int:
    lut = 256 if layer.activation == ACT_LUT else 0
    return layer.weights.size + 9 * layer.n_out + lut


def _context(ir: MLP, settings: Settings, model_hash: int) -> dict:
    name = settings.name
    hidden = ir.layers[:-1]
    target = chip(settings.target)  # a host header keeps every path, each behind its #if
    avr = avr_context(ir) if target.may_use("avr") else None
    arm = arm_context(ir) if target.may_use("armv7e-m") else None
    return {
        "asm_builds": " and ".join(kind for kind, path in (("AVR", avr), ("Cortex-M DSP", arm)) if path)
        + " builds" if avr or arm else "",
        "p": name + "_",
        "P": name.upper() + "_",
        "name": name,
        "guard": name.upper() + "_MCUGEN_H",
        "description": _description(ir),
        "model_hash": f"0x{model_hash & 0xFFFFFFFF:08X}u",
        "n_features": ir.n_features,
        "n_outputs": ir.n_outputs,
        "n_classes": len(ir.classes) if ir.is_classifier else 0,
        "frac_bits": ir.output_format.frac_bits,
        "post": ir.post,
        "input_ctype": INPUT_TYPES[ir.input.dtype].ctype,
        "input_bytes": INPUT_TYPES[ir.input.dtype].bytes,
        "input_mode": _input_mode(ir),
        "input_offset": ir.input_quant.offset,
        "bounds": _rows(ir.input_quant.boundaries.reshape(-1), PER_LINE // 2),
        "n_bounds": max(ir.input_quant.boundaries.size, 1),
        "per_feature_tables": ir.input_quant.n_tables > 1,
        "n_boundaries": N_BOUNDARIES,
        "nan_code": _rows(ir.input_quant.nan_code, PER_LINE),
        "pow2": _pow2(ir),
        "avr": avr,
        "arm": arm,
        # the portable C's tables, when an asm path may replace them
        "portable_only_if": " && ".join(f"!defined({name.upper()}_{kind}_FAST)"
                                        for kind, path in (("AVR", avr), ("ARM", arm)) if path),
        "simd": target.may_use("armv7e-m"),
        "riscv": target.may_use("rv32imc"),
        "widest": ir.widest,
        "hidden": [_layer(index, layer) for index, layer in enumerate(hidden)],
        "output": _layer(len(hidden), ir.layers[-1]),
    }


def _pow2_shared(ir: MLP) -> bool:
    quant = ir.input_quant
    return bool(np.all(quant.exponent == quant.exponent[0]) and np.all(quant.zero_point == quant.zero_point[0]))


def _pow2(ir: MLP) -> dict | None:
    """pow2 input: top = 135 - exponent (q = top - biased exponent) and the zero point, as two
    constants when every feature shares them, else two byte tables."""
    quant = ir.input_quant
    if quant.mode != INPUT_POW2:
        return None
    top = 135 - quant.exponent.astype(np.int64)
    return {
        "shared": _pow2_shared(ir),
        "top": int(top[0]),
        "zero": int(quant.zero_point[0]),
        "tops": _rows(top, PER_LINE),
        "zeros": _rows(quant.zero_point, PER_LINE),
    }


def _input_mode(ir: MLP) -> str:
    if ir.input_quant.mode == INPUT_DIRECT:
        return "direct"
    if ir.input_quant.mode == INPUT_POW2:
        return "pow2"
    return "float_table" if ir.input.is_float else "int_table"


def _layer(index: int, layer: DenseLayer) -> dict:
    return {
        "index": index,
        "n_in": layer.n_in,
        "n_out": layer.n_out,
        "weights": _rows(layer.weights.reshape(-1), PER_LINE),
        "bias": _rows(layer.bias, PER_LINE // 2),
        "multiplier": _rows(layer.multiplier, PER_LINE // 2),
        "shift": _rows(layer.shift, PER_LINE),
        "zero_point": layer.zero_point,
        "low": layer.clamp[0],
        "high": layer.clamp[1],
        "lut": _rows(layer.lut, PER_LINE) if layer.lut is not None else None,
        "activation": layer.activation,
    }


def _rows(values: np.ndarray, per_line: int) -> list[str]:
    return table_rows((int(v) for v in np.asarray(values).reshape(-1)), per_line)


def _description(ir: MLP) -> list[str]:
    sizes = "-".join(str(n) for n in [ir.n_features] + [layer.n_out for layer in ir.layers])
    lines = [
        f"{_escape(ir.estimator)}: {sizes} perceptron, int8 weights and activations, int32 accumulators.",
        f"Input: {ir.input.dtype}, {_input_mode(ir)}; a NaN feature reads as the raw value 0.",
    ]
    if ir.is_classifier:
        labels = ", ".join(f"{index}: {_escape(repr(label))}" for index, label in enumerate(ir.classes))
        lines.append(f"Classes (predict returns the index): {labels}")
    else:
        lines.append(
            f"predict returns the regression output in fixed point, {ir.output_format.frac_bits} fraction bits."
        )
    if ir.input.feature_names:
        lines.append("Features: " + ", ".join(_escape(name) for name in ir.input.feature_names))
    return lines


def _escape(text: str) -> str:
    return comment_text(text)
