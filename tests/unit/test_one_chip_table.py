"""Issue 18, criterion 2: a new chip is ONE row in codegen/chips.py. The test adds an ATmega1284P
row at run time (nothing else changed) and runs convert, inspect, verify (host, and simavr: the
C must equal the interpreter), tune --target and project on it, through the CLI in-process.
A missing simulator fails the test with the install command: it never skips."""

from __future__ import annotations

import configparser
import json

import joblib
import numpy as np
import pytest
from click.testing import CliRunner
from sklearn import datasets, ensemble

from codegen import chips
from codegen.backends.targets import PROFILES
from codegen.cli import main
from codegen.harness import toolchains

NEW = "atmega1284p"
BOARD = "mightycore1284"
ROW = chips.avr_chip(NEW, 131_072, 16_384, 32_767, boards=(
    chips.Board(BOARD, "ATmega1284P", "atmelavr", "arduino", "avr (ATmega1284P)", "Timer1 cycles", 16_000_000,
                130_048, 16_384, 115200, chips.SERIAL_BAUD, cross_compiler="avr-gcc",
                build_flags=("-mrelax",),
                cflags=("-mmcu=atmega1284p", "-DF_CPU=16000000L", "-DARDUINO_AVR_ATmega1284", "-DARDUINO=10808",
                        "-DARDUINO_ARCH_AVR", "-DPLATFORMIO=60118", "-mrelax")),
))


@pytest.fixture
def new_chip(monkeypatch):
    """The table with one more row: the only change."""
    monkeypatch.setattr(chips, "CHIPS", {**chips.CHIPS, NEW: ROW})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A forest of 3 trees of depth 3 on iris, with rows and labels as CSV."""
    folder = tmp_path_factory.mktemp("one-chip")
    X, y = datasets.load_iris(return_X_y=True)
    forest = ensemble.RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X[::2], y[::2])
    joblib.dump(forest, folder / "forest.joblib")
    np.savetxt(folder / "X.csv", X[1::2], delimiter=",", fmt="%.17g", header="a,b,c,d", comments="")
    np.savetxt(folder / "y.csv", y[1::2], fmt="%d")
    return folder


def mcugen(*args) -> str:
    """What the command printed on stdout; it must succeed."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def require_simavr() -> None:
    """Fails (never skips) when the new row's simulator is not installed."""
    missing = toolchains.missing(toolchains.tools_for(NEW))
    if missing:
        pytest.fail(f"{NEW} runs in simavr: {', '.join(missing)} missing; run: sudo "
                    f"{toolchains.install_hint(missing[0])}")


def test_the_row_is_known_everywhere_only_while_it_is_in_the_table(new_chip):
    assert chips.family_of(NEW) == "avr" and NEW in chips.target_names() and NEW in chips.simulated_chips()
    assert chips.chip_flash_bytes(NEW, "avr") == 131_072 and chips.names_a_chip(NEW, "avr")
    assert chips.built_part(NEW) == NEW and chips.built_part(BOARD) == NEW
    assert toolchains.tools_for(NEW) == toolchains.AVR_TOOLS
    assert chips.boards()[BOARD].target == "avr"


def test_without_the_row_the_chip_is_unknown(files):
    result = CliRunner().invoke(main, ["inspect", str(files / "forest.joblib"), "--trust", "--target", NEW])
    assert result.exit_code == 2 and f"'{NEW}' is not one of" in result.output


def test_convert_and_inspect_accept_the_new_chip(new_chip, files, tmp_path):
    assert "wrote" in mcugen("convert", files / "forest.joblib", "--trust", "--target", NEW, "-o", tmp_path)
    assert (tmp_path / "model.h").is_file()
    report = json.loads(mcugen("inspect", files / "forest.joblib", "--trust", "--target", NEW, "--json"))
    assert report["n_trees"] == 3


def test_verify_accepts_the_new_chip_on_the_host_and_in_simavr(new_chip, files):
    common = ("verify", files / "forest.joblib", "--trust", "--data", files / "X.csv", "--labels", files / "y.csv",
              "--json")
    host = json.loads(mcugen(*common))
    assert host["target"] == "host" and host["interpreter_agreement"] == 1.0
    require_simavr()
    simulated = json.loads(mcugen(*common, "--target", NEW, "--samples", "5"))
    assert simulated["target"] == NEW and simulated["n_rows"] == 5
    assert simulated["interpreter_agreement"] == 1.0 and simulated["agreement"] == 1.0
    assert simulated["cycles_per_inference"]["mean"] > 0 and simulated["flash_bytes"] > 0


def test_tune_accepts_the_new_chip(new_chip, files, tmp_path):
    require_simavr()
    output = mcugen("tune", files / "forest.joblib", "--trust", "--data", files / "X.csv", "--labels", files / "y.csv",
                    "--target", NEW, "--budget", "2", "--samples", "3", "--cache-dir", tmp_path / "cache",
                    "-o", tmp_path / "out")
    assert NEW in output and any((tmp_path / "out").iterdir())


def test_project_accepts_the_new_chips_board(new_chip, files, tmp_path):
    mcugen("project", files / "forest.joblib", "--trust", "--name", "tiny", "--board", BOARD, "-o", tmp_path)
    ini = configparser.ConfigParser()
    ini.read(tmp_path / "platformio.ini")
    env = ini[f"env:{BOARD}"]
    assert (env["platform"], env["board"], env["framework"]) == ("atmelavr", "ATmega1284P", "arduino")
    assert (tmp_path / "lib" / "tiny" / "src" / "tiny.h").is_file() and (tmp_path / "src" / "main.cpp").is_file()


def test_every_row_names_a_family_with_a_profile_and_agrees_with_its_family_row():
    for row in chips.CHIPS.values():
        family = chips.CHIPS[row.family]
        assert row.family in PROFILES, row.name
        assert (row.word_bits, row.thumb2) == (family.word_bits, family.thumb2), row.name
        assert not row.simulated_as or chips.CHIPS[row.simulated_as].simulator is not None, row.name
    keys = [board.key for row in chips.CHIPS.values() for board in row.boards]
    assert len(keys) == len(set(keys)) and not set(keys) & set(chips.CHIPS)
