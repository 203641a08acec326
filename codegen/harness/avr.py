"""Building the AVR harness firmware with avr-gcc and running it in simavr.

Cycle counts are exact: firmware/avr/main.c times each call with Timer1 at prescaler 1
(extended to 32 bits by an overflow interrupt), which simavr models cycle by cycle, and
prints the count of an empty timed region too so the caller can subtract it.
"""

from __future__ import annotations

import re
from pathlib import Path

from codegen.harness import toolchains

F_CPU = 16_000_000
SIMAVR_TIMEOUT_S = 600.0

# simavr wraps each line its UART prints in green: ESC[32m <text, '\n' shown as '.'> '\n' ESC[0m.
_UART_CHUNK = re.compile(r"\x1b\[32m(.*?)\x1b\[0m", re.S)


def build(build_dir: Path, mcu: str, cflags: list[str]) -> Path:
    """Compiles firmware/avr/main.c against the glue headers in `build_dir`; returns the ELF."""
    firmware = toolchains.firmware_dir()
    elf = build_dir / "fw.elf"
    command = [
        toolchains.require("avr-gcc"),
        "-std=gnu99",
        "-Os",
        # avr-gcc 5.4 can size a branch of a long if-else chain wrongly ("relocation truncated
        # to fit: R_AVR_7_PCREL"); linker relaxation fixes the layout. Projects set it too.
        "-mrelax",
        f"-mmcu={mcu}",
        f"-DF_CPU={F_CPU}UL",
        "-Wall",
        "-Wextra",
        "-ffunction-sections",
        "-fdata-sections",
        "-Wl,--gc-sections",
        # Oversized regions let a too-big model link, so we can report its size against the chip.
        "-Wl,--defsym=__TEXT_REGION_LENGTH__=0x400000",
        "-Wl,--defsym=__DATA_REGION_LENGTH__=0xff00",
        f"-I{build_dir}",
        f"-I{firmware / 'common'}",
        *cflags,
        str(firmware / "avr" / "main.c"),
        "-o",
        str(elf),
    ]
    toolchains.compile_c(command, cwd=build_dir)
    return elf


def uart_text(console: str) -> str:
    """The bytes the firmware sent through the UART, with its line ends restored."""
    chunks = _UART_CHUNK.findall(console)
    if not chunks:  # a simavr without colours: plain lines ending in '.'
        return console.replace(".\n", "\n")
    # simavr adds '\n' after each chunk (a line, or 256 bytes of one) and shows '\n' as '.';
    # our records never contain '.', so it can only be a line end.
    return "".join(chunks).replace("\n", "").replace(".", "\n")


def simulate(elf: Path, mcu: str, timeout: float | None = None) -> str:
    """Runs the firmware to its final sleep; returns what it printed on the UART. A run longer
    than `timeout` (default SIMAVR_TIMEOUT_S) is stopped with a RuntimeError."""
    command = [toolchains.require("simavr"), "-m", mcu, "-f", str(F_CPU), str(elf)]
    limit = SIMAVR_TIMEOUT_S if timeout is None else timeout
    try:
        result = toolchains.run(command, timeout=limit, cwd=elf.parent)
    except RuntimeError as exc:
        raise RuntimeError(
            f"simavr did not finish the {mcu} firmware within {limit:.0f} s: too many rows for the time, or the "
            "firmware hangs (e.g. flash data above 64 KiB read with near pgm_read_* instead of far reads)"
        ) from exc
    console = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"simavr exited with {result.returncode}:\n{console[-2000:]}")
    return uart_text(result.stderr) or uart_text(result.stdout)
