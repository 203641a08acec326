"""Building the Cortex-M harness firmware and running it in qemu and in unicorn.

How instructions are counted (exact and deterministic): qemu gives a guest no exact clock
(its mps2 timers and SysTick tick at 25 MHz, and -icount only maps instructions to virtual
nanoseconds), so the same ELF is also executed in the `unicorn` CPU emulator (qemu's TCG
core as a library) with a code hook called before every executed instruction, IT-skipped
ones included. The count of one call is the number of instructions executed from entering
`harness_mark_start` to entering `harness_mark_stop` around it, minus the same count for an
empty region (which covers the markers' own `bx lr` and the `bl` to the stop marker). So it
includes the call and return of the out-of-line wrapper around HARNESS_PREDICT. This is a
count of executed instructions, not cycles: the M3/M4/M7 differ only by the code gcc emits
for each -mcpu (and the float ABI: with the M4's FPU a VFP instruction counts as one, where a
soft-float library call counts every instruction it executes). qemu runs the firmware as the
real board model (predictions, semihosting, exit status); unicorn must print exactly the same,
or the run fails.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.chips import SIM_REGION, Simulator
from codegen.errors import UserError
from codegen.harness import cycle_model, toolchains
from codegen.harness.elf import load_segments, symbol_address

QEMU_TIMEOUT_S = 600.0
UNICORN_TIMEOUT_S = 1800.0
MAX_INSTRUCTIONS = 4_000_000_000

SYS_WRITEC, SYS_WRITE0, SYS_EXIT = 0x03, 0x04, 0x18
APPLICATION_EXIT = 0x20026
EXCP_BKPT = 7  # qemu's exception number for BKPT, as unicorn reports it
FLASH_BASE, RAM_BASE, REGION_SIZE = 0x0000_0000, 0x2000_0000, SIM_REGION
# The System Control Space page holding CPACR (0xE000ED88), which a hard-float firmware's
# reset handler writes to enable the FPU. unicorn does not model the SCS: the page is plain
# memory there, so the store lands and is otherwise ignored. unicorn 2.1's Cortex-M4 runs
# VFP instructions whatever CPACR holds; qemu's board model does enforce CPACR (a firmware
# that skips the enable faults there), and unicorn must print exactly what qemu printed.
SCS_PAGE, PAGE_SIZE = 0xE000_E000, 0x1000
NM = "arm-none-eabi-nm"


def build(build_dir: Path, board: Simulator, cflags: list[str]) -> Path:
    """Compiles firmware/cortex-m against the glue headers in `build_dir`; returns the ELF.

    Soft-float ABI on every core unless `cflags` choose one (`-mfloat-abi=hard
    -mfpu=fpv4-sp-d16` on the Cortex-M4, for code that does float arithmetic): mcugen's code
    has none, so an FPU would change nothing for it. With an FPU ABI the reset handler
    enables the FPU (firmware/cortex-m/startup.c), and qemu and unicorn run its instructions."""
    firmware = toolchains.firmware_dir()
    float_abi = [] if any(flag.startswith("-mfloat-abi=") for flag in cflags) else ["-mfloat-abi=soft"]
    elf = build_dir / "fw.elf"
    sources = [firmware / "cortex-m" / "main.c", firmware / "cortex-m" / "startup.c"]
    command = [
        toolchains.require("arm-none-eabi-gcc"),
        "-std=gnu99",
        "-Os",
        "-mthumb",
        f"-mcpu={board.cpu}",
        *float_abi,
        "-Wall",
        "-Wextra",
        "-ffunction-sections",
        "-fdata-sections",
        "-nostartfiles",
        "--specs=nano.specs",
        f"-T{firmware / 'cortex-m' / 'mps2.ld'}",
        "-Wl,--gc-sections",
        f"-I{build_dir}",
        f"-I{firmware / 'common'}",
        f"-I{firmware / 'cortex-m'}",
        *cflags,
        *map(str, sources),
        "-lm",  # after the sources: float code may call expf, tanhf, ... (avr-gcc links libm itself)
        "-o",
        str(elf),
    ]
    toolchains.compile_c(command, cwd=build_dir)
    return elf


def run_qemu(elf: Path, board: Simulator, timeout: float = QEMU_TIMEOUT_S) -> str:
    """Runs the firmware on the qemu board; returns what it printed by semihosting."""
    output = elf.parent / "semihosting.txt"
    command = [
        toolchains.require("qemu-system-arm"),
        "-M",
        board.machine,
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "none",
        # Semihosting output to a file of its own, apart from qemu's messages on stderr.
        "-chardev",
        f"file,id=semihosting,path={output}",
        "-semihosting-config",
        "enable=on,target=native,chardev=semihosting",
        "-kernel",
        str(elf),
    ]
    result = toolchains.run(command, timeout=timeout, cwd=elf.parent)
    if result.returncode != 0:
        raise RuntimeError(f"qemu exited with {result.returncode}:\n{(result.stdout + result.stderr)[-2000:]}")
    return output.read_text(errors="replace")


@dataclass
class _Counter:
    """State of one unicorn run: the instruction count and the semihosting output."""

    start: int
    stop: int
    executed: int = 0
    opened_at: int = -1
    regions: list[int] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    exit_status: int | None = None
    cycles: cycle_model.CycleCounter | None = None  # estimated cycles, where a core model exists
    cycles_opened_at: int = 0
    cycle_regions: list[int] = field(default_factory=list)
    error: Exception | None = None  # raised in the hook: re-raised after emu_stop

    def on_code(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        if self.cycles is not None:
            try:
                self.cycles.step(address)
            except cycle_model.NotArmv6M as exc:
                self.error = exc
                uc.emu_stop()
                return
        if address == self.start:
            self.opened_at = self.executed
            self.cycles_opened_at = self.cycles.cycles if self.cycles is not None else 0
        elif address == self.stop and self.opened_at >= 0:
            self.regions.append(self.executed - self.opened_at)
            if self.cycles is not None:
                self.cycle_regions.append(self.cycles.cycles - self.cycles_opened_at)
            self.opened_at = -1
        self.executed += 1

    def on_interrupt(self, uc: Any, intno: int, user_data: Any) -> None:
        from unicorn.arm_const import UC_ARM_REG_PC, UC_ARM_REG_R0, UC_ARM_REG_R1

        pc = uc.reg_read(UC_ARM_REG_PC)
        if intno != EXCP_BKPT or bytes(uc.mem_read(pc, 2)) != b"\xab\xbe":
            self.exit_status = -intno  # a fault: the firmware has no handler that could recover
            uc.emu_stop()
            return
        op, arg = uc.reg_read(UC_ARM_REG_R0), uc.reg_read(UC_ARM_REG_R1)
        if op == SYS_WRITE0:
            self.output.append(_read_c_string(uc, arg))
        elif op == SYS_WRITEC:
            self.output.append(chr(uc.mem_read(arg, 1)[0]))
        elif op == SYS_EXIT:
            self.exit_status = 0 if arg == APPLICATION_EXIT else 1
            uc.emu_stop()
            return
        else:
            raise RuntimeError(f"unsupported semihosting call {op:#x}")
        uc.reg_write(UC_ARM_REG_PC, (pc + 2) | 1)  # step over the BKPT


def _read_c_string(uc: Any, address: int) -> str:
    chunks = []
    while True:
        block = bytes(uc.mem_read(address, 64))
        end = block.find(b"\0")
        chunks.append(block if end < 0 else block[:end])
        if end >= 0:
            return b"".join(chunks).decode("latin-1")
        address += 64


def _unicorn(board: Simulator) -> Any:
    try:
        import unicorn
        from unicorn import arm_const
    except ImportError as exc:
        raise UserError("counting Cortex-M instructions needs the unicorn package: pip install unicorn") from exc
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(getattr(arm_const, "UC_CPU_ARM_" + board.cpu.upper().replace("-", "_")))
    uc.mem_map(FLASH_BASE, REGION_SIZE)
    uc.mem_map(RAM_BASE, REGION_SIZE)
    uc.mem_map(SCS_PAGE, PAGE_SIZE)
    return uc


@dataclass(frozen=True)
class Counted:
    """What one unicorn run printed, and per timed region its executed instructions and (on
    the cores cycle_model knows) its estimated cycles."""

    text: str
    instructions: list[int]
    cycles: list[int] | None


def count_instructions(elf: Path, board: Simulator, timeout: float = UNICORN_TIMEOUT_S) -> Counted:
    """Runs the firmware in unicorn and counts each timed region."""
    import unicorn
    from unicorn.arm_const import UC_ARM_REG_SP

    uc = _unicorn(board)
    for address, blob in load_segments(elf):
        uc.mem_write(address, blob)
    stack, reset = struct.unpack("<II", bytes(uc.mem_read(FLASH_BASE, 8)))
    counter = _Counter(symbol_address(elf, "harness_mark_start", NM), symbol_address(elf, "harness_mark_stop", NM))
    if board.cpu in cycle_model.CORES:
        counter.cycles = cycle_model.CycleCounter(board.cpu, lambda address, size: bytes(uc.mem_read(address, size)))
    uc.hook_add(unicorn.UC_HOOK_CODE, counter.on_code)
    uc.hook_add(unicorn.UC_HOOK_INTR, counter.on_interrupt)
    uc.reg_write(UC_ARM_REG_SP, stack)
    try:
        uc.emu_start(reset | 1, 0xFFFF_FFFF, timeout=int(timeout * 1e6), count=MAX_INSTRUCTIONS)
    except unicorn.UcError as exc:
        raise RuntimeError(f"unicorn stopped after {counter.executed} instructions: {exc}") from exc
    if counter.error is not None:
        raise RuntimeError(f"the {board.cpu} firmware is not valid for its core: {counter.error}")
    if counter.exit_status != 0:
        raise RuntimeError(f"firmware did not exit cleanly under unicorn (status {counter.exit_status})")
    cycles = counter.cycle_regions if counter.cycles is not None else None
    return Counted("".join(counter.output), counter.regions, cycles)
