"""The Cortex-M DSP fast path of an integer MLP: tables and inline-asm text for
templates/_mlp_arm.h.j2 (compiled only where __ARM_FEATURE_DSP and Thumb-2 are present).

Activations are int16 codes in one stack array of two halves, so a 32-bit load gives the pair
(x[2p], x[2p+1]) that `smlad` multiplies with a word holding the pair of int16 weights of one
channel. Each layer's flash is one stream of words, consumed in order by `ldm`/`ldrd`: per group
of 4 (then 2, then 1) output channels, the G biases (loaded straight into the accumulators
r0..r(G-1)), then for every two input pairs the G weight words of the first pair and the G of
the second, then the G multipliers. One `ldrd` of two activation words serves the whole group.

Requantisation (acc * M + 2**(s-1)) >> s is one `smmulr` (a*b + 2**31) >> 32 with M << (32-s)
for s = 32 and 24, and with acc << (24-s), M << 8 for s = 16 and 8 (only when the layer's proven
accumulator bound leaves room for the shift); then the zero point, `ssat` to int8 and the clamp.

Registers: accumulators r0-r3, weight words r4 r5 r6 r8, activation words r9 lr, the weight
stream r10, the activations r11, the output r12; r7 (the Thumb frame pointer) is left alone.
"""

from __future__ import annotations

import numpy as np

from codegen.backends.c_text import table_rows
from codegen.backends.mlp_groups import channel_groups
from codegen.ir.mlp import ACT_LUT, ACT_SCORE, INPUT_POW2, INT8_MAX, INT8_MIN, MLP, DenseLayer
from codegen.ir.validate_mlp import accumulator_bound

ACC = ("r0", "r1", "r2", "r3")
WREG = ("r4", "r5", "r6", "r8")
MAX_INPUTS = 510  # ldrd offsets reach 1020 bytes
# Accumulator pre-shift per requantisation shift, and the bound it needs (|acc| << k < 2**31).
ACC_SHIFT = {32: 0, 24: 0, 16: 8, 8: 16}


def arm_context(ir: MLP) -> dict | None:
    """Per-layer word streams and asm lines, or None when a layer does not qualify (then the
    portable C with SXTB16/SMLAD runs)."""
    if not all(_qualifies(layer) for layer in ir.layers):
        return None
    width = max([_even(ir.n_features)] + [_even(layer.n_out) for layer in ir.layers[:-1]])
    quant = ir.input_quant
    shared_pow2 = quant.mode == INPUT_POW2 and bool(
        np.all(quant.exponent == quant.exponent[0]) and np.all(quant.zero_point == quant.zero_point[0])
    )
    return {
        "width": width,
        "pad_input": ir.n_features % 2 == 1,
        "pow2_asm": _pow2_asm(ir.n_features, 150 - int(quant.exponent[0]), int(quant.zero_point[0]))
        if shared_pow2
        else None,
        "layers": [_layer(index, layer, width) for index, layer in enumerate(ir.layers)],
    }


def _even(n: int) -> int:
    return n + n % 2


def _qualifies(layer: DenseLayer) -> bool:
    shifts = set(layer.shift.tolist())
    if len(shifts) != 1 or layer.n_in > MAX_INPUTS:
        return False
    if layer.activation != ACT_SCORE and layer.clamp[1] != INT8_MAX:
        return False
    return int(accumulator_bound(layer).max()) < 2 ** (31 - ACC_SHIFT[shifts.pop()])


def _stream(layer: DenseLayer) -> np.ndarray:
    """The layer's words in the order the asm loads them."""
    w = layer.weights.astype(np.int64)
    if layer.n_in % 2:
        w = np.concatenate([w, np.zeros((layer.n_out, 1), dtype=np.int64)], axis=1)
    pairs = (w[:, 0::2] & 0xFFFF) | ((w[:, 1::2] & 0xFFFF) << 16)  # (n_out, n_pairs)
    shift = int(layer.shift[0])
    mult = layer.multiplier.astype(np.int64) << (8 if shift < 32 else 0)
    words = []
    for start, size in channel_groups(layer.n_out):
        words.append(layer.bias[start : start + size].astype(np.int64))
        words.append(pairs[start : start + size].T.reshape(-1))  # pair-major, channel-minor
        words.append(mult[start : start + size])
    stream = np.concatenate(words)
    return np.where(stream >= 2**31, stream - 2**32, stream)


