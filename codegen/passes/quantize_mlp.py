"""Post-training quantisation of a float MLP into the integer MLP IR.

Scheme (TFLite-like, asymmetric int8 activations, symmetric per-channel int8 weights):

- Input: each raw feature x_j is coded as an int8 q_j = clamp(round(x_j / s_j) + z_j) with
  (s_j, z_j) calibrated on the data (range widened to hold 0). Without a scaler one (s, z)
  serves all features; with a scaler each feature has its own. Float32 input uses
  power-of-two scales s_j = 2**-k_j, the smallest power of two whose 255 steps cover the
  range (so at most one bit of resolution is given up against range / 255), with z_j
  centring the range; the device then codes a float from its exponent and top mantissa bits,
  with no table (rounding ties away from zero). The scaler's affine map and s_j are folded
  into the first layer's weights and bias, so the device takes raw readings.
  `--input int8/uint8` uses the reading itself as the code; other integer inputs get 255
  boundaries per table in their own integer domain (round half up).
- Weights: W'[o, j] = w[o, j] * s_in[j]; per output channel s_w[o] = max_j |W'[o, j]| / 127,
  w_q = round(W' / s_w[o]) in [-127, 127] (symmetric, so two products fit an int16).
- Bias: int32 round(b' / s_w[o]) - sum_j w_q[o, j] * z_in[j]; the accumulator of a channel
  then stands for the real pre-activation s_w[o] * acc.
- Hidden activations: int8 with per-tensor (s, z) from the calibrated range (relu: [0, max],
  identity: [min, max], both holding 0); relu is the clamp at z. tanh and logistic
  requantise to a pre-activation code (range clipped to +-4 resp. +-8, beyond which the int8
  output no longer changes much) and map it through a 256-entry table onto the fixed output
  scales of TFLite (tanh: 1/128, z = 0; logistic: 1/256, z = -128).
- Requantisation per channel: v = (acc * M + 2**(s - 1)) >> s, real multiplier ~ M / 2**s
  with s the smallest of 8, 16, 24, 32 that gives M >= 2**15 (16 significant bits), so M has
  at most 23 bits; one rounding, no double rounding.
- Output layer: scores in int32 fixed point with F fraction bits, F = the largest value with
  s_w[o] * 2**F <= 1 for all channels (so |score| <= |acc| + 1), clamped to [0, 30].
"""

from __future__ import annotations

import math

import numpy as np

from codegen.errors import UserError
from codegen.input_types import INPUT_TYPES
from codegen.ir.floatkey import float32_key
from codegen.ir.interpret_mlp import pow2_codes
from codegen.ir.mlp import (
    ACT_IDENTITY,
    ACT_LOGISTIC,
    ACT_LUT,
    ACT_RELU,
    ACT_SCORE,
    ACT_TANH,
    EXPONENT_RANGE,
    INPUT_DIRECT,
    INPUT_POW2,
    INPUT_TABLE,
    INT8_MAX,
    INT8_MIN,
    MLP,
    MULTIPLIER_LIMIT,
    SHIFTS,
    DenseLayer,
    InputQuant,
)
from codegen.ir.model import QFormat
from codegen.settings import Settings

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
LUT_CLIP = {ACT_TANH: 4.0, ACT_LOGISTIC: 8.0}
LUT_OUTPUT = {ACT_TANH: (1.0 / 128.0, 0), ACT_LOGISTIC: (1.0 / 256.0, -128)}
CODES = np.arange(INT8_MIN, INT8_MAX + 1)


