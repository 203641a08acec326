"""Issue 20's cases, as their reporters trained them: LightGBM random-forest mode (regressor,
binary, multiclass: every row and `_proba` against the library), `reg_sqrt`, HistGradientBoosting
on text categories, a categorical split over 400 categories, and pandas category columns: exact,
or refused in one line before anything large is built."""

from __future__ import annotations

import numpy as np
import pytest

import codegen
from codegen.errors import UserError
from codegen.frontends.builder import EnsembleBuilder
from tests.support.external import check_model, require_package
from tests.support.models import dataset

FLOAT64_ROUNDING = 2.0**-53
RF = {"boosting_type": "rf", "bagging_freq": 1, "bagging_fraction": 0.7, "feature_fraction": 0.8}


def _lightgbm(kind: str, data: str, **params):
    lgb = require_package("lightgbm")
    X, y, X_test, _ = dataset(data)
    factory = lgb.LGBMClassifier if kind == "classifier" else lgb.LGBMRegressor
    estimator = factory(n_estimators=12, num_leaves=15, min_child_samples=5, random_state=0, n_jobs=1, verbose=-1,
                        **params).fit(X, y)
    return estimator, np.concatenate([X_test, X[:100]]).astype(np.float32)


def _refused(estimator, message: str) -> None:
    with pytest.raises(UserError, match=message) as refused:
        codegen.convert(estimator, name="m")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("layout", ["ifelse", "table"])
def test_lightgbm_rf_regressor_averages_its_trees(layout):
    estimator, rows = _lightgbm("regressor", "diabetes", **RF)
    assert "average_output" in estimator.booster_.model_to_string()
    model, _ = check_model(estimator, rows, float_rounding=FLOAT64_ROUNDING, layout=layout)
    assert np.max(np.abs(model.predict(rows) - estimator.predict(rows))) <= model.report()["output_error_bound"] + 1e-9


@pytest.mark.parametrize("layout", ["ifelse", "table"])
@pytest.mark.parametrize("data", ["breast_cancer", "generated_classification"])
def test_lightgbm_rf_classifier_proba_within_the_bound(data, layout):
    """LightGBM averages the margins, then applies the sigmoid / softmax."""
    estimator, rows = _lightgbm("classifier", data, **RF)
    model, _ = check_model(estimator, rows, float_rounding=FLOAT64_ROUNDING, layout=layout)
    bound = model.report()["proba_bound"]
    worst = float(np.max(np.abs(model.predict_proba(rows) - estimator.predict_proba(rows))))
    assert worst <= bound < 1e-4, (worst, bound)


@pytest.mark.parametrize("layout", ["ifelse", "table"])
@pytest.mark.parametrize("objective", ["regression", "regression_l1"])
def test_lightgbm_reg_sqrt_squares_the_sum_with_its_sign(objective, layout):
    """LightGBM predicts sign(s) * s**2 of the raw sum s: the C squares the fixed-point score,
    within the proven bound e (2B + e) + 2**-(F+1)."""
    estimator, rows = _lightgbm("regressor", "diabetes", objective=objective, reg_sqrt=True)
    model, _ = check_model(estimator, rows, float_rounding=FLOAT64_ROUNDING, layout=layout)
    raw = estimator.predict(rows, raw_score=True)
    assert np.allclose(estimator.predict(rows), np.sign(raw) * raw**2)  # what LightGBM computes
    worst = float(np.max(np.abs(model.predict(rows) - estimator.predict(rows))))
    proven = model.report()["output_error_bound"]
    assert worst <= proven + 1e-6, worst
    print(f"reg_sqrt {objective} {layout}: max |C - predict| {worst:.3g}, proven {proven:.3g}")
    assert np.min(np.abs(model.predict(rows) - raw)) > 1.0  # not the raw sum


def test_lightgbm_reg_sqrt_beyond_32_bits_is_refused():
    lgb = require_package("lightgbm")
    X, y, _, _ = dataset("diabetes")
    estimator = lgb.LGBMRegressor(n_estimators=3, num_leaves=4, reg_sqrt=True, verbose=-1, n_jobs=1).fit(X, y * 1e8)
    _refused(estimator, r"reg_sqrt model's output can reach .* beyond the 32-bit fixed point")


