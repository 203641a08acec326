"""Generated MLP headers on the host: C == interpreter bit for bit (predictions, scores and
operation counts, under ASan/UBSan), and the quantised models stay close to scikit-learn.

Also the helpers the property test (test_mlp_property.py) shares: build a header, compile a
small driver that reads rows on stdin and prints predict, scores and op counts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from codegen.backends.mlp import mlp_header
from codegen.frontends.mlp import read_mlp
from codegen.input_types import INPUT_TYPES
from codegen.ir import opcount
from codegen.ir.interpret_mlp import interpret_mlp
from codegen.ir.validate_mlp import validate_mlp
from codegen.passes.quantize_mlp import quantize_mlp
from codegen.settings import InputQuantization, Settings

C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wconversion", "-Wshadow", "-pedantic", "-Werror", "-O1"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]

DRIVER = """
#include <stdio.h>
#include <string.h>
#include <stdint.h>
static long long drv_counts[{n_ops}];
enum {{ {enum} }};
#define {upper}_COUNT_OP(op_class, n) (drv_counts[DRV_OP_##op_class] += (long long)(n))
#include "{name}.h"

int main(void)
{{
    long long n_rows = 0;
    long long row;
    if (scanf("%lld", &n_rows) != 1) return 1;
    for (row = 0; row < n_rows; ++row) {{
        {name}_input_t x[{upper}_N_FEATURES];
        int32_t scores[{upper}_N_OUTPUTS];
        int32_t prediction;
        unsigned j;
        for (j = 0; j < {upper}_N_FEATURES; ++j) {{
            long long value;
            if (scanf("%lld", &value) != 1) return 1;
            {convert}
        }}
        {name}_scores(x, scores);
        memset(drv_counts, 0, sizeof drv_counts);
        prediction = {name}_predict(x);
        printf("%ld", (long)prediction);
        for (j = 0; j < {upper}_N_OUTPUTS; ++j) printf(" %ld", (long)scores[j]);
        for (j = 0; j < {n_ops}; ++j) printf(" %lld", drv_counts[j]);
        printf("\\n");
    }}
    return 0;
}}
"""


def require_gcc() -> str:
    compiler = shutil.which("gcc")
    if compiler is None:
        if os.environ.get("CI"):
            pytest.fail("gcc is missing in CI")
        pytest.skip("needs gcc: apt-get install gcc g++")
    return compiler


def driver_source(name: str, input_dtype: str) -> str:
    if input_dtype == "float32":
        convert = "{ uint32_t bits = (uint32_t)value; memcpy(&x[j], &bits, sizeof bits); }"
    else:
        convert = f"x[j] = ({INPUT_TYPES[input_dtype].ctype})value;"
    return DRIVER.format(
        n_ops=len(opcount.OP_CLASSES),
        enum=", ".join(f"DRV_OP_{op}" for op in opcount.OP_CLASSES),
        upper=name.upper(),
        name=name,
        convert=convert,
    )


def compile_driver(header: str, name: str, input_dtype: str, folder: Path, cxx: bool = False) -> Path:
    require_gcc()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.h").write_text(header)
    source = folder / "driver.c"
    source.write_text(driver_source(name, input_dtype))
    exe = folder / ("driver_cxx" if cxx else "driver")
    compiler = ["g++", "-x", "c++", "-std=c++11"] + C_FLAGS[1:] if cxx else ["gcc"] + C_FLAGS
    subprocess.run(compiler + SANITIZE + [str(source), "-o", str(exe)], check=True, capture_output=True, text=True)
    return exe


def row_tokens(rows: np.ndarray, input_dtype: str) -> np.ndarray:
    if input_dtype == "float32":
        return np.ascontiguousarray(rows, dtype=np.float32).view(np.uint32).astype(np.int64)
    return np.asarray(rows, dtype=np.int64)


def run_driver(exe: Path, rows: np.ndarray, input_dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predictions, scores, op counts in OP_CLASSES order) from the compiled C."""
    tokens = row_tokens(rows, input_dtype)
    text = f"{tokens.shape[0]}\n" + "\n".join(" ".join(map(str, row)) for row in tokens) + "\n"
    done = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True)
    out = np.array([line.split() for line in done.stdout.splitlines()], dtype=np.int64)
    return out[:, 0], out[:, 1 : -len(opcount.OP_CLASSES)], out[:, -len(opcount.OP_CLASSES) :]


def assert_c_matches(ir, settings: Settings, rows: np.ndarray, folder: Path, cxx: bool = False) -> None:
    exe = compile_driver(mlp_header(ir, settings, 0xC0FFEE), settings.name, settings.input, folder, cxx)
    predictions, scores, counts = run_driver(exe, rows, settings.input)
    expected = interpret_mlp(ir, rows)
    np.testing.assert_array_equal(scores, expected.scores)
    np.testing.assert_array_equal(predictions, expected.predictions)
    for index, op in enumerate(opcount.OP_CLASSES):
        np.testing.assert_array_equal(counts[:, index], expected.op_counts[op], err_msg=op)


