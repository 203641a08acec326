"""How the asm kernels walk a layer's output channels: in groups of four that share each
activation load, then a two and a one for what is left."""

from __future__ import annotations

GROUPS = (4, 2, 1)


def channel_groups(n_out: int) -> list[tuple[int, int]]:
    """(first channel, size) of each group: fours, then a two, then a one."""
    groups, start = [], 0
    for size in GROUPS:
        while n_out - start >= size:
            groups.append((start, size))
            start += size
    return groups
