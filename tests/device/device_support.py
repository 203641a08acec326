"""Helpers for the device tests: toolchains, the hand-written tiny model, firmware builds,
processes that stand in for a board, and a link that damages bytes on purpose."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from codegen.device.boards import get_board
from codegen.device.link import Link, SerialLink
from codegen.ir.floatkey import float32_key
from codegen.ir.interpretation import Interpretation

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware" / "protocol"
DATA = Path(__file__).resolve().parent / "data"
TINY_HASH = 0x1234ABCD
WARNINGS = ("-std=c99", "-Wall", "-Wextra", "-Wconversion", "-Wshadow", "-pedantic", "-Werror")
APT = {
    "gcc": "gcc",
    "avr-gcc": "gcc-avr avr-libc",
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "simavr": "libsimavr-dev libsimavrparts1",
}
PIP = {"pyserial": "pyserial", "platformio": "platformio"}
SIMAVR_FILES = (
    Path("/usr/include/simavr/parts/uart_pty.h"),
    Path("/usr/include/simavr/sim_avr.h"),
)


def missing(what: str) -> None:
    """A needed toolchain is absent: fail under CI (which installs it), skip elsewhere."""
    install = f"pip install {PIP[what]}" if what in PIP else f"apt-get install -y {APT[what]}"
    reason = f"{what} is missing: {install}"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        missing(tool)
    return path


def need_pyserial() -> None:
    try:
        import serial  # noqa: F401
    except ImportError:
        missing("pyserial")


def need_simavr() -> None:
    need("gcc")
    libs = [Path("/usr/lib") / d / "libsimavrparts.so" for d in ("x86_64-linux-gnu", "aarch64-linux-gnu")]
    if not all(f.exists() for f in SIMAVR_FILES) or not any(lib.exists() for lib in libs):
        missing("simavr")


def tiny_header() -> str:
    return (DATA / "tiny.h").read_text()


def tiny_rows(n: int, seed: int = 0) -> np.ndarray:
    """Random rows plus the values where float compares go wrong: thresholds and their
    neighbours, signed zeros, infinities, NaN."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(scale=2.0, size=(n, 2)).astype(np.float32)
    edges = np.float32([0.5, -1.25, 0.0, -0.0, np.inf, -np.inf, np.nan])
    edges = np.concatenate([edges, np.nextafter(edges[:2], np.float32(9)), np.nextafter(edges[:2], np.float32(-9))])
    k = min(n, len(edges))
    for j in range(2):
        rows[:k, j] = np.roll(edges, j)[:k]
    return rows


def tiny_expected(rows: np.ndarray) -> Interpretation:
    """What tests/device/data/tiny.h computes, in numpy."""
    k0, k1 = float32_key(rows[:, 0]), float32_key(rows[:, 1])
    pred = np.where(k0 <= 1056964608, np.where(k1 <= -1067450368, 0, 1), 2).astype(np.int64)
    scores = np.stack(
        [np.where(pred == 0, 256, -17), np.where(pred == 1, 256, 3), np.where(pred == 2, 256, -70000)],
        axis=1,
    ).astype(np.int64)
    return Interpretation(pred, scores)


def run(cmd: list[str], timeout: float = 120) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"


def includes(project: Path, name: str) -> list[str]:
    return ["-I", str(project / "src"), "-I", str(project / "lib" / name / "src")]


def core_sources(project: Path, counter: bool = True) -> list[str]:
    names = ["mcugen_protocol.c", "mcugen_binding.c"] + (["mcugen_counter.c"] if counter else [])
    return [str(project / "src" / n) for n in names]


def build_avr_elf(project: Path, name: str, board: str, out: Path) -> Path:
    """The project's C sources + the bare AVR main, with the flags PlatformIO passes for `board`
    (the Arduino core and its headers are not available without PlatformIO's own packages,
    so the Arduino main.cpp is replaced by firmware/protocol/bare/avr_main.c)."""
    cc = need("avr-gcc")
    flags = [*WARNINGS, "-Os", *get_board(board).cflags, *includes(project, name)]
    run([cc, *flags, str(FIRMWARE / "bare" / "avr_main.c"), *core_sources(project), "-o", str(out)])
    return out


