"""`mcugen tune` as a user runs it (issue 16): checks that need no search fail before any, a run
that chooses nothing keeps an earlier result, a run that measures nothing says why, cache files
of any shape are measured again, new folders get the umask. Tiny forest, `--budget 3
--samples 3`, on the RV32 core (unicorn: no board, the quickest simulator here)."""

from __future__ import annotations

import json
import shutil

import joblib
import pandas as pd
import pytest
from sklearn import datasets, ensemble

from codegen.harness import toolchains
from tests.conftest import require_tool
from tests.support.cli_user import assert_one_error, run, shared_folder, snapshot

TARGET = "riscv32"
QUICK = ("--budget", "3", "--samples", "3", "--target", TARGET)


@pytest.fixture(scope="module")
def files():
    for tool in toolchains.missing(toolchains.tools_for(TARGET)):
        require_tool(tool, toolchains.install_hint(tool))  # fails in CI, skips elsewhere
    folder = shared_folder()
    X, y = datasets.load_iris(return_X_y=True)
    forest = ensemble.RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X[::2], y[::2])
    joblib.dump(forest, folder / "forest.joblib")
    pd.DataFrame(X[1::2]).to_csv(folder / "X.csv", index=False)
    pd.Series(y[1::2]).to_csv(folder / "y.csv", index=False)
    (folder / "cache").mkdir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def tune(files, out, *extra, cwd, cache=None, **kwargs):
    return run("tune", files / "forest.joblib", "--data", files / "X.csv", "--labels", files / "y.csv",
               "-o", out, "--trust", "--cache-dir", cache or files / "cache", *QUICK, *extra, cwd=cwd, **kwargs)


def _last_error(result) -> str:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    line = result.stderr.splitlines()[-1]
    assert line.startswith("error: "), result.stderr
    return line


# ---- 11. checks that need no search come first, as one line ------------------------------------


@pytest.mark.parametrize("options, fragment", [
    (["--backend", "dask"], "--backend dask needs --scheduler"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "add --backend dask"),
    (["--address", "127.0.0.1:6379"], "add --backend ray"),
    (["--target", "host"], "none runs host code"),
    (["--target", "esp32"], "none runs esp32 code"),
    (["--name", "int"], "C identifier"),
    (["--val-data", "X.csv"], "--val-labels together"),
])
def test_options_that_need_no_search_fail_first(files, tmp_path, options, fragment):
    options = [str(files / o) if o == "X.csv" else o for o in options]
    result = tune(files, tmp_path / "out", *options, cwd=tmp_path)
    assert_one_error(result, fragment)
    assert "measuring" not in result.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize("package, options, fragment", [
    ("matplotlib", [], "pip install 'mcugen[tune]'"),
    ("skops", [], "pip install 'mcugen[tune]'"),
    ("distributed", ["--backend", "dask", "--scheduler", "tcp://127.0.0.1:1"], "pip install 'mcugen[dask]'"),
    ("ray", ["--backend", "ray"], "pip install 'mcugen[ray]'"),
])
def test_a_missing_package_fails_first(files, tmp_path, package, options, fragment):
    """As if `package` were not installed (a sitecustomize hides it)."""
    from tests.support.cli_user import REPO

    (tmp_path / "shim").mkdir()
    (tmp_path / "shim" / "sitecustomize.py").write_text(f"import sys\nsys.modules[{package!r}] = None\n")
    result = tune(files, tmp_path / "out", *options, cwd=tmp_path,
                  env={"PYTHONPATH": f"{tmp_path / 'shim'}:{REPO}"})
    assert_one_error(result, fragment)
    assert "measuring" not in result.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["cache", "output-parent", "output-under-a-file"])
def test_unwritable_folders_fail_first(files, tmp_path, where):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    (tmp_path / "a_file").write_text("x")
    out, cache = tmp_path / "out", tmp_path / "cache"
    if where == "cache":
        cache = locked / "cache"
    elif where == "output-parent":
        out = locked / "new" / "out"
    else:
        out = tmp_path / "a_file" / "out"
    before = snapshot(tmp_path)
    result = tune(files, out, cwd=tmp_path, cache=cache, respect_permissions=True)
    assert_one_error(result, "a_file" if where == "output-under-a-file" else str(locked))
    assert "measuring" not in result.stderr and snapshot(tmp_path) == before


# ---- 6, 15. a failed run keeps the earlier result; new folders get the umask ------------------


def test_a_failing_tune_keeps_the_earlier_result_and_new_folders_get_the_umask(files, tmp_path):
    out = tmp_path / "new" / "tuned"
    first = tune(files, out, cwd=tmp_path, umask=0o022)
    assert first.returncode == 0, first.stderr
    assert {p.name for p in out.iterdir()} >= {"model.h", "model.skops", "model.json", "pareto.png"}
    for folder in (tmp_path / "new", out):
        assert oct(folder.stat().st_mode & 0o777) == oct(0o755), folder
    before = snapshot(out)
    failed = tune(files, out, "--max-flash", "1", cwd=tmp_path)  # nothing is that small
    assert failed.returncode == 1
    assert "no candidate meets the budgets" in _last_error(failed) and "unchanged" in _last_error(failed)
    assert snapshot(out) == before
    mine = tmp_path / "mine"  # a user's own header is kept too
    mine.mkdir()
    (mine / "model.h").write_text("/* my model */\n")
    before = snapshot(mine)
    assert tune(files, mine, "--max-flash", "1", cwd=tmp_path).returncode == 1
    assert snapshot(mine) == before
    fresh = tune(files, tmp_path / "fresh", "--max-flash", "1", cwd=tmp_path)  # no earlier result: the report
    assert fresh.returncode == 1
    assert sorted(p.name for p in (tmp_path / "fresh").iterdir()) == [
        "candidates.csv", "model.json", "pareto.png", "pareto.svg"]


