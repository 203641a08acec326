"""The click commands, on a real converted model: `project` writes the project, `flash`
reports a missing PlatformIO, `device-verify` checks a host stand-in board built from the
project (the same firmware C, on a pseudo-terminal)."""

import json

import joblib
import numpy as np
import pytest
from click.testing import CliRunner
from device_support import build_host, host_board
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from codegen.device import commands
from codegen.device import flash as flash_module


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    folder = tmp_path_factory.mktemp("iris")
    X, y = load_iris(return_X_y=True)
    model = folder / "iris.joblib"
    joblib.dump(DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y), model)
    np.savetxt(folder / "X.csv", X, delimiter=",")
    np.savetxt(folder / "y.csv", y, delimiter=",")
    return folder


def test_project_command(iris, tmp_path):
    result = CliRunner().invoke(commands.project_command, [str(iris / "iris.joblib"), "--board", "uno",
                                                           "--name", "iris", "-o", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "lib" / "iris" / "src" / "iris.h").is_file()
    assert "model hash 0x" in result.output


def test_flash_command_without_pio(iris, monkeypatch):
    monkeypatch.setattr(flash_module, "find_pio", lambda: None)
    result = CliRunner().invoke(commands.flash_command, [str(iris / "iris.joblib"), "--board", "esp32dev"])
    assert result.exit_code == 2 and "error: PlatformIO is not installed" in result.output


def test_device_verify_command(iris, tmp_path):
    runner = CliRunner()
    assert runner.invoke(commands.project_command, [str(iris / "iris.joblib"), "--board", "uno", "--name", "iris",
                                                    "-o", str(tmp_path / "p")]).exit_code == 0
    program = build_host(tmp_path / "p", "iris", tmp_path / "board")
    args = [str(iris / "iris.joblib"), "--name", "iris", "--data", str(iris / "X.csv"),
            "--labels", str(iris / "y.csv"), "--scores", "--json"]
    with host_board(program) as port:
        result = runner.invoke(commands.device_verify_command, [*args, "--port", port])
        other = runner.invoke(commands.device_verify_command, [*args[:2], "other", *args[3:], "--port", port])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["agree_interpreter"] == report["agree_sklearn"] == 150
    assert report["accuracy"] > 0.9
    # Another --name is another model (the name is part of the hash): refused, not compared.
    assert other.exit_code == 2 and "runs another model" in other.output
