"""Model files read without xgboost/lightgbm and without pickle: XGBoost .json / .ubj and
LightGBM .txt give the same C, byte for byte, as the in-memory models; bad files are a
one-line UserError."""

from __future__ import annotations

import numpy as np
import pytest

import codegen
from codegen.errors import UserError
from codegen.frontends.native import load_native_model
from codegen.verification import passed, verify
from tests.support.external import lightgbm_model, require_package, xgboost_model
from tests.support.models import dataset


@pytest.mark.parametrize("kind,data", [("classifier", "breast_cancer"), ("classifier", "digits"),
                                       ("regressor", "diabetes")])
@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_xgboost_files_give_the_same_c(tmp_path, kind, data, suffix):
    estimator = xgboost_model(kind, data)
    path = tmp_path / f"model{suffix}"
    estimator.save_model(path)
    native = load_native_model(path)
    from_file = codegen.convert(native, name="m")
    in_memory = codegen.convert(estimator, name="m")
    assert from_file.header_text == in_memory.header_text
    # and the Booster alone (no scikit-learn wrapper) too
    assert codegen.convert(estimator.get_booster(), name="m").header_text == in_memory.header_text
    _, _, X_test, _ = dataset(data)
    np.testing.assert_array_equal(native.predict(X_test), estimator.predict(X_test))  # XGBoost's own
    result = verify(from_file, X_test)
    assert passed(result, "trees") if kind == "classifier" else result["interpreter_agreement"] == 1.0


@pytest.mark.parametrize("kind,data", [("classifier", "breast_cancer"), ("classifier", "digits"),
                                       ("regressor", "generated_regression")])
def test_lightgbm_files_give_the_same_c(tmp_path, kind, data):
    estimator = lightgbm_model(kind, data)
    path = tmp_path / "model.txt"
    estimator.booster_.save_model(path)
    native = load_native_model(path)
    from_file = codegen.convert(native, name="m")
    assert from_file.header_text == codegen.convert(estimator, name="m").header_text
    assert codegen.convert(estimator.booster_, name="m").header_text == from_file.header_text
    _, _, X_test, _ = dataset(data)
    np.testing.assert_array_equal(native.predict(X_test), estimator.predict(X_test))  # LightGBM's own
    result = verify(from_file, X_test)
    assert passed(result, "trees") if kind == "classifier" else result["agreement"] == 1.0


def test_binary_logistic_boundary_is_xgboost_own():
    """XGBoost's class 1 needs float32 sigmoid(margin) > 0.5: margins up to
    SIGMOID_HALF_MARGIN (1.5 * 2**-24) are class 0. Checked with XGBoost itself on margins
    set through base_margin (a model of zero trees)."""
    xgb = require_package("xgboost")
    from codegen.frontends.xgboost_model import SIGMOID_HALF_MARGIN

    t = np.float32(SIGMOID_HALF_MARGIN)
    margins = np.array([t, np.nextafter(t, np.float32(1)), np.nextafter(t, np.float32(0)), 0.0, -t, 1e-6],
                       dtype=np.float32)
    X = np.zeros((len(margins), 1), dtype=np.float32)
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=np.zeros(len(X))), num_boost_round=0)
    probabilities = booster.predict(xgb.DMatrix(X, base_margin=margins))
    assert list(probabilities > 0.5) == [False, True, False, False, False, True]


@pytest.mark.parametrize("content,suffix,message", [
    (b"{}", ".json", "not an XGBoost model"),
    (b"{not json", ".json", "cannot read"),
    (b"[\x00", ".ubj", "cannot read"),
    (b"hello", ".txt", "not a LightGBM model"),
    (b"x", ".bin", "unknown model file type"),
])
def test_bad_files_are_user_errors(tmp_path, content, suffix, message):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        load_native_model(path)


def test_unsupported_objectives_are_user_errors():
    xgb = require_package("xgboost")
    X, y, _, _ = dataset("breast_cancer")
    estimator = xgb.XGBRegressor(objective="reg:logistic", n_estimators=2, n_jobs=1).fit(X, y)
    with pytest.raises(UserError, match="objective 'reg:logistic': predict returns the sigmoid of the margin"):
        codegen.convert(estimator)
    lgb = require_package("lightgbm")
    estimator = lgb.LGBMRegressor(objective="poisson", n_estimators=2, verbose=-1, n_jobs=1).fit(X, y)
    with pytest.raises(UserError, match=r"objective 'poisson': predict returns exp\(raw score\)"):
        codegen.convert(estimator)


def test_xgboost_with_a_missing_value_other_than_nan_is_refused():
    xgb = require_package("xgboost")
    X, y, _, _ = dataset("breast_cancer")
    estimator = xgb.XGBClassifier(n_estimators=2, missing=0.0, n_jobs=1).fit(X, y)
    with pytest.raises(UserError, match="missing=np.nan"):
        codegen.convert(estimator)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_unfitted_models_are_user_errors(library):
    package = require_package(library)
    factory = package.XGBClassifier if library == "xgboost" else package.LGBMClassifier
    with pytest.raises(UserError, match="not fitted"):
        codegen.convert(factory())


def test_predicting_a_file_without_its_library_names_the_extra(tmp_path, monkeypatch):
    estimator = lightgbm_model("classifier", "breast_cancer")
    path = tmp_path / "model.txt"
    estimator.booster_.save_model(path)
    native = load_native_model(path)  # reading needs no lightgbm
    monkeypatch.setitem(__import__("sys").modules, "lightgbm", None)
    with pytest.raises(UserError, match=r"pip install 'mcugen\[lightgbm\]'"):
        native.predict(dataset("breast_cancer")[2])


def test_verify_allows_xgboost_float32_sums_and_no_more():
    """XGBoost adds leaves in float32: verify's slack for a regressor includes that bound
    (from ir.library_sums.library_sum_error), and the test's own bound (from the float IR) agrees."""
    from codegen.frontends import read_trees
    from codegen.ir.library_sums import library_sum_error
    from tests.support.external import score_bound

    estimator = xgboost_model("regressor", "diabetes")
    model = codegen.convert(estimator, name="m")
    result = verify(model, dataset("diabetes")[2])
    assert result["agreement"] == 1.0 and passed(result, "trees")
    assert result["max_abs_error"] > result["error_bound"]  # the float32 sums are what needs the slack
    exact = score_bound(estimator, 2.0**-24)
    assert exact <= library_sum_error(model.ir) <= exact * 1.001 + 1e-12
    assert library_sum_error(read_trees(estimator)) == pytest.approx(exact)