def convert(estimator, calibration: np.ndarray, settings: Settings):
    float_ir = read_mlp(estimator, settings)
    validate_mlp(float_ir)
    ir = quantize_mlp(float_ir, calibration, settings)
    validate_mlp(ir)
    return ir


def special_rows(n_features: int) -> np.ndarray:
    """Rows of -0.0, subnormals, +-inf, NaN, huge and tiny values."""
    values = np.array(
        [-0.0, 0.0, 1e-45, -1e-45, 1e-38, np.inf, -np.inf, np.nan, 3e38, -3e38, 0.5, -0.5],
        dtype=np.float32,
    )
    rows = np.resize(values, (len(values), n_features))
    return np.vstack([rows, np.roll(rows, 1, axis=1)]).astype(np.float32)


def fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _digits(activation: str = "relu"):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.3, random_state=0)
    model = fit(
        MLPClassifier(hidden_layer_sizes=(32,), activation=activation, max_iter=300, random_state=0), X_train, y_train
    )
    return model, X_train, X_test, y_test


def _classifier_figures(model, ir, X_test, y_test) -> tuple[float, float]:
    """(agreement with sklearn, accuracy drop in points) on float32 test rows."""
    rows = X_test.astype(np.float32)
    ours = np.asarray(model.classes_)[interpret_mlp(ir, rows).predictions]
    theirs = model.predict(rows)
    return float(np.mean(ours == theirs)), 100.0 * (np.mean(theirs == y_test) - np.mean(ours == y_test))


CLASSIFIERS = {
    "digits_relu": lambda: _digits("relu"),
    "digits_tanh": lambda: _digits("tanh"),
    "breast_cancer_standard": lambda: _split_fit(
        load_breast_cancer,
        make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=0)),
    ),
    "wine_minmax_logistic": lambda: _split_fit(
        load_wine,
        make_pipeline(
            MinMaxScaler(),
            MLPClassifier(hidden_layer_sizes=(16, 8), activation="logistic", max_iter=2000, random_state=0),
        ),
    ),
}


def _split_fit(loader, estimator):
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    return fit(estimator, X_train, y_train), X_train, X_test, y_test


@pytest.mark.parametrize("case", sorted(CLASSIFIERS))
def test_classifier_agrees_with_sklearn_and_c_with_interpreter(case, tmp_path):
    model, X_train, X_test, y_test = CLASSIFIERS[case]()
    settings = Settings(name="mlp")
    ir = convert(model, X_train, settings)
    agreement, drop = _classifier_figures(model, ir, X_test, y_test)
    assert agreement >= 0.99, f"{case}: agreement {agreement:.4f}"
    assert drop <= 1.0, f"{case}: accuracy drop {drop:.2f} points"
    rows = np.vstack([X_test.astype(np.float32), special_rows(X_test.shape[1])])
    assert_c_matches(ir, settings, rows, tmp_path)


def test_digits_header_builds_as_cxx(tmp_path):
    model, X_train, X_test, _ = _digits()
    settings = Settings(name="digits")
    ir = convert(model, X_train, settings)
    assert_c_matches(ir, settings, X_test[:50].astype(np.float32), tmp_path, cxx=True)


def test_regressor_within_bound(tmp_path):
    """Diabetes (targets 25..346): |quantised - sklearn| <= 8.0 on every test row (2.5% of the
    target range; the worst row has a feature below the calibration range, which clamps),
    mean <= 1.0."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=0)
    model = fit(
        make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(16,), max_iter=3000, random_state=0)),
        X_train,
        y_train,
    )
    settings = Settings(name="diab")
    ir = convert(model, X_train, settings)
    rows = X_test.astype(np.float32)
    ours = interpret_mlp(ir, rows).predictions / 2.0**ir.output_format.frac_bits
    error = np.abs(ours - model.predict(rows))
    assert error.max() <= 8.0 and error.mean() <= 1.0, (error.max(), error.mean())
    assert_c_matches(ir, settings, np.vstack([rows, special_rows(rows.shape[1])]), tmp_path)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_integer_inputs(dtype, tmp_path):
    """Digits pixels 0..16 as integer readings with scale 1/16: same features as X / 16."""
    model, X_train, X_test, y_test = _digits()
    settings = Settings(name="px", input=dtype, quantization=InputQuantization((1.0 / 16.0,), (0,)))
    ir = convert(model, X_train, settings)
    readings = np.rint(X_test * 16.0).astype(np.int64)
    ours = np.asarray(model.classes_)[interpret_mlp(ir, readings).predictions]
    assert np.mean(ours == model.predict(X_test.astype(np.float32))) >= 0.99
    extremes = np.resize(np.array(ir.input.value_range), (4, X_test.shape[1]))
    assert_c_matches(ir, settings, np.vstack([readings, extremes]), tmp_path)
