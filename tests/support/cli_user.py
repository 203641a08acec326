"""Running `mcugen` as a user does: a process of its own in a temp folder, on files people have.

`run()` runs the console script's entry point (`codegen.cli.main`, what `python -m codegen.cli`
calls) in a new process with its own folder, umask, environment, stdout, stderr and exit code.
The process is forked from a server that imported mcugen once (multiprocessing's forkserver,
itself a fresh interpreter, so no OpenMP or thread state of the test process is inherited):
that saves the 2-3 s of imports each call would pay. MCUGEN_TEST_SUBPROCESS=1 makes every call
a real `python -m codegen.cli` subprocess (as are calls that run as root bound by file permissions
or set PYTHON* variables); tests/integration/test_cli.py and test_wheel.py
always start one. Tests run as root in CI, where chmod does not stop writing: with
`respect_permissions`, root's command runs without the capabilities that bypass file
permissions (util-linux `setpriv`), so a 0555 folder is read-only to it as to any user.
"""

from __future__ import annotations

import multiprocessing
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
    arguments = [str(arg) for arg in args]
    bypass = respect_permissions and os.geteuid() == 0
    starts_python_differently = any(key.startswith("PYTHON") for key in env or {})  # e.g. a sitecustomize
    if bypass or starts_python_differently or os.environ.get("MCUGEN_TEST_SUBPROCESS") == "1":
        command = [sys.executable, "-m", "codegen.cli", *arguments]
        if bypass:
            command = [*_without_permission_bypass(), *command]
        return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300,
                              umask=umask)
    return _run_forked(arguments, Path(cwd), environment, umask)


TIMEOUT_SECONDS = 300
_FORKSERVER = None


def _forkserver():
    global _FORKSERVER
    if _FORKSERVER is None:
        _FORKSERVER = multiprocessing.get_context("forkserver")
        _FORKSERVER.set_forkserver_preload(["codegen.cli", "codegen.api", "codegen.verification",
                                            "codegen.tune_command", "sklearn.ensemble", "sklearn.neural_network"])
    return _FORKSERVER


def _run_forked(arguments: list[str], cwd: Path, environment: dict, umask: int) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="mcugen-run-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        process = _forkserver().Process(target=_cli_in_this_process,
                                        args=(arguments, str(cwd), environment, umask, str(out), str(err)))
        process.start()
        process.join(TIMEOUT_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(["mcugen", *arguments], TIMEOUT_SECONDS)
        return subprocess.CompletedProcess(["mcugen", *arguments], process.exitcode,
                                           out.read_text(errors="replace"), err.read_text(errors="replace"))


def _cli_in_this_process(arguments, cwd, environment, umask, out, err) -> None:
    """The child: what `python -m codegen.cli ARGS` would do, with fds 0/1/2 of its own."""
    os.chdir(cwd)
    os.umask(umask)
    os.environ.clear()
    os.environ.update(environment)
    for fd, path, mode in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY | os.O_CREAT),
                           (2, err, os.O_WRONLY | os.O_CREAT)):
        opened = os.open(path, mode, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 -- the process's own streams, closed at exit
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    code = 0
    try:
        from codegen.cli import main
        main(args=arguments, prog_name="mcugen")
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, (int, type(None))):
            print(done.code, file=sys.stderr)
    except BaseException:  # an uncaught exception: print it as Python would, exit 1
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        import atexit
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


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