def quantize_mlp(float_ir: MLP, calibration: np.ndarray, settings: Settings) -> MLP:
    """The integer IR of `float_ir`; `calibration` holds raw float feature rows."""
    x = _calibration_rows(calibration, float_ir.n_features)
    input_quant = _input_quant(float_ir, x)
    s_in = np.asarray(input_quant.scale, dtype=np.float64)
    z_in = input_quant.zero_point.astype(np.int64)
    add = float_ir.feature_add
    s_in = s_in * float_ir.feature_mult  # fold the scaler: scaled = x * mult + add
    activations = _scaled(float_ir, _dequantized_calibration(x, input_quant))
    layers = []
    for index, layer in enumerate(float_ir.layers):
        last = index == len(float_ir.layers) - 1
        bias = layer.bias + (layer.weights @ add if index == 0 else 0.0)
        pre = activations @ layer.weights.T + bias
        activations = _activate(pre, layer.activation)
        quantized = _quantize_layer(layer.weights, bias, s_in, z_in, pre, activations, layer.activation, last)
        layers.append(quantized)
        s_in = np.full(layer.n_out, quantized.output_scale)
        z_in = np.full(layer.n_out, quantized.output_zero_point, dtype=np.int64)
    frac_bits = _frac_bits(layers[-1])
    return float_ir.with_(
        layers=tuple(layers),
        feature_mult=None,
        feature_add=None,
        input_quant=input_quant,
        output_format=QFormat(32, frac_bits),
    )


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(M, s) with real ~ M / 2**s: s the smallest of SHIFTS with real * 2**s >= 2**15 (else
    32), M = round(real * 2**s) < 2**23."""
    if not real > 0.0:
        return 0, SHIFTS[-1]
    shift = next((s for s in SHIFTS if real * 2.0**s >= 2.0**15), SHIFTS[-1])
    fixed = int(math.floor(real * 2.0**shift + 0.5))
    if fixed >= MULTIPLIER_LIMIT:
        raise UserError("an MLP layer needs a requantisation gain above 2**15; rescale the inputs and refit")
    return fixed, shift


def affine_range(low: float, high: float) -> tuple[float, int]:
    """(scale, zero_point) of int8 codes covering [low, high] widened to hold 0."""
    low, high = min(low, 0.0), max(high, 0.0)
    if not high > low:
        high = low + 1.0
    scale = (high - low) / 255.0
    zero = int(np.clip(np.round(INT8_MIN - low / scale), INT8_MIN, INT8_MAX))
    return scale, zero


def _calibration_rows(calibration: np.ndarray, n_features: int) -> np.ndarray:
    x = np.asarray(calibration, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != n_features or x.shape[0] == 0:
        raise UserError(f"calibration data must be rows of {n_features} features; pass the training data")
    return np.where(np.isfinite(x), x, 0.0)


def _input_quant(ir: MLP, x: np.ndarray) -> InputQuant:
    spec = ir.input
    n = spec.n_features
    if spec.dtype in ("int8", "uint8"):
        offset = -128 if spec.dtype == "uint8" else 0
        zero = np.asarray(spec.zero_point, dtype=np.int64) + offset
        return InputQuant(
            mode=INPUT_DIRECT,
            boundaries=np.zeros((0, 255), dtype=np.int32),
            table_of_feature=np.zeros(n, dtype=np.int32),
            nan_code=np.zeros(n, dtype=np.int32),
            zero_point=zero.astype(np.int32),
            offset=offset,
            scale=tuple(float(s) for s in spec.scale),
        )
    shared = bool(np.all(ir.feature_mult == 1.0) and np.all(ir.feature_add == 0.0))
    low, high = x.min(axis=0), x.max(axis=0)
    if shared:
        low, high = np.full(n, low.min()), np.full(n, high.max())
    if spec.is_float:
        return _pow2_quant(low, high)
    pairs = [affine_range(float(lo), float(hi)) for lo, hi in zip(low, high)]
    scale = np.array([p[0] for p in pairs])
    zero = np.array([p[1] for p in pairs], dtype=np.int64)
    rows = np.stack([_boundaries(spec, j, scale[j], zero[j]) for j in range(n)])
    if np.all(rows == rows[0]):  # one table serves every feature
        rows, table_of_feature = rows[:1], np.zeros(n, dtype=np.int32)
    else:
        table_of_feature = np.arange(n, dtype=np.int32)
    return InputQuant(
        mode=INPUT_TABLE,
        boundaries=rows.astype(np.int32),
        table_of_feature=table_of_feature,
        nan_code=zero.astype(np.int32),
        zero_point=zero.astype(np.int32),
        scale=tuple(float(s) for s in scale),
    )


def pow2_range(low: float, high: float) -> tuple[int, int]:
    """(k, zero_point): scale 2**-k, the finest power of two whose 255 steps cover [low, high]
    widened to hold 0, and the zero point that centres the range in the int8 codes."""
    low, high = min(low, 0.0), max(high, 0.0)
    width = high - low if high > low else 1.0
    k = int(np.clip(math.floor(math.log2(255.0 / width)), *EXPONENT_RANGE))
    while k > EXPONENT_RANGE[0] and (high - low) * 2.0**k > 255.0:
        k -= 1  # log2 rounding at an exact power of two
    centre = (low + high) / 2.0 * 2.0**k
    zero = int(np.clip(math.floor(-0.5 - centre + 0.5), INT8_MIN, INT8_MAX))
    return k, zero


def _pow2_quant(low: np.ndarray, high: np.ndarray) -> InputQuant:
    pairs = [pow2_range(float(lo), float(hi)) for lo, hi in zip(low, high)]
    exponent = np.array([p[0] for p in pairs], dtype=np.int32)
    zero = np.array([p[1] for p in pairs], dtype=np.int32)
    n = len(pairs)
    return InputQuant(
        mode=INPUT_POW2,
        boundaries=np.zeros((0, 255), dtype=np.int32),
        table_of_feature=np.zeros(n, dtype=np.int32),
        nan_code=zero.copy(),
        zero_point=zero,
        scale=tuple(2.0 ** -float(k) for k in exponent),
        exponent=exponent,
    )


def _boundaries(spec, feature: int, scale: float, zero: int) -> np.ndarray:
    """Keys B_k: code >= k - 127 exactly when key(x) >= B_k, i.e. when
    x >= scale * (k - 127.5 - zero) (round to nearest, ties up)."""
    mids = scale * (CODES[1:] - 0.5 - zero)
    if spec.is_float:
        with np.errstate(over="ignore"):
            up = mids.astype(np.float32)
        low = up.astype(np.float64) < mids
        up[low] = np.nextafter(up[low], np.float32(np.inf))  # smallest float32 >= mid
        return float32_key(up)
    lo, hi = INPUT_TYPES[spec.dtype].low, INPUT_TYPES[spec.dtype].high
    raw = np.ceil(mids / spec.scale[feature] + spec.zero_point[feature])
    return np.clip(raw, lo, min(hi + 1, INT32_MAX)).astype(np.int64)


def _dequantized_calibration(x: np.ndarray, quant: InputQuant) -> np.ndarray:
    """The raw values the calibration rows stand for once coded (what the device sees)."""
    scale = np.asarray(quant.scale)
    if quant.mode == INPUT_DIRECT:
        return x
    if quant.mode == INPUT_POW2:
        codes = pow2_codes(x.astype(np.float32), quant.exponent, quant.zero_point)
        return scale * (codes - quant.zero_point)
    codes = np.clip(np.round(x / scale) + quant.zero_point, INT8_MIN, INT8_MAX)
    return scale * (codes - quant.zero_point)


def _scaled(ir: MLP, x: np.ndarray) -> np.ndarray:
    return x * ir.feature_mult + ir.feature_add


def _activate(z: np.ndarray, activation: str) -> np.ndarray:
    if activation == ACT_RELU:
        return np.maximum(z, 0.0)
    if activation == ACT_TANH:
        return np.tanh(z)
    if activation == ACT_LOGISTIC:
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))
    return z  # identity; softmax is monotone and only feeds argmax


def _quantize_layer(w, bias, s_in, z_in, pre, post, activation, last) -> DenseLayer:
    effective = w * s_in[np.newaxis, :]
    peak = np.abs(effective).max(axis=1)
    s_w = np.where(peak > 0.0, peak / 127.0, 1.0)
    w_q = np.clip(np.round(effective / s_w[:, np.newaxis]), -127, 127).astype(np.int64)
    b_q = np.round(bias / s_w).astype(np.float64) - (w_q @ z_in).astype(np.float64)
    if np.any(b_q < INT32_MIN) or np.any(b_q > INT32_MAX):
        raise UserError("an MLP bias does not fit int32 after quantisation; rescale the inputs and refit")
    if last:
        frac_bits = _output_frac_bits(s_w)
        clamp = (INT32_MIN, INT32_MAX)
        return _layer(w_q, b_q, s_w, s_w * 2.0**frac_bits, ACT_SCORE, (0, 0), clamp, None, 2.0**-frac_bits)
    if activation in LUT_CLIP:
        clip = LUT_CLIP[activation]
        s_pre, z_pre = affine_range(max(float(pre.min()), -clip), min(float(pre.max()), clip))
        s_out, z_out = LUT_OUTPUT[activation]
        lut = _lut(activation, s_pre, z_pre, s_out, z_out)
        zeros = (z_pre, z_out)
        return _layer(w_q, b_q, s_w, s_w / s_pre, ACT_LUT, zeros, (INT8_MIN, INT8_MAX), lut, s_out)
    s_out, z_out = affine_range(float(post.min()), float(post.max()))
    clamp = (max(INT8_MIN, z_out), INT8_MAX) if activation == ACT_RELU else (INT8_MIN, INT8_MAX)
    kind = ACT_RELU if activation == ACT_RELU else ACT_IDENTITY
    return _layer(w_q, b_q, s_w, s_w / s_out, kind, (z_out, z_out), clamp, None, s_out)


def _layer(w_q, b_q, s_w, real, kind, zeros, clamp, lut, s_out) -> DenseLayer:
    """`zeros`: (zero point added after requantisation, zero point of the output codes)."""
    pairs = _multipliers(real)
    return DenseLayer(
        weights=w_q.astype(np.int8),
        bias=b_q.astype(np.int32),
        activation=kind,
        multiplier=np.array([p[0] for p in pairs], dtype=np.int64).astype(np.int32),
        shift=np.array([p[1] for p in pairs], dtype=np.int32),
        zero_point=int(zeros[0]),
        output_zero_point=int(zeros[1]),
        clamp=(int(clamp[0]), int(clamp[1])),
        lut=lut,
        weight_scale=tuple(float(s) for s in s_w),
        output_scale=float(s_out),
    )


def _multipliers(real: np.ndarray) -> list[tuple[int, int]]:
    """Per channel (M, s). One shift for the whole layer, the largest that keeps every M below
    2**23, when that leaves every nonzero M at least 2**7 (the AVR's asm layer then selects the
    same bytes of the product for every channel); otherwise each channel's own, and the AVR
    runs the portable C, about 8 times slower. An M of 2**7 or more is within 0.4% of the real
    gain: at most half a step of an int8 output, measured to cost 0.2% agreement on a digits
    MLP fed raw pixel values (0..16), whose gains span 2**16."""
    pairs = [quantize_multiplier(float(r)) for r in real]
    for shift in reversed(SHIFTS):
        uniform = [int(math.floor(float(r) * 2.0**shift + 0.5)) if r > 0.0 else 0 for r in real]
        if max(uniform) < MULTIPLIER_LIMIT:
            if min((m for m in uniform if m > 0), default=2**7) >= 2**7:
                return [(m, shift) for m in uniform]
            break
    return pairs


def _lut(activation: str, s_pre: float, z_pre: int, s_out: float, z_out: int) -> np.ndarray:
    real = _activate(s_pre * (CODES - z_pre).astype(np.float64), activation)
    return np.clip(np.round(real / s_out) + z_out, INT8_MIN, INT8_MAX).astype(np.int8)


def _output_frac_bits(s_w: np.ndarray) -> int:
    return int(np.clip(math.floor(-math.log2(float(s_w.max()))), 0, 30))


def _frac_bits(layer: DenseLayer) -> int:
    return int(round(-math.log2(layer.output_scale)))
