"""A user's first day, round two (issue 16): the `mcugen` command in a temp folder on files
people have. Silent wrong results assert the right figures; bad input gives one `error:` line
with exit 2, no traceback and nothing written."""

from __future__ import annotations

import json
import pickle
import shutil

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import datasets, ensemble, neural_network
from sklearn.exceptions import InconsistentVersionWarning

import codegen
from codegen.errors import UserError
from tests.support.cli_user import assert_one_error, run, shared_folder, snapshot, warnings_of

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="module")
def folder():
    path = shared_folder()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def iris(folder):
    """A forest trained on a DataFrame (so it has feature_names_in_), and its test rows."""
    X, y = datasets.load_iris(return_X_y=True)
    frame = pd.DataFrame(X, columns=COLUMNS)
    forest = ensemble.RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(frame[::2], y[::2])
    joblib.dump(forest, folder / "named.joblib")
    test = frame[1::2]
    pd.Series(y[1::2]).to_csv(folder / "y.csv", index=False)
    return {"forest": forest, "test": test, "y": y[1::2]}


def _verify_json(work, *args):
    result = run("verify", *args, "--json", "--trust", cwd=work)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result


# ---- 1. columns by name ------------------------------------------------------------------------


def test_a_header_naming_the_features_in_another_order_is_taken_by_name(folder, iris, tmp_path):
    shuffled = list(reversed(COLUMNS))
    iris["test"][shuffled].to_csv(tmp_path / "X.csv", index=False)
    report, result = _verify_json(tmp_path, folder / "named.joblib", "--data", tmp_path / "X.csv",
                                  "--labels", folder / "y.csv")
    expected = float(np.mean(iris["forest"].predict(iris["test"]) == iris["y"]))
    assert expected > 0.9
    assert report["accuracy"] == report["sklearn_accuracy"] == expected and report["agreement"] == 1.0
    assert [w for w in warnings_of(result) if "another order" in w and "by name" in w]


@pytest.mark.parametrize("columns, fragments", [
    (["sepal_length", "sepal_width", "petal_length", "leaf_width"], ["missing 'petal_width'", "'leaf_width'"]),
    (COLUMNS[:3], ["missing 'petal_width'"]),
    ([*COLUMNS, "colour"], ["'colour'"]),
    (["sepal_length", "sepal_length", "petal_length", "petal_width"], ["twice"]),
])
def test_a_header_naming_other_columns_is_one_line(folder, iris, tmp_path, columns, fragments):
    frame = pd.DataFrame(np.ones((3, len(columns))), columns=columns)
    frame.to_csv(tmp_path / "X.csv", index=False)
    before = snapshot(tmp_path)
    assert_one_error(run("verify", folder / "named.joblib", "--data", tmp_path / "X.csv", "--trust",
                         cwd=tmp_path), "X.csv", *fragments)
    assert snapshot(tmp_path) == before


def test_predict_with_a_dataframe_goes_by_column_names(iris):
    converted = codegen.convert(iris["forest"])
    shuffled = iris["test"][list(reversed(COLUMNS))]
    assert np.array_equal(converted.predict(shuffled), iris["forest"].predict(iris["test"]))
    with pytest.raises(UserError, match="missing 'petal_width'"):
        converted.predict(shuffled.rename(columns={"petal_width": "width"}))
    mlp = neural_network.MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(iris["test"],
                                                                                                   iris["y"])
    in_order = codegen.convert(mlp, calibration=iris["test"])
    by_name = codegen.convert(mlp, calibration=shuffled)  # calibration rows go by name too
    assert by_name.header_text == in_order.header_text


def test_model_files_that_record_feature_names_take_columns_by_name(iris, tmp_path):
    import lightgbm
    import xgboost

    X, y = iris["test"], iris["y"]
    xgboost.XGBClassifier(n_estimators=3, max_depth=3).fit(X, y).save_model(tmp_path / "m.json")
    lightgbm.LGBMClassifier(n_estimators=3, num_leaves=4, verbose=-1).fit(X, y).booster_.save_model(
        tmp_path / "m.txt")
    X[list(reversed(COLUMNS))].to_csv(tmp_path / "X.csv", index=False)
    pd.Series(y).to_csv(tmp_path / "y.csv", index=False)
    for saved in ("m.json", "m.txt"):
        report, result = _verify_json(tmp_path, tmp_path / saved, "--data", tmp_path / "X.csv",
                                      "--labels", tmp_path / "y.csv")
        assert report["agreement"] == 1.0 and report["accuracy"] > 0.9, saved
        assert [w for w in warnings_of(result) if "by name" in w], saved


