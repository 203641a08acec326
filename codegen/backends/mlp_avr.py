"""The AVR fast path of an integer MLP: tables and inline-asm text for templates/_mlp_avr.h.j2.

Unsigned products: the device keeps activations as x' = code + 128 and the weights as
w' = w + 128 (both 0..255), so `mul` gives an unsigned 16-bit product and one add plus two adc
put it into a 24-bit sum (n_in <= 255: at most 255**3 < 2**24). Exactly,
sum w x = sum w'x' - 128 sum x' - 128 sum w' + 16384 n_in; the per-channel constant
c = bias - 128 sum w' + 16384 n_in is in the table and -128 sum x' is added once per layer.
Weights of four (then two, then one) output channels are interleaved so one activation load
serves every channel of the group. Each layer is one asm block (registers fixed: accumulators
r2-r13, weight / activation / loop counter r14 r15 r17, zero r16, product r18-r23, sum of the
output codes r24:r25, activations X, output Y (saved and restored by the block), flash Z); the
three bytes before the activations hold -128 sum x' (mod 2**24), the accumulators' start.

Requantisation (acc * M + 2**(s-1)) >> s in asm, per channel: a' = acc + 2**23 (folded into c')
lies in [0, 2**24) since |acc| < 2**23, so the product a' * M is unsigned (six `mul` for a
two-byte M, nine for three); the accumulator P starts at K = 2**(s-1) - 2**23 M modulo
2**(8 width), so P = acc * M + 2**(s-1) and the result is bytes s/8.. of P, read as signed. The
per-channel bytes (c', M, bytes 2.. of K) follow each group's weights in one flash stream.
"""

from __future__ import annotations

import numpy as np

from codegen.backends.c_text import table_rows
from codegen.backends.mlp_groups import channel_groups
from codegen.ir.mlp import ACT_LUT, ACT_SCORE, INPUT_POW2, MLP, DenseLayer
from codegen.ir.validate_mlp import accumulator_bound

MAX_INPUTS = 255
MAG_LIMIT = 2**23

def avr_context(ir: MLP) -> dict | None:
    """Per-layer flash streams and asm, or None when a layer does not qualify (then the AVR
    runs the portable C)."""
    if not all(_qualifies(layer) for layer in ir.layers):
        return None
    quant = ir.input_quant
    shared = quant.mode == INPUT_POW2 and len(set(quant.exponent.tolist())) == 1
    shared = shared and len(set(quant.zero_point.tolist())) == 1 and ir.n_features <= MAX_INPUTS
    return {
        "layers": [_layer(index, layer) for index, layer in enumerate(ir.layers)],
        "codes": codes_asm(ir.n_features, 135 - int(quant.exponent[0]), int(quant.zero_point[0])) if shared else None,
    }


def _qualifies(layer: DenseLayer) -> bool:
    return (
        layer.n_in <= MAX_INPUTS
        and len(set(layer.shift.tolist())) == 1
        and int(accumulator_bound(layer).max()) < MAG_LIMIT
    )


def _layer(index: int, layer: DenseLayer) -> dict:
    w = layer.weights.astype(np.int64) + 128
    shift = int(layer.shift[0])
    n_mult = 3 if int(layer.multiplier.max()) >= 2**16 else 2
    width = 3 + n_mult  # bytes of the product a' * M
    c = layer.bias.astype(np.int64) - 128 * w.sum(axis=1) + 16384 * layer.n_in + 2**23
    k = (2 ** (shift - 1) - 2**23 * layer.multiplier.astype(np.int64)) % 2 ** (8 * width)
    stream, fours_end = [], 0
    for start, size in channel_groups(layer.n_out):
        stream.append(w[start : start + size].T.reshape(-1))
        for o in range(start, start + size):
            stream += [_bytes(int(c[o]), 3), _bytes(int(layer.multiplier[o]), n_mult)]
            stream.append(_bytes(int(k[o]) >> 16, width - 2))
        if size == 4:
            fours_end = sum(part.size for part in stream)
    words = np.concatenate(stream)
    return {
        "index": index,
        "n_in": layer.n_in,
        "n_out": layer.n_out,
        "score": layer.activation == ACT_SCORE,
        "lut": layer.activation == ACT_LUT,
        "weights": table_rows((int(v) for v in words), 16),
        "n_weights": int(words.size),
        "fours_end": fours_end,
        "asm": [_q(line) for line in _layer_asm(layer, n_mult, shift)],
    }


def _bytes(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (8 * i)) & 0xFF for i in range(n)], dtype=np.int64)


