"""Running `mcugen` as a user does: a subprocess in a temp folder, on files people have.

`run()` starts `python -m codegen.cli` (the console script's own entry point) with the
repository on PYTHONPATH. Tests run as root in CI, where chmod does not stop writing: with
`respect_permissions`, root's command runs without the capabilities that bypass file
permissions (util-linux `setpriv`), so a 0555 folder is read-only to it as to any user.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args, cwd: Path, respect_permissions: bool = False, env: dict | None = None, umask: int = 0o022):
    environment = {**os.environ, "PYTHONPATH": str(REPO), "MCUGEN_TRUST_PICKLES": "",
                   "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    environment.pop("MCUGEN_DEBUG", None)
    command = [sys.executable, "-m", "codegen.cli", *map(str, args)]
    if respect_permissions and os.geteuid() == 0:
        command = [*_without_permission_bypass(), *command]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300,
                          umask=umask)


def _without_permission_bypass() -> list[str]:
    """A prefix that runs a command as root but bound by file permissions; fails the test
    (never passes it silently) when that cannot be arranged."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root needs util-linux `setpriv` to test read-only folders: apt-get install util-linux")
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
    with tempfile.TemporaryDirectory() as folder:
        locked = Path(folder) / "locked"
        locked.mkdir(mode=0o555)
        probe = subprocess.run([*prefix, sys.executable, "-c", f"open({str(locked / 'x')!r}, 'w')"],
                               capture_output=True)
        if probe.returncode == 0:
            pytest.fail("root still writes into a 0555 folder under setpriv; cannot test read-only folders here")
    return prefix


def shared_folder() -> Path:
    """A temp folder every user can read (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="mcugen-user-"))
    folder.chmod(0o755)
    return folder


def snapshot(folder: Path) -> dict:
    """Every path under `folder` with its bytes (files) and mode: 'byte-identical' means equal."""
    if not folder.exists():
        return {}
    state = {}
    for path in sorted(folder.rglob("*")):
        mode = stat.S_IMODE(path.lstat().st_mode)
        state[str(path.relative_to(folder))] = (path.read_bytes() if path.is_file() else "dir", mode)
    return state


def assert_one_error(result, *fragments: str) -> str:
    """Exit 2, no traceback, exactly one `error:` line (warnings aside) naming `fragments`."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def warnings_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]
