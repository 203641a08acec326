"""The rules every generated tree header keeps (DESIGN.md, "The generated C"):

(a) builds with the strictest warnings as C99 and as C++11;
(b) runs clean under AddressSanitizer + UBSan and equals the interpreter (and scikit-learn);
(c) has no float type outside the input typedef, no float literal and no division
    (outside <NAME>_OUTPUT_TO_REAL), and with integer input no float token at all;
(d) compiles for Cortex-M0 (soft float) and ATmega328P without any float library call;
(e) is byte-identical across conversions and across processes with other hash seeds;
(f) escapes class labels that would break comments;
(g) handles a depth-40 tree (no recursion limits) exactly.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn import ensemble, tree

import codegen
from codegen.harness.host import build_host, run_host
from tests.support.models import dataset

GCC_INSTALL = "sudo apt-get install gcc g++"
ARM_INSTALL = "sudo apt-get install gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi"
AVR_INSTALL = "sudo apt-get install gcc-avr avr-libc binutils-avr"
STRICT = ("-Wall", "-Wextra", "-Wconversion", "-Wshadow", "-pedantic", "-Werror")
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g")
FLOAT_LIBRARY_SYMBOL = re.compile(r"^(__aeabi_[fd]\w*|__\w*sf\w*|__\w*df\w*)$")


def require_tool(tool: str, install: str) -> str:
    from tests.conftest import require_tool as require

    return require(tool, install)


# ---- models ------------------------------------------------------------------------------------

MODELS = {
    "rf_classifier": (lambda: ensemble.RandomForestClassifier(n_estimators=6, max_depth=6, random_state=0), "wine"),
    "gb_multiclass": (lambda: ensemble.GradientBoostingClassifier(n_estimators=5, max_depth=3, random_state=0),
                      "iris"),
    "hgb_binary": (lambda: ensemble.HistGradientBoostingClassifier(max_iter=6, random_state=0), "breast_cancer"),
    "rf_regressor": (lambda: ensemble.RandomForestRegressor(n_estimators=5, max_depth=6, random_state=0),
                     "diabetes"),
}
INPUTS = ("float32", "int16")
LAYOUTS = ("ifelse", "table", "compact")


@functools.cache
def fitted(model: str):
    factory, data = MODELS[model]
    X, y, X_test, _ = dataset(data)
    return factory().fit(X, y), X_test


def int16_scale(X: np.ndarray) -> np.ndarray:
    """Per feature: the scale that maps the largest |x| to about 30000."""
    return np.maximum(np.abs(X).max(axis=0).astype(np.float64), 1e-3) / 30000.0


@functools.cache
def converted(model: str, layout: str, input_type: str):
    estimator, X_test = fitted(model)
    if input_type == "float32":
        return codegen.convert(estimator, name="mdl", layout=layout), X_test
    scale = int16_scale(X_test)
    rows = np.clip(np.round(X_test / scale), -32768, 32767).astype(np.int16)
    return codegen.convert(estimator, name="mdl", layout=layout, input="int16", scale=tuple(scale)), rows


CASES = [(m, layout, i) for m in MODELS for layout in LAYOUTS for i in INPUTS]
CASE_IDS = [f"{m}-{layout}-{i}" for m, layout, i in CASES]


def caller_source(name: str, input_ctype: str, n_features: int) -> str:
    """A translation unit that includes the header and calls predict and scores."""
    upper = name.upper()
    return textwrap.dedent(f"""\
        #include "{name}.h"

        int32_t call_model(const {input_ctype} *x, int32_t *scores);

        int32_t call_model(const {input_ctype} *x, int32_t *scores)
        {{
            {name}_input_t row[{upper}_N_FEATURES];
            unsigned i;
            for (i = 0; i < {n_features}u; ++i) {{
                row[i] = x[i];
            }}
            {name}_scores(row, scores);
            return {name}_predict(row) + {upper}_N_OUTPUTS;
        }}
        """)


def input_ctype(model) -> str:
    return {"float32": "float", "int16": "int16_t"}[model.input_dtype]


def write_sources(tmp_path: Path, model) -> Path:
    (tmp_path / f"{model.name}.h").write_text(model.header_text)
    source = tmp_path / "caller.c"
    source.write_text(caller_source(model.name, input_ctype(model), model.report()["n_features"]))
    return source


def compile_ok(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr[-4000:]}"
    return result


# ---- (a) strict C and C++ -----------------------------------------------------------------------


@pytest.mark.parametrize(("model_name", "layout", "input_type"), CASES, ids=CASE_IDS)
def test_strict_c99_and_cxx11(tmp_path, model_name, layout, input_type):
    gcc = require_tool("gcc", GCC_INSTALL)
    gxx = require_tool("g++", GCC_INSTALL)
    model, _ = converted(model_name, layout, input_type)
    source = write_sources(tmp_path, model)
    compile_ok([gcc, "-std=c99", *STRICT, "-O2", "-c", str(source), "-o", "c.o"], tmp_path)
    compile_ok([gxx, "-x", "c++", "-std=c++11", *STRICT, "-O2", "-c", str(source), "-o", "cxx.o"], tmp_path)


# ---- (b) sanitizers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("model_name", "layout", "input_type"), CASES, ids=CASE_IDS)
def test_sanitizers_and_interpreter_agree(model_name, layout, input_type):
    require_tool("gcc", GCC_INSTALL)
    model, rows = converted(model_name, layout, input_type)
    executable = build_host(model.header_text, model.name, extra_flags=SANITIZE)
    run = run_host(executable, rows, model.input_dtype, model.report()["n_outputs"])
    oracle = model.interpret(rows)
    np.testing.assert_array_equal(run.predictions, oracle.predictions)
    np.testing.assert_array_equal(run.scores, oracle.scores)
    reference = model.sklearn_predict(rows)
    decoded = model.decode(run.predictions)
    if model.is_classifier:
        np.testing.assert_array_equal(decoded, reference)
    else:
        bound = model.report()["output_error_bound"]
        assert np.max(np.abs(decoded - reference)) <= bound + 1e-9 * np.max(np.abs(reference))


# ---- (c) float tokens ---------------------------------------------------------------------------

COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
# A C preprocessing number (C99 6.4.8): classified below as integer or float literal.
PP_NUMBER = re.compile(r"(?<![\w.])\.?\d(?:[eEpP][+-]|[\w.])*")


def strip_comments(text: str) -> str:
    # keep line structure so that line-based checks still see one directive per line
    return COMMENT.sub(lambda match: "\n" * match.group().count("\n") + " ", text)


def float_literals(code: str) -> list[str]:
    found = []
    for token in PP_NUMBER.findall(code):
        lower = token.lower()
        if lower.startswith("0x"):
            if "." in lower or "p" in lower:
                found.append(token)
        elif "." in lower or "e" in lower or lower.rstrip("ul").endswith("f"):
            found.append(token)
    return found


def test_float_literal_detector_finds_floats():
    code = "int a = 1.5; b = 2e3; c = 3.f; d = .5; e = 0x1p3; f = 1f; g = 0x3FE00000u; h = 10UL; i = x1e5;"
    assert float_literals(code) == ["1.5", "2e3", "3.f", ".5", "0x1p3", "1f"]


@pytest.mark.parametrize(("model_name", "layout", "input_type"), CASES, ids=CASE_IDS)
def test_no_float_tokens(model_name, layout, input_type):
    model, _ = converted(model_name, layout, input_type)
    code = strip_comments(model.header_text)
    lines = code.splitlines()
    float_lines = [line.strip() for line in lines if re.search(r"\b(float|double)\b", line)]
    if input_type == "float32":
        assert float_lines == [f"typedef float {model.name}_input_t;"]
    else:
        assert float_lines == []
    assert float_literals(code) == []
    macro = f"#define {model.name.upper()}_OUTPUT_TO_REAL("
    divisions = [line.strip() for line in lines
                 if "/" in line and not line.lstrip().startswith("#include") and macro not in line]
    assert divisions == []
    assert sum(macro in line for line in lines) == 1


# ---- (d) soft-float microcontrollers -------------------------------------------------------------


def undefined_symbols(nm: str, obj: Path) -> list[str]:
    result = subprocess.run([nm, "-u", str(obj)], capture_output=True, text=True, check=True)
    return [line.split()[-1] for line in result.stdout.splitlines() if line.strip()]


def defined_and_used_symbols(nm: str, obj: Path) -> list[str]:
    result = subprocess.run([nm, str(obj)], capture_output=True, text=True, check=True)
    return [line.split()[-1] for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize(("model_name", "layout", "input_type"), CASES, ids=CASE_IDS)
def test_cortex_m0_object_has_no_float_calls(tmp_path, model_name, layout, input_type):
    cc = require_tool("arm-none-eabi-gcc", ARM_INSTALL)
    nm = require_tool("arm-none-eabi-nm", ARM_INSTALL)
    model, _ = converted(model_name, layout, input_type)
    source = write_sources(tmp_path, model)
    compile_ok([cc, "-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft", "-Os", "-std=c99", *STRICT, "-c",
                str(source), "-o", "m0.o"], tmp_path)
    symbols = defined_and_used_symbols(nm, tmp_path / "m0.o")
    assert "call_model" in symbols
    assert [s for s in symbols if FLOAT_LIBRARY_SYMBOL.match(s)] == []


@pytest.mark.parametrize(("model_name", "layout", "input_type"), CASES, ids=CASE_IDS)
def test_avr_object_has_no_float_calls(tmp_path, model_name, layout, input_type):
    cc = require_tool("avr-gcc", AVR_INSTALL)
    nm = require_tool("avr-nm", AVR_INSTALL)
    model, _ = converted(model_name, layout, input_type)
    source = write_sources(tmp_path, model)
    compile_ok([cc, "-mmcu=atmega328p", "-Os", "-std=c99", *STRICT, "-c", str(source), "-o", "avr.o"], tmp_path)
    symbols = defined_and_used_symbols(nm, tmp_path / "avr.o")
    assert "call_model" in symbols
    assert [s for s in symbols if FLOAT_LIBRARY_SYMBOL.match(s)] == []


def test_float_symbol_check_would_catch_float_code(tmp_path):
    """The nm check above must be able to fail: real float arithmetic shows up."""
    cc = require_tool("arm-none-eabi-gcc", ARM_INSTALL)
    nm = require_tool("arm-none-eabi-nm", ARM_INSTALL)
    source = tmp_path / "f.c"
    source.write_text("float mul(float a, float b);\nfloat mul(float a, float b) { return a * b + 0.5f; }\n")
    compile_ok([cc, "-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft", "-Os", "-c", str(source), "-o", "f.o"],
               tmp_path)
    assert [s for s in undefined_symbols(nm, tmp_path / "f.o") if FLOAT_LIBRARY_SYMBOL.match(s)]


# ---- (e) determinism ----------------------------------------------------------------------------

DETERMINISM_CASES = [("rf_classifier", "ifelse", "float32"), ("gb_multiclass", "table", "int16"),
                     ("hgb_binary", "table", "float32"), ("rf_regressor", "ifelse", "int16")]

SUBPROCESS_CONVERT = """
import sys, joblib, codegen
estimator = joblib.load(sys.argv[1])
options = dict(name="mdl", layout=sys.argv[2], input=sys.argv[3])
if sys.argv[3] != "float32":
    options["scale"] = tuple(float(s) for s in sys.argv[4].split(","))
