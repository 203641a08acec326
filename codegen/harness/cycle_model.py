"""Estimated Cortex-M0 / Cortex-M4 cycles of an executed Thumb instruction trace.

unicorn executes instructions, not cycles. This module applies the per-instruction timings
of ARM's Technical Reference Manuals (Cortex-M0 TRM "Instruction set summary", Cortex-M4 TRM
"Processor instructions" and its FPU table) to each executed instruction, assuming ZERO WAIT
STATES (flash and RAM answer in one cycle), no interrupts, and:

- Cortex-M0: loads/stores 2, LDM/STM/PUSH/POP 1+N, a taken branch adds a 2-cycle refill
  (B 3, BL 4, BX/BLX 3, POP {..,PC} 4+N), a not-taken B<cond> 1, MRS/MSR/barriers 4, and
  MULS 1 (the fast-multiplier build that the RP2040, SAMD21 and STM32G0 use; the small one
  takes 32). Every instruction must be ARMv6-M: a Thumb-2 one raises NotArmv6M.
- Cortex-M4: single loads 2, or 1 right after another single load (pipelined neighbours;
  the TRM's exception, a load whose address uses the previous load's result, is not
  modelled); STR with an immediate offset 1, with a register offset 2 (1 after a load);
  LDM/STM/PUSH/POP 1+N; LDRD/STRD 3; multiplies 1; SDIV/UDIV 12 (the TRM's upper bound,
  2-12 by operands); taken branches 1+P, not taken 1. P (pipeline refill, 1..3) is 1 for a
  branch to an immediate target, 2 for a register target (BX, BLX, MOV/ADD pc), 3 for a
  target loaded from memory (POP/LDM/LDR pc, TBB/TBH), plus 1 when the target is a 32-bit
  instruction that is not word aligned (it needs two fetches), at most 3. FPU: VDIV/VSQRT
  14, VMLA/VFMA and their variants 3, VLDR/VSTR 2, VLDM/VSTM/VPUSH/VPOP 1+N, others 1.
  Instructions skipped by an IT block count 1.

Not modelled: wait states and flash accelerators, the stall of a load/store whose address
comes from the previous instruction, LDR-literal fetch contention, bus contention, and
data-dependent division. So the figure estimates a zero-wait-state core; on a real chip it
is a lower bound that grows with flash wait states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

CORES = ("cortex-m0", "cortex-m4")
M0_MULS_CYCLES = 1
M4_DIVIDE_CYCLES = 12

BRANCH_OPS = frozenset({"b", "bcc", "bl", "bx", "pop_pc", "ldr_pc", "ldm_pc", "tb"})
# Refill class of each branch on the Cortex-M4: how early the target is known.
_M4_REFILL = {"b": 1, "bcc": 1, "bl": 1, "bx": 2, "pop_pc": 3, "ldr_pc": 3, "ldm_pc": 3, "tb": 3}
_M0_FIXED = {"alu": 1, "mul": M0_MULS_CYCLES, "load": 2, "store_imm": 2, "store_reg": 2, "system": 4,
             "b": 3, "bl": 4, "bx": 3}
_M4_FIXED = {"alu": 1, "mul": 1, "div": M4_DIVIDE_CYCLES, "store_imm": 1, "dual": 3, "system": 1,
             "vfp": 1, "vfp_mac": 3, "vfp_div": 14, "vfp_mem": 2, "vmov2": 2}


class NotArmv6M(ValueError):
    """A Cortex-M0 trace executed an instruction that ARMv6-M does not have."""


@dataclass(frozen=True)
class Insn:
    size: int  # bytes: 2 or 4
    op: str  # timing class (see _M0_FIXED / _M4_FIXED / BRANCH_OPS and "multiple", "vfp_multiple")
    n: int = 0  # registers (words) moved by a multiple load/store
    armv6m: bool = True  # in the ARMv6-M instruction set


def is_wide(first_halfword: int) -> bool:
    return (first_halfword & 0xF800) in (0xE800, 0xF000, 0xF800)


def decode(code: bytes) -> Insn:
    """The timing class of the Thumb instruction at the start of `code` (2 or 4 bytes)."""
    h1 = int.from_bytes(code[:2], "little")
    if is_wide(h1):
        return _decode32(h1, int.from_bytes(code[2:4], "little"))
    return _decode16(h1)


def _decode16(h: int) -> Insn:
    if h & 0xFF00 == 0x4700:
        return Insn(2, "bx")  # BX / BLX register
    if h & 0xFC00 == 0x4400 and h & 0x0300 in (0x0000, 0x0200) and ((h >> 4) & 8 | h & 7) == 15:
        return Insn(2, "bx")  # ADD pc, Rm / MOV pc, Rm
    if h & 0xFFC0 == 0x4340:
        return Insn(2, "mul")
    if h & 0xF800 == 0x4800:
        return Insn(2, "load")  # LDR literal
    if h & 0xF000 == 0x5000:
        return Insn(2, "store_reg" if (h >> 9) & 7 <= 2 else "load")
    if h & 0xE000 == 0x6000 or h & 0xF000 in (0x8000, 0x9000):
        return Insn(2, "load" if h & 0x0800 else "store_imm")
    if h & 0xF000 == 0xC000:
        return Insn(2, "multiple", bin(h & 0xFF).count("1"))
    if h & 0xFE00 == 0xB400:
        return Insn(2, "multiple", bin(h & 0x1FF).count("1"))  # PUSH
    if h & 0xFE00 == 0xBC00:
        return Insn(2, "pop_pc" if h & 0x100 else "multiple", bin(h & 0x1FF).count("1"))
    if h & 0xF500 == 0xB100:
        return Insn(2, "bcc", armv6m=False)  # CBZ / CBNZ
    if h & 0xFF00 == 0xBF00 and h & 0xF:
        return Insn(2, "alu", armv6m=False)  # IT
    if h & 0xF000 == 0xD000 and (h >> 8) & 0xF < 0xE:
        return Insn(2, "bcc")
    if h & 0xF800 == 0xE000:
        return Insn(2, "b")
    return Insn(2, "alu")


def _decode32(h1: int, h2: int) -> Insn:
    if h1 & 0xF800 == 0xF000 and h2 & 0x8000:
        return _branch_or_control(h1, h2)
    if h1 & 0xFE00 == 0xF800:
        return _load_store_single(h1, h2)
    if h1 & 0xFE00 == 0xE800:
        return _load_store_multiple(h1, h2)
    if h1 & 0xFF80 == 0xFB80 and h1 & 0xFFD0 == 0xFB90 and h2 & 0xF0 == 0xF0:
        return Insn(4, "div", armv6m=False)
    if h1 & 0xFF00 == 0xFB00:
        return Insn(4, "mul", armv6m=False)
    if h1 & 0xEE00 == 0xEC00 and h1 & 0xF000 == 0xE000:
        return _vfp_memory(h1, h2)
    if h1 & 0xFF00 == 0xEE00:
        return _vfp_data(h1, h2)
    return Insn(4, "alu", armv6m=False)


def _branch_or_control(h1: int, h2: int) -> Insn:
    if h2 & 0xD000 == 0xD000:
        return Insn(4, "bl")
    if h2 & 0xD000 == 0x9000:
        return Insn(4, "b", armv6m=False)
    if h2 & 0xD000 == 0x8000 and (h1 >> 7) & 7 != 7:
        return Insn(4, "bcc", armv6m=False)
    # MSR, MRS and the barriers are ARMv6-M; the other hints are not
    return Insn(4, "system", armv6m=h1 & 0xFFE0 in (0xF380, 0xF3E0) or h1 == 0xF3BF)


def _load_store_single(h1: int, h2: int) -> Insn:
    if not h1 & 0x10:
        register_offset = not h1 & 0x80 and not h2 & 0x0FC0
        return Insn(4, "store_reg" if register_offset else "store_imm", armv6m=False)
    if h2 >> 12 == 15 and (h1 >> 5) & 3 == 2:
        return Insn(4, "ldr_pc", armv6m=False)
    return Insn(4, "load", armv6m=False)


def _load_store_multiple(h1: int, h2: int) -> Insn:
    if not h1 & 0x40:  # LDM / STM (PUSH.W, POP.W)
        n = bin(h2).count("1")
        return Insn(4, "ldm_pc" if h1 & 0x10 and h2 & 0x8000 else "multiple", n, armv6m=False)
    if h1 & 0xFFF0 == 0xE8D0 and h2 & 0xFFE0 == 0xF000:
        return Insn(4, "tb", armv6m=False)  # TBB / TBH
    if h1 & 0xFFE0 == 0xE840:
        return Insn(4, "load", armv6m=False)  # LDREX / STREX: timed as a load
    return Insn(4, "dual", armv6m=False)  # LDRD / STRD


def _vfp_memory(h1: int, h2: int) -> Insn:
    if h1 & 0xFFE0 == 0xEC40:
        return Insn(4, "vmov2", armv6m=False)  # VMOV between two core registers and the FPU
    if h1 & 0xFF20 == 0xED00:
        return Insn(4, "vfp_mem", armv6m=False)  # VLDR / VSTR
    return Insn(4, "vfp_multiple", h2 & 0xFF, armv6m=False)  # VLDM / VSTM / VPUSH / VPOP: imm8 words


def _vfp_data(h1: int, h2: int) -> Insn:
    if h2 & 0x10:
        return Insn(4, "vfp", armv6m=False)  # VMOV core <-> single, VMRS, VMSR
    opc1 = (h1 >> 4) & 0xB
    if opc1 == 0x8:
        return Insn(4, "vfp_div", armv6m=False)
    if opc1 in (0x0, 0x1, 0x9, 0xA):
        return Insn(4, "vfp_mac", armv6m=False)
    if opc1 == 0xB and h1 & 0xF == 1 and h2 & 0xC0 == 0xC0:
        return Insn(4, "vfp_div", armv6m=False)  # VSQRT: same latency as VDIV
    return Insn(4, "vfp", armv6m=False)


def m0_cycles(insn: Insn, taken: bool) -> int:
    if insn.op == "multiple":
        return 1 + insn.n
    if insn.op == "pop_pc":
        return 1 + insn.n + 2
    if insn.op == "bcc":
        return 3 if taken else 1
    return _M0_FIXED[insn.op]


def m4_cycles(insn: Insn, taken: bool, after_load: bool, target: Insn | None, target_address: int) -> int:
    op = insn.op
    if op in BRANCH_OPS:
        base = {"pop_pc": 1 + insn.n, "ldm_pc": 1 + insn.n, "ldr_pc": 2, "tb": 2}.get(op, 1)
        if not taken:
            return base
        misaligned = target is not None and target.size == 4 and target_address % 4 == 2
        return base + min(3, _M4_REFILL[op] + misaligned)
    if op == "load":
        return 1 if after_load else 2
    if op == "store_reg":
        return 1 if after_load else 2
    if op in ("multiple", "vfp_multiple"):
        return 1 + insn.n
    return _M4_FIXED[op]


class CycleCounter:
    """Feeds on executed instruction addresses one at a time (a unicorn code hook); `cycles`
    is the estimate of every instruction before the last one seen, which is costed when the
    next one shows whether it branched."""

    def __init__(self, core: str, read: Callable[[int, int], bytes]) -> None:
        if core not in CORES:
            raise ValueError(f"no cycle model for {core!r}; models exist for {', '.join(CORES)}")
        self.core = core
        self.read = read
        self.cycles = 0
        self._decoded: dict[int, Insn] = {}
        self._previous: Insn | None = None
        self._previous_address = 0
        self._after_load = False

    def _insn(self, address: int) -> Insn:
        insn = self._decoded.get(address)
        if insn is None:
            insn = decode(self.read(address, 4))
            if self.core == "cortex-m0" and not insn.armv6m:
                raise NotArmv6M(f"instruction {self.read(address, insn.size).hex()} at {address:#x} is not ARMv6-M")
            self._decoded[address] = insn
        return insn

    def step(self, address: int) -> None:
        insn = self._insn(address)
        previous = self._previous
        if previous is not None:
            taken = address != self._previous_address + previous.size
            if self.core == "cortex-m0":
                self.cycles += m0_cycles(previous, taken)
            else:
                self.cycles += m4_cycles(previous, taken, self._after_load, insn, address)
                self._after_load = previous.op == "load"
        self._previous, self._previous_address = insn, address


def trace_cycles(core: str, program: dict[int, bytes], trace: Iterable[int]) -> int:
    """Estimated cycles of every instruction of `trace` (addresses in execution order) but
    the last, whose successor is unknown; `program` maps each address to its encoding."""
    counter = CycleCounter(core, lambda address, size: (program[address] + b"\0\0")[:size])
    for address in trace:
        counter.step(address)
    return counter.cycles
