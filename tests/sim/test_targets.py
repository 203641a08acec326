"""Hand-written model headers run on every simulated target: exact results, exact and
repeatable cycle/instruction counts, and model-alone sizes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from codegen.errors import UserError
from codegen.harness.targets import SIM_TARGETS, TargetRun, run_on_target

pytestmark = pytest.mark.sim

DATA = Path(__file__).parent / "data"
Require = Callable[[str], None]

# Edge cases of the float32 key: the thresholds themselves, -0.0, infinities and NaN.
TINY_ROWS = np.array(
    [[0.5, -1.25], [0.50001, 0.0], [-0.0, -1.3], [0.0, 3.0], [np.inf, -np.inf], [np.nan, 1.0], [-7.0, np.nan]],
    dtype=np.float32,
)
QINT_ROWS = np.array([[1, 2, 100], [-300, 7, 101], [32767, -32768, 0], [-32768, -32768, 32767]], dtype=np.int16)

# Measured with Debian bookworm's avr-gcc 5.4.0 / simavr, arm-none-eabi-gcc 12.2 and
# riscv64-unknown-elf-gcc 12.2 / unicorn 2.1.4. The simulators are deterministic, so these are
# exact: a change means the compiler, the harness or the counting method changed. AVR:
# cycles; Cortex-M and RISC-V: executed instructions.
TINY_COUNTS = {
    "atmega328p": [83, 58, 79, 68, 58, 58, 64],
    "atmega2560": [85, 60, 81, 70, 60, 60, 66],
    "cortex-m0": [103, 57, 99, 95, 57, 57, 91],  # soft float ARMv6-M: tiny.h's memcpy is a call
    "cortex-m3": [21, 15, 19, 18, 15, 15, 16],
    "cortex-m4": [21, 15, 19, 18, 15, 15, 16],
    "cortex-m7": [21, 15, 19, 18, 15, 15, 16],
    "riscv32": [97, 53, 93, 92, 53, 53, 88],  # RV32IMC: gcc calls memcpy for tiny.h's unaligned-safe read
}
QINT_COUNTS = {
    "atmega328p": [85, 78, 85, 81],
    "atmega2560": [91, 84, 91, 87],
    "cortex-m0": [18, 14, 18, 14],
    "cortex-m3": [11, 10, 11, 10],
    "cortex-m4": [11, 10, 11, 10],
    "cortex-m7": [11, 10, 11, 10],
    "riscv32": [13, 10, 13, 10],
}


def tiny_reference(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tiny.h in Python: NaN fails every `<=` and so goes right, as the key compare does."""
    left = rows[:, 0] <= np.float32(0.5)
    left_left = left & (rows[:, 1] <= np.float32(-1.25))
    scores = np.where(left_left[:, None], [256, 0], np.where(left[:, None], [64, 192], [0, 256]))
    return (scores[:, 1] > scores[:, 0]).astype(np.int64), scores.astype(np.int64)


def qint_reference(rows: np.ndarray) -> np.ndarray:
    x = rows.astype(np.int64)
    return np.where(x[:, 2] <= 100, 3 * x[:, 0] - 2 * x[:, 1], x[:, 0] * x[:, 1])


@pytest.fixture(scope="module")
def tiny_runs() -> dict[str, tuple[TargetRun, TargetRun]]:
    """Two runs per target, made once: the tests compare them."""
    return {}


def _tiny(
    target: str, cache: dict[str, tuple[TargetRun, TargetRun]], require_target: Require
) -> tuple[TargetRun, TargetRun]:
    require_target(target)
    if target not in cache:
        runs = [
            run_on_target(target, DATA / "tiny.h", "tiny", TINY_ROWS, "float32", with_scores=True) for _ in range(2)
        ]
        cache[target] = (runs[0], runs[1])
    return cache[target]


@pytest.mark.parametrize("target", SIM_TARGETS)
def test_tiny_predictions_and_scores_match_python(target: str, tiny_runs: dict, require_target: Require) -> None:
    run, _ = _tiny(target, tiny_runs, require_target)
    predictions, scores = tiny_reference(TINY_ROWS)
    assert run.predictions.dtype == np.int64 and run.counts.dtype == np.int64
    np.testing.assert_array_equal(run.predictions, predictions)
    np.testing.assert_array_equal(run.scores, scores)


@pytest.mark.parametrize("target", SIM_TARGETS)
def test_tiny_counts_are_exact_and_repeatable(target: str, tiny_runs: dict, require_target: Require) -> None:
    first, second = _tiny(target, tiny_runs, require_target)
    np.testing.assert_array_equal(first.counts, second.counts)
    assert first.counts.tolist() == TINY_COUNTS[target]
    assert first.counter == ("cycles" if target.startswith("atmega") else "instructions")


