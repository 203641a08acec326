"""`<name>_proba`: class probabilities in integer arithmetic for boosting classifiers and
forests (soft voting). The C
equals ir/proba.interpret_proba bit for bit, and is within the stated bound (< 1e-3) of the
library's predict_proba on every row; no undefined behaviour (UBSan) on extreme scores; it
builds as strict C99, C++ and for AVR / Cortex-M."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier

import codegen
from codegen.errors import UserError
from codegen.harness.proba_host import run_proba
from codegen.ir.proba import interpret_proba, proba_bound, proba_link
from tests.conftest import require_tool
from tests.support.external import lightgbm_model, xgboost_model
from tests.support.models import dataset, with_missing


def _sklearn(kind: str, data: str):
    X, y, _, _ = dataset(data)
    if kind == "hgb":
        return HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y)
    if kind == "rf":  # impure leaves: sums of probabilities (binary: one margin score)
        return RandomForestClassifier(n_estimators=9, max_depth=6, random_state=0).fit(X, y)
    if kind == "et":  # pure leaves: class votes
        return ExtraTreesClassifier(n_estimators=7, random_state=0).fit(X, y)
    return GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)


CASES = [("xgboost", "breast_cancer"), ("xgboost", "digits"), ("xgboost", "generated_classification"),
         ("lightgbm", "breast_cancer"), ("lightgbm", "digits"), ("lightgbm", "generated_classification"),
         ("hgb", "breast_cancer"), ("hgb", "wine"), ("gb", "iris"), ("gb", "breast_cancer"),
         ("rf", "breast_cancer"), ("rf", "digits"),
         ("et", "iris"), ("et", "breast_cancer")]


@pytest.mark.parametrize("library,data", CASES)
def test_proba_within_bound_of_the_library(library, data):
    if library == "xgboost":
        estimator = xgboost_model("classifier", data)
    elif library == "lightgbm":
        estimator = lightgbm_model("classifier", data)
    else:
        estimator = _sklearn(library, data)
    _, _, X_test, _ = dataset(data)
    X = with_missing(X_test, seed=4) if library in ("xgboost", "lightgbm", "hgb") else X_test
    model = codegen.convert(estimator, name="m")
    probabilities = model.predict_proba(X)
    oracle = interpret_proba(model.ir, proba_link(model.ir), model.interpret(X).scores)
    np.testing.assert_array_equal(np.ldexp(oracle.astype(np.float64), -16), probabilities)
    bound = model.report()["proba_bound"]
    error = float(np.max(np.abs(probabilities - estimator.predict_proba(X))))
    assert error <= bound < 1e-3, (error, bound)
    print(f"proba {library} {data}: {len(X)} rows, max error {error:.2e}, bound {bound:.2e}")


def test_models_without_probabilities_are_refused():
    X, y, _, _ = dataset("iris")
    model = codegen.convert(DecisionTreeClassifier(random_state=0).fit(X, y))  # the leaf's class only
    assert "proba_bound" not in model.report() and "_proba(" not in model.header_text
    with pytest.raises(UserError, match="boosting classifiers and forests only"):
        model.predict_proba(X)
    X, y, _, _ = dataset("breast_cancer")  # expit(2 raw): not the sigmoid _proba computes
    exponential = GradientBoostingClassifier(loss="exponential", n_estimators=5, random_state=0).fit(X, y)
    assert "proba_bound" not in codegen.convert(exponential).report()


@settings(max_examples=60)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=3, max_size=3), st.integers(0, 2))
def test_integer_softmax_on_any_scores(values, spread):
    """Any int32 scores (ties, +-2**31, tiny and huge gaps): within the arithmetic's part of the
    bound of the exact softmax, probabilities sum to 1 within 3 * 2**-17."""
    model = _multiclass_model()
    scores = np.asarray(values, dtype=np.int64).reshape(1, 3) >> (8 * spread)
    q16 = interpret_proba(model.ir, proba_link(model.ir), scores)
    real = np.ldexp(scores.astype(np.float64), -model.ir.leaf_format.frac_bits)
    exact = np.exp(real - real.max())
    exact /= exact.sum()
    arithmetic_bound = proba_bound(model.ir.with_(error_bound=0.0), proba_link(model.ir), 0.0)
    assert np.max(np.abs(np.ldexp(q16.astype(np.float64), -16) - exact)) <= arithmetic_bound
    assert abs(int(q16.sum()) - 65536) <= 3


def _multiclass_model():
    X, y, _, _ = dataset("iris")
    return codegen.convert(HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, y), name="m")


def test_no_undefined_behaviour_on_extreme_inputs():
    """UBSan and ASan on the C: +-inf, huge values and NaN drive the scores to their extremes."""
    require_tool("gcc", "sudo apt-get install gcc")
    for model in (_multiclass_model(), codegen.convert(xgboost_model("classifier", "breast_cancer"), name="m")):
        n = model.report()["n_features"]
        rng = np.random.default_rng(0)
        rows = rng.choice(np.array([np.inf, -np.inf, 3e38, -3e38, np.nan, 0.0, 1e6, -1e6], dtype=np.float32),
                          size=(200, n))
        flags = ("-fsanitize=undefined,address", "-fno-sanitize-recover=all")
        got = run_proba(model.header_text, "m", rows, "float32", len(model.classes), extra_flags=flags)
        oracle = interpret_proba(model.ir, proba_link(model.ir), model.interpret(rows).scores)
        np.testing.assert_array_equal(got, oracle)


@pytest.mark.parametrize("compiler,flags", [
    ("g++", ("-x", "c++", "-std=c++11")),
    ("avr-gcc", ("-std=c99", "-mmcu=atmega2560", "-Os")),
    ("arm-none-eabi-gcc", ("-std=c99", "-mcpu=cortex-m4", "-mthumb", "-Os")),
])
def test_proba_builds_strictly_everywhere(tmp_path, compiler, flags):
    tool = require_tool(compiler, "sudo apt-get install g++ gcc-avr avr-libc gcc-arm-none-eabi libnewlib-arm-none-eabi")
    model = codegen.convert(xgboost_model("classifier", "generated_classification"), name="m")
    (tmp_path / "m.h").write_text(model.header_text)
    (tmp_path / "caller.c").write_text('#include "m.h"\nvoid call(const float *x, int32_t *out);\n'
                                       "void call(const float *x, int32_t *out) { m_proba(x, out); }\n")
    strict = ("-Wall", "-Wextra", "-Wconversion", "-Wshadow", "-pedantic", "-Werror")
    result = subprocess.run([tool, *flags, *strict, "-c", "caller.c", "-o", "caller.o"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("suffix", [".json", ".ubj", ".txt"])
def test_check_proba_on_model_files(tmp_path, suffix):
    """`verify --proba`'s check (harness.proba_host.check_proba) on native files: the file's own
    library gives the reference probabilities."""
    from codegen.frontends.native import load_native_model
    from codegen.harness.proba_host import check_proba

    if suffix == ".txt":
        estimator = lightgbm_model("classifier", "digits")
        estimator.booster_.save_model(tmp_path / "m.txt")
    else:
        estimator = xgboost_model("classifier", "digits")
        estimator.save_model(tmp_path / f"m{suffix}")
    native = load_native_model(tmp_path / f"m{suffix}")
    X = dataset("digits")[2]
    np.testing.assert_allclose(native.predict_proba(X), estimator.predict_proba(X), rtol=0, atol=1e-6)
    result = check_proba(codegen.convert(native, name="m"), X)
    assert result["proba_passed"] and result["proba_max_error"] <= result["proba_bound"] < 1e-3


@pytest.mark.parametrize("leaf_scale", [1e8, 3.0, 1e-3])
def test_proba_for_any_fraction_bits(leaf_scale):
    """Scores with few fraction bits (huge leaves: the table index is shifted up) and many:
    C == interpreter on rows reaching every leaf, and within the arithmetic's bound of the
    exact sigmoid of the float IR's scores."""
    from codegen.backends.trees import tree_header
    from codegen.frontends.builder import EnsembleBuilder, boosting_facts
    from codegen.ir.interpret import interpret_trees
    from codegen.ir.model import POST_POSITIVE, InputSpec
    from codegen.passes.pipelines import lower_trees
    from codegen.settings import Settings

    builder = EnsembleBuilder(1)
    leaves = np.array([-2.5, -0.3, 0.0, 0.7, 1.9, 5.0]) * leaf_scale
    for tree in range(3):
        low, high = leaves[tree], leaves[tree + 3]
        builder.add_tree(builder.split(0, float(tree), True, lambda v=low: builder.leaf(v),
                                       lambda v=high: builder.leaf(v)))
    float_ir = builder.ensemble(InputSpec(1), np.array([0.1]), POST_POSITIVE, (0, 1), "a booster",
                                source=boosting_facts("scikit-learn", POST_POSITIVE))
    ir = lower_trees(float_ir)
    link = proba_link(ir)
    header = tree_header(ir, Settings(name="m"), "ifelse", 1, "test")
    X = np.array([[-1.0], [0.5], [1.5], [2.5], [np.nan]], dtype=np.float32)
    got = run_proba(header, "m", X, "float32", 2)
    oracle = interpret_proba(ir, link, interpret_trees(ir, X).scores)
    np.testing.assert_array_equal(got, oracle)
    with np.errstate(over="ignore"):  # exp(-huge) = inf: the probability is 0, as it should be
        exact = 1.0 / (1.0 + np.exp(-interpret_trees(float_ir, X).scores[:, 0]))
    assert np.max(np.abs(np.ldexp(got[:, 1].astype(float), -16) - exact)) <= proba_bound(ir, link, 0.0)
    print(f"leaf scale {leaf_scale}: {ir.leaf_format.frac_bits} fraction bits")


def test_verify_proba_checks_every_row_and_refuses_models_without_probabilities(tmp_path):
    import json

    import joblib

    from tests.support.cli_user import assert_one_error, run

    require_tool("gcc", "sudo apt-get install gcc")
    X, y, X_test, _ = dataset("wine")
    np.savetxt(tmp_path / "X.csv", X_test, delimiter=",")
    joblib.dump(HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y), tmp_path / "hgb.joblib")
    joblib.dump(DecisionTreeClassifier(random_state=0).fit(X, y), tmp_path / "dt.joblib")
    result = run("verify", "hgb.joblib", "--data", "X.csv", "--proba", "--json", "--trust", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["proba_passed"] and 0 < report["proba_max_error"] <= report["proba_bound"] < 1e-3
    text = run("verify", "hgb.joblib", "--data", "X.csv", "--proba", "--trust", cwd=tmp_path)
    assert "|C proba - predict_proba|" in text.stdout
    assert_one_error(run("verify", "dt.joblib", "--data", "X.csv", "--proba", "--trust", cwd=tmp_path),
                     "probabilities")