# ---- 2. integer-input MLPs calibrate on real values ---------------------------------------------


@pytest.fixture(scope="module")
def readings(folder):
    """An MLP on real values, the integer readings a device passes for them (scale 0.01), and
    real-valued calibration rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(700, 4)) * 3
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    mlp = neural_network.MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0).fit(X[:400], y[:400])
    joblib.dump(mlp, folder / "mlp.joblib")
    q = np.round(X[400:] / 0.01)
    pd.DataFrame(q.astype(int), columns=list("abcd")).to_csv(folder / "Xq.csv", index=False)
    pd.Series(y[400:]).to_csv(folder / "yq.csv", index=False)
    pd.DataFrame(X[:400], columns=list("abcd")).to_csv(folder / "calib.csv", index=False)
    return {"mlp": mlp, "real": q * 0.01, "y": y[400:]}


def test_verify_calibrates_an_integer_input_mlp_on_the_real_values_of_its_readings(folder, readings, tmp_path):
    args = ("--data", folder / "Xq.csv", "--labels", folder / "yq.csv", "--input", "int16", "--scale", "0.01")
    report, _ = _verify_json(tmp_path, folder / "mlp.joblib", *args)
    sklearn_accuracy = float(np.mean(readings["mlp"].predict(readings["real"].astype(np.float32)) == readings["y"]))
    assert report["sklearn_accuracy"] == sklearn_accuracy
    assert report["agreement"] >= 0.97 and abs(report["accuracy"] - sklearn_accuracy) <= 0.03, report
    calibrated, _ = _verify_json(tmp_path, folder / "mlp.joblib", *args, "--calibration", folder / "calib.csv")
    assert calibrated["agreement"] >= 0.97, calibrated
    converted = run("convert", folder / "mlp.joblib", "-o", tmp_path, "--input", "int16", "--scale", "0.01",
                    "--calibration", folder / "calib.csv", "--trust", cwd=tmp_path)
    assert converted.returncode == 0, converted.stderr
    written = json.loads((tmp_path / "model.json").read_text())["report"]["model_hash"]
    assert calibrated["model_hash"] == written  # --calibration: the same real rows as convert's


# ---- 13. messages that name the cause ----------------------------------------------------------


def test_an_integer_reading_out_of_range_names_its_row_and_column(folder, iris, tmp_path):
    rows = np.zeros((3, 4), dtype=int)
    rows[2, 1] = 300
    pd.DataFrame(rows, columns=COLUMNS).to_csv(tmp_path / "X.csv", index=False)
    assert_one_error(run("verify", folder / "named.joblib", "--data", tmp_path / "X.csv", "--input", "int8",
                         "--trust", cwd=tmp_path), "int8", "row 3", "column 2", "300")


@pytest.mark.parametrize("scale, fragments", [
    ("missing.json", ["missing.json", "does not exist"]),
    ("0.5,,0.5,0.5", ["empty"]),
    ("0.5,0.5", ["--scale", "2 values", "4 features"]),
])
def test_scale_messages_name_the_cause(folder, iris, tmp_path, scale, fragments):
    assert_one_error(run("convert", folder / "named.joblib", "-o", tmp_path / "out", "--input", "int8",
                         "--scale", scale, "--trust", cwd=tmp_path), *fragments)
    assert not (tmp_path / "out").exists()


def test_a_pickle_of_a_removed_scikit_learn_module_names_the_version_cause(tmp_path):
    """scikit-learn 0.22 moved `sklearn.ensemble.forest`; a pickle naming it needs the old
    scikit-learn, not a module to install. (A hand-written pickle: GLOBAL, EMPTY_TUPLE, NEWOBJ.)"""
    (tmp_path / "old.pkl").write_bytes(b"csklearn.ensemble.forest\nRandomForestClassifier\n)\x81.")
    line = assert_one_error(run("inspect", tmp_path / "old.pkl", "--trust", cwd=tmp_path), "sklearn.ensemble.forest",
                            "older scikit-learn")
    assert "install it" not in line


# ---- 4. pickles another scikit-learn wrote -----------------------------------------------------


def _old_forest_pickle(path, X, y) -> np.ndarray:
    """A forest as scikit-learn < 1.4 pickled it: leaf values are weighted class counts (1.4 and
    later store fractions) and the file names the version that wrote it. Returns what that
    forest predicted (per tree, the class with the largest count share)."""
    import sklearn

    forest = ensemble.RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    predicted = forest.predict(X)
    for tree in forest.estimators_:
        tree.tree_.value[:] *= tree.tree_.weighted_n_node_samples[:, None, None]
    data = pickle.dumps(forest)
    assert len(sklearn.__version__) == len("1.3.2") and data.count(sklearn.__version__.encode()) == 1
    path.write_bytes(data.replace(sklearn.__version__.encode(), b"1.3.2"))
    return predicted


def test_an_old_pickle_says_in_one_line_which_version_wrote_it(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    old_predictions = _old_forest_pickle(tmp_path / "old.pkl", X, y)
    pd.DataFrame(X).to_csv(tmp_path / "X.csv", index=False)
    result = run("verify", tmp_path / "old.pkl", "--data", tmp_path / "X.csv", "--json", "--trust", cwd=tmp_path)
    assert "Traceback" not in result.stderr and "InconsistentVersionWarning" not in result.stderr
    (warning,) = warnings_of(result)
    assert "scikit-learn 1.3.2" in warning and "this scikit-learn's reading" in warning
    report = json.loads(result.stdout)
    # the C is the forest as 1.3.2 predicted it; today's scikit-learn reads the counts otherwise
    assert report["interpreter_agreement"] == 1.0
    with pytest.warns(InconsistentVersionWarning):
        current = joblib.load(tmp_path / "old.pkl").predict(X)
    assert report["n_rows_differing"] == int(np.sum(current != old_predictions)) > 0
    assert result.returncode == 1
    verdict = result.stderr.splitlines()[-1]
    assert verdict.startswith("error: ") and "scikit-learn 1.3.2 wrote" in verdict and "re-save" in verdict


# ---- 5. inputs float32 cannot hold -------------------------------------------------------------


def test_verify_counts_the_rows_whose_float32_rounding_changes_a_float64_model(tmp_path):
    """HistGradientBoosting compares float64 inputs with float64 thresholds: a CSV value just
    above a threshold goes right in the library and, rounded to the float32 the device reads,
    may go left. verify counts those rows and says which prediction the device reproduces."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    model = ensemble.HistGradientBoostingRegressor(max_iter=5, max_depth=3, random_state=0).fit(X, X[:, 0] - X[:, 1])
    joblib.dump(model, tmp_path / "hgb.joblib")
    rows = np.repeat(X[:4], 40, axis=0)
    nodes = [n for predictor in model._predictors for n in predictor[0].nodes if not n["is_leaf"]]
    for index, row in enumerate(rows):
        node = nodes[index % len(nodes)]
        row[node["feature_idx"]] = np.nextafter(node["num_threshold"], np.inf)
    pd.DataFrame(rows).to_csv(tmp_path / "X.csv", index=False)
    assert np.array_equal(pd.read_csv(tmp_path / "X.csv").to_numpy(), rows)  # the CSV holds the float64 values
    changed = int(np.sum(model.predict(rows) != model.predict(rows.astype(np.float32))))
    assert changed > 10
    report, result = _verify_json(tmp_path, tmp_path / "hgb.joblib", "--data", tmp_path / "X.csv")
    assert report["rows_float32_rounding_changes"] == changed
    assert report["agreement"] == 1.0  # with the library on the float32-rounded rows, which the device reads
    (warning,) = [w for w in warnings_of(result) if "float32" in w]
    assert f"on {changed} rows" in warning and "reproduces the prediction on the float32-rounded input" in warning
    text = run("verify", tmp_path / "hgb.joblib", "--data", tmp_path / "X.csv", "--trust", cwd=tmp_path)
    assert f"rows float32 rounding changes  {changed} (" in text.stdout
    pd.DataFrame(rows.astype(np.float32).astype(np.float64)).to_csv(tmp_path / "X32.csv", index=False)
    exact, result = _verify_json(tmp_path, tmp_path / "hgb.joblib", "--data", tmp_path / "X32.csv")
    assert exact["rows_float32_rounding_changes"] == 0 and not [w for w in warnings_of(result) if "float32" in w]


