"""A generated project's firmware sources build with Debian's cross compilers, with the flags
PlatformIO passes for each board.

The Arduino cores (and so src/main.cpp) need PlatformIO's own packages, which cannot be
downloaded here: the portable C (protocol core, model binding, counter, model header) is built
with a bare main per chip instead (firmware/protocol/bare/), the part PlatformIO would add
being only the Arduino Serial shell."""

import subprocess

import pytest
from device_support import WARNINGS, build_avr_elf, build_stm32f4_elf, core_sources, includes, need, run

from codegen.device.boards import get_board


def _size(tool: str, elf) -> tuple[int, int]:
    out = subprocess.run([tool, "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    sections = {line.split()[0]: int(line.split()[1]) for line in out.splitlines()[2:] if len(line.split()) >= 2}
    flash = sum(sections.get(s, 0) for s in (".text", ".data", ".isr_vector"))
    ram = sum(sections.get(s, 0) for s in (".data", ".bss"))
    return flash, ram


@pytest.mark.parametrize("board", ["uno", "megaatmega2560"])
def test_avr_firmware_links(make_project, tmp_path, board):
    elf = build_avr_elf(make_project(board), "tiny", board, tmp_path / f"{board}.elf")
    flash, ram = _size(need("avr-size"), elf)
    spec = get_board(board)
    assert 0 < flash < spec.flash_bytes and 0 < ram < spec.ram_bytes


def test_stm32f401_firmware_links(make_project, tmp_path):
    elf = build_stm32f4_elf(make_project("nucleo_f401re"), "tiny", "nucleo_f401re", tmp_path / "f401.elf")
    flash, ram = _size(need("arm-none-eabi-size"), elf)
    assert 0 < flash < get_board("nucleo_f401re").flash_bytes
    symbols = subprocess.run([need("arm-none-eabi-nm"), str(elf)], capture_output=True, text=True).stdout
    assert "mcugen_counter_read" in symbols  # the DWT counter, not a fallback


@pytest.mark.parametrize("board", ["nucleo_l432kc", "rpipico"])
def test_other_arm_boards_compile(make_project, tmp_path, board):
    """Objects only: their bare UART code would be one more chip-specific main to keep."""
    cc = need("arm-none-eabi-gcc")
    project = make_project(board)
    for source in core_sources(project):
        run([cc, "-c", *WARNINGS, "-Os", *get_board(board).cflags, *includes(project, "tiny"),
             source, "-o", str(tmp_path / "out.o")])


def test_wrong_model_in_lib_does_not_compile(make_project, tmp_path):
    """The glue pins the hash the project was written for."""
    project = make_project("uno")
    header = project / "lib" / "tiny" / "src" / "tiny.h"
    header.write_text(header.read_text().replace("0x1234ABCDUL", "0x1234ABCEUL"))
    with pytest.raises(AssertionError, match="mcugen_hash_matches"):
        build_avr_elf(project, "tiny", "uno", tmp_path / "uno.elf")