@pytest.mark.parametrize("target", SIM_TARGETS)
def test_tiny_model_alone_is_small(target: str, tiny_runs: dict, require_target: Require) -> None:
    run, _ = _tiny(target, tiny_runs, require_target)
    # Code only: a generated model has no mutable state, and its tables are const (flash).
    assert 0 < run.flash_bytes < 400
    assert run.ram_bytes == 0
    assert run.flash_bytes < run.chip_flash and run.chip_ram > 0


@pytest.mark.parametrize("target", SIM_TARGETS)
def test_int16_model(target: str, require_target: Require) -> None:
    require_target(target)
    runs = [run_on_target(target, DATA / "qint.h", "qint", QINT_ROWS, "int16") for _ in range(2)]
    np.testing.assert_array_equal(runs[0].predictions, qint_reference(QINT_ROWS))
    assert runs[0].scores is None
    assert runs[0].counts.tolist() == runs[1].counts.tolist() == QINT_COUNTS[target]
    assert 0 < runs[0].flash_bytes < 400


def test_too_big_for_atmega328p_names_size_and_limit(require_target: Require) -> None:
    require_target("atmega328p")
    rows = np.array([[3]], dtype=np.uint16)
    with pytest.raises(UserError, match=r"flash .* but the atmega328p has 32,768; .*atmega2560"):
        run_on_target("atmega328p", DATA / "huge.h", "huge", rows, "uint16")


def test_big_model_runs_on_atmega2560(require_target: Require) -> None:
    require_target("atmega2560")
    rows = np.array([[3], [20001]], dtype=np.uint16)
    run = run_on_target("atmega2560", DATA / "huge.h", "huge", rows, "uint16")
    assert run.predictions.tolist() == [4 + 8, 2 + 6]
    assert run.flash_bytes >= 40_000


def test_rows_beyond_one_build_run_in_batches(require_target: Require) -> None:
    """More rows than fit the ATmega328P's flash beside the harness: several builds."""
    require_target("atmega328p")
    rng = np.random.default_rng(0)
    rows = rng.integers(-32768, 32767, size=(700, 3)).astype(np.int16)  # 4,200 bytes
    run = run_on_target("atmega328p", DATA / "qint.h", "qint", rows, "int16")
    np.testing.assert_array_equal(run.predictions, qint_reference(rows))
    # The same rows cost the same in a batch as alone.
    alone = run_on_target("atmega328p", DATA / "qint.h", "qint", rows[:20], "int16")
    np.testing.assert_array_equal(run.counts[:20], alone.counts)
    assert len(run.counts) == 700 and 77 <= run.counts.min() <= run.counts.max() <= 88


# ---- a float model on the Cortex-M4's FPU (the hard-float ABI peers.py uses for float tools) --

