"""Property: on random small nets (any depth, activation, post-processing, input type) the
generated C and the interpreter agree bit for bit on random and special rows."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import test_mlp_host as host  # noqa: E402

from codegen.ir.mlp import ACT_IDENTITY, ACT_LOGISTIC, ACT_RELU, ACT_TANH, MLP, DenseLayer  # noqa: E402
from codegen.ir.model import POST_ARGMAX, POST_IDENTITY, POST_POSITIVE, InputSpec  # noqa: E402
from codegen.ir.validate_mlp import validate_mlp  # noqa: E402
from codegen.passes.quantize_mlp import quantize_mlp  # noqa: E402
from codegen.settings import InputQuantization, Settings  # noqa: E402

PROFILE = settings(
    derandomize=True,
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def nets(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_features = draw(st.integers(1, 9))
    widths = draw(st.lists(st.integers(1, 9), min_size=0, max_size=3))
    activation = draw(st.sampled_from([ACT_RELU, ACT_IDENTITY, ACT_TANH, ACT_LOGISTIC]))
    post = draw(st.sampled_from([POST_ARGMAX, POST_POSITIVE, POST_IDENTITY]))
    dtype = draw(st.sampled_from(["float32", "float32", "int8", "uint8", "int16", "uint16", "int32"]))
    scaled = draw(st.booleans())
    n_out = draw(st.integers(2, 5)) if post == POST_ARGMAX else 1
    sizes = [n_features] + widths + [n_out]
    layers = tuple(
        DenseLayer(
            weights=rng.normal(scale=draw(st.sampled_from([0.01, 1.0, 30.0])), size=(b, a)),
            bias=rng.normal(size=b),
            activation=activation if index < len(sizes) - 2 else ACT_IDENTITY,
        )
        for index, (a, b) in enumerate(zip(sizes, sizes[1:]))
    )
    mult = rng.uniform(0.1, 10.0, n_features) if scaled else np.ones(n_features)
    add = rng.normal(size=n_features) if scaled else np.zeros(n_features)
    quantization = InputQuantization((float(rng.uniform(0.01, 2.0)),), (int(rng.integers(-5, 6)),))
    spec_q = quantization.for_features(n_features) if dtype != "float32" else ((), ())
    classes = tuple(range(n_out if post == POST_ARGMAX else 2)) if post != POST_IDENTITY else ()
    float_ir = MLP(
        input=InputSpec(n_features, dtype, spec_q[0], spec_q[1]),
        layers=layers,
        post=post,
        classes=classes,
        feature_mult=mult,
        feature_add=add,
    )
    return float_ir, Settings(name="pn", input=dtype, quantization=quantization), rng


def _rows(ir: MLP, rng: np.random.Generator) -> np.ndarray:
    n = ir.n_features
    if ir.input.is_float:
        random = rng.normal(scale=rng.choice([0.1, 3.0, 1e3]), size=(40, n)).astype(np.float32)
        return np.vstack([random, host.special_rows(n)])
    low, high = ir.input.value_range
    random = rng.integers(max(low, -3000), min(high, 3000) + 1, size=(40, n))
    return np.vstack([random, np.resize(np.array([low, high, 0]), (3, n))]).astype(np.int64)


@PROFILE
@given(nets())
def test_c_equals_interpreter_on_random_nets(net):
    host.require_gcc()
    float_ir, config, rng = net
    calibration = rng.normal(scale=2.0, size=(30, float_ir.n_features))
    ir = quantize_mlp(float_ir, calibration, config)
    validate_mlp(ir)
    with tempfile.TemporaryDirectory() as folder:
        host.assert_c_matches(ir, config, _rows(ir, rng), Path(folder))
