"""`mcugen flash`: build a project and upload it through PlatformIO (`pio run -t upload`).

pio's output is streamed line by line, with a one-line progress marker whenever the stage
changes (building, linking, uploading). What a user can fix becomes a one-line UserError:
no pio, a board platform pio could not get, no such serial port, no board on the port.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from codegen.device.boards import Board, get_board
from codegen.errors import UserError

# (substring of pio's output, stage shown to the user); first match wins.
_STAGES = (
    ("Uploading", "uploading"),
    ("Linking", "linking"),
    ("Compiling", "compiling"),
    ("Building in", "building"),
)
_PLATFORM_MISSING = ("UnknownPackageError", "Could not find the package", "Unknown development platform",
                     "PlatformioException: Could not", "HTTPClientError", "InternetConnectionError")
_PORT_MISSING = ("could not open port", "Please specify `upload_port`", "No such file or directory: '/dev/",
                 "Timed out waiting for", "not in sync", "No device found", "Error: No ST-LINK")


def find_pio() -> str | None:
    """pio on PATH, or beside this Python (a venv's bin/ that is not activated)."""
    beside = Path(sys.executable).parent / ("pio.exe" if os.name == "nt" else "pio")
    return str(beside) if beside.exists() else shutil.which("pio") or shutil.which("platformio")


def flash(
    project_dir: Path,
    board: str,
    port: str | None = None,
    *,
    pio: str | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Builds and uploads `project_dir` (written by write_project for `board`)."""
    spec = get_board(board)
    project_dir = Path(project_dir)
    if not (project_dir / "platformio.ini").is_file():
        raise UserError(f"{project_dir} has no platformio.ini; write it first with: mcugen project")
    if port is not None and _looks_local(port) and not Path(port).exists():
        raise UserError(f"serial port {port} does not exist; plug the board in and check `pio device list`")
    pio = pio or find_pio()
    if pio is None or (not Path(pio).exists() and shutil.which(pio) is None):
        raise UserError("PlatformIO is not installed; install it with: pip install 'mcugen[device]'")
    command = [pio, "run", "-d", str(project_dir), "-e", spec.key, "-t", "upload"]
    if port is not None:
        command += ["--upload-port", port]
    returncode, tail = _stream(command, echo)
    if returncode != 0:
        raise _explain(returncode, tail, spec, port)
    echo(f"==> flashed {spec.key}")


def _looks_local(port: str) -> bool:
    return port.startswith("/dev/")  # COMx, socket:// and rfc2217:// are not paths to check


def _stream(command: list[str], echo: Callable[[str], None]) -> tuple[int, list[str]]:
    """Runs pio, echoing its lines and a stage marker; returns its exit code and last lines."""
    stage = None
    tail: list[str] = []
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace")
    except OSError as exc:
        raise UserError(f"cannot run {command[0]}: {exc}; reinstall PlatformIO: pip install platformio") from None
    with proc:
        for line in proc.stdout:
            line = line.rstrip("\n")
            new = next((name for key, name in _STAGES if key in line), stage)
            if new != stage:
                stage = new
                echo(f"==> {stage}")
            echo(line)
            tail = (tail + [line])[-40:]
    return proc.returncode, tail


def _explain(returncode: int, tail: list[str], board: Board, port: str | None) -> UserError:
    text = "\n".join(tail)
    if any(key in text for key in _PLATFORM_MISSING):
        return UserError(
            f"PlatformIO could not get the platform {board.platform!r} for board {board.key}; "
            f"install it while online: pio pkg install -g --platform {board.platform}"
        )
    if any(key in text for key in _PORT_MISSING):
        where = f"on {port}" if port else "(no --port given and none found)"
        return UserError(f"no {board.key} answered {where}; plug it in, check `pio device list` and pass --port")
    return UserError(f"pio run failed with exit code {returncode}; see its output above")
