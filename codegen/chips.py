"""What mcugen knows of a chip: the one place the rest of the code asks. The facts still live in
their tables (AVR parts in codegen/harness/avr.py, boards in codegen/device/boards.py, family
profiles in codegen/backends/targets.py); moving them into one table here is issue 18's next step."""

from __future__ import annotations

from codegen.backends.targets import profile


def chip_flash_bytes(chip: str, family: str) -> int:
    """Flash of a named chip or board when mcugen knows it, else of its family's profile."""
    from codegen.device.boards import BOARDS
    from codegen.harness import avr

    if chip in avr.CHIPS:
        return avr.CHIPS[chip].flash
    if chip in BOARDS:
        return BOARDS[chip].flash_bytes
    return profile(family).flash_bytes


def names_a_chip(chip: str, family: str) -> bool:
    """A chip or board whose flash is known; "avr" means the ATmega328P. A core name such as
    `cortex-m0` or `riscv32` covers parts from 16 KB to several MB of flash."""
    from codegen.device.boards import BOARDS
    from codegen.harness import avr

    return chip in avr.CHIPS or chip in BOARDS or family == "avr"