def _q(line: str) -> str:
    return '"' + line + '\\n\\t"'


def _acc(k: int) -> list[str]:
    return [f"r{2 + 3 * k + i}" for i in range(3)]


def _layer_asm(layer: DenseLayer, n_mult: int, shift: int) -> list[str]:
    score = layer.activation == ACT_SCORE
    lines = ["push r28", "push r29", "movw r28, r24", "clr r24", "clr r25"]
    groups = channel_groups(layer.n_out)
    fours = sum(1 for _, size in groups if size == 4)
    for position, (_, size) in enumerate(groups):
        if size == 4 and position > 0:
            continue
        looped = size == 4 and fours > 1
        lines += ["10:"] if looped else []
        lines += _dot(size, layer.n_in)
        for k in range(size):
            lines += _epilogue(layer, n_mult, shift, _acc(k))
            lines += _store_score() if score else _store_code(layer)
        if looped:
            lines += ["cpi r30, lo8(%[end])", "ldi r16, hi8(%[end])", "cpc r31, r16", "breq 11f", "rjmp 10b", "11:"]
    return lines + ["pop r29", "pop r28"]


def _dot(g: int, n_in: int) -> list[str]:
    """Accumulators = the base (three bytes at X), plus sum w'x' over the n_in activations;
    leaves X at the base again."""
    lines = ["clr r16", "ld r2, X+", "ld r3, X+", "ld r4, X+"]
    for k in range(1, g):
        lines += [f"mov {dst}, {src}" for dst, src in zip(_acc(k), _acc(0))]
    body = ["ld r15, X+"]
    for k in range(g):
        a = _acc(k)
        body += ["lpm r14, Z+", "mul r14, r15", f"add {a[0]}, r0", f"adc {a[1]}, r1", f"adc {a[2]}, r16"]
    quads, rest = divmod(n_in, 4)
    if quads:
        lines += [f"ldi r17, {quads}", "12:"] + body * 4 + ["dec r17", "breq 13f", "rjmp 12b", "13:"]
    lines += body * rest
    return lines + [f"subi r26, lo8({n_in + 3})", f"sbci r27, hi8({n_in + 3})"]


