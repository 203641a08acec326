"""Flash and RAM footprints from `avr-size -A` / `arm-none-eabi-size -A`.

Flash holds code, constants (PROGMEM tables sit in .text on AVR, .rodata in .text on our
Cortex-M link) and the initial values of .data; RAM holds .data and .bss. The model's own
share is the difference between the harness built with the model and with a null model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codegen.harness import toolchains

FLASH_SECTIONS = (".text", ".rodata", ".ARM.exidx", ".data")
RAM_SECTIONS = (".data", ".bss", ".noinit")

_ROW = re.compile(r"^(\.\S+)\s+(\d+)\s+(\d+)\s*$")


@dataclass(frozen=True)
class Footprint:
    flash: int
    ram: int

    def __sub__(self, other: Footprint) -> Footprint:
        return Footprint(self.flash - other.flash, self.ram - other.ram)


def parse_size_a(text: str) -> dict[str, int]:
    """Section name -> size in bytes, from the System V (`-A`) output of a size tool."""
    sections: dict[str, int] = {}
    for line in text.splitlines():
        match = _ROW.match(line.strip())
        if match:
            sections[match.group(1)] = sections.get(match.group(1), 0) + int(match.group(2))
    return sections


def footprint(sections: dict[str, int]) -> Footprint:
    flash = sum(sections.get(name, 0) for name in FLASH_SECTIONS)
    ram = sum(sections.get(name, 0) for name in RAM_SECTIONS)
    return Footprint(flash, ram)


def measure(size_tool: str, elf: Path) -> Footprint:
    result = toolchains.run([toolchains.require(size_tool), "-A", str(elf)], timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{size_tool} failed on {elf}: {result.stderr.strip()}")
    return footprint(parse_size_a(result.stdout))
