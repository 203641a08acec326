"""Issue 8's model cases through `mcugen` in a process of its own (tests/support/cli_user.py):
a model with no exact integer form exits 2 with one `error:` line and writes nothing; the newly
converted ones (tree init, one-class forest, scaler pipeline) convert and verify at 100%."""

from __future__ import annotations

import json
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sklearn import ensemble, linear_model, preprocessing, tree
from sklearn.pipeline import make_pipeline

from tests.support.cli_user import run
from tests.support.models import dataset

REPO = Path(__file__).resolve().parents[2]


def _mcugen(*args, cwd: Path) -> subprocess.CompletedProcess:
    return run(*args, cwd=cwd, env={"MCUGEN_TRUST_PICKLES": "1"})


def _save(folder: Path, name: str, estimator) -> Path:
    path = folder / f"{name}.pkl"
    path.write_bytes(pickle.dumps(estimator))
    return path


def _csv(path: Path, rows) -> Path:
    np.savetxt(path, np.asarray(rows, dtype=np.float64), delimiter=",", fmt="%.9g")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


def test_linear_init_is_refused_and_nothing_is_written(folder, tmp_path):
    X, y, _, _ = dataset("diabetes")
    model = _save(folder, "gb_linear", ensemble.GradientBoostingRegressor(
        n_estimators=3, init=linear_model.LinearRegression()).fit(X, y))
    before = sorted(p.name for p in tmp_path.iterdir())
    result = _mcugen("convert", model, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
    assert len(errors) == 1 and errors[0].startswith("error: GradientBoosting init=LinearRegression")
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def _verify_json(model: Path, data: Path, cwd: Path) -> dict:
    result = _mcugen("verify", model, "--data", data, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_tree_init_one_class_forest_and_scaler_pipeline_verify(folder, tmp_path):
    X, y, X_test, _ = dataset("breast_cancer")
    data = _csv(folder / "X.csv", X_test)
    models = {
        "gb_tree_init": ensemble.GradientBoostingClassifier(
            n_estimators=4, init=tree.DecisionTreeClassifier(max_depth=3, random_state=0), random_state=0).fit(X, y),
        "one_class": ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(X, np.full(len(X), 4)),
        "scaled_forest": make_pipeline(preprocessing.StandardScaler(),
                                       ensemble.RandomForestClassifier(n_estimators=4, random_state=0)).fit(X, y),
    }
    for name, estimator in models.items():
        report = _verify_json(_save(folder, name, estimator), data, tmp_path)
        assert report["agreement"] == 1.0 and report["interpreter_agreement"] == 1.0, name
        assert report["n_rows"] == len(X_test)
    converted = _mcugen("convert", folder / "one_class.pkl", "-o", tmp_path / "out", "--name", "one", cwd=tmp_path)
    assert converted.returncode == 0, converted.stderr
    assert "#define ONE_N_OUTPUTS 1" in (tmp_path / "out" / "one.h").read_text()
