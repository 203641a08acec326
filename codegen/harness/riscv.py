"""Building the RISC-V harness firmware and running it in unicorn.

The target is a generic RV32IMC microcontroller (the integer core of an ESP32-C3, GD32VF103,
CH32V or FE310: no FPU, so float code calls libgcc's soft float). The firmware
(firmware/riscv) has no C library; it writes its lines byte by byte to an output register and
ends with a write to an exit register, which the emulator watches. Instructions are counted
as on Cortex-M (cortexm.py): from entering `harness_mark_start` to entering
`harness_mark_stop`, minus the count of an empty region. There is no cycle estimate for
RISC-V: cores differ too much (a 2-stage E31 against a 4-stage ESP32-C3) for one model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codegen.chips import SIM_REGION
from codegen.errors import UserError
from codegen.harness import toolchains
from codegen.harness.cortexm import Counted
from codegen.harness.elf import load_segments, symbol_address

UNICORN_TIMEOUT_S = 1800.0
MAX_INSTRUCTIONS = 4_000_000_000
FLASH_BASE, RAM_BASE, REGION_SIZE = 0x0000_0000, 0x8000_0000, SIM_REGION
IO_PAGE, PAGE_SIZE = 0x1000_0000, 0x1000
OUTPUT_REGISTER, EXIT_REGISTER = IO_PAGE, IO_PAGE + 4
ARCH, ABI = "rv32imc", "ilp32"
GCC, SIZE, NM = "riscv64-unknown-elf-gcc", "riscv64-unknown-elf-size", "riscv64-unknown-elf-nm"


def firmware_include() -> Path:
    """The folder of the firmware's own string.h (there is no C library)."""
    return toolchains.firmware_dir() / "riscv" / "include"


def build(build_dir: Path, cflags: list[str]) -> Path:
    """Compiles firmware/riscv against the glue headers in `build_dir`; returns the ELF."""
    firmware = toolchains.firmware_dir()
    elf = build_dir / "fw.elf"
    command = [
        toolchains.require(GCC),
        "-std=gnu99",
        "-Os",
        f"-march={ARCH}",
        f"-mabi={ABI}",
        "-ffreestanding",  # gcc's own stdint.h and stddef.h, no C library
        "-nostdlib",
        "-nostartfiles",
        "-Wall",
        "-Wextra",
        "-ffunction-sections",
        "-fdata-sections",
        f"-T{firmware / 'riscv' / 'riscv.ld'}",
        "-Wl,--gc-sections",
        f"-I{build_dir}",
        f"-I{firmware / 'common'}",
        f"-I{firmware_include()}",
        *cflags,
        str(firmware / "riscv" / "start.S"),
        str(firmware / "riscv" / "main.c"),
        "-lgcc",  # after the sources: soft float and 64-bit helpers
        "-o",
        str(elf),
    ]
    toolchains.compile_c(command, cwd=build_dir)
    return elf


class _Counter:
    """One unicorn run: instructions per timed region, and what the firmware wrote."""

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop
        self.executed = 0
        self.opened_at = -1
        self.regions: list[int] = []
        self.output = bytearray()
        self.exited = False

    def on_code(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        if address == self.start:
            self.opened_at = self.executed
        elif address == self.stop and self.opened_at >= 0:
            self.regions.append(self.executed - self.opened_at)
            self.opened_at = -1
        self.executed += 1

    def on_write(self, uc: Any, access: int, address: int, size: int, value: int, user_data: Any) -> None:
        if address == OUTPUT_REGISTER:
            self.output.append(value & 0xFF)
        elif address == EXIT_REGISTER:
            self.exited = True
            uc.emu_stop()


def count_instructions(elf: Path, timeout: float = UNICORN_TIMEOUT_S) -> Counted:
    """Runs the firmware in unicorn's RV32 core; returns its output and counts per region."""
    try:
        import unicorn
    except ImportError as exc:
        raise UserError("running RISC-V code needs the unicorn package: pip install unicorn") from exc
    uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV32)
    for base in (FLASH_BASE, RAM_BASE):
        uc.mem_map(base, REGION_SIZE)
    uc.mem_map(IO_PAGE, PAGE_SIZE)
    for address, blob in load_segments(elf):
        uc.mem_write(address, blob)
    counter = _Counter(symbol_address(elf, "harness_mark_start", NM), symbol_address(elf, "harness_mark_stop", NM))
    uc.hook_add(unicorn.UC_HOOK_CODE, counter.on_code)
    uc.hook_add(unicorn.UC_HOOK_MEM_WRITE, counter.on_write, begin=IO_PAGE, end=IO_PAGE + PAGE_SIZE - 1)
    try:
        uc.emu_start(FLASH_BASE, 0xFFFF_FFFF, timeout=int(timeout * 1e6), count=MAX_INSTRUCTIONS)
    except unicorn.UcError as exc:
        raise RuntimeError(f"unicorn stopped after {counter.executed} instructions: {exc}") from exc
    if not counter.exited:
        raise RuntimeError(f"the RISC-V firmware did not exit within {counter.executed} instructions")
    return Counted(counter.output.decode("latin-1"), counter.regions, None)