def _layer(index: int, layer: DenseLayer, width: int) -> dict:
    score = layer.activation == ACT_SCORE
    stream = _stream(layer)
    in_half, out_half = index % 2, (index + 1) % 2
    return {
        "index": index,
        "score": score,
        "n_out": layer.n_out,
        "lut": layer.activation == ACT_LUT,
        "x_offset": in_half * width,
        "out_offset": out_half * width,
        "pad_output": not score and layer.n_out % 2 == 1,
        "words": table_rows((int(v) for v in stream), 8),
        "n_words": int(stream.size),
        "asm": _layer_asm(layer, 2 * width * (out_half - in_half)),
    }


def _q(line: str) -> str:
    return '"' + line + '\\n\\t"'


def _layer_asm(layer: DenseLayer, distance: int) -> list[str]:
    """The whole layer; groups of four loop (hidden layers only: the loop ends when the output
    pointer reaches x + `distance` + 8 * groups, with `distance` = out - x in bytes)."""
    score = layer.activation == ACT_SCORE
    groups = channel_groups(layer.n_out)
    fours = sum(1 for _, size in groups if size == 4)
    lines: list[str] = []
    looped = not score and fours > 1
    for position, (_, size) in enumerate(groups):
        if looped and size == 4 and position > 0:
            continue
        if looped and size == 4:
            lines.append("1:")
        lines += _group(layer, size)
        if looped and size == 4:
            lines += [_add_imm("r4", "r11", distance + 8 * fours), "cmp r12, r4", "bne 1b"]
    return [_q(line) for line in lines]


def _group(layer: DenseLayer, g: int) -> list[str]:
    acc, wr = ACC[:g], WREG[:g]
    lines = [_load(acc, "r10")]
    n_pairs = (layer.n_in + 1) // 2
    for p in range(0, n_pairs, 2):
        if p + 1 < n_pairs:
            lines.append(f"ldrd r9, lr, [r11, #{4 * p}]")
            if g == 4:
                lines += [_load(wr, "r10")] + [_smlad(a, w, "r9") for a, w in zip(acc, wr)]
                lines += [_load(wr, "r10")] + [_smlad(a, w, "lr") for a, w in zip(acc, wr)]
            else:
                both = WREG[: 2 * g]
                lines.append(_load(both, "r10"))
                lines += [_smlad(a, w, "r9") for a, w in zip(acc, both[:g])]
                lines += [_smlad(a, w, "lr") for a, w in zip(acc, both[g:])]
        else:
            lines += [f"ldr r9, [r11, #{4 * p}]", _load(wr, "r10")]
            lines += [_smlad(a, w, "r9") for a, w in zip(acc, wr)]
    lines.append(_load(wr, "r10"))
    shift = ACC_SHIFT[int(layer.shift[0])]
    for a, w in zip(acc, wr):
        if shift:
            lines.append(f"lsl {a}, {a}, #{shift}")
        lines.append(f"smmulr {a}, {a}, {w}")
    if layer.activation == ACT_SCORE:
        return lines + [_store_scores(acc)]
    for a in acc:
        if layer.zero_point:
            lines.append(_add_imm(a, a, layer.zero_point))
        lines.append(f"ssat {a}, #8, {a}")
        if layer.clamp[0] > INT8_MIN:
            lines += [_cmp_imm(a, layer.clamp[0]), "it lt", _mov_imm(a, layer.clamp[0], "lt")]
    return lines + _store_codes(acc)


def _load(regs: tuple[str, ...], base: str) -> str:
    if len(regs) == 1:
        return f"ldr {regs[0]}, [{base}], #4"
    if len(regs) == 2:
        return f"ldrd {regs[0]}, {regs[1]}, [{base}], #8"
    return f"ldm {base}!, {{{', '.join(regs)}}}"


