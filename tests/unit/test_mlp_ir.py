"""MLP frontend errors, IR validation, header text rules and the report."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from codegen.backends.mlp import mlp_header, mlp_report
from codegen.errors import UserError
from codegen.frontends.mlp import is_mlp, read_mlp
from codegen.ir.model import POST_ARGMAX, POST_IDENTITY, POST_POSITIVE
from codegen.ir.validate_mlp import validate_mlp
from codegen.passes.quantize_mlp import quantize_mlp
from codegen.settings import Settings

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 4))
Y3 = np.arange(60) % 3
SETTINGS = Settings(name="tiny")


def fitted(estimator, y=Y3):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def tiny_ir(estimator=None, y=Y3, settings=SETTINGS):
    model = fitted(estimator or MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0), y)
    if settings.input == "float32":
        return quantize_mlp(read_mlp(model, settings), X, settings)
    return quantize_mlp(read_mlp(model, settings), np.rint(X * 10), settings)


def test_is_mlp():
    assert is_mlp(MLPClassifier()) and is_mlp(MLPRegressor())
    assert is_mlp(make_pipeline(StandardScaler(), MLPClassifier()))
    assert not is_mlp(DecisionTreeClassifier())
    assert not is_mlp(make_pipeline(StandardScaler(), DecisionTreeClassifier()))


def test_read_mlp_posts_and_scaler_fold():
    assert read_mlp(fitted(MLPClassifier(max_iter=5)), SETTINGS).post == POST_ARGMAX
    assert read_mlp(fitted(MLPClassifier(max_iter=5), Y3 % 2), SETTINGS).post == POST_POSITIVE
    assert read_mlp(fitted(MLPRegressor(max_iter=5), X[:, 0]), SETTINGS).post == POST_IDENTITY
    pipe = fitted(make_pipeline(StandardScaler(), MLPClassifier(max_iter=5)))
    ir = read_mlp(pipe, SETTINGS)
    scaler = pipe[0]
    np.testing.assert_allclose(X * ir.feature_mult + ir.feature_add, scaler.transform(X), atol=1e-12)
    pipe = fitted(make_pipeline(MinMaxScaler(), MLPClassifier(max_iter=5)))
    ir = read_mlp(pipe, SETTINGS)
    np.testing.assert_allclose(X * ir.feature_mult + ir.feature_add, pipe[0].transform(X), atol=1e-12)


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: MLPClassifier(), "not fitted"),
        (lambda: fitted(MLPRegressor(max_iter=5), X[:, :2]), "2 outputs"),
        (lambda: fitted(MLPClassifier(max_iter=5), np.stack([Y3 % 2, Y3 // 2], axis=1)), "multi-label"),
        (lambda: fitted(make_pipeline(PCA(2), MLPClassifier(max_iter=5))), "PCA"),
        (lambda: fitted(make_pipeline(MinMaxScaler(clip=True), MLPClassifier(max_iter=5))), "clip"),
        (lambda: make_pipeline(StandardScaler(), MLPClassifier()), "not fitted"),
    ],
)
def test_read_mlp_user_errors(make, pattern):
    with pytest.raises(UserError, match=pattern):
        read_mlp(make(), SETTINGS)


def test_calibration_shape_is_a_user_error():
    model = fitted(MLPClassifier(max_iter=5))
    with pytest.raises(UserError, match="calibration"):
        quantize_mlp(read_mlp(model, SETTINGS), X[:, :3], SETTINGS)


def test_validate_accepts_float_and_integer_forms():
    model = fitted(MLPClassifier(hidden_layer_sizes=(5, 3), activation="tanh", max_iter=50))
    float_ir = read_mlp(model, SETTINGS)
    validate_mlp(float_ir)
    validate_mlp(quantize_mlp(float_ir, X, SETTINGS))


def _broken_layer(ir, **changes):
    layers = list(ir.layers)
    layers[0] = layers[0].__class__(**{**layers[0].__dict__, **changes})
    return ir.with_(layers=tuple(layers))


@pytest.mark.parametrize(
    "changes",
    [
        lambda layer: {"weights": layer.weights.astype(np.float64)},
        lambda layer: {"weights": np.full_like(layer.weights, -128)},
        lambda layer: {"multiplier": np.full_like(layer.multiplier, 2**23)},
        lambda layer: {"multiplier": np.full_like(layer.multiplier, -1)},
        lambda layer: {"shift": np.full_like(layer.shift, 31)},
        lambda layer: {"bias": np.full_like(layer.bias, 2**31 - 1)},
        lambda layer: {"clamp": (-200, 127)},
        lambda layer: {"activation": "score"},
    ],
)
def test_validate_rejects_broken_integer_ir(changes):
    ir = tiny_ir()
    with pytest.raises(ValueError):
        validate_mlp(_broken_layer(ir, **changes(ir.layers[0])))


def test_validate_rejects_unsorted_boundaries():
    ir = tiny_ir(settings=Settings(name="tiny", input="int16"))
    quant = ir.input_quant
    bad = quant.__class__(**{**quant.__dict__, "boundaries": quant.boundaries[:, ::-1].copy()})
    with pytest.raises(ValueError, match="non-decreasing"):
        validate_mlp(ir.with_(input_quant=bad))


@pytest.mark.parametrize("change", [{"exponent": 105}, {"exponent": -101}, {"nan_code": 1}, {"zero_point": 200}])
def test_validate_rejects_broken_pow2_input(change):
    ir = tiny_ir()
    quant = ir.input_quant
    key, value = next(iter(change.items()))
    bad = quant.__class__(**{**quant.__dict__, key: np.full_like(getattr(quant, key), value)})
    with pytest.raises(ValueError, match="pow2"):
        validate_mlp(ir.with_(input_quant=bad))


def test_header_rules_and_determinism():
    ir = tiny_ir()
    header = mlp_header(ir, SETTINGS, 0xDEADBEEF)
    assert header == mlp_header(tiny_ir(), SETTINGS, 0xDEADBEEF)
    assert "#define TINY_MODEL_HASH 0xDEADBEEFu" in header
    code = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
    assert re.findall(r"\bfloat\b", code) == ["float"] and "typedef float tiny_input_t;" in code
    for banned in ("malloc", "double", "static int", "static int8_t tiny", "static int32_t tiny_s["):
        assert banned not in code
    divisions = [line for line in code.splitlines() if "/" in line and not line.startswith("#include")]
    assert divisions == ["#define TINY_OUTPUT_TO_REAL(v, type) ((type)(v) / (type)TINY_OUTPUT_ONE)"]
    assert "TINY_N_CLASSES 3" in code and "tiny_scores(" in code and "tiny_predict(" in code


def test_report_figures():
    ir = tiny_ir()
    report = mlp_report(ir)
    assert report["macs"] == 4 * 5 + 5 * 3
    assert report["weight_bytes"] == 35
    assert report["ram_bytes"] == 2 * 5 + 4 * 3
    assert report["layers"][0]["activation"] == "relu"
