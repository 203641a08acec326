"""The protocol end to end on the host: the firmware's C core on a pseudo-terminal, driven by
`device_verify` through pyserial, with and without damaged frames."""

import os
import tty

import numpy as np
import pytest
from device_support import TINY_HASH, FaultyLink, build_host, host_board, need_pyserial, tiny_expected, tiny_rows

from codegen.device import protocol
from codegen.device.link import SerialLink, Session
from codegen.device.verify import device_verify
from codegen.errors import UserError


@pytest.fixture
def host_program(make_project, tmp_path):
    return build_host(make_project("uno"), "tiny", tmp_path / "host_board")


def test_all_rows_agree(host_program):
    rows = tiny_rows(400)
    expected = tiny_expected(rows)
    classes = np.array(["low", "mid", "high"])
    with host_board(host_program) as port:
        result = device_verify(port, rows, expected, TINY_HASH, check_scores=True,
                               sklearn_predictions=classes[expected.predictions],
                               labels=classes[expected.predictions], decode=lambda p: classes[p])
    assert result.ok and result.agree_interpreter == 400 and result.agree_sklearn == 400
    assert result.accuracy == 1.0 and result.recoveries == 0
    assert result.counter_unit == "nanoseconds"
    stats = result.cycles_stats()
    assert 0 <= stats["min"] <= stats["mean"] <= stats["max"]
    assert result.to_dict()["model_hash"] == "0x1234ABCD"


def test_damaged_frames_are_detected_and_retried(host_program):
    rows = tiny_rows(300, seed=3)
    kinds = ["flip", "truncate", "garbage", "drop"]
    write_faults = {i: kinds[(i // 15) % 4] for i in range(5, 300, 15)}
    read_faults = {i: ["flip", "garbage"][(i // 17) % 2] for i in range(7, 300, 17)}
    with host_board(host_program) as port:
        link = FaultyLink(port, write_faults, read_faults)
        try:
            result = device_verify(link, rows, tiny_expected(rows), TINY_HASH, check_scores=True, timeout=0.3)
        finally:
            link.close()
    assert result.agree_interpreter == 300, result.mismatches
    assert result.recoveries >= len(write_faults)  # every damaged request cost one retry


def test_device_rejects_damaged_requests_with_an_error_frame(host_program):
    with host_board(host_program) as port:
        link = SerialLink(port)
        try:
            frame = bytearray(protocol.request(protocol.HELLO, 1))
            frame[-1] ^= 0x10
            link.write(bytes(frame))
            replies = _collect(link)
            assert [(m.type, m.body) for m in replies] == [(protocol.ERROR, bytes([1]))]  # bad CRC
            link.write(protocol.request(0x42, 2))
            assert [(m.type, m.seq, m.body) for m in _collect(link)] == [(protocol.ERROR, 2, bytes([3]))]
            link.write(protocol.request(protocol.PREDICT, 3, b"\x00" * 7))  # 7 bytes, not 8
            assert [(m.type, m.seq, m.body) for m in _collect(link)] == [(protocol.ERROR, 3, bytes([4]))]
        finally:
            link.close()


def test_another_models_board_is_a_user_error(host_program):
    rows = tiny_rows(5)
    with host_board(host_program) as port, pytest.raises(UserError, match="runs another model.*0x1234ABCD"):
        device_verify(port, rows, tiny_expected(rows), 0xCAFEF00D)


def test_wrong_row_width_is_a_user_error(host_program):
    rows = np.zeros((3, 5), dtype=np.float32)
    with host_board(host_program) as port, pytest.raises(UserError, match="takes 2 features"):
        device_verify(port, rows, tiny_expected(rows[:, :2]), TINY_HASH)


def test_silent_port_times_out_with_a_user_error(tmp_path):
    need_pyserial()
    master, slave = os.openpty()  # nobody answers on the other side
    tty.setraw(slave)
    try:
        link = SerialLink(os.ttyname(slave))
        with pytest.raises(UserError, match="did not answer"):
            Session(link, timeout=0.05, retries=1).ask(protocol.HELLO)
        link.close()
    finally:
        os.close(master)
        os.close(slave)


def _collect(link, seconds: float = 0.3):
    decoder = protocol.FrameDecoder()
    messages = []
    for _ in range(int(seconds / 0.05)):
        messages += decoder.feed(link.read(0.05))
    return messages
