"""The examples run end to end from a folder outside the repository: each exits 0, writes its
header, model and PlatformIO project under `<example>-out/` in the current folder, and every
`mcugen flash` command it prints converts the saved model to the very header it wrote (same
options, so the same model hash the board will report)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import main
from codegen.harness import toolchains
from tests.support.external import require_package

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT_S = 180

# example -> (output folder, C name of the board project's model, board key, other files)
CASES = {
    "forest": ("forest-out", "cancer", "nucleo_f401re", ("cancer.json", "X_test.csv", "y_test.csv")),
    "boosting": ("boosting-out", "diabetes", "uno", ("diabetes.json", "scale.json", "Q_test.csv", "y_test.csv")),
    "mlp": ("mlp-out", "digits_mlp", "uno", ("digits_mlp.json", "X_train.csv", "X_test.csv", "y_test.csv")),
    "gesture": ("gesture-out", "gesture", "nucleo_l432kc",
                ("gesture_q.h", "gesture_q.json", "F_test.csv", "Q_test.csv", "y_test.csv", "scale.json",
                 "zero_point.json")),
}


def _require_tools() -> None:
    from tests.conftest import require_tool

    require_tool("gcc", "sudo apt-get install gcc")
    for tool in (*toolchains.AVR_TOOLS, *toolchains.ARM_TOOLS):
        require_tool(tool, f"sudo {toolchains.install_hint(tool)}")
    require_package("unicorn", "pip install unicorn")


def _flash_commands(stdout: str) -> list[list[str]]:
    """The arguments after `mcugen` of every printed `mcugen flash ...` command."""
    commands = []
    for line in stdout.splitlines():
        if "mcugen flash " in line:
            commands.append(shlex.split(line[line.index("mcugen flash ") + len("mcugen "):]))
    return commands


def _as_project_command(args: list[str], output: str) -> list[str]:
    """`flash ... --port PORT` -> `project ... -o output` (the same conversion, no board)."""
    assert args[0] == "flash"
    rest = list(args[1:])
    port = rest.index("--port")
    del rest[port:port + 2]
    return ["project", *rest, "-o", output]


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(CASES))
def test_example_runs_from_any_folder(example, tmp_path, monkeypatch):
    _require_tools()
    out_name, name, board, extra = CASES[example]
    run = subprocess.run([sys.executable, str(EXAMPLES / f"{example}.py")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=TIMEOUT_S)
    assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert "agreement with scikit-learn" in run.stdout

    out = tmp_path / out_name
    header = out / f"{name}.h"
    project = out / "project"
    for path in (header, out / f"{name}.json", out / "model.joblib", *(out / f for f in extra),
                 project / "platformio.ini", project / "src" / "main.cpp", project / "src" / "mcugen_model.h",
                 project / "lib" / name / "src" / f"{name}.h"):
        assert path.is_file(), f"{example} did not write {path.relative_to(tmp_path)}"
    ini = (project / "platformio.ini").read_text()
    assert f"[env:{board}]" in ini and f"model {name} " in ini
    assert (project / "lib" / name / "src" / f"{name}.h").read_text() == header.read_text()

    # Every printed flash command reproduces the header the example wrote.
    commands = _flash_commands(run.stdout)
    assert commands and any(_option(args, "--board") == board for args in commands)
    monkeypatch.chdir(tmp_path)
    for number, args in enumerate(commands):
        command = _as_project_command(args, f"check-{number}")
        result = CliRunner().invoke(main, command, catch_exceptions=False)
        assert result.exit_code == 0, f"mcugen {shlex.join(command)}:\n{result.output}"
        checked = _option(args, "--name")
        written = tmp_path / f"check-{number}" / "lib" / checked / "src" / f"{checked}.h"
        assert written.read_text() == (out / f"{checked}.h").read_text(), shlex.join(args)
