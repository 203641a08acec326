"""The AVR firmware of a generated Uno project runs in simavr and answers over its UART.

The runner (firmware/protocol/simavr/avr_uart_runner.c) is built here against Debian's
libsimavr and attaches the simulated USART0 to a pseudo-terminal (simavr's uart_pty part);
`device_verify` then talks to it through pyserial exactly as it would to a real Uno."""

import pytest
from device_support import (
    TINY_HASH,
    FaultyLink,
    build_avr_elf,
    build_runner,
    need_simavr,
    simavr_board,
    tiny_expected,
    tiny_rows,
)

from codegen.device.boards import get_board
from codegen.device.verify import device_verify


@pytest.fixture
def simulated_uno(make_project, tmp_path):
    need_simavr()
    elf = build_avr_elf(make_project("uno"), "tiny", "uno", tmp_path / "uno.elf")
    runner = build_runner(tmp_path / "avr_uart_runner")
    with simavr_board(runner, elf, "atmega328p", get_board("uno").f_cpu) as port:
        yield port


def test_simulated_uno_agrees_and_counts_cycles(simulated_uno):
    rows = tiny_rows(300, seed=5)
    result = device_verify(simulated_uno, rows, tiny_expected(rows), TINY_HASH, check_scores=True, timeout=2.0)
    assert result.ok and result.agree_interpreter == 300
    assert result.counter_unit == "cycles" and result.hello.counter_hz == 16_000_000
    stats = result.cycles_stats()
    # Timer1 cycles of a few float-key compares: tens of cycles, never zero or absurd.
    assert 10 <= stats["min"] <= stats["max"] < 5_000


def test_simulated_uno_recovers_from_damaged_frames(simulated_uno):
    rows = tiny_rows(60, seed=6)
    link = FaultyLink(simulated_uno, {3: "truncate", 10: "flip", 20: "garbage", 30: "drop"}, {15: "flip"})
    try:
        result = device_verify(link, rows, tiny_expected(rows), TINY_HASH, timeout=1.0)
    finally:
        link.close()
    assert result.agree_interpreter == 60 and result.recoveries >= 4
