"""The AVR fast path of an integer MLP: tables and inline-asm text for templates/_mlp_avr.h.j2.

Unsigned products: the device keeps activations as x' = code + 128 and the weights as
w' = w + 128 (both 0..255), so `mul` gives an unsigned 16-bit product and one add plus two adc
put it into a 24-bit sum (n_in <= 255: at most 255**3 < 2**24). Exactly,
sum w x = sum w'x' - 128 sum x' - 128 sum w' + 16384 n_in; the per-channel constant
c = bias - 128 sum w' + 16384 n_in is in the table and -128 sum x' is added once per layer.
Weights of four (then two, then one) output channels are interleaved so one activation load
serves every channel of the group.

Requantisation (acc * M + 2**(s-1)) >> s: |acc| < 2**23 and M < 2**23 give a 6-byte product
of magnitudes from nine `mul`; a negative acc rounds with 2**(s-1) - 1 on the magnitude, then
changes sign (floor((-P + h) / 2**s) = -((P + h - 1) >> s)). s is a multiple of 8 shared by the
layer, so the result is whole bytes of the product.
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
        "mul_asm": _mul_asm(),
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
    interleaved = np.concatenate([w[start : start + size].T.reshape(-1) for start, size in _groups(layer.n_out)])
    c = layer.bias.astype(np.int64) - 128 * w.sum(axis=1) + 16384 * layer.n_in
    shift = int(layer.shift[0])
    return {
        "index": index,
        "n_in": layer.n_in,
        "n_out": layer.n_out,
        "score": layer.activation == ACT_SCORE,
        "weights": table_rows((int(v) for v in interleaved), 16),
        "n_weights": int(interleaved.size),
        "const": table_rows((int(v) for v in c), 8),
        "mult": table_rows((int(v) for v in layer.multiplier), 8),
        "half": f"0x{1 << (shift - 1):X}",
        "select": _select(shift),
        "groups": [{"start": start, "size": size} for start, size in _groups(layer.n_out)],
    }


def _select(shift: int) -> str:
    """C expression of bytes shift/8.. of the product held in lo (bytes 0-3) and hi (4-5)."""
    return {
        8: "(lo >> 8) | ((uint32_t)hi << 24)",
        16: "(lo >> 16) | ((uint32_t)hi << 16)",
        24: "(lo >> 24) | ((uint32_t)hi << 8)",
        32: "(uint32_t)hi",
    }[shift]


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


def _mul_asm() -> list[str]:
    """lo:hi (6 bytes, holding the rounding constant) += u * m, both 3-byte magnitudes."""
    names = "ABCD"
    lines = ['"clr %[zero]\\n\\t"']
    for i in range(3):
        for j in range(3):
            offset = i + j
            dest = [f"%{names[b]}[lo]" if b < 4 else f"%{'AB'[b - 4]}[hi]" for b in range(offset, 6)]
            ops = [f'"mul %{names[i]}[u], %{names[j]}[m]\\n\\t"']
            ops += [f'"add {dest[0]}, r0\\n\\t"', f'"adc {dest[1]}, r1\\n\\t"']
            ops += [f'"adc {d}, %[zero]\\n\\t"' for d in dest[2:]]
            lines.append(" ".join(ops))
    lines.append('"clr __zero_reg__\\n\\t"')
    return lines
