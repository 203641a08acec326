"""Fuzzing the CLI: random combinations of options, malformed CSV and model files, and odd
output folders never end in a traceback, an internal error or a partial folder; `tune` with a
bad option fails in one line before any search; cache entries of any JSON shape are measured
again unless they are measurements. Runs the
command in-process (the same click entry point as the console script) so that a few dozen
examples take seconds; derandomised (tests/conftest.py profile), bounded examples."""

from __future__ import annotations

import pickle
import shutil
import tempfile
from pathlib import Path

import joblib
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import datasets, ensemble

from codegen.cli import main
from tests.support.cli_user import snapshot

# good inputs weigh more, so that many examples get past loading into conversion and writing
MODELS = ("good.joblib", "good.joblib", "good.joblib", "good.pkl", "good.pkl",
          "garbage.joblib", "truncated.pkl", "empty.pkl", "not_a_model.pkl",
          "model.json", "missing.joblib", "folder.joblib")
CSV_CELLS = st.sampled_from(["1", "0.5", "-3e2", "nan", "inf", "-inf", "", "x", "1e400", "0x10", "  2 ", "é"])
CSV_TEXT = st.lists(st.lists(CSV_CELLS, min_size=0, max_size=6).map(",".join), max_size=6).map("\n".join)
OPTION_VALUES = {
    "--name": ["model", "m2", "iris", "int", "stdint", "9x", "a" * 40, "mcugen_x", ""],
    "--layout": ["auto", "ifelse", "table", "table", "bogus"],
    "--input": ["int8", "int16", "uint16", "int32", "float32", "float64"],
    "--scale": ["1", "0.5", "0.01", "0.05", "0", "-1", "nan", "inf", "a", "1,2", ",", "1e-300"],
    "--zero-point": ["0", "3", "-5", "0.5", "nan", "-inf", "1e12", "x"],
    "--target": ["host", "avr", "atmega328p", "cortex-m4", "esp32", "cortex-m0", "pdp11"],
}
OUTPUTS = ("new", "empty", "with_file", "json_is_folder", "under_a_file")


@pytest.fixture(scope="module")
def library():
    folder = Path(tempfile.mkdtemp(prefix="mcugen-fuzz-"))
    X, y = datasets.load_iris(return_X_y=True)
    forest = ensemble.RandomForestClassifier(n_estimators=2, max_depth=3, random_state=0).fit(X, y)
    joblib.dump(forest, folder / "good.joblib")
    (folder / "good.pkl").write_bytes(pickle.dumps(forest))
    (folder / "garbage.joblib").write_bytes(bytes(range(256)) * 4)
    (folder / "truncated.pkl").write_bytes(pickle.dumps(forest)[:200])
    (folder / "empty.pkl").write_bytes(b"")
    (folder / "not_a_model.pkl").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    (folder / "model.json").write_text("{}")
    (folder / "folder.joblib").mkdir()
    np.savetxt(folder / "X.csv", X[:20], delimiter=",")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _prepare_output(root: Path, kind: str) -> Path:
    out = root / "out"
    if kind == "empty":
        out.mkdir()
    elif kind == "with_file":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    elif kind == "json_is_folder":
        (out / "model.json").mkdir(parents=True)
        (out / "model.h").write_text("old")
    elif kind == "under_a_file":
        (root / "file").write_text("x")
        out = root / "file" / "out"
    return out


@settings(max_examples=80)
@given(command=st.sampled_from(["convert", "inspect", "verify", "project"]),
       model_file=st.sampled_from(MODELS),
       options=st.dictionaries(st.sampled_from(sorted(OPTION_VALUES)), st.integers(0, 9), max_size=4),
       csv_text=st.one_of(st.none(), CSV_TEXT),
       output=st.sampled_from(OUTPUTS),
       force=st.booleans())
def test_cli_never_crashes_nor_leaves_partial_output(library, command, model_file, options, csv_text, output,
                                                     force):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        out = _prepare_output(root, output)
        args = [command, str(library / model_file)]
        for flag, index in sorted(options.items()):
            if command == "project" and flag == "--target":
                continue
            values = OPTION_VALUES[flag]
            args += [flag, values[index % len(values)]]
        if command == "verify":
            data = library / "X.csv"
            if csv_text is not None:
                data = root / "data.csv"
                data.write_text(csv_text)
            args += ["--data", str(data)]
            args = [a if a not in ("avr", "atmega328p", "cortex-m0") else "esp32" for a in args]  # no simulators
        if command in ("convert", "project"):
            args += ["-o", str(out)]
        if command == "project":
            args += ["--board", "uno", *(["--force"] if force else [])]
        before = snapshot(root)
        result = CliRunner().invoke(main, args, catch_exceptions=False)

        assert result.exit_code in (0, 1, 2), (args, result.output, result.stderr)
        assert "Traceback" not in result.output + result.stderr, args
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        if result.exit_code == 2:
            assert len(errors) == 1 and result.stderr.count("\n") - len(_warnings(result)) == 1, result.stderr
            assert snapshot(root) == before, args  # nothing written
        assert not list(root.rglob(".mcugen-staging*")), args
        if result.exit_code == 0 and command == "convert":
            names = OPTION_VALUES["--name"]
            name = names[options["--name"] % len(names)] if "--name" in options else "model"
            assert (out / f"{name}.h").is_file() and (out / f"{name}.json").is_file()


