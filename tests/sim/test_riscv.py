"""The RV32IMC target (`riscv32`: unicorn, no C library; see codegen/harness/riscv.py): the
digits MLP equals the interpreter there with exact instruction counts, its RV32-only
requantisation (from the product's 32-bit halves) equals the exact formula on every shift and
on extreme operands, and generated headers build for RV32 with the strictest warnings and no
soft-float call. Trees on riscv32 are in test_tree_targets.py and test_targets.py."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier

import codegen
from codegen.harness import riscv
from codegen.harness.targets import run_on_target
from codegen.ir.interpret_mlp import requantize
from codegen.ir.mlp import MULTIPLIER_LIMIT, SHIFTS
from tests.sim.test_mlp_targets import MACS, _digits
from tests.support.models import dataset

pytestmark = pytest.mark.sim

Require = Callable[[str], None]
STRICT = ("-std=c99", "-Wall", "-Wextra", "-Wconversion", "-Wshadow", "-pedantic", "-Werror")
FLOAT_LIBRARY_SYMBOL = re.compile(r"^__\w*[sd]f\w*$")  # libgcc soft float: __addsf3, __ltdf2, ...
# riscv64-unknown-elf-gcc 12.2 / unicorn 2.1.4, the first 100 digits test rows: (sum, first five)
DIGITS_COUNTS = (1_623_822, [16240, 16241, 16240, 16238, 16239])


def test_digits_mlp_on_riscv32(require_target: Require, tmp_path: Path) -> None:
    require_target("riscv32")
    model, X_train, X_test = _digits()
    converted = codegen.convert(model, name="digits", calibration=X_train, target="riscv32")
    header = tmp_path / "digits.h"
    header.write_text(converted.header_text)
    rows = X_test[:100].astype(np.float32)
    run = run_on_target("riscv32", header, "digits", rows, "float32", with_scores=True)
    expected = converted.interpret(rows)
    np.testing.assert_array_equal(run.predictions, expected.predictions)
    np.testing.assert_array_equal(run.scores, expected.scores)
    assert (int(run.counts.sum()), run.counts[:5].tolist()) == DIGITS_COUNTS
    assert run.counts.max() / MACS < 7.0  # instructions per multiply-accumulate, all stages included
    assert run.ram_bytes == 0 and run.cycle_estimates is None


def _requant_header(path: Path) -> Path:
    """The generated requantisation of the digits MLP, as a model taking (acc, multiplier, shift)."""
    model, X_train, _ = _digits()
    text = codegen.convert(model, name="digits", calibration=X_train).header_text
    function = re.search(r"static inline int32_t digits_requant\(.*?\n}\n", text, re.S).group(0)
    path.write_text(
        "#include <stdint.h>\n#define RQ_N_FEATURES 3\n#define RQ_N_OUTPUTS 1\ntypedef int32_t rq_input_t;\n"
        f"{function}"
        "static int32_t rq_predict(const rq_input_t x[3]) { return digits_requant(x[0], x[1], (int)x[2]); }\n"
        "static void rq_scores(const rq_input_t x[3], int32_t s[1]) { s[0] = rq_predict(x); }\n")
    return path


def test_rv32_requantisation_is_exact(require_target: Require, tmp_path: Path) -> None:
    require_target("riscv32")
    rng = np.random.default_rng(0)
    extremes = [-(2**31), -(2**31) + 1, -1, 0, 1, 2**31 - 1]
    multipliers = [0, 1, MULTIPLIER_LIMIT - 1]
    rows = [(a, m, s) for a in extremes for m in multipliers for s in SHIFTS]
    for shift in SHIFTS:  # ties: acc * 1 = k * 2**s + 2**(s - 1) + delta
        rows += [(k * 2**shift + 2 ** (shift - 1) + d, 1, shift) for k in range(-2, 2) for d in (-1, 0, 1)
                 if -(2**31) <= k * 2**shift + 2 ** (shift - 1) + d < 2**31]
    random = zip(rng.integers(-(2**31), 2**31, 400), rng.integers(0, MULTIPLIER_LIMIT, 400),
                 rng.choice(SHIFTS, 400), strict=True)
    rows = np.array(rows + [tuple(map(int, r)) for r in random], dtype=np.int64)
    run = run_on_target("riscv32", _requant_header(tmp_path / "rq.h"), "rq", rows.astype(np.int32), "int32")
    exact = requantize(rows[:, 0], rows[:, 1], rows[:, 2])
    np.testing.assert_array_equal(run.predictions, (exact + 2**31) % 2**32 - 2**31)  # the C's int32 result


def _compile_strict(tmp_path: Path, header_text: str, name: str) -> list[str]:
    (tmp_path / f"{name}.h").write_text(header_text)
    source = tmp_path / "use.c"
    source.write_text(f'#include "{name}.h"\nint32_t call_model(const {name}_input_t *x);\n'
                      f"int32_t call_model(const {name}_input_t *x) {{ return {name}_predict(x); }}\n")
    include = riscv.firmware_include()
    command = [riscv.GCC, f"-march={riscv.ARCH}", f"-mabi={riscv.ABI}", "-Os", "-ffreestanding", *STRICT,
               f"-I{include}", "-c", str(source), "-o", str(tmp_path / "m.o")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    nm = subprocess.run([riscv.NM, str(tmp_path / "m.o")], capture_output=True, text=True, check=True)
    return [line.split()[-1] for line in nm.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("layout", ["ifelse", "table"])
def test_headers_build_strict_for_rv32_without_float_calls(require_target: Require, tmp_path: Path, layout: str):
    require_target("riscv32")
    X_train, y_train, _, _ = dataset("iris")
    trees = GradientBoostingClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X_train, y_train)
    symbols = _compile_strict(tmp_path, codegen.convert(trees, name="gb", layout=layout, target="riscv32").header_text,
                              "gb")
    assert "call_model" in symbols and not [s for s in symbols if FLOAT_LIBRARY_SYMBOL.match(s)]
    if layout == "ifelse":
        model, X_mlp, _ = _digits()
        symbols = _compile_strict(tmp_path, codegen.convert(model, name="digits", calibration=X_mlp).header_text,
                                  "digits")
        assert "call_model" in symbols and not [s for s in symbols if FLOAT_LIBRARY_SYMBOL.match(s)]


def test_float_symbol_check_would_catch_float_code(require_target: Require, tmp_path: Path) -> None:
    require_target("riscv32")
    header = ("#include <stdint.h>\ntypedef float f_input_t;\n"
              "static inline int32_t f_predict(const f_input_t *x) { return (int32_t)(x[0] * 1.5f); }\n")
    symbols = _compile_strict(tmp_path, header, "f")
    assert [s for s in symbols if FLOAT_LIBRARY_SYMBOL.match(s)]
