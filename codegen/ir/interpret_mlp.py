"""The oracle for integer MLPs: numpy integer arithmetic, bit for bit what the C computes.

Requantisation, one rounding: requantize(acc, M, s) = (acc * M + 2**(s - 1)) >> s (floor), with
0 <= M < 2**23 and s in {8, 16, 24, 32}; exact in int64 since |acc| < 2**31.

Float32 input with power-of-two scales (INPUT_POW2), from the IEEE-754 bits alone: with e the
biased exponent, m10 = 512 | (the 9 mantissa bits below the leading one) and
q = clamp(135 - exponent[j] - e, 0, 31), M = m10 >> q is floor(|x| * 2**(exponent[j] + 1))
whenever that is below 512, and at least 512 otherwise (the code then saturates either way);
NaN gives M = 0. r = (M + 1) >> 1 rounds |x| * 2**exponent[j] to nearest, ties away from zero;
code = clamp(zero_point[j] + r or - r by the sign bit). Subnormals give 0 because
exponent[j] <= 104, +-inf saturates because exponent[j] >= -100.

Operation counts per inference (the C calls `<NAME>_COUNT_OP` with the same numbers):
- pow2 float input, per feature: ram_bytes 4, add32 2, cmp32 3.
- float table input, per feature: ram_bytes 4, cmp32 1 (NaN test), then cmp32 8 and
  flash_bytes 32 (binary search over 255 int32 boundaries), or for a NaN flash_bytes 1.
- integer table input, per feature: ram_bytes (input width), cmp32 8, flash_bytes 32.
- direct int8/uint8 input, per feature: ram_bytes 1.
- per output channel of every layer with n_in inputs: mul8 n_in, add32 n_in, ram_bytes n_in,
  flash_bytes n_in + 9 (weights, int32 bias, int32 multiplier, int8 shift), mul32 1,
  add32 2 (rounding); hidden layers also add32 1 (zero point) and cmp32 2 (clamp);
  table activations also flash_bytes 1.
- argmax over n scores: cmp32 n - 1; binary (score > 0): cmp32 1; regression: nothing.
"""

from __future__ import annotations

import numpy as np

