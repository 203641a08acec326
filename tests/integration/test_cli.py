"""The `mcugen` command line: convert, inspect, verify; user errors exit 2 with one `error:` line
and write nothing; pickles warn; .skops loads."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from click.testing import CliRunner
from sklearn import ensemble, linear_model

from codegen.cli import main
from tests.support.models import dataset

REPO = Path(__file__).resolve().parents[2]


def write_csv(path: Path, rows, header: str | None = None) -> Path:
    rows = np.atleast_2d(np.asarray(rows))
    lines = [header] if header else []
    lines += [",".join(repr(float(v)) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """An iris forest saved as .joblib, .pkl and .skops, with test rows and labels as CSV."""
    folder = tmp_path_factory.mktemp("cli")
    X, y, X_test, y_test = dataset("iris")
    estimator = ensemble.RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(X, y)
    joblib.dump(estimator, folder / "model.joblib")
    with (folder / "model.pkl").open("wb") as handle:
        pickle.dump(estimator, handle)
    joblib.dump(estimator, folder / "joblib_saved.pkl")  # a common habit: joblib.dump("x.pkl")
    import skops.io as sio

    sio.dump(estimator, folder / "model.skops")
    write_csv(folder / "X.csv", X_test, header="a,b,c,d")
    write_csv(folder / "y.csv", y_test.reshape(-1, 1))
    return {"dir": folder, "estimator": estimator, "X": X_test, "y": y_test}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("warning:")]


# ---- help ---------------------------------------------------------------------------------------


def test_help():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("convert", "inspect", "verify"):
        assert command in result.output
    for command in main.commands:
        sub = invoke(command, "--help")
        assert sub.exit_code == 0, command
        assert "Usage:" in sub.output


# ---- convert / inspect ---------------------------------------------------------------------------


def test_convert_writes_header_and_json(files, tmp_path):
    out = tmp_path / "out"
    result = invoke("convert", files["dir"] / "model.skops", "-o", out, "--name", "iris_rf", "--layout", "table")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["iris_rf.h", "iris_rf.json"]
    header = (out / "iris_rf.h").read_text()
    assert "#define IRIS_RF_N_FEATURES 4" in header
    assert "#define IRIS_RF_N_CLASSES 3" in header
    assert "iris_rf_predict(" in header and "iris_rf_scores(" in header
    summary = json.loads((out / "iris_rf.json").read_text())
    assert summary["classes"] == ["0", "1", "2"]
    assert summary["settings"] == {"name": "iris_rf", "layout": "table", "input": "float32", "target": "host"}
    assert summary["report"]["layout"] == "table"
    assert f"#define IRIS_RF_MODEL_HASH {summary['report']['model_hash']}u" in header
    assert "wrote" in result.output and "layout table" in result.output
    assert "warning:" not in result.stderr  # .skops does not run code


def test_convert_into_existing_folder_keeps_other_files(files, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = invoke("convert", files["dir"] / "model.skops", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "model.h", "model.json"]


@pytest.mark.parametrize("filename", ["model.pkl", "joblib_saved.pkl", "model.joblib"])
def test_pickle_warns(files, tmp_path, filename):
    result = invoke("convert", files["dir"] / filename, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "run arbitrary code" in warning[0]


def test_inspect(files):
    result = invoke("inspect", files["dir"] / "model.joblib", "--layout", "ifelse")
    assert result.exit_code == 0, result.output
    assert "layout" in result.stdout and "ifelse" in result.stdout
    as_json = invoke("inspect", files["dir"] / "model.joblib", "--layout", "ifelse", "--json")
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert report["layout"] == "ifelse"
    assert report["n_features"] == 4
    assert report["name"] == "model"
    assert report["model_hash"].startswith("0x")


# ---- verify -------------------------------------------------------------------------------------


def test_verify_host_text(files):
    d = files["dir"]
    result = invoke("verify", d / "model.joblib", "--data", d / "X.csv", "--labels", d / "y.csv")
    assert result.exit_code == 0, result.output
    assert "agreement with scikit-learn  100.00%" in result.stdout
    assert "agreement with interpreter   100.00%" in result.stdout
    assert "accuracy" in result.stdout


def test_verify_host_json(files):
    d = files["dir"]
    result = invoke("verify", d / "model.skops", "--data", d / "X.csv", "--labels", d / "y.csv", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["target"] == "host"
    assert data["n_rows"] == len(files["X"])
    assert 0.0 <= data["agreement"] <= 1.0 and data["agreement"] == 1.0
    assert isinstance(data["ops"], dict) and data["ops"]
    assert data["energy_pj"] > 0
    assert data["float_energy_pj"] > data["energy_pj"]
    expected_accuracy = float(np.mean(files["estimator"].predict(files["X"]) == files["y"]))
    assert data["accuracy"] == pytest.approx(expected_accuracy)


@pytest.mark.sim
def test_verify_atmega328p_json(files):
    from codegen.harness import toolchains
    from tests.conftest import require_tool

    for tool in toolchains.AVR_TOOLS:
        require_tool(tool, f"sudo {toolchains.install_hint(tool)}")
    d = files["dir"]
    result = invoke("verify", d / "model.skops", "--data", d / "X.csv", "--target", "atmega328p",
                    "--samples", "20", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["target"] == "atmega328p"
    assert data["n_rows"] == 20
    assert data["agreement"] == 1.0
    cycles = data["cycles_per_inference"]
    assert 0 < cycles["min"] <= cycles["mean"] <= cycles["max"]
    assert 0 < data["flash_bytes"] < 32 * 1024
    assert data["ram_bytes"] >= 0


# ---- user errors --------------------------------------------------------------------------------


def _bad_models(folder: Path) -> dict[str, Path]:
    X, y, _, _ = dataset("iris")
    paths = {}
    paths["unsupported"] = folder / "logistic.pkl"
    joblib.dump(linear_model.LogisticRegression(max_iter=500).fit(X, y), paths["unsupported"])
    paths["unfitted"] = folder / "unfitted.joblib"
    joblib.dump(ensemble.RandomForestClassifier(), paths["unfitted"])
    paths["corrupt"] = folder / "corrupt.joblib"
    paths["corrupt"].write_bytes(b"\x80\x04this is not a pickle" + bytes(range(40)))
    paths["missing"] = folder / "nothing_here.joblib"
    paths["unknown_suffix"] = folder / "model.txt"
    paths["unknown_suffix"].write_text("hello")
    paths["corrupt_skops"] = folder / "corrupt.skops"
    paths["corrupt_skops"].write_bytes(b"PK\x03\x04 not really a zip")
    paths["multi_output"] = folder / "multi.joblib"
    joblib.dump(ensemble.RandomForestClassifier(n_estimators=2, random_state=0).fit(X, np.c_[y, y % 2]),
                paths["multi_output"])
    rng = np.random.default_rng(0)
    Xc = np.c_[rng.integers(0, 4, 200), rng.normal(size=200)]
    paths["categorical"] = folder / "categorical.joblib"
    joblib.dump(ensemble.HistGradientBoostingClassifier(max_iter=3, categorical_features=[0], random_state=0)
                .fit(Xc, (Xc[:, 0] == 2).astype(int)), paths["categorical"])
    return paths


BAD_MODELS = ["unsupported", "unfitted", "corrupt", "missing", "unknown_suffix", "corrupt_skops", "multi_output"]


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory):
    return _bad_models(tmp_path_factory.mktemp("bad"))


def assert_user_error(result, out: Path | None = None):
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    if out is not None:
        assert not out.exists(), f"{out} was written"


@pytest.mark.parametrize("case", BAD_MODELS)
def test_bad_model_convert(bad_models, tmp_path, case):
    out = tmp_path / "out"
    assert_user_error(invoke("convert", bad_models[case], "-o", out), out)
    assert list(tmp_path.iterdir()) == []  # no staging folder left behind either


@pytest.mark.parametrize("case", ["unsupported", "unfitted", "corrupt", "multi_output"])
def test_bad_model_inspect_and_verify(bad_models, files, case):
    assert_user_error(invoke("inspect", bad_models[case]))
    assert_user_error(invoke("verify", bad_models[case], "--data", files["dir"] / "X.csv"))


@pytest.mark.parametrize("name", ["1abc", "my-model", "int", "double", "a" * 40, ""])
def test_bad_name(files, tmp_path, name):
    out = tmp_path / "out"
    assert_user_error(invoke("convert", files["dir"] / "model.skops", "-o", out, "--name", name), out)


def test_wrong_column_count(files, tmp_path):
    data = write_csv(tmp_path / "three.csv", files["X"][:, :3])
    before = sorted(tmp_path.iterdir())
    result = invoke("verify", files["dir"] / "model.skops", "--data", data)
    assert_user_error(result)
    assert "columns" in result.stderr
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("content", ["1,2,3,4\n5,6,seven,8\n", "1,2,3,4\n5,6,7\n", "", "a,b,c,d\n"])
def test_bad_csv(files, tmp_path, content):
    data = tmp_path / "bad.csv"
    data.write_text(content)
    assert_user_error(invoke("verify", files["dir"] / "model.skops", "--data", data))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_binary_csv(files, tmp_path):
    data = tmp_path / "bad.csv"
    data.write_bytes(b"\xff\xfe\x00\x81\x90garbage")
    assert_user_error(invoke("verify", files["dir"] / "model.skops", "--data", data))


def test_labels_row_count_mismatch(files, tmp_path):
    labels = write_csv(tmp_path / "y.csv", files["y"][:5].reshape(-1, 1))
    assert_user_error(invoke("verify", files["dir"] / "model.skops", "--data", files["dir"] / "X.csv",
                             "--labels", labels))


def test_bad_scale(files, tmp_path):
    out = tmp_path / "out"
    assert_user_error(invoke("convert", files["dir"] / "model.skops", "-o", out, "--input", "int16",
                             "--scale", "abc"), out)
    assert_user_error(invoke("convert", files["dir"] / "model.skops", "-o", out, "--input", "int16",
                             "--scale", "1,2"), out)
    assert_user_error(invoke("convert", files["dir"] / "model.skops", "-o", out, "--input", "int16",
                             "--scale", "-1"), out)


def test_output_is_a_file(files, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep")
    assert_user_error(invoke("convert", files["dir"] / "model.skops", "-o", target))
    assert target.read_text() == "keep"


def test_failed_convert_leaves_existing_output_unchanged(files, bad_models, tmp_path):
    out = tmp_path / "out"
    assert invoke("convert", files["dir"] / "model.skops", "-o", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert_user_error(invoke("convert", bad_models["unfitted"], "-o", out))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ---- a real process -----------------------------------------------------------------------------


def mcugen_command() -> list[str]:
    script = Path(sys.executable).parent / "mcugen"
    # the console script imports the installed package; from a source tree other than the
    # installed one, run the module of this tree instead
    import codegen

    if script.exists() and Path(codegen.__file__).resolve().is_relative_to(REPO):
        probe = subprocess.run([sys.executable, "-c", "import codegen; print(codegen.__file__)"],
                               capture_output=True, text=True, cwd="/")
        if Path(probe.stdout.strip()).resolve().is_relative_to(REPO):
            return [str(script)]
    return [sys.executable, "-m", "codegen.cli"]


def test_real_process(files, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([*mcugen_command(), "convert", str(files["dir"] / "model.joblib"), "-o", str(out),
                             "--name", "proc"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (out / "proc.h").is_file() and (out / "proc.json").is_file()
    assert result.stderr.startswith("warning: ")
    bad = subprocess.run([*mcugen_command(), "convert", str(files["dir"] / "model.joblib"), "-o", str(out / "x"),
                          "--name", "my-model"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2
    assert error_lines(bad.stderr) == [line for line in bad.stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines(bad.stderr)) == 1
    assert not (out / "x").exists()