def test_hist_gradient_boosting_on_text_categories_is_refused():
    pandas = require_package("pandas")
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    frame = pandas.DataFrame({"x": rng.normal(size=200), "colour": rng.choice(["red", "green", "blue"], 200)})
    frame["colour"] = frame["colour"].astype("category")
    y = frame["x"] + (frame["colour"] == "red")
    estimator = HistGradientBoostingRegressor(max_iter=3, categorical_features="from_dtype").fit(frame, y)
    _refused(estimator, r"categorical column 'colour' holds text categories .*cat\.codes")


def test_many_categories_are_refused_before_anything_is_built(monkeypatch):
    """400 categories, max_cat_threshold=64: the interval chains would copy subtrees millions of
    times. The size is counted from the file, and no node is built."""
    lgb = require_package("lightgbm")
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 400, 4000), rng.normal(size=4000)]).astype(np.float32)
    y = (np.isin(X[:, 0], rng.choice(400, 200, replace=False)) ^ (X[:, 1] > 0)).astype(int)
    built = []
    monkeypatch.setattr(EnsembleBuilder, "split", lambda *args, **kwargs: built.append(1))
    for leaves in (4, 10):
        estimator = lgb.LGBMClassifier(n_estimators=1, num_leaves=leaves, max_cat_threshold=64, min_data_per_group=5,
                                       cat_smooth=1, verbose=-1, n_jobs=1).fit(X, y, categorical_feature=[0])
        _refused(estimator, r"LightGBM tree 0 would become [\d,]+ threshold nodes .*limit 200,000.*max_cat_threshold")
    assert not built


def test_hist_gradient_boosting_with_many_categories_is_refused_before_building(monkeypatch):
    """The same explosion in scikit-learn's categorical HistGradientBoosting (250 categories)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 250, 6000), rng.normal(size=6000)]).astype(np.float32)
    y = (np.isin(X[:, 0], rng.choice(250, 125, replace=False)) ^ (X[:, 1] > 0)).astype(int)
    estimator = HistGradientBoostingClassifier(max_iter=1, max_leaf_nodes=8, categorical_features=[0]).fit(X, y)
    built = []
    monkeypatch.setattr(EnsembleBuilder, "split", lambda *args, **kwargs: built.append(1))
    _refused(estimator, r"HistGradientBoostingClassifier tree 0 would become [\d,]+ threshold nodes .*limit 200,000")
    assert not built


def test_pandas_categories_other_than_codes_are_refused():
    lgb = require_package("lightgbm")
    pandas = require_package("pandas")
    rng = np.random.default_rng(0)
    values = rng.choice([10, 20, 30, 40, 50], 500)
    frame = pandas.DataFrame({"x": rng.normal(size=500), "grade": pandas.Categorical(values)})
    y = ((values == 20) ^ (frame["x"] > 0)).astype(int)
    estimator = lgb.LGBMClassifier(n_estimators=3, num_leaves=4, min_child_samples=5, verbose=-1, n_jobs=1)
    estimator.fit(frame, y)
    _refused(estimator, r"pandas category column 'grade' whose categories are 10, 20, 30, 40, 50, not 0..4")


def test_pandas_categories_that_are_codes_convert_exactly():
    """Categories 0..k-1: the code is the value, what the device sends."""
    lgb = require_package("lightgbm")
    pandas = require_package("pandas")
    rng = np.random.default_rng(0)
    values = rng.integers(0, 5, 500)
    frame = pandas.DataFrame({"x": rng.normal(size=500), "grade": pandas.Categorical(values, categories=range(5))})
    y = ((values == 2) ^ (frame["x"] > 0)).astype(int)
    estimator = lgb.LGBMClassifier(n_estimators=3, num_leaves=4, min_child_samples=5, verbose=-1, n_jobs=1)
    estimator.fit(frame, y)
    rows = frame.to_numpy(dtype=np.float32)
    model, _ = check_model(estimator, rows, float_rounding=FLOAT64_ROUNDING, predict=lambda X: estimator.predict(frame))
    assert np.array_equal(model.predict(rows), estimator.predict(frame))
