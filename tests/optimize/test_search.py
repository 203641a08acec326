"""The measured search end to end on simavr: the chosen model is exact, a cached re-run runs
no simulator, the CLI's files and exit codes, Ctrl-C, and Dask / Ray against local processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.ensemble import RandomForestClassifier

import codegen
from codegen.cli import main
from codegen.optimize import Budgets, measure
from codegen.optimize.evaluate import device_rows
from tests.support.external import require_package

pytestmark = [pytest.mark.sim, pytest.mark.usefixtures("atmega328p_tools")]
TARGET = "atmega328p"
ROOT = Path(__file__).resolve().parents[2]




@pytest.fixture(scope="module")
def iris_case():
    X, y = load_iris(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    model = RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0).fit(X[:90], y[:90])
    return model, X[90:], y[90:]


def _tune(case, cache_dir, **options):
    model, X, y = case
    options = {"target": TARGET, "budget": 4, "samples": 3, "budgets": Budgets(max_accuracy_drop=5)} | options
    return codegen.tune(model, X, y, cache_dir=cache_dir, **options)


def test_chosen_candidate_is_exact_against_its_own_estimator_and_in_simavr(iris_case, tmp_path):
    result = _tune(iris_case, tmp_path)
    best = result.best
    assert best is not None and best["fits"] and best["c_agreement"] == 1.0 and best["drop_upper"] <= 5
    assert best in result.pareto or any(r["score"] >= best["score"] for r in result.pareto)
    converted = result.best_converted
    rows = device_rows(converted.settings, iris_case[1])
    np.testing.assert_array_equal(converted.decode(converted.interpret(rows).predictions),
                                  result.best_model.predict(converted.features_for_sklearn(rows)))
    assert len(result.rows) >= 4 and result.plot() is not None


def test_a_cached_rerun_runs_no_simulator(iris_case, tmp_path):
    before = measure.SIMULATOR_RUNS["count"]
    first = _tune(iris_case, tmp_path, jobs=1)
    ran = measure.SIMULATOR_RUNS["count"] - before
    assert ran == sum(1 for row in first.rows if row.get("measured")) > 0
    second = _tune(iris_case, tmp_path, jobs=1)
    assert measure.SIMULATOR_RUNS["count"] - before == ran  # nothing new was simulated
    assert second.csv_text() == first.csv_text()


def _write_case(case, folder: Path) -> list[str]:
    import skops.io as sio

    model, X, y = case
    sio.dump(model, folder / "model.skops")
    np.savetxt(folder / "X.csv", X, delimiter=",")
    np.savetxt(folder / "y.csv", y, fmt="%d")
    return [str(folder / "model.skops"), "--data", str(folder / "X.csv"), "--labels", str(folder / "y.csv"),
            "--target", TARGET, "--samples", "3"]


def test_cli_writes_the_results_and_the_pruned_model_converts_to_the_same_header(iris_case, tmp_path):
    import skops.io as sio

    args = _write_case(iris_case, tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["tune", *args, "-o", str(out), "--budget", "4", "--max-accuracy-drop", "5",
                                       "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert names - {"input_scale.json", "input_zero_point.json"} == {"model.h", "model.skops", "model.json",
                                                                     "candidates.csv", "pareto.png", "pareto.svg"}
    report = json.loads((out / "model.json").read_text())
    settings = report["settings"]
    pruned = sio.load(out / "model.skops", trusted=sio.get_untrusted_types(file=out / "model.skops"))
    if settings["input"] != "float32":  # the files verify's --scale / --zero-point take
        assert json.loads((out / "input_scale.json").read_text()) == settings["scale"]
        assert json.loads((out / "input_zero_point.json").read_text()) == settings["zero_point"]
    again = codegen.convert(pruned, layout=settings["layout"], input=settings["input"], scale=settings["scale"],
                            zero_point=settings["zero_point"], target="avr")
    assert again.header_text == (out / "model.h").read_text()
    assert "Pareto front" in result.output and "chosen:" in result.output


def test_no_candidate_within_budgets_exits_1_with_the_closest_and_no_header(iris_case, tmp_path):
    args = _write_case(iris_case, tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["tune", *args, "-o", str(out), "--budget", "3", "--max-cycles", "1",
                                       "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 1
    assert "closest candidates" in result.output and "cycles" in result.output and "> 1" in result.output
    assert not (out / "model.h").exists() and not (out / "model.skops").exists()
    assert (out / "pareto.png").stat().st_size > 0 and json.loads((out / "model.json").read_text())["best"] is None


def test_sigint_leaves_the_output_folder_as_it_was(tmp_path):
    X, y = load_digits(return_X_y=True)
    model = RandomForestClassifier(n_estimators=8, max_depth=8, random_state=0).fit(X[:900], y[:900])
    args = _write_case((model, X[900:1200], y[900:1200]), tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.h").write_text("earlier result\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "codegen.cli", "tune", *args, "-o", str(out), "--budget", "200", "--jobs", "2",
               "--cache-dir", str(tmp_path / "cache")]
    # a test run started in the background inherits an ignored SIGINT: give the command the default
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = ""
    deadline = time.monotonic() + 300
    while "measuring" not in seen and time.monotonic() < deadline:  # interrupt while measuring
        seen += process.stderr.read(1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "unchanged" in stderr
    assert [p.name for p in out.iterdir()] == ["model.h"] and (out / "model.h").read_text() == "earlier result\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no staging left behind


def test_dask_gives_the_same_candidates_as_local_processes(cancer_case, tmp_path):
    """With the training rows too: retrained and refined candidates are in both."""
    distributed = require_package("dask.distributed", "pip install 'mcugen[dask]'")
    model, X, y = cancer_case
    options = {"target": TARGET, "budget": 4, "samples": 2, "budgets": Budgets(max_accuracy_drop=3),
               "X_train": X[:300], "y_train": y[:300]}
    local = codegen.tune(model, X[300:], y[300:], cache_dir=tmp_path / "local", jobs=2, **options)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = codegen.tune(model, X[300:], y[300:], cache_dir=tmp_path / "dask", backend="dask",
                              address=cluster.scheduler_address, **options)
    assert remote.csv_text() == local.csv_text()
    assert "retrained" in local.csv_text() and "refined leaves" in local.csv_text()


def test_ray_gives_the_same_candidates_as_local_processes(iris_case, tmp_path):
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI installs the ray extra; it must import")
        pytest.skip("ray is not installed: pip install 'mcugen[ray]'")
    local = _tune(iris_case, tmp_path / "local", jobs=2)
    remote = _tune(iris_case, tmp_path / "ray", backend="ray")
    assert remote.csv_text() == local.csv_text()


def test_a_zero_time_limit_measures_nothing_and_chooses_nothing(iris_case, tmp_path):
    result = _tune(iris_case, tmp_path, time_limit=0)
    assert result.best is None and not any(row.get("measured") for row in result.rows)
    assert "original" in result.report_scores


def test_the_printed_verify_command_checks_the_exact_chosen_build(iris_case, tmp_path):
    import shlex

    args = _write_case(iris_case, tmp_path)
    out = tmp_path / "out"
    tuned = CliRunner().invoke(main, ["tune", *args, "-o", str(out), "--budget", "6", "--max-accuracy-drop", "10",
                                      "--cache-dir", str(tmp_path / "cache")])
    assert tuned.exit_code == 0, tuned.output
    line = next(line for line in tuned.output.splitlines() if line.startswith("check this exact build: "))
    words = shlex.split(line.removeprefix("check this exact build: "))
    assert words[:2] == ["mcugen", "verify"]
    checked = CliRunner().invoke(main, [*words[1:], "--json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.output[checked.output.index("{"):])
    assert report["model_hash"] == f"0x{_header_hash(out / 'model.h')}"
    assert report["interpreter_agreement"] == 1.0 and report["agreement"] == 1.0


def _header_hash(header: Path) -> str:
    import re

    return re.search(r"MODEL_HASH 0x([0-9A-F]{8})", header.read_text()).group(1)


@pytest.fixture(scope="module")
def cancer_case():
    X, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    model = RandomForestClassifier(n_estimators=12, random_state=0).fit(X[:300], y[:300])
    return model, X, y


def test_training_rows_add_retrained_and_refined_candidates_the_same_in_parallel_and_cached(cancer_case, tmp_path):
    model, X, y = cancer_case
    options = {"target": TARGET, "budget": 5, "samples": 2, "budgets": Budgets(max_accuracy_drop=3),
               "X_train": X[:300], "y_train": y[:300]}
    first = codegen.tune(model, X[300:], y[300:], cache_dir=tmp_path, jobs=1, **options)
    kinds = {axis for row in first.rows for axis in row["_candidate"]}
    assert {"retrain", "refine"} <= kinds
    refined = [row for row in first.rows if "refine" in row["_candidate"] and "score" in row]
    assert refined and all(np.isfinite(row["drop_upper"]) for row in refined)
    before = measure.SIMULATOR_RUNS["count"]
    second = codegen.tune(model, X[300:], y[300:], cache_dir=tmp_path, jobs=2, **options)
    assert measure.SIMULATOR_RUNS["count"] == before  # every measurement came from the cache
    assert second.csv_text() == first.csv_text()
    without = codegen.tune(model, X[300:], y[300:], cache_dir=tmp_path, target=TARGET, budget=5, samples=2,
                           budgets=Budgets(max_accuracy_drop=3))
    assert not without.trained_rows and not any("retrain" in row["_candidate"] for row in without.rows)


def test_an_mlp_is_tuned_and_its_chosen_build_checks_out(tmp_path):
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X[:600] / 16, y[:600])
    result = codegen.tune(mlp, X[600:900] / 16, y[600:900], target=TARGET, budget=3, samples=2,
                          budgets=Budgets(max_accuracy_drop=15), cache_dir=tmp_path, X_train=X[:600] / 16,
                          y_train=y[:600])
    assert result.best is not None and result.best["fits"] and result.best["c_agreement"] == 1.0
    assert any("finetune" in row["_candidate"] for row in result.rows)
    assert result.calibration is not None and result.best_converted.kind == "mlp"
