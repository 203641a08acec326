"""What the emulators need from a 32-bit little-endian ELF (Cortex-M and RISC-V firmware):
its loadable bytes, and the address of a symbol."""

from __future__ import annotations

import struct
from pathlib import Path

from codegen.harness import toolchains


def symbol_address(elf: Path, name: str, nm: str) -> int:
    """The address of `name` as the toolchain's `nm` lists it (the Thumb bit cleared)."""
    result = toolchains.run([toolchains.require(nm), str(elf)], timeout=60)
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16) & ~1
    raise RuntimeError(f"symbol {name} not found in {elf}")


def load_segments(elf: Path) -> list[tuple[int, bytes]]:
    """(load address, bytes) of each PT_LOAD segment."""
    data = elf.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise RuntimeError(f"{elf} is not a 32-bit little-endian ELF")
    (phoff,) = struct.unpack_from("<I", data, 0x1C)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
    segments = []
    for index in range(phnum):
        p_type, offset, _vaddr, paddr, filesz, *_ = struct.unpack_from("<8I", data, phoff + index * phentsize)
        if p_type == 1 and filesz:  # PT_LOAD, at its load (flash) address: startup copies .data
            segments.append((paddr, data[offset : offset + filesz]))
    return segments
