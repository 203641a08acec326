"""`flash`'s error paths (uploading needs a board and PlatformIO's platforms, which cannot be
downloaded here: pio itself is replaced by a script that prints what pio prints)."""

import stat
from pathlib import Path

import pytest

from codegen.device import flash as flash_module
from codegen.device.flash import flash
from codegen.errors import UserError


def fake_pio(tmp_path: Path, output: str, code: int) -> str:
    script = tmp_path / "pio"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'args'}\ncat <<'EOF'\n{output}\nEOF\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_missing_pio_says_what_to_install(make_project, monkeypatch):
    monkeypatch.setattr(flash_module, "find_pio", lambda: None)
    with pytest.raises(UserError, match=r"pip install 'mcugen\[device\]'"):
        flash(make_project("uno"), "uno")


def test_missing_platform_says_how_to_install_it(make_project, tmp_path):
    pio = fake_pio(tmp_path, "Processing uno\nPlatformManager: Installing atmelavr\n"
                   "UnknownPackageError: Could not find the package with 'atmelavr' requirements", 1)
    with pytest.raises(UserError, match="pio pkg install -g --platform atmelavr"):
        flash(make_project("uno"), "uno", pio=pio, echo=lambda line: None)


def test_missing_port_is_a_user_error_before_pio_runs(make_project, tmp_path):
    pio = fake_pio(tmp_path, "", 0)
    with pytest.raises(UserError, match="/dev/ttyNOPE does not exist"):
        flash(make_project("uno"), "uno", "/dev/ttyNOPE", pio=pio)
    assert not (tmp_path / "args").exists()


def test_no_board_on_port_is_a_user_error(make_project, tmp_path):
    pio = fake_pio(tmp_path, "Uploading .pio/build/uno/firmware.hex\n"
                   "avrdude: stk500_recv(): programmer is not responding\navrdude: stk500_getsync(): not in sync", 1)
    with pytest.raises(UserError, match="no uno answered"):
        flash(make_project("uno"), "uno", pio=pio, echo=lambda line: None)


def test_success_streams_output_with_stages(make_project, tmp_path):
    pio = fake_pio(tmp_path, "Processing nucleo_f401re\nCompiling .pio/build/a.o\nCompiling .pio/build/b.o\n"
                   "Linking .pio/build/firmware.elf\nUploading .pio/build/firmware.bin\n[SUCCESS]", 0)
    lines: list[str] = []
    project = make_project("nucleo_f401re")
    flash(project, "nucleo_f401re", pio=pio, echo=lines.append)
    assert [line for line in lines if line.startswith("==>")] == [
        "==> compiling", "==> linking", "==> uploading", "==> flashed nucleo_f401re"]
    assert "Compiling .pio/build/b.o" in lines
    args = (tmp_path / "args").read_text().split()
    assert args == ["run", "-d", str(project), "-e", "nucleo_f401re", "-t", "upload"]


def test_not_a_project_folder(tmp_path):
    with pytest.raises(UserError, match="no platformio.ini"):
        flash(tmp_path, "uno")