from codegen.input_types import INPUT_TYPES
from codegen.ir import opcount as op
from codegen.ir.floatkey import float32_is_nan, float32_key
from codegen.ir.interpret import post_process
from codegen.ir.interpretation import Interpretation
from codegen.ir.mlp import ACT_LUT, ACT_SCORE, INPUT_DIRECT, INPUT_POW2, MLP, DenseLayer
from codegen.ir.model import POST_ARGMAX, POST_POSITIVE

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def requantize(acc: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """(acc * multiplier + 2**(shift - 1)) >> shift, floor: round half up, one rounding."""
    acc = np.asarray(acc, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    return (acc * multiplier + (np.int64(1) << (shift - 1))) >> shift


def pow2_codes(x: np.ndarray, exponent: np.ndarray, zero_point: np.ndarray) -> np.ndarray:
    """int8 codes of float32 rows under INPUT_POW2 (see the module docstring)."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.int64)
    e = (bits >> 23) & 0xFF
    m10 = ((bits >> 14) & 0x1FF) | 0x200
    q = np.clip(135 - exponent.astype(np.int64)[np.newaxis, :] - e, 0, 31)
    magnitude = np.where((bits & 0x7FFFFFFF) > 0x7F800000, 0, m10 >> q)
    r = (magnitude + 1) >> 1
    signed = np.where(bits >> 31 != 0, -r, r)
    return np.clip(zero_point.astype(np.int64)[np.newaxis, :] + signed, -128, 127)


def input_codes(ir: MLP, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 codes (rows x features), NaN mask) for raw device inputs."""
    quant = ir.input_quant
    if quant.mode == INPUT_DIRECT:
        codes = np.asarray(x, dtype=np.int64) + quant.offset
        return codes, np.zeros(codes.shape, dtype=bool)
    if quant.mode == INPUT_POW2:
        x32 = np.asarray(x, dtype=np.float32)
        return pow2_codes(x32, quant.exponent, quant.zero_point), float32_is_nan(x32)
    if ir.input.is_float:
        x32 = np.asarray(x, dtype=np.float32)
        nan = float32_is_nan(x32)
        keys = float32_key(x32)
    else:
        keys = np.asarray(x, dtype=np.int64)
        nan = np.zeros(keys.shape, dtype=bool)
    codes = np.empty(keys.shape, dtype=np.int64)
    for j in range(ir.n_features):
        table = quant.boundaries[quant.table_of_feature[j]].astype(np.int64)
        codes[:, j] = np.searchsorted(table, keys[:, j], side="right") - 128
    codes = np.where(nan, quant.nan_code.astype(np.int64)[np.newaxis, :], codes)
    return codes, nan


def layer_forward(layer: DenseLayer, codes: np.ndarray) -> np.ndarray:
    """int8 codes (rows x n_in) -> int8 codes, or int32 scores for the output layer."""
    acc = codes @ layer.weights.astype(np.int64).T + layer.bias.astype(np.int64)
    v = requantize(acc, layer.multiplier, layer.shift)
    if layer.activation == ACT_SCORE:
        return v
    v = np.clip(v + layer.zero_point, layer.clamp[0], layer.clamp[1])
    if layer.activation == ACT_LUT:
        v = layer.lut.astype(np.int64)[v + 128]
    return v


def interpret_mlp(ir: MLP, X: np.ndarray) -> Interpretation:
    if not ir.is_quantized:
        raise ValueError("interpret_mlp runs integer MLPs; quantize the float IR first")
    x = np.asarray(X)
    if x.ndim != 2 or x.shape[1] != ir.n_features:
        raise ValueError(f"expected rows of {ir.n_features} features, got shape {x.shape}")
    codes, nan = input_codes(ir, x)
    for layer in ir.layers:
        codes = layer_forward(layer, codes)
    scores = codes.astype(np.int64)
    return Interpretation(predictions=post_process(ir.post, scores), scores=scores, op_counts=_op_counts(ir, nan))


def model_op_counts(ir: MLP) -> dict[str, int]:
    """Counts of one inference with no NaN input."""
    counts = dict.fromkeys(op.OP_CLASSES, 0)
    n = ir.n_features
    if ir.input_quant.mode == INPUT_DIRECT:
        counts[op.RAM_BYTES] += n
    elif ir.input_quant.mode == INPUT_POW2:
        counts[op.RAM_BYTES] += 4 * n
        counts[op.ADD32] += 2 * n
        counts[op.CMP32] += 3 * n
    else:
        counts[op.RAM_BYTES] += n * INPUT_TYPES[ir.input.dtype].bytes
        counts[op.CMP32] += n * (9 if ir.input.is_float else 8)
        counts[op.FLASH_BYTES] += 32 * n
    for layer in ir.layers:
        macs = layer.n_in * layer.n_out
        counts[op.MUL8] += macs
        counts[op.ADD32] += macs + 2 * layer.n_out
        counts[op.RAM_BYTES] += macs
        counts[op.FLASH_BYTES] += macs + 9 * layer.n_out
        counts[op.MUL32] += layer.n_out
        if layer.activation != ACT_SCORE:
            counts[op.ADD32] += layer.n_out
            counts[op.CMP32] += 2 * layer.n_out
        if layer.activation == ACT_LUT:
            counts[op.FLASH_BYTES] += layer.n_out
    counts[op.CMP32] += {POST_ARGMAX: ir.n_outputs - 1, POST_POSITIVE: 1}.get(ir.post, 0)
    return counts


def _op_counts(ir: MLP, nan: np.ndarray) -> dict[str, np.ndarray]:
    rows = nan.shape[0]
    base = model_op_counts(ir)
    counts = {name: np.full(rows, value, dtype=np.int64) for name, value in base.items()}
    if ir.input.is_float and ir.input_quant.mode != INPUT_POW2:
        nans = nan.sum(axis=1).astype(np.int64)
        counts[op.CMP32] -= 8 * nans  # a NaN skips the search
        counts[op.FLASH_BYTES] -= 31 * nans
    return counts