# ---- 7. a run that measures nothing ------------------------------------------------------------


def test_tune_time_0_says_nothing_was_simulated(files, tmp_path):
    result = tune(files, tmp_path / "out", "--time", "0", cwd=tmp_path)
    assert result.returncode == 1
    assert "nothing was simulated" in _last_error(result) and "--time" in _last_error(result)
    assert (tmp_path / "out" / "pareto.png").stat().st_size > 0 and not (tmp_path / "out" / "model.h").exists()


# ---- 9. cache entries of any shape are measured again ------------------------------------------


def test_cache_entries_of_every_json_type_are_measured_again(files, tmp_path):
    cache = tmp_path / "cache"
    clean = tune(files, tmp_path / "clean", cwd=tmp_path, cache=cache)
    assert clean.returncode == 0, clean.stderr
    entries = sorted(cache.glob("*.json"))
    assert entries
    shapes = ["null", "true", "0", "1.5", '"text"', "[]", "{}", '{"fits": true}', '{"fits": "yes"}', "",
              '{"fits": true, "flash_bytes": true, "ram_bytes": 0, "counter": "cycles", "count_mean": 1, '
              '"count_max": 1, "c_agreement": 1, "rows_simulated": 3}']
    for index, entry in enumerate(entries):
        entry.write_text(shapes[index % len(shapes)])
    again = tune(files, tmp_path / "again", cwd=tmp_path, cache=cache)
    assert again.returncode == 0, again.stderr
    assert "internal error" not in again.stderr
    chosen = [json.loads((tmp_path / d / "model.json").read_text())["best"] for d in ("clean", "again")]
    assert chosen[0] == chosen[1]  # the same figures, measured again
    from codegen.optimize.cache import is_measurement

    assert all(is_measurement(json.loads(entry.read_text())) for entry in entries)


# ---- 10, 12, 16: NaN rows, outlier detectors, the default objective ------------------------------


def test_rows_with_nan_try_float32_input_only_and_say_so(files, tmp_path):
    X = pd.read_csv(files / "X.csv")
    X.iloc[3, 1] = float("nan")
    X.to_csv(tmp_path / "X_nan.csv", index=False)
    result = run("tune", files / "forest.joblib", "--data", tmp_path / "X_nan.csv", "--labels", files / "y.csv",
                 "-o", tmp_path / "out", "--trust", "--cache-dir", files / "cache", *QUICK, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert any("NaN" in line and "float32" in line for line in result.stderr.splitlines() if "warning" in line)
    candidates = pd.read_csv(tmp_path / "out" / "candidates.csv")
    assert set(candidates["input"]) == {"float32"}
    assert "RuntimeWarning" not in result.stderr


def test_an_isolation_forest_with_plus_minus_one_labels_is_scored_as_a_classifier(tmp_path):
    X, _ = datasets.make_blobs(400, 4, centers=1, random_state=0)
    detector = ensemble.IsolationForest(n_estimators=10, random_state=0).fit(X[:200])
    joblib.dump(detector, tmp_path / "iforest.joblib")
    pd.DataFrame(X[200:]).to_csv(tmp_path / "X.csv", index=False)
    pd.Series(detector.predict(X[200:])).to_csv(tmp_path / "y.csv", index=False)
    for labels in (["--labels", tmp_path / "y.csv"], []):  # without labels: agreement with its own decisions
        result = run("tune", tmp_path / "iforest.joblib", "--data", tmp_path / "X.csv", *labels, "-o",
                     tmp_path / "out", "--trust", "--cache-dir", tmp_path / "cache", *QUICK, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        report = json.loads((tmp_path / "out" / "model.json").read_text())
        assert report["as_trained"]["score"] == 100.0  # labels are its own decisions: accuracy, not R^2
        assert "R^2" not in result.stdout


def test_labels_of_a_class_the_model_never_saw_are_warned_about(files, tmp_path):
    y = pd.read_csv(files / "y.csv")
    y.iloc[:5, 0] = 7
    y.to_csv(tmp_path / "y7.csv", index=False)
    result = run("tune", files / "forest.joblib", "--data", files / "X.csv", "--labels", tmp_path / "y7.csv",
                 "-o", tmp_path / "out", "--trust", "--cache-dir", files / "cache", *QUICK, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert any("7" in line and "not classes the model knows" in line for line in result.stderr.splitlines())


def test_without_budgets_the_choice_is_the_cheapest_within_one_standard_error_of_the_best(files, tmp_path):
    result = tune(files, tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "model.json").read_text())
    assert "one SE" in report["rule"]
    chosen = report["best"]
    fitting = [row for row in pd.read_csv(tmp_path / "out" / "candidates.csv").to_dict("records")
               if row["fits"] is True and row["meets_budgets"] is True]
    leader = max(fitting, key=lambda row: row["score"])
    assert chosen["score"] >= leader["score"] - leader["score_se"] - 1e-6
    tied = [row for row in fitting if row["score"] >= leader["score"] - leader["score_se"] - 1e-6]
    assert chosen["energy_pj"] == pytest.approx(min(row["energy_pj"] for row in tied))
