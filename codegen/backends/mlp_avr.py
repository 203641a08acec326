"""The AVR fast path of an integer MLP: tables and inline-asm text for templates/_mlp_avr.h.j2.

Unsigned products: the device keeps activations as x' = code + 128 and the weights as
w' = w + 128 (both 0..255), so `mul` gives an unsigned 16-bit product and one add plus two adc
put it into a 24-bit sum (n_in <= 255: at most 255**3 < 2**24). Exactly,
sum w x = sum w'x' - 128 sum x' - 128 sum w' + 16384 n_in; the per-channel constant
c = bias - 128 sum w' + 16384 n_in is in the table and -128 sum x' is added once per layer.
Weights of four (then two, then one) output channels are interleaved so one activation load
serves every channel of the group.

Requantisation (acc * M + 2**(s-1)) >> s in asm, per channel: a' = acc + 2**23 (folded into c')
lies in [0, 2**24) since |acc| < 2**23, so the product a' * M is unsigned (six `mul` for a
two-byte M, nine for three); the accumulator P starts at K = 2**(s-1) - 2**23 M modulo
2**(8 width), so P = acc * M + 2**(s-1) and the result is bytes s/8.. of P, read as signed. The
per-channel bytes (c', M, bytes 2.. of K) follow each group's weights in one flash stream.
"""

from __future__ import annotations

import numpy as np

from codegen.backends.c_text import table_rows
from codegen.ir.mlp import ACT_SCORE, MLP, DenseLayer
from codegen.ir.validate_mlp import accumulator_bound

GROUPS = (4, 2, 1)
MAX_INPUTS = 255
MAG_LIMIT = 2**23


def avr_context(ir: MLP) -> dict | None:
    """Per-layer tables and kernels, or None when a layer does not qualify (then the AVR runs
    the portable C)."""
    if not all(_qualifies(layer) for layer in ir.layers):
        return None
    return {
        "layers": [_layer(index, layer) for index, layer in enumerate(ir.layers)],
        "kernels": [_kernel(g) for g in GROUPS],
    }


def _qualifies(layer: DenseLayer) -> bool:
    return (
        layer.n_in <= MAX_INPUTS
        and len(set(layer.shift.tolist())) == 1
        and int(accumulator_bound(layer).max()) < MAG_LIMIT
    )


def _groups(n_out: int) -> list[tuple[int, int]]:
    """(first channel, size) of each group: fours, then a two, then a one."""
    groups, start = [], 0
    for size in GROUPS:
        while n_out - start >= size:
            groups.append((start, size))
            start += size
    return groups


def _layer(index: int, layer: DenseLayer) -> dict:
    w = layer.weights.astype(np.int64) + 128
    shift = int(layer.shift[0])
    n_mult = 3 if int(layer.multiplier.max()) >= 2**16 else 2
    width = 3 + n_mult  # bytes of the product a' * M
    c = layer.bias.astype(np.int64) - 128 * w.sum(axis=1) + 16384 * layer.n_in + 2**23
    k = (2 ** (shift - 1) - 2**23 * layer.multiplier.astype(np.int64)) % 2 ** (8 * width)
    stream = []
    for start, size in _groups(layer.n_out):
        stream.append(w[start : start + size].T.reshape(-1))
        for o in range(start, start + size):
            stream += [_bytes(int(c[o]), 3), _bytes(int(layer.multiplier[o]), n_mult)]
            stream.append(_bytes(int(k[o]) >> 16, width - 2))
    words = np.concatenate(stream)
    return {
        "index": index,
        "n_in": layer.n_in,
        "n_out": layer.n_out,
        "score": layer.activation == ACT_SCORE,
        "weights": table_rows((int(v) for v in words), 16),
        "n_weights": int(words.size),
        "mult_type": "__uint24" if n_mult == 3 else "uint16_t",
        "product": [f"p{b}" for b in range(width)],
        "result": f"p{shift // 8}",
        "epilogue": [_q(line) for line in _epilogue(layer, n_mult, shift)],
        "groups": [{"start": start, "size": size} for start, size in _groups(layer.n_out)],
    }


def _bytes(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (8 * i)) & 0xFF for i in range(n)], dtype=np.int64)


