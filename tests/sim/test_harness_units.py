"""Parts of the simulator harness that need no toolchain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.chips import chip
from codegen.errors import UserError
from codegen.harness import avr, cortexm, sizes, toolchains
from codegen.harness.targets import run_on_target
from tests.support.external import require_package

pytestmark = pytest.mark.sim

DATA = Path(__file__).parent / "data"

AVR_SIZE_A = """fw.elf  :
section                    size      addr
.data                        10   8388864
.text                      1004         0
.bss                          2   8388874
.comment                     17         0
.debug_info                1524         0
Total                      2557
"""


def test_parse_size_a_and_footprint() -> None:
    sections = sizes.parse_size_a(AVR_SIZE_A)
    assert sections[".text"] == 1004 and sections[".bss"] == 2 and "Total" not in sections
    assert sizes.footprint(sections) == sizes.Footprint(flash=1014, ram=12)
    assert sizes.Footprint(100, 8) - sizes.Footprint(60, 8) == sizes.Footprint(40, 0)


def test_missing_tool_names_the_apt_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(UserError, match="apt-get install gcc-avr avr-libc simavr"):
        toolchains.require("avr-gcc")
    with pytest.raises(UserError, match="apt-get install gcc-avr avr-libc simavr"):
        run_on_target("atmega328p", DATA / "tiny.h", "tiny", np.zeros((1, 2), np.float32), "float32")
    with pytest.raises(UserError, match="gcc-arm-none-eabi"):
        toolchains.require("arm-none-eabi-gcc")


def test_uart_text_rejoins_simavr_lines() -> None:
    console = "Loaded 10 .text\n\x1b[32mR 0 1 2.\n\x1b[0m\x1b[32mS 0 1\n\x1b[0m\x1b[32m 2.\n\x1b[0m"
    assert avr.uart_text(console).splitlines() == ["R 0 1 2", "S 0 1 2"]


@pytest.mark.parametrize(
    ("target", "name", "rows", "message"),
    [
        ("pic16", "tiny", np.zeros((1, 2), np.float32), "unknown simulator target"),
        ("cortex-m4", "tiny", np.zeros((1, 3), np.float32), r"\(n_rows, 2\)"),
        ("cortex-m4", "ti-ny", np.zeros((1, 2), np.float32), "not a C identifier"),
        ("cortex-m4", "other", np.zeros((1, 2), np.float32), "OTHER_N_FEATURES"),
    ],
)
def test_bad_arguments_are_user_errors(target: str, name: str, rows: np.ndarray, message: str) -> None:
    with pytest.raises(UserError, match=message):
        run_on_target(target, Path(DATA / "tiny.h"), name, rows, "float32")


def _cortexm_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cflags: list[str]) -> list[str]:
    """The compiler command cortexm.build would run, captured instead of run."""
    seen: list[list[str]] = []
    monkeypatch.setattr(toolchains, "require", lambda tool: tool)
    monkeypatch.setattr(toolchains, "compile_c", lambda command, cwd: seen.append(list(command)))
    cortexm.build(tmp_path, chip("cortex-m4").simulator, cflags)
    return seen[0]


def test_cortexm_build_is_soft_float_unless_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    default = _cortexm_command(monkeypatch, tmp_path, ["-DX=1"])
    assert [f for f in default if f.startswith("-mfloat-abi=")] == ["-mfloat-abi=soft"]
    hard = _cortexm_command(monkeypatch, tmp_path, ["-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"])
    assert [f for f in hard if f.startswith(("-mfloat-abi=", "-mfpu="))] == ["-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
    # libm after the sources, so float code's expf/tanhf resolve
    assert hard.index("-lm") > max(i for i, f in enumerate(hard) if f.endswith(".c"))


def test_unicorn_maps_the_page_of_cpacr() -> None:
    """A hard-float firmware's reset handler stores to CPACR (0xE000ED88): unicorn has no SCS,
    so the page is mapped as memory for the store to land."""
    require_package("unicorn", "pip install unicorn")
    uc = cortexm._unicorn(chip("cortex-m4").simulator)
    uc.mem_write(0xE000ED88, b"\x00\x00\xf0\x00")
    assert bytes(uc.mem_read(0xE000ED88, 4)) == b"\x00\x00\xf0\x00"