# ---- 8. a closed stdout ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["inspect"], ["inspect", "--json"], ["convert", "-o", "out"]])
def test_a_closed_stdout_ends_the_command_quietly(folder, iris, tmp_path, args):
    """`mcugen inspect M | head -1`: the reader is gone before mcugen writes (deterministic: the
    pipe's read end is closed before the command starts)."""
    import os
    import subprocess
    import sys

    from tests.support.cli_user import REPO

    read_end, write_end = os.pipe()
    os.close(read_end)
    command = [sys.executable, "-m", "codegen.cli", args[0], str(folder / "named.joblib"), *args[1:], "--trust"]
    result = subprocess.run(command, cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    os.close(write_end)
    assert result.returncode == 141 and result.stderr == "", result.stderr


# ---- 10. no raw RuntimeWarning ------------------------------------------------------------------


def test_values_beyond_float32_give_one_warning_line_not_runtime_warnings(folder, iris, readings, tmp_path):
    rows = np.array([[1e300, 1, 1, 1], [5, 3, 1, 0.2], [1e39, -1e39, 2, 3]])
    pd.DataFrame(rows, columns=COLUMNS).to_csv(tmp_path / "X.csv", index=False)
    result = run("verify", folder / "named.joblib", "--data", tmp_path / "X.csv", "--json", "--trust", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    (warning,) = warnings_of(result)
    assert "3 values are beyond float32's range" in warning and "row 1, column 1" in warning
    report = json.loads(result.stdout)
    assert report["rows_sklearn_cannot_judge"] == 2 and report["interpreter_agreement"] == 1.0
    pd.DataFrame(rows, columns=list("abcd")).to_csv(tmp_path / "M.csv", index=False)
    mlp = run("verify", folder / "mlp.joblib", "--data", tmp_path / "M.csv", "--trust", cwd=tmp_path)
    assert "RuntimeWarning" not in mlp.stderr
    assert_one_error(mlp, "calibration rows", "row 1, column 1", "--calibration")


# ---- 14. the Scores line says what the scores are ----------------------------------------------


def _real_scores(converted, X) -> np.ndarray:
    return np.ldexp(converted.scores(X).astype(np.float64), -converted.output_frac_bits)[:, 0]


def test_the_scores_line_of_boosters_and_isolation_forests_says_what_they_are(tmp_path):
    import lightgbm
    import xgboost
    from sklearn.ensemble._iforest import _average_path_length

    from codegen.frontends.isolation_forest import inlier_threshold

    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = X.astype(np.float32)
    xgb = xgboost.XGBClassifier(n_estimators=4, max_depth=3).fit(X, y)
    gbm = lightgbm.LGBMClassifier(n_estimators=4, num_leaves=6, verbose=-1).fit(X, y)
    for model, margin, raw in ((xgb, xgb.predict(X, output_margin=True), "output_margin"),
                               (gbm, gbm.predict(X, raw_score=True), "raw_score")):
        converted = codegen.convert(model)
        assert "raw boosting margin of class 1" in converted.report()["scores"] and raw in converted.report()["scores"]
        assert np.max(np.abs(_real_scores(converted, X) - margin)) <= converted.ir.error_bound + 1e-5
    forest = ensemble.IsolationForest(n_estimators=5, random_state=0).fit(X)
    converted = codegen.convert(forest)
    assert "path length" in converted.report()["scores"] and "probabilit" not in converted.report()["scores"]
    depth = -np.log2(-forest.score_samples(X)) * 5 * _average_path_length([forest._max_samples])[0]
    assert np.max(np.abs(_real_scores(converted, X) - (depth - inlier_threshold(forest)))) <= \
        converted.ir.error_bound + 1e-9
    xgb.save_model(tmp_path / "xgb.json")
    shown = run("inspect", tmp_path / "xgb.json", cwd=tmp_path)
    assert shown.returncode == 0 and "raw boosting margin of class 1" in shown.stdout
    assert run("convert", tmp_path / "xgb.json", "-o", tmp_path, cwd=tmp_path).returncode == 0
    assert "Scores / 2^OUTPUT_FRAC_BITS: the raw boosting margin of class 1" in (tmp_path / "model.h").read_text()


def test_a_lightgbm_file_counts_its_float32_rounding_rows_too(tmp_path):
    """LightGBM decides on doubles; its .txt file is checked against lightgbm on the float64 rows."""
    import lightgbm

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    model = lightgbm.LGBMRegressor(n_estimators=4, num_leaves=4, verbose=-1).fit(X, X[:, 0] + X[:, 2])
    model.booster_.save_model(tmp_path / "m.txt")
    splits = []
    for tree in model.booster_.dump_model()["tree_info"]:
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_feature" in node:
                splits.append((node["split_feature"], node["threshold"]))
                stack += [node["left_child"], node["right_child"]]
    rows = np.repeat(X[:3], 30, axis=0)
    for index, row in enumerate(rows):
        feature, threshold = splits[index % len(splits)]
        row[feature] = np.nextafter(threshold, np.inf)
    pd.DataFrame(rows).to_csv(tmp_path / "X.csv", index=False)
    booster = lightgbm.Booster(model_file=str(tmp_path / "m.txt"))
    changed = int(np.sum(booster.predict(rows) != booster.predict(rows.astype(np.float32))))
    assert changed > 5
    report, _ = _verify_json(tmp_path, tmp_path / "m.txt", "--data", tmp_path / "X.csv")
    assert report["rows_float32_rounding_changes"] == changed and report["agreement"] == 1.0