def _q(line: str) -> str:
    return '"' + line + '\\n\\t"'


def _epilogue(layer: DenseLayer, n_mult: int, shift: int) -> list[str]:
    """a' = a + c' (a holds sum w'x' - 128 sum x', so a' = acc + 2**23, in [0, 2**24));
    P = K + a' * M over `width` bytes (mod 2**(8 width)) with K = 2**(s-1) - 2**23 M (bytes 2..
    from flash); P >> s is then (acc * M + 2**(s-1)) >> s. Hidden layers add the zero point and
    clamp, leaving code + 128 in byte s/8 of P; score layers sign-extend into %[v]."""
    width = 3 + n_mult
    lines = []
    for i, op in enumerate(("add", "adc", "adc")):
        lines += ["lpm %[t], Z+", f"{op} %{'ABC'[i]}[a], %[t]"]
    lines += [f"lpm %{'ABC'[j]}[m], Z+" for j in range(n_mult)]
    lines += [f"lpm %[p{b}], Z+" for b in range(2, width)]
    half = (shift - 1) // 8
    lines += [f"ldi %[p{b}], {0x80 if half == b else 0}" for b in (0, 1)]
    lines.append("clr %[zero]")
    for i in range(3):
        for j in range(n_mult):
            off = i + j
            lines += [f"mul %{'ABC'[i]}[a], %{'ABC'[j]}[m]", f"add %[p{off}], r0"]
            lines += [f"adc %[p{off + 1}], r1"] if off + 1 < width else []
            lines += [f"adc %[p{b}], %[zero]" for b in range(off + 2, width)]
    lines.append("clr __zero_reg__")
    result = [f"%[p{b}]" for b in range(shift // 8, width)]
    if layer.activation == ACT_SCORE:
        return lines + _to_int32(result)
    return lines + _clamp(result, layer.zero_point, layer.clamp[0])


def _to_int32(result: list[str]) -> list[str]:
    """%[v] = the signed value of the result bytes (the low four)."""
    lines = [f"mov %{'ABCD'[i]}[v], {reg}" for i, reg in enumerate(result[:4])]
    if len(result) < 4:
        lines += [f"mov %[t], {result[-1]}", "lsl %[t]", "sbc %[t], %[t]"]
        lines += [f"mov %{'ABCD'[i]}[v], %[t]" for i in range(len(result), 4)]
    return lines


def _clamp(result: list[str], zero: int, low: int) -> list[str]:
    """result + zero clamped to [low, 127], plus 128, in result[0] (signed compares over all
    the result bytes)."""
    lines = []
    if len(result) == 1:  # one signed byte: widen, the sum may leave int8
        lines += ["mov %[t], " + result[0], "lsl %[t]", "sbc %[t], %[t]"]
        result = result + ["%[t]"]
    neg = (-zero) % 2 ** (8 * len(result))
    for i, reg in enumerate(result):
        lines.append(f"{'subi' if i == 0 else 'sbci'} {reg}, {(neg >> (8 * i)) & 0xFF}")
    lines += [f"cpi {result[0]}, 128"] + [f"cpc {reg}, %[zero]" for reg in result[1:]]
    lines += ["brlt 1f", f"ldi {result[0]}, 255", "rjmp 2f", "1:"]
    lines += [f"cpi {result[0]}, {low & 0xFF}", f"ldi %[zero], {0xFF if low < 0 else 0}"]
    lines += [f"cpc {reg}, %[zero]" for reg in result[1:]]
    lines += ["brge 3f", f"ldi {result[0]}, {low + 128}", "rjmp 2f", "3:", f"subi {result[0]}, 0x80", "2:"]
    return lines


def _kernel(g: int) -> dict:
    """asm body for one input of a group of g channels: one `ld`, then per channel lpm, mul and a
    24-bit add."""
    lines = ['"ld %[v], X+\\n\\t"']
    for k in range(g):
        lines.append(
            f'"lpm %[w], Z+\\n\\t" "mul %[w], %[v]\\n\\t" "add %A[a{k}], r0\\n\\t" '
            f'"adc %B[a{k}], r1\\n\\t" "adc %C[a{k}], %[zero]\\n\\t"'
        )
    return {"g": g, "body": lines}
