"""XGBoost and LightGBM classifiers (binary, multiclass) and regressors on sklearn's datasets
and generated data, with NaN of both signs, +0.0 / -0.0 and values at and either side of every
split threshold: the compiled C == the interpreter bit for bit, and == the library's predict on
every row (regression: within the fixed-point bound plus the library's own summation bound:
XGBoost adds in float32, LightGBM in float64)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.external import adversarial_test_rows, check_model, lightgbm_model, require_package, xgboost_model

FLOAT32_ROUNDING = 2.0**-24
FLOAT64_ROUNDING = 2.0**-53

CASES = [("classifier", "breast_cancer"), ("classifier", "digits"), ("classifier", "generated_classification"),
         ("regressor", "diabetes"), ("regressor", "generated_regression")]


@pytest.mark.parametrize("layout", ["ifelse", "table"])
@pytest.mark.parametrize("kind,data", CASES)
def test_xgboost_matches_predict(kind, data, layout):
    estimator = xgboost_model(kind, data)
    X = adversarial_test_rows(estimator, data)
    _, near = check_model(estimator, X, float_rounding=FLOAT32_ROUNDING, layout=layout)
    print(f"xgboost {kind} {data}: {len(X)} rows agree; {near} within the bounds of a class boundary")


@pytest.mark.parametrize("layout", ["ifelse", "table"])
@pytest.mark.parametrize("kind,data", CASES)
def test_lightgbm_matches_predict(kind, data, layout):
    estimator = lightgbm_model(kind, data)
    X = adversarial_test_rows(estimator, data)
    _, near = check_model(estimator, X, float_rounding=FLOAT64_ROUNDING, layout=layout)
    print(f"lightgbm {kind} {data}: {len(X)} rows agree; {near} within the bounds of a class boundary")


@pytest.mark.parametrize("zero_as_missing", [False, True])
@pytest.mark.parametrize("use_missing", [False, True])
def test_lightgbm_missing_types(zero_as_missing, use_missing):
    """Missing types None (NaN taken as 0.0), NaN and Zero (NaN and |x| <= 1e-35 go the
    default way): zeros of both signs, tiny values either side of 1e-35f, and NaN."""
    estimator = lightgbm_model("classifier", "generated_classification", zero_as_missing=zero_as_missing,
                               use_missing=use_missing)
    X = adversarial_test_rows(estimator, "generated_classification")
    tiny = np.float32(1e-35)
    for value in (tiny, -tiny, np.nextafter(tiny, np.float32(1)), -np.nextafter(tiny, np.float32(1)),
                  np.float32(1e-45), np.float32(-1e-45), np.float32(0.0), np.float32(-0.0), np.float32(np.nan)):
        block = X[:40].copy()
        block[:, :] = np.where(np.arange(block.shape[1]) % 2 == 0, value, block)
        X = np.concatenate([X, block])
    check_model(estimator, X, float_rounding=FLOAT64_ROUNDING)


def test_lightgbm_categorical_splits():
    """Categorical features (bitsets): categories at and between integers, -0.5 (truncates to
    category 0), negatives, NaN, categories never seen and values past 2**31 (all go right)."""
    lgb = require_package("lightgbm")
    rng = np.random.default_rng(4)
    n = 2000
    X = np.column_stack([rng.integers(0, 40, n), rng.integers(0, 6, n), rng.normal(size=n)]).astype(np.float32)
    X[rng.random(n) < 0.05, 0] = np.nan
    y = ((np.isin(X[:, 0], [1, 2, 3, 7, 20, 21, 33]) ^ (X[:, 1] == 0)) + (X[:, 2] > 0.5)).astype(int)
    for zero_as_missing in (False, True):
        estimator = lgb.LGBMClassifier(n_estimators=15, num_leaves=12, min_child_samples=5, max_cat_to_onehot=2,
                                       cat_smooth=1, min_data_per_group=5, random_state=0, verbose=-1, n_jobs=1,
                                       zero_as_missing=zero_as_missing)
        estimator.fit(X, y, categorical_feature=[0, 1])
        assert "num_cat=0" not in estimator.booster_.model_to_string().split("Tree=1")[0]
        probes = np.array([-0.0, 0.0, -0.5, -0.99999994, -1.0, -3.0, 0.5, 0.99999994, 1.0, 1.5, 2.999, 3.0, 7.5, 20.0,
                           33.99, 39.0, 40.0, 63.0, 64.0, 1e9, 2.0**31, 3e9, np.inf, -np.inf, np.nan], dtype=np.float32)
        grid = np.array(np.meshgrid(probes, probes[::3], [0.0, 1.0], indexing="ij")).reshape(3, -1).T.astype(np.float32)
        model, _ = check_model(estimator, np.concatenate([X[:500], grid]), float_rounding=FLOAT64_ROUNDING)
        print(f"categorical lightgbm zero_as_missing={zero_as_missing}: {model.ir.n_nodes} nodes")


def test_xgboost_early_stopping_uses_best_iteration():
    """predict uses the trees up to best_iteration; so does the conversion."""
    xgb = require_package("xgboost")
    from tests.support.models import dataset

    X, y, X_test, y_test = dataset("breast_cancer")
    estimator = xgb.XGBClassifier(n_estimators=200, max_depth=3, learning_rate=0.5, early_stopping_rounds=3,
                                  random_state=0, n_jobs=1)
    estimator.fit(X, y, eval_set=[(X_test, y_test)], verbose=False)
    assert estimator.best_iteration < 199
    model, _ = check_model(estimator, X_test, float_rounding=FLOAT32_ROUNDING)
    assert model.ir.n_trees == estimator.best_iteration + 1


@pytest.mark.parametrize("params", [{"objective": "multi:softmax"}, {"base_score": 0.2}, {"num_parallel_tree": 3},
                                    {"max_depth": 0, "grow_policy": "lossguide", "max_leaves": 9}])
def test_xgboost_classifier_variants(params):
    xgb = require_package("xgboost")
    from tests.support.models import dataset

    data = "generated_classification" if params.get("objective") == "multi:softmax" else "breast_cancer"
    X, y, X_test, _ = dataset(data)
    estimator = xgb.XGBClassifier(n_estimators=8, random_state=0, n_jobs=1, **params).fit(X, y)
    rows = adversarial_test_rows(estimator, data)
    check_model(estimator, rows, float_rounding=FLOAT32_ROUNDING)


@pytest.mark.parametrize("objective", ["reg:absoluteerror", "reg:pseudohubererror"])
def test_xgboost_regressor_objectives(objective):
    xgb = require_package("xgboost")
    from tests.support.models import dataset

    X, y, _, _ = dataset("diabetes")
    estimator = xgb.XGBRegressor(objective=objective, n_estimators=8, random_state=0, n_jobs=1).fit(X, y)
    check_model(estimator, adversarial_test_rows(estimator, "diabetes"), float_rounding=FLOAT32_ROUNDING)


@pytest.mark.parametrize("params", [{"objective": "multiclassova"}, {"boosting_type": "rf", "bagging_freq": 1,
                                                                     "bagging_fraction": 0.7}])
def test_lightgbm_classifier_variants(params):
    estimator = lightgbm_model("classifier", "generated_classification", **params)
    check_model(estimator, adversarial_test_rows(estimator, "generated_classification"),
                float_rounding=FLOAT64_ROUNDING)
