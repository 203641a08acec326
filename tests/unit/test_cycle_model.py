"""The Cortex-M0 / M4 timing model on hand-written instruction sequences (encodings checked
with arm-none-eabi-as): each expected total is summed by hand from the TRM timings in the
comments, so a change in any rule shows up here."""

from __future__ import annotations

import pytest

from codegen.harness import cycle_model
from codegen.harness.cycle_model import NotArmv6M, decode, trace_cycles

# address -> encoding; executed in the order of TRACE (bne taken, beq not taken, pop to 0x200)
THUMB1 = {
    0x100: bytes.fromhex("0120"),  # movs r0, #1            M0 1  M4 1
    0x102: bytes.fromhex("4168"),  # ldr r1, [r0, #4]       M0 2  M4 2
    0x104: bytes.fromhex("8268"),  # ldr r2, [r0, #8]       M0 2  M4 1 (pipelined after a load)
    0x106: bytes.fromhex("0329"),  # cmp r1, #3             M0 1  M4 1
    0x108: bytes.fromhex("02d1"),  # bne 0x110, taken       M0 3  M4 1+P, P=1
    0x110: bytes.fromhex("5143"),  # muls r1, r2            M0 1 (fast multiplier)  M4 1
    0x112: bytes.fromhex("10b5"),  # push {r4, lr}          M0 1+2  M4 1+2
    0x114: bytes.fromhex("00d0"),  # beq, not taken         M0 1  M4 1
    0x116: bytes.fromhex("0160"),  # str r1, [r0, #0]       M0 2  M4 1 (immediate offset)
    0x118: bytes.fromhex("10bd"),  # pop {r4, pc} -> 0x200  M0 4+1  M4 1+2+P, P=3
    0x200: bytes.fromhex("00bf"),  # nop (last: not costed)
}
TRACE = [0x100, 0x102, 0x104, 0x106, 0x108, 0x110, 0x112, 0x114, 0x116, 0x118, 0x200]

THUMB2 = {
    0x100: bytes.fromhex("b1fbf2f0"),  # udiv r0, r1, r2          12 (upper bound)
    0x104: bytes.fromhex("80ee810a"),  # vdiv.f32 s0, s1, s2      14
    0x108: bytes.fromhex("01e0"),  # b 0x10e (to a wide, unaligned instruction)  1+P, P=1+1
    0x10E: bytes.fromhex("d1f80001"),  # ldr.w r0, [r1, #256]     2
    0x112: bytes.fromhex("8268"),  # ldr r2, [r0, #8]             1 (pipelined)
    0x114: bytes.fromhex("00ee810a"),  # vmla.f32 s0, s1, s2      3
    0x118: bytes.fromhex("8150"),  # str r1, [r0, r2]             2 (register offset, not after a load)
    0x11A: bytes.fromhex("2ded048a"),  # vpush {s16-s19}          1+4
    0x11E: bytes.fromhex("7047"),  # bx lr -> 0x300               1+P, P=2
    0x300: bytes.fromhex("00bf"),  # nop (last)
}
TRACE2 = [0x100, 0x104, 0x108, 0x10E, 0x112, 0x114, 0x118, 0x11A, 0x11E, 0x300]


def test_thumb1_sequence_on_cortex_m0() -> None:
    assert trace_cycles("cortex-m0", THUMB1, TRACE) == 1 + 2 + 2 + 1 + 3 + 1 + 3 + 1 + 2 + 5


def test_thumb1_sequence_on_cortex_m4() -> None:
    assert trace_cycles("cortex-m4", THUMB1, TRACE) == 1 + 2 + 1 + 1 + 2 + 1 + 3 + 1 + 1 + 6


def test_thumb2_and_fpu_sequence_on_cortex_m4() -> None:
    assert trace_cycles("cortex-m4", THUMB2, TRACE2) == 12 + 14 + 3 + 2 + 1 + 3 + 2 + 5 + 3


def test_branch_not_taken_costs_one_and_bl_four_on_m0() -> None:
    program = {0x0: bytes.fromhex("00d0"), 0x2: bytes.fromhex("fff7feff"), 0x40: bytes.fromhex("00bf")}
    # beq not taken (1), then bl to 0x40 (4)
    assert trace_cycles("cortex-m0", program, [0x0, 0x2, 0x40]) == 1 + 4


@pytest.mark.parametrize(
    ("encoding", "op", "n"),
    [("b1fbf2f0", "div", 0), ("10bd", "pop_pc", 2), ("2ded048a", "vfp_multiple", 4), ("00b1", "bcc", 0),
     ("90ed010a", "vfp_mem", 0), ("d1f80001", "load", 0), ("fff7feff", "bl", 0), ("bff35f8f", "system", 0)],
)
def test_decode_classes(encoding: str, op: str, n: int) -> None:
    insn = decode(bytes.fromhex(encoding))
    assert (insn.op, insn.n, insn.size) == (op, n, len(encoding) // 2)


def test_m0_rejects_thumb2_instructions() -> None:
    """unicorn's Cortex-M0 model runs ubfx; the cycle model refuses it (not ARMv6-M)."""
    program = {0x0: bytes.fromhex("c1f30700"), 0x4: bytes.fromhex("00bf")}  # ubfx r0, r1, #0, #8
    with pytest.raises(NotArmv6M, match="c1f30700 at 0x0"):
        trace_cycles("cortex-m0", program, [0x0, 0x4])
    assert trace_cycles("cortex-m4", program, [0x0, 0x4]) == 1
    assert decode(bytes.fromhex("bff35f8f")).armv6m  # dmb is ARMv6-M


def test_unknown_core_is_refused() -> None:
    with pytest.raises(ValueError, match="no cycle model"):
        cycle_model.CycleCounter("cortex-m7", lambda address, size: b"")