def build_stm32f4_elf(project: Path, name: str, board: str, out: Path) -> Path:
    cc = need("arm-none-eabi-gcc")
    flags = [*WARNINGS, "-Os", *get_board(board).cflags, *includes(project, name)]
    link = ["-nostartfiles", "-specs=nano.specs", "-specs=nosys.specs", "-Wl,--gc-sections",
            "-T", str(FIRMWARE / "bare" / "stm32f401re.ld")]
    run([cc, *flags, str(FIRMWARE / "bare" / "stm32f4_main.c"), *core_sources(project), *link, "-o", str(out)])
    return out


def build_host(project: Path, name: str, out: Path) -> Path:
    cc = need("gcc")
    flags = [*WARNINGS, "-O2", *includes(project, name)]
    run([cc, *flags, str(FIRMWARE / "host" / "host_main.c"), *core_sources(project, counter=False), "-o", str(out)])
    return out


def build_runner(out: Path) -> Path:
    need_simavr()
    run(["gcc", "-O2", "-Wall", "-Wextra", "-o", str(out), str(FIRMWARE / "simavr" / "avr_uart_runner.c"),
         "-I/usr/include/simavr", "-lsimavrparts", "-lsimavr", "-lpthread", "-lutil"])
    return out


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextmanager
def host_board(program: Path) -> Iterator[str]:
    """Runs the host firmware on a pty master; yields the slave's path for pyserial."""
    need_pyserial()
    master, slave = os.openpty()
    tty.setraw(slave)
    proc = subprocess.Popen([str(program), str(master)], pass_fds=(master,))
    os.close(master)
    try:
        yield os.ttyname(slave)
    finally:
        os.close(slave)  # the program then reads EIO and exits
        stop(proc)


@contextmanager
def simavr_board(runner: Path, elf: Path, mcu: str, f_cpu: int) -> Iterator[str]:
    """Runs `elf` in simavr with UART0 on a pty; yields the pty's path."""
    need_pyserial()
    proc = subprocess.Popen([str(runner), str(elf), mcu, str(f_cpu), "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield _pty_path(proc)
    finally:
        stop(proc)
        proc.stdout.close()


def _pty_path(proc: subprocess.Popen, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()  # the runner prints a few lines, then PTY or exits
        if not line:
            break
        seen.append(line)
        if line.startswith("PTY "):
            return line.split(maxsplit=1)[1].strip()
    raise AssertionError(f"the simavr runner gave no pty: {''.join(seen)}")


class FaultyLink:
    """A serial link that damages chosen writes and reads, to test recovery.

    `write_faults` maps the index of a write (0-based) to "flip", "truncate", "garbage" or
    "drop"; `read_faults` maps the index of a non-empty read to "flip" or "garbage"."""

    def __init__(self, port: str, write_faults: dict[int, str], read_faults: dict[int, str], seed: int = 1):
        self.inner: Link = SerialLink(port)
        self.write_faults, self.read_faults = write_faults, read_faults
        self.writes = self.reads = 0
        self.rng = np.random.default_rng(seed)

    def write(self, data: bytes) -> None:
        fault = self.write_faults.get(self.writes)
        self.writes += 1
        if fault != "drop":
            self.inner.write(self._damage(data, fault))

    def read(self, timeout: float) -> bytes:
        data = self.inner.read(timeout)
        if data:
            data = self._damage(data, self.read_faults.get(self.reads))
            self.reads += 1
        return data

    def close(self) -> None:
        self.inner.close()

    def _damage(self, data: bytes, fault: str | None) -> bytes:
        if fault == "flip":
            i = int(self.rng.integers(len(data)))
            return data[:i] + bytes([data[i] ^ (1 << int(self.rng.integers(8)))]) + data[i + 1 :]
        if fault == "truncate":
            return data[: max(1, len(data) // 2)]
        if fault == "garbage":
            noise = bytes(self.rng.integers(0, 256, size=7, dtype=np.uint8)) + b"\xa5\x07"
            return noise + data
        return data