def _warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


# ---- tune: bad options fail before any search; cache entries of any shape ----------------------

TUNE_BAD = {
    "--backend": ["dask"],  # without --scheduler
    "--scheduler": ["tcp://127.0.0.1:1"],  # without --backend dask
    "--address": ["127.0.0.1:1"],  # without --backend ray
    "--target": ["host", "esp32", "pdp11"],
    "--name": ["int", "9x", "stdint"],
    "--budget": ["0", "-3", "x"],
    "--samples": ["0"],
    "--jobs": ["0"],
    "--time": ["-1", "soon"],
    "--max-flash": ["0"],
    "--max-accuracy-drop": ["-1"],
    "--val-data": ["X.csv"],  # without --val-labels
    "--cache-dir": ["a_file"],
    "-o": ["a_file/out"],
    "--labels": ["y_short.csv", "X.csv"],
    "--data": ["garbage.csv"],
}
IN_FOLDER = {"X.csv", "y.csv", "y_short.csv", "garbage.csv", "a_file", "a_file/out", "out", "cache"}
TUNE_GOOD = {"--target": "riscv32", "--budget": "3", "--samples": "3", "--labels": "y.csv", "--data": "X.csv",
             "-o": "out", "--cache-dir": "cache"}


@settings(max_examples=30)
@given(bad=st.dictionaries(st.sampled_from(sorted(TUNE_BAD)), st.integers(0, 9), min_size=1, max_size=3))
def test_tune_with_a_bad_option_fails_in_one_line_before_searching(library, bad):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "a_file").write_text("x")
        np.savetxt(root / "X.csv", np.asarray(datasets.load_iris().data[:20]), delimiter=",")
        np.savetxt(root / "y.csv", datasets.load_iris().target[:20], fmt="%d")
        np.savetxt(root / "y_short.csv", datasets.load_iris().target[:7], fmt="%d")
        (root / "garbage.csv").write_text("1,2\n3\n")
        options = dict(TUNE_GOOD)
        options.update({flag: TUNE_BAD[flag][index % len(TUNE_BAD[flag])] for flag, index in bad.items()})
        args = ["tune", str(library / "good.joblib"), "--trust"]
        for flag, value in options.items():
            args += [flag, str(root / value) if value in IN_FOLDER else value]
        before = snapshot(root)
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and "measuring" not in result.stderr, args
        lines = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
        assert snapshot(root) == before, args


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["fits", "reason", "flash_bytes", "ram_bytes", "counter", "count_mean", "count_max",
                         "c_agreement", "rows_simulated", "other"]), children, max_size=9),
    max_leaves=12)


@settings(max_examples=150)
@given(value=JSON_VALUES)
def test_a_cache_entry_of_any_json_shape_is_a_measurement_or_measured_again(value):
    import json

    from codegen.optimize import cache

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "k.json").write_text(json.dumps(value))
        found = cache.load(Path(folder), "k")
    assert found is None or (cache.is_measurement(found) and json.dumps(found) == json.dumps(value))


def test_cache_entries_that_are_not_json_are_measured_again():
    from codegen.optimize import cache

    measurement = {"fits": True, "flash_bytes": 900, "ram_bytes": 0, "counter": "instructions", "count_mean": 50.5,
                   "count_max": 60, "c_agreement": 1.0, "rows_simulated": 3}
    with tempfile.TemporaryDirectory() as folder:
        cache.store(Path(folder), "good", measurement)
        assert cache.load(Path(folder), "good") == measurement
        for content in (b"", b"\xff\xfe", b'{"fits": tru', b"[1, 2"):
            (Path(folder) / "bad.json").write_bytes(content)
            assert cache.load(Path(folder), "bad") is None
        for broken in ({**measurement, "flash_bytes": True}, {**measurement, "c_agreement": 2.0},
                       {**measurement, "rows_simulated": 0}, {k: v for k, v in measurement.items() if k != "counter"},
                       {"fits": False}, {"fits": 1, "reason": "x"}):
            cache.store(Path(folder), "bad", broken)
            assert cache.load(Path(folder), "bad") is None, broken
