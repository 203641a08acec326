"""Locating the cross toolchains and simulators, and running them with time limits.

A missing tool is the user's to fix, so `require` raises a UserError naming the Debian
packages to install. A compiler that rejects the code raises `CompileError` with the
compiler's stderr: that is a bug in the generated C or the harness, not the user's input.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from codegen.chips import simulator_of
from codegen.errors import UserError

# Debian packages that provide each tool (and the libraries the tool needs to be useful).
AVR_PACKAGES = "gcc-avr avr-libc simavr"
ARM_PACKAGES = "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"
RISCV_PACKAGES = "gcc-riscv64-unknown-elf"
TOOL_PACKAGES = {
    "avr-gcc": AVR_PACKAGES,
    "avr-size": AVR_PACKAGES,
    "simavr": AVR_PACKAGES,
    "arm-none-eabi-gcc": ARM_PACKAGES,
    "arm-none-eabi-size": ARM_PACKAGES,
    "arm-none-eabi-nm": ARM_PACKAGES,
    "qemu-system-arm": ARM_PACKAGES,
    "riscv64-unknown-elf-gcc": RISCV_PACKAGES,
    "riscv64-unknown-elf-size": RISCV_PACKAGES,
    "riscv64-unknown-elf-nm": RISCV_PACKAGES,
}
AVR_TOOLS = ("avr-gcc", "avr-size", "simavr")
ARM_TOOLS = ("arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-nm", "qemu-system-arm")
RISCV_TOOLS = ("riscv64-unknown-elf-gcc", "riscv64-unknown-elf-size", "riscv64-unknown-elf-nm")

COMPILE_TIMEOUT_S = 180.0


class CompileError(RuntimeError):
    """The compiler or linker failed; `stderr` holds what it said."""

    def __init__(self, command: list[str], stderr: str) -> None:
        super().__init__(f"{Path(command[0]).name} failed:\n{stderr.strip()}")
        self.command = command
        self.stderr = stderr


def install_hint(tool: str) -> str:
    return f"apt-get install {TOOL_PACKAGES.get(tool, tool)}"


def find(tool: str) -> str | None:
    return shutil.which(tool)


def require(tool: str) -> str:
    """The path of `tool`, or a UserError saying which packages provide it."""
    path = find(tool)
    if path is None:
        raise UserError(f"{tool} not found; install it with: sudo {install_hint(tool)}")
    return path


def missing(tools: tuple[str, ...]) -> list[str]:
    return [tool for tool in tools if find(tool) is None]


def tools_for(target: str) -> tuple[str, ...]:
    """The tools that build and run a simulated chip's firmware."""
    return {"avr": AVR_TOOLS, "riscv": RISCV_TOOLS, "cortex-m": ARM_TOOLS}[simulator_of(target).kind]


def firmware_dir() -> Path:
    """firmware/ in a source checkout, or inside the installed package (force-included)."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "firmware", here.parents[2] / "firmware"):
        if (candidate / "common" / "harness_main.h").is_file():
            return candidate
    raise RuntimeError(f"harness firmware sources not found near {here}")


def run(command: list[str], *, timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Runs a tool to completion; a hang becomes a RuntimeError instead of a stuck caller."""
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{Path(command[0]).name} did not finish within {timeout:.0f} s") from exc


def compile_c(command: list[str], *, cwd: Path | None = None, timeout: float = COMPILE_TIMEOUT_S) -> None:
    """Runs a compile/link command; failure raises CompileError carrying stderr."""
    require(command[0])
    result = run(command, timeout=timeout, cwd=cwd)
    if result.returncode != 0:
        raise CompileError(command, result.stderr + result.stdout)