HARD_FLOAT = ("-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
FLOAT_ROWS = np.array([[1.5, 2.0], [3.25, -0.5], [0.1, 0.3], [-7.0, 0.125]], dtype=np.float32)
FLOAT_HEADER = """#include <stdint.h>
#define FMAC_N_FEATURES 2
#define FMAC_N_OUTPUTS 1
typedef float fmac_input_t;
/* float multiply, divide, add and conversion: VFP instructions with an FPU, library calls without */
static int32_t fmac_predict(const fmac_input_t x[2]) {
    return (int32_t)((x[0] * x[1] + x[0] / x[1]) * 100.0f);
}
static void fmac_scores(const fmac_input_t x[2], int32_t scores[1]) { scores[0] = fmac_predict(x); }
"""


def fmac_reference(rows: np.ndarray) -> np.ndarray:
    x0, x1 = rows[:, 0], rows[:, 1]
    return np.trunc((x0 * x1 + x0 / x1) * np.float32(100)).astype(np.int64)  # float32 throughout


@pytest.fixture
def fmac_header(tmp_path: Path) -> Path:
    header = tmp_path / "fmac.h"
    header.write_text(FLOAT_HEADER)
    return header


def test_hard_float_abi_runs_vfp_on_cortex_m4(fmac_header: Path, require_target: Require) -> None:
    """The reset handler enables the FPU in a hard-float build: qemu runs it, unicorn counts
    each VFP instruction as one, and both agree with float32 numpy and with soft float."""
    require_target("cortex-m4")
    hard = run_on_target("cortex-m4", fmac_header, "fmac", FLOAT_ROWS, "float32", extra_cflags=HARD_FLOAT)
    soft = run_on_target("cortex-m4", fmac_header, "fmac", FLOAT_ROWS, "float32")
    np.testing.assert_array_equal(hard.predictions, fmac_reference(FLOAT_ROWS))
    np.testing.assert_array_equal(soft.predictions, hard.predictions)
    assert hard.counts.tolist() == [12, 12, 12, 12]  # exact: one per executed instruction, VFP ones included
    assert soft.counts.min() > 5 * hard.counts.max()  # __aeabi_fmul, __aeabi_fdiv, ... in software
    assert hard.ram_bytes == 0 and 0 < hard.flash_bytes < soft.flash_bytes


def test_hard_float_without_fpu_enable_faults_in_qemu(fmac_header: Path, require_target: Require) -> None:
    """qemu enforces CPACR: with the startup's FPU enable compiled out (-U__ARM_FP), the first
    VFP instruction faults, so the enable in firmware/cortex-m/startup.c is what makes it run."""
    require_target("cortex-m4")
    with pytest.raises(RuntimeError, match="qemu exited with 1"):
        run_on_target("cortex-m4", fmac_header, "fmac", FLOAT_ROWS, "float32", extra_cflags=(*HARD_FLOAT, "-U__ARM_FP"))


# Estimated cycles (codegen/harness/cycle_model.py) of the tiny model: exact for a given compiler.
TINY_CYCLE_ESTIMATES = {"cortex-m0": [185, 108, 183, 176, 108, 108, 174], "cortex-m4": [26, 20, 25, 24, 20, 20, 23]}


@pytest.mark.parametrize("target", SIM_TARGETS)
def test_cycle_estimates_on_cortex_m0_and_m4_only(target: str, tiny_runs: dict, require_target: Require) -> None:
    run, again = _tiny(target, tiny_runs, require_target)
    if target not in TINY_CYCLE_ESTIMATES:
        assert run.cycle_estimates is None
        return
    assert run.cycle_estimates.tolist() == again.cycle_estimates.tolist() == TINY_CYCLE_ESTIMATES[target]
    assert (run.cycle_estimates > run.counts).all()  # loads and taken branches cost more than one


# ---- the ATmega2560 beyond 64 KiB of flash -----------------------------------------------------


def _far_table_header(path: Path) -> Path:
    """Three 30,000-byte PROGMEM tables (90,000 bytes: the firmware passes 64 KiB, and the
    harness's own row table lands behind them), read with far reads."""
    values = [",".join(str((i * 7 + k) & 0xFF) for i in range(30000)) for k in range(3)]
    tables = "".join(f"static const uint8_t far_table{k}[30000] PROGMEM = {{{v}}};\n" for k, v in enumerate(values))
    reads = " + ".join(
        f"(int32_t)pgm_read_byte_far(pgm_get_far_address(far_table{k}) + i) * {1 << (8 * k)}" for k in range(3)
    )
    path.write_text(
        "#include <stdint.h>\n#include <avr/pgmspace.h>\n#define FAR_N_FEATURES 1\n#define FAR_N_OUTPUTS 1\n"
        f"typedef uint16_t far_input_t;\n{tables}"
        f"static int32_t far_predict(const far_input_t x[1]) {{ uint16_t i = x[0] % 30000u; return {reads}; }}\n"
        "static void far_scores(const far_input_t x[1], int32_t s[1]) { s[0] = far_predict(x); }\n"
    )
    return path


def test_firmware_above_64k_runs_on_atmega2560(tmp_path: Path, require_target: Require) -> None:
    require_target("atmega2560")
    rows = np.array([[0], [1], [29999], [12345], [40000]], dtype=np.uint16)
    run = run_on_target("atmega2560", _far_table_header(tmp_path / "far.h"), "far", rows, "uint16", with_scores=True)
    index = rows[:, 0].astype(np.int64) % 30000
    expected = sum(((index * 7 + k) & 0xFF) << (8 * k) for k in range(3))
    np.testing.assert_array_equal(run.predictions, expected)
    np.testing.assert_array_equal(run.scores[:, 0], expected)
    assert run.flash_bytes > 90_000 and (run.counts > 0).all()


def test_simavr_runs_are_bounded_in_time(monkeypatch: pytest.MonkeyPatch, require_target: Require) -> None:
    require_target("atmega328p")
    from codegen.harness import avr

    monkeypatch.setattr(avr, "SIMAVR_TIMEOUT_S", 0.001)
    with pytest.raises(RuntimeError, match=r"simavr did not finish the atmega328p firmware within 0 s"):
        run_on_target("atmega328p", DATA / "qint.h", "qint", QINT_ROWS, "int16")
