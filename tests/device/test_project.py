"""`write_project`: the files, their contents, atomic replacement, PlatformIO's own check."""

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from device_support import TINY_HASH, missing, tiny_header

from codegen.device.boards import BOARDS
from codegen.device.project import update_project, write_project
from codegen.errors import UserError


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_project_layout_and_ini(make_project, board):
    project = make_project(board)
    spec = BOARDS[board]
    for path in ("lib/tiny/src/tiny.h", "lib/tiny/library.json", "lib/tiny/library.properties",
                 "src/main.cpp", "src/mcugen_model.h", "src/mcugen_protocol.c", "src/mcugen_binding.c",
                 "src/mcugen_counter.c"):
        assert (project / path).is_file(), path
    ini = configparser.ConfigParser()
    ini.read(project / "platformio.ini")
    env = ini[f"env:{board}"]
    assert (env["platform"], env["board"], env["framework"]) == (spec.platform, spec.pio_board, "arduino")
    assert env["monitor_speed"] == str(spec.serial_baud)
    assert "-DMCUGEN_BAUD=115200" in env["build_flags"]
    assert ini["platformio"]["default_envs"] == board


def test_library_manifests(make_project):
    lib = make_project("uno") / "lib" / "tiny"
    manifest = json.loads((lib / "library.json").read_text())
    assert manifest["name"] == "tiny" and manifest["headers"] == "tiny.h"
    assert "0x1234ABCD" in manifest["description"]
    props = dict(line.split("=", 1) for line in (lib / "library.properties").read_text().splitlines())
    assert props["name"] == "tiny" and props["architectures"] == "*" and props["includes"] == "tiny.h"
    assert (lib / "src" / "tiny.h").read_text() == tiny_header()


def test_rewrite_updates_only_generated_files(tmp_path):
    out = tmp_path / "p"
    write_project(tiny_header(), "tiny", TINY_HASH, "uno", out)
    (out / "src" / "mine.c").write_text("the user's own source")
    update = update_project(tiny_header(), "tiny", TINY_HASH, "esp32dev", out)
    assert update.updated == ("platformio.ini",)
    assert (out / "src" / "mine.c").read_text() == "the user's own source"
    assert "[env:esp32dev]" in (out / "platformio.ini").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["p"]  # no temp folders left behind
    assert not [p for p in out.iterdir() if p.name.startswith(".mcugen-staging")]


def test_refuses_a_folder_that_is_not_ours(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(UserError, match="not empty and was not made by mcugen"):
        write_project(tiny_header(), "tiny", TINY_HASH, "uno", tmp_path / "mine")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["thesis.tex"]
    write_project(tiny_header(), "tiny", TINY_HASH, "uno", tmp_path / "mine", force=True)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    assert (tmp_path / "mine" / "platformio.ini").is_file()


@pytest.mark.parametrize("name, board, message", [
    ("int", "uno", "C identifier"),
    ("tiny", "arduino_nano_33", "unknown board"),
])
def test_bad_arguments_are_user_errors(tmp_path, name, board, message):
    with pytest.raises(UserError, match=message):
        write_project(tiny_header(), name, TINY_HASH, board, tmp_path / "p")
    assert not (tmp_path / "p").exists()


def _pio() -> str | None:
    beside_python = Path(sys.executable).parent / "pio"
    return str(beside_python) if beside_python.exists() else shutil.which("pio")


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_platformio_accepts_the_ini_offline(make_project, tmp_path, board):
    """`pio project config --lint` parses and lints platformio.ini without the network
    (`pio run` would download the platform, which cannot be done here)."""
    pio = _pio()
    if pio is None:
        missing("platformio")
    project = make_project(board)
    env = {**os.environ, "PLATFORMIO_CORE_DIR": str(tmp_path / "pio-core"),
           "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No"}
    result = subprocess.run([pio, "project", "config", "--lint", "-d", str(project)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "free from linting errors" in result.stdout, result.stdout
