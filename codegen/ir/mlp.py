"""The MLP intermediate representation: frozen dataclasses over numpy arrays.

The frontend builds a *float* MLP that keeps scikit-learn's arithmetic (float64 weights, the
input scaler of a pipeline folded into `feature_mult`/`feature_add`). `passes.quantize_mlp`
turns it into an *integer* MLP: int8 weights, int32 biases, requantisation multipliers (at most
23 bits) and byte-multiple shifts, int8 activations, and an `InputQuant` that maps raw device
inputs to int8 codes.
`ir.validate_mlp` checks either form; `ir.interpret_mlp` runs the integer form.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from codegen.ir.model import InputSpec, QFormat

# Activations of the float IR (scikit-learn's names).
ACT_RELU = "relu"
ACT_IDENTITY = "identity"
ACT_TANH = "tanh"
ACT_LOGISTIC = "logistic"
ACT_SOFTMAX = "softmax"  # float IR output layer only
FLOAT_ACTIVATIONS = (ACT_RELU, ACT_IDENTITY, ACT_TANH, ACT_LOGISTIC, ACT_SOFTMAX)

# Activations of the integer IR. Hidden layers: requantise to int8, then clamp (relu is the
# clamp at the zero point) and optionally map through a 256-entry table (tanh, logistic).
# The output layer: requantise to an int32 fixed-point score, no clamp.
ACT_LUT = "lut"
ACT_SCORE = "score"
INT_ACTIVATIONS = (ACT_RELU, ACT_IDENTITY, ACT_LUT, ACT_SCORE)

# How the device turns its inputs into int8 codes of the first layer.
INPUT_TABLE = "table"  # binary search of 255 sorted int32 boundaries per table
INPUT_DIRECT = "direct"  # the input is already an int8 code (after adding `offset`)
INPUT_POW2 = "pow2"  # float32 input, scale 2**-exponent[j]: arithmetic on the float's bits
INPUT_MODES = (INPUT_TABLE, INPUT_DIRECT, INPUT_POW2)

# Requantisation: v = (acc * multiplier + 2**(shift - 1)) >> shift (floor), one rounding.
MULTIPLIER_LIMIT = 2**23  # multipliers lie in [0, 2**23): three bytes
SHIFTS = (8, 16, 24, 32)  # byte multiples: the AVR takes whole bytes of the product
# pow2 input exponents: subnormals must code as 0 and +-inf must saturate (interpret_mlp).
EXPONENT_RANGE = (-100, 104)

N_BOUNDARIES = 255
INT8_MIN, INT8_MAX = -128, 127


@dataclass(frozen=True)
class DenseLayer:
    """out = activation(weights @ in + bias).

    Float form: float64 `weights` (n_out, n_in), `bias` (n_out,), activation from
    FLOAT_ACTIVATIONS; the other fields keep their defaults.

    Integer form: int8 `weights`, int32 `bias` that already includes the input zero-point
    correction (acc = bias + sum_j w[o, j] * in[j] over int8 codes `in`), then
    v = (acc * multiplier[o] + 2**(shift[o] - 1)) >> shift[o] (floor; see interpret_mlp).
    Hidden layer: v + zero_point clamped to `clamp`, mapped by `lut` if ACT_LUT; the int8
    result has `output_scale` and `output_zero_point` (equal to `zero_point` except after a
    table, whose input is a pre-activation code with its own zero point).
    Output layer (ACT_SCORE): v is the int32 score, no zero point, no clamp.
    Scales are kept as plain floats for reports only; no arithmetic reads them.
    """

    weights: np.ndarray
    bias: np.ndarray
    activation: str
    multiplier: np.ndarray | None = None  # int32 (n_out,) in [0, MULTIPLIER_LIMIT)
    shift: np.ndarray | None = None  # int32 (n_out,), one of SHIFTS
    zero_point: int = 0
    output_zero_point: int = 0
    clamp: tuple[int, int] = (INT8_MIN, INT8_MAX)
    lut: np.ndarray | None = None  # int8 (256,), indexed by pre-activation code + 128
    weight_scale: tuple[float, ...] = ()  # real weight = weight_scale[o] * w (per channel)
    output_scale: float = 0.0  # real activation = output_scale * (q - output_zero_point)

    @property
    def n_in(self) -> int:
        return int(self.weights.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weights.shape[0])

    @property
    def is_quantized(self) -> bool:
        return self.multiplier is not None


@dataclass(frozen=True)
class InputQuant:
    """Raw input -> int8 code of the first layer.

    INPUT_TABLE: key = float32_key(x) for float input (NaN -> `nan_code[j]`), the value itself
    for integer input; code = -128 + #{k : boundaries[t, k] <= key} with t the feature's table.
    INPUT_DIRECT: code = x + offset (int8 and uint8 inputs).
    INPUT_POW2 (float32 input): scale[j] = 2**-exponent[j]; code = clamp(zero_point[j] +- r)
    with r = floor(|x| * 2**exponent[j] + 1/2) (ties away from zero) and the sign of x;
    NaN codes as zero_point[j] (`nan_code`). Computed exactly from the float's bits.
    Each code stands for the raw feature value scale[j] * (code - zero_point[j]).
    """

    mode: str
    boundaries: np.ndarray  # int32 (n_tables, 255), each row non-decreasing; (0, 255) if direct
    table_of_feature: np.ndarray  # int32 (n_features,): row of `boundaries` per feature
    nan_code: np.ndarray  # int32 (n_features,): code of a NaN input (float input only)
    zero_point: np.ndarray  # int32 (n_features,): code of the raw value 0
    offset: int = 0
    scale: tuple[float, ...] = ()  # per feature, for reports
    exponent: np.ndarray | None = None  # int32 (n_features,): pow2 only, scale = 2**-exponent

    @property
    def n_tables(self) -> int:
        return int(self.boundaries.shape[0])


@dataclass(frozen=True)
class MLP:
    """A multi-layer perceptron. `post`: POST_ARGMAX (multiclass), POST_POSITIVE (binary:
    class 1 when the single logit score > 0) or POST_IDENTITY (regression).

    Float form: features seen by layer 0 are x * feature_mult + feature_add (a folded
    StandardScaler/MinMaxScaler, or 1 and 0). Integer form: `input_quant` and `output_format`
    are set; feature_mult/feature_add are None.
    """

    input: InputSpec
    layers: tuple[DenseLayer, ...]
    post: str
    classes: tuple = ()
    feature_mult: np.ndarray | None = None  # float64 (n_features,)
    feature_add: np.ndarray | None = None  # float64 (n_features,)
    input_quant: InputQuant | None = None
    output_format: QFormat | None = None  # of the scores
    estimator: str = ""

    @property
    def n_features(self) -> int:
        return self.input.n_features

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def is_quantized(self) -> bool:
        return self.input_quant is not None

    @property
    def is_classifier(self) -> bool:
        return bool(self.classes)

    @property
    def widest(self) -> int:
        """Length of each int8 activation buffer: the input or the widest hidden layer."""
        return max([self.n_features] + [layer.n_out for layer in self.layers[:-1]])

    def with_(self, **changes) -> MLP:
        return replace(self, **changes)