def _smlad(acc: str, w: str, x: str) -> str:
    return f"smlad {acc}, {w}, {x}, {acc}"


def _store_scores(acc: tuple[str, ...]) -> str:
    if len(acc) == 1:
        return "str r0, [r12], #4"
    return f"stm r12!, {{{', '.join(acc)}}}"


def _store_codes(acc: tuple[str, ...]) -> list[str]:
    if len(acc) == 4:
        return ["pkhbt r0, r0, r1, lsl #16", "pkhbt r2, r2, r3, lsl #16", "strd r0, r2, [r12], #8"]
    if len(acc) == 2:
        return ["pkhbt r0, r0, r1, lsl #16", "str r0, [r12], #4"]
    return ["strh r0, [r12], #2"]


def _add_imm(dest: str, src: str, value: int) -> str:
    return f"add {dest}, {src}, #{value}" if value >= 0 else f"sub {dest}, {src}, #{-value}"


def _cmp_imm(reg: str, value: int) -> str:
    return f"cmp {reg}, #{value}" if value >= 0 else f"cmn {reg}, #{-value}"


def _mov_imm(reg: str, value: int, cond: str = "") -> str:
    return f"mov{cond} {reg}, #{value}" if value >= 0 else f"mvn{cond} {reg}, #{~value}"


def _pow2_asm(n_features: int, t: int, zero: int) -> list[str]:
    """Float32 bits -> int16 codes, four features per `ldm` (r10: x, r11: end of the fours,
    r12: out). Fast path for +0..+inf: with T = top + 15, m24 = 1.mantissa,
    code = ssat8(zero + (m24 >> usat6(T - e)) + carry), the carry being the rounding bit
    (see interpret_mlp.pow2_codes). Negative inputs and NaN branch to an exact slow path."""
    fours, rest = divmod(n_features, 4)
    lines: list[str] = []
    slow: list[str] = []
    if fours:
        lines += ["1:", "ldm r10!, {r4, r5, r6, r8}"]
        for k in range(4):
            lines += _pow2_feature(WREG[k], ACC[k], t, zero, 20 + k, slow)
        lines += ["pkhbt r0, r0, r1, lsl #16", "pkhbt r2, r2, r3, lsl #16", "strd r0, r2, [r12], #8"]
        lines += ["cmp r10, r11", "bne 1b"] if fours > 1 else []
    for k in range(rest):
        lines.append("ldr r4, [r10], #4")
        lines += _pow2_feature("r4", "r0", t, zero, 30 + k, slow)
        lines.append("strh r0, [r12], #2")
    if slow:
        lines += ["b 9f"] + slow + ["9:"]
    return [_q(line) for line in lines]


def _pow2_feature(x: str, out: str, t: int, zero: int, label: int, slow: list[str]) -> list[str]:
    rounding = f"adc {out}, {out}, #{zero}" if zero >= 0 else f"sbc {out}, {out}, #{-zero - 1}"
    lines = [f"cmp {x}, #0x7F800000", f"bhi {label}f"]
    lines += _magnitude(x, out, t, f"lsr r9, {x}, #23")
    lines += [rounding, f"{label + 20}:", f"ssat {out}, #8, {out}"]
    slow += [f"{label}:", f"lsl r9, {x}, #1", "cmp r9, #0xFF000000", f"bhi {label + 40}f"]
    slow += _magnitude(x, out, t, "lsr r9, r9, #24")
    slow += [f"adc {out}, {out}, #0", f"rsb {out}, {out}, #0", _add_imm(out, out, zero), f"b {label + 20}b"]
    slow += [f"{label + 40}:", _mov_imm(out, zero), f"b {label + 20}b"]
    return lines


def _magnitude(x: str, out: str, t: int, exponent: str) -> list[str]:
    """out = m24 >> usat6(T - e), the last bit shifted out in the carry."""
    return [
        exponent,
        f"rsb r9, r9, #{t}",
        "usat r9, #6, r9",
        f"ubfx {out}, {x}, #0, #23",
        f"orr {out}, {out}, #0x800000",
        f"lsrs {out}, {out}, r9",
    ]