sys.stdout.write(codegen.convert(estimator, **options).header_text)
"""


@pytest.mark.parametrize(("model_name", "layout", "input_type"), DETERMINISM_CASES,
                         ids=["-".join(c) for c in DETERMINISM_CASES])
def test_byte_identical(tmp_path, model_name, layout, input_type):
    estimator, X_test = fitted(model_name)
    options = {"name": "mdl", "layout": layout, "input": input_type}
    scale = int16_scale(X_test)
    if input_type != "float32":
        options["scale"] = tuple(scale)
    first = codegen.convert(estimator, **options).header_text
    assert codegen.convert(estimator, **options).header_text == first
    path = tmp_path / "model.joblib"
    joblib.dump(estimator, path)
    scale_arg = ",".join(repr(float(s)) for s in scale)
    for seed in ("0", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", SUBPROCESS_CONVERT, str(path), layout, input_type, scale_arg],
                                capture_output=True, env=env, cwd=Path(__file__).resolve().parents[2])
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        assert result.stdout.decode() == first, f"header differs with PYTHONHASHSEED={seed}"


# ---- (f) hostile labels -------------------------------------------------------------------------

HOSTILE_LABELS = np.array(["a*/zzb", 'q"xuote', "new\nxline", "\u00fcn\u00efx"])
HOSTILE_FRAGMENTS = ("zzb", "xuote", "xline", "\u00fcn")


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("layout", LAYOUTS)
def test_hostile_class_labels_and_feature_names(tmp_path, layout):
    gcc = require_tool("gcc", GCC_INSTALL)
    gxx = require_tool("g++", GCC_INSTALL)
    X, y, X_test, _ = dataset("generated_classification")
    labels = HOSTILE_LABELS[y]
    estimator = ensemble.RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0).fit(X, labels)
    estimator.feature_names_in_ = np.array(["f*/zzb", 'g"xuote', "h\nxline", "\u00fcn\u00efx", "e", "f"],
                                           dtype=object)
    model = codegen.convert(estimator, name="mdl", layout=layout)
    header = model.header_text
    assert header.count("*/") == header.count("/*"), "a label closed a comment early"
    code = strip_comments(header)
    for fragment in HOSTILE_FRAGMENTS:
        assert fragment not in code, f"{fragment!r} leaked out of a comment"
    assert all(ord(ch) < 128 for ch in code)
    source = write_sources(tmp_path, model)
    compile_ok([gcc, "-std=c99", *STRICT, "-c", str(source), "-o", "c.o"], tmp_path)
    compile_ok([gxx, "-x", "c++", "-std=c++11", *STRICT, "-c", str(source), "-o", "cxx.o"], tmp_path)
    np.testing.assert_array_equal(model.predict(X_test), estimator.predict(X_test))


# ---- (g) deep trees -----------------------------------------------------------------------------


def deep_chain_tree():
    """One feature, alternating classes and geometrically growing weights: every split peels
    off the heaviest sample, so the tree is a chain of depth 40."""
    n = 120
    X = np.arange(n, dtype=np.float32).reshape(-1, 1)
    y = np.arange(n) % 2
    weights = 2.0 ** (np.arange(n) - n + 1)
    estimator = tree.DecisionTreeClassifier(max_depth=40, random_state=0).fit(X, y, sample_weight=weights)
    assert estimator.get_depth() == 40
    grid = np.concatenate([np.arange(-1, n + 1, 0.25, dtype=np.float32), [np.float32(np.nan)]]).reshape(-1, 1)
    return estimator, grid


@pytest.mark.parametrize("layout", LAYOUTS)
def test_depth_40_tree(tmp_path, layout):
    gcc = require_tool("gcc", GCC_INSTALL)
    estimator, grid = deep_chain_tree()
    limit = sys.getrecursionlimit()
    # 150 frames above the current depth: a walk that recursed through 40 levels with a few
    # Python frames per level would run out; a converter that loops does not
    sys.setrecursionlimit(len(inspect.stack()) + 150)
    try:
        model = codegen.convert(estimator, name="deep", layout=layout)
    finally:
        sys.setrecursionlimit(limit)
    source = write_sources(tmp_path, model)
    compile_ok([gcc, "-std=c99", *STRICT, "-c", str(source), "-o", "c.o"], tmp_path)
    np.testing.assert_array_equal(model.predict(grid), estimator.predict(grid))
    np.testing.assert_array_equal(model.run_c(grid).predictions, model.interpret(grid).predictions)