def _epilogue(layer: DenseLayer, n_mult: int, shift: int, a: list[str]) -> list[str]:
    """a' = a + c' (a holds sum w'x' - 128 sum x', so a' = acc + 2**23, in [0, 2**24));
    P = K + a' * M over `width` bytes (mod 2**(8 width)) with K = 2**(s-1) - 2**23 M (bytes 2..
    from flash); P >> s is then (acc * M + 2**(s-1)) >> s."""
    width = 3 + n_mult
    m = ("r14", "r15", "r17")
    p = [f"r{18 + b}" for b in range(width)]
    lines = []
    for i, op in enumerate(("add", "adc", "adc")):
        lines += ["lpm r0, Z+", f"{op} {a[i]}, r0"]
    lines += [f"lpm {m[j]}, Z+" for j in range(n_mult)]
    lines += [f"lpm {p[b]}, Z+" for b in range(2, width)]
    half = (shift - 1) // 8
    lines += [f"ldi {p[b]}, {0x80 if half == b else 0}" for b in (0, 1)]
    lines.append("clr r16")
    for i in range(3):
        for j in range(n_mult):
            off = i + j
            lines += [f"mul {a[i]}, {m[j]}", f"add {p[off]}, r0"]
            lines += [f"adc {p[off + 1]}, r1"] if off + 1 < width else []
            lines += [f"adc {p[b]}, r16" for b in range(off + 2, width)]
    lines.append("clr r1")
    result = p[shift // 8 :]
    if layer.activation == ACT_SCORE:
        return lines + _to_int32(result)
    return lines + _clamp(result, layer.zero_point, layer.clamp[0])


def _to_int32(result: list[str]) -> list[str]:
    """r18.. (the result bytes' places) = the signed value, low four bytes."""
    lines = [f"mov r{18 + i}, {reg}" for i, reg in enumerate(result[:4])]
    if len(result) < 4:
        lines = [f"mov r0, {result[-1]}", "lsl r0", "sbc r0, r0"] + lines
        lines += [f"mov r{18 + i}, r0" for i in range(len(result), 4)]
    return lines


def _clamp(result: list[str], zero: int, low: int) -> list[str]:
    """result + zero clamped to [low, 127], plus 128, in result[0] (signed compares over all
    the result bytes; r16 is zero on entry and on exit)."""
    lines = []
    if len(result) == 1:  # one signed byte: widen, the sum may leave int8
        lines += ["mov r0, " + result[0], "lsl r0", "sbc r0, r0", "mov r23, r0"]
        result = result + ["r23"]
    neg = (-zero) % 2 ** (8 * len(result))
    for i, reg in enumerate(result):
        lines.append(f"{'subi' if i == 0 else 'sbci'} {reg}, {(neg >> (8 * i)) & 0xFF}")
    lines += [f"cpi {result[0]}, 128"] + [f"cpc {reg}, r16" for reg in result[1:]]
    lines += ["brlt 14f", f"ldi {result[0]}, 255", "rjmp 15f", "14:"]
    lines += [f"cpi {result[0]}, {low & 0xFF}", f"ldi r16, {0xFF if low < 0 else 0}"]
    lines += [f"cpc {reg}, r16" for reg in result[1:]]
    lines += ["brge 16f", f"ldi {result[0]}, {low + 128}", "rjmp 15f", "16:", f"subi {result[0]}, 0x80", "15:"]
    return lines + ["clr r16"]


def _store_code(layer: DenseLayer) -> list[str]:
    """Stores code + 128 (through the activation table first) and adds it to r24:r25."""
    v = f"r{18 + int(layer.shift[0]) // 8}"
    lines = []
    if layer.activation == ACT_LUT:
        lines += ["push r30", "push r31", "ldi r30, lo8(%[table])", "ldi r31, hi8(%[table])"]
        lines += [f"add r30, {v}", "adc r31, r1", f"lpm {v}, Z", "pop r31", "pop r30", f"subi {v}, 0x80"]
    return lines + [f"st Y+, {v}", f"add r24, {v}", "adc r25, r1"]


def _store_score() -> list[str]:
    return [f"st Y+, r{18 + i}" for i in range(4)]


def codes_asm(n_features: int, top: int, zero: int) -> list[str]:
    """pow2 input codes (one exponent and zero point for all features), stored as code + 128
    (X: the floats, Z: the codes, r24:r25 += the codes). With q = top - e: q >= 10 gives r = 0;
    2 <= q <= 9 gives r = round(m10 >> q / 2) = H >> (q-1) plus bit q-2 of H, H = m10 >> 2 the
    top mantissa byte, from one `mul` by 0x80 >> (q-2); q <= 1, inf and NaN take the slow path."""
    z = zero + 128
    lines = [f"ldi r17, {n_features}", "1:"]
    lines += ["ld r18, X+", "ld r19, X+", "ld r20, X+", "ld r21, X+"]
    lines += ["mov r22, r20", "lsl r22", "mov r22, r21", "rol r22"]  # r22 = biased exponent
    lines += [f"ldi r23, {z}", f"ldi r16, {top - 2}", "sub r16, r22", "brcs 5f", "cpi r16, 8", "brsh 3f"]
    lines += ["ori r20, 0x80", "ldi r22, 0x80", "sbrc r16, 1", "ldi r22, 0x20", "sbrc r16, 0", "lsr r22"]
    lines += ["sbrc r16, 2", "swap r22", "mul r20, r22", "lsl r0", "sbrc r21, 7", "rjmp 6f"]
    lines += ["adc r23, r1", "brcc 3f", "ldi r23, 255", "rjmp 3f"]
    lines += ["6:", "sbc r23, r1", "brcc 3f", "ldi r23, 0"]
    lines += ["3:", "clr r1", "st Z+, r23", "add r24, r23", "adc r25, r1", "dec r17", "breq 2f", "rjmp 1b"]
    lines += ["2:", "rjmp 20f"]
    # slow path: e == 255 (inf saturates, NaN is the zero point), q == 1 (9-bit r), q <= 0
    lines += ["5:", "cpi r22, 255", "brne 8f", "mov r16, r20", "andi r16, 0x7F", "or r16, r19", "or r16, r18"]
    lines += ["breq 9f", "rjmp 3b"]
    lines += ["8:", f"ldi r16, {top - 1}", "cpse r22, r16", "rjmp 9f"]
    lines += ["ori r20, 0x80", "lsl r19", "ldi r16, 0", "adc r20, r16", "brcs 9f", "sbrc r21, 7", "rjmp 10f"]
    lines += ["add r23, r20", "brcc 11f", "ldi r23, 255", "rjmp 3b"]
    lines += ["10:", "sub r23, r20", "brcc 11f", "ldi r23, 0", "11:", "rjmp 3b"]
    lines += ["9:", "ldi r23, 255", "sbrc r21, 7", "ldi r23, 0", "rjmp 3b", "20:"]
    return [_q(line) for line in lines]
