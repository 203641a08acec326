"""XGBoost, LightGBM, categorical HistGradientBoosting and IsolationForest on one simulated
chip per family (ATmega2560 in simavr, Cortex-M4 in unicorn/qemu): `verify` agrees 100% with
the library's predict and bit for bit with the interpreter on a few dozen rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

import codegen
from codegen.verification import CONVERSION_TARGET, passed, verify
from tests.support.external import adversarial_test_rows, lightgbm_model, score_bound, xgboost_model
from tests.support.models import dataset

pytestmark = pytest.mark.sim

CHIPS = ["atmega2560", "cortex-m4"]


def _models():
    return {
        "xgboost-binary": (lambda: xgboost_model("classifier", "breast_cancer", 10, 3), "breast_cancer"),
        "xgboost-multiclass": (lambda: xgboost_model("classifier", "generated_classification", 8, 3),
                               "generated_classification"),
        "xgboost-regressor": (lambda: xgboost_model("regressor", "diabetes", 10, 3), "diabetes"),
        "lightgbm-binary": (lambda: lightgbm_model("classifier", "breast_cancer", 10), "breast_cancer"),
        "lightgbm-zero-missing": (lambda: lightgbm_model("classifier", "generated_classification", 8,
                                                         zero_as_missing=True), "generated_classification"),
        "lightgbm-regressor": (lambda: lightgbm_model("regressor", "generated_regression", 10),
                               "generated_regression"),
    }


@pytest.mark.parametrize("chip", CHIPS)
@pytest.mark.parametrize("case", sorted(_models()))
def test_boosters_agree_on_chips(require_target, case, chip):
    require_target(chip)
    factory, data = _models()[case]
    estimator = factory()
    model = codegen.convert(estimator, name="m", target=CONVERSION_TARGET[chip])
    rows = adversarial_test_rows(estimator, data)
    rows = rows[np.random.default_rng(0).permutation(len(rows))]  # mix plain and adversarial rows
    result = verify(model, rows, target=chip, samples=40)
    assert result["n_rows"] == 40
    assert result["interpreter_agreement"] == 1.0 and result["scores_match_interpreter"]
    if model.is_classifier:
        assert result["agreement"] == 1.0 and passed(result, "trees")
    else:  # the library's own summation rounding (XGBoost: float32) on top of the fixed-point bound
        rounding = 2.0**-24 if case.startswith("xgboost") else 2.0**-53
        assert result["max_abs_error"] <= result["error_bound"] + score_bound(estimator, rounding)


@pytest.mark.parametrize("chip", CHIPS)
def test_isolation_forest_agrees_on_chips(require_target, chip):
    require_target(chip)
    X, _, X_test, _ = dataset("breast_cancer")
    estimator = IsolationForest(n_estimators=20, max_samples=64, random_state=0).fit(X)
    model = codegen.convert(estimator, name="m", target=CONVERSION_TARGET[chip])
    result = verify(model, X_test, target=chip, samples=40)
    assert result["agreement"] == 1.0 and result["scores_match_interpreter"]
    assert passed(result, "trees")


@pytest.mark.parametrize("chip", CHIPS)
def test_categorical_hist_gradient_boosting_agrees_on_chips(require_target, chip):
    from sklearn.ensemble import HistGradientBoostingClassifier

    require_target(chip)
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(size=600), rng.choice([0.0, 2.0, 3.0, 7.0], size=600)]).astype(np.float32)
    y = (X[:, 0] + np.isin(X[:, 1], [2.0, 7.0]) > 0.5).astype(int)
    estimator = HistGradientBoostingClassifier(max_iter=5, categorical_features=[1], random_state=0).fit(X, y)
    rows = X[:40].copy()
    rows[::4, 1] = np.array([1.0, -0.0, np.nan, 5.0, 2.0, 7.0, 0.5, 3.0, 9.0, 0.0], dtype=np.float32)  # unknowns too
    model = codegen.convert(estimator, name="m", target=CONVERSION_TARGET[chip])
    result = verify(model, rows, target=chip, samples=40)
    assert result["agreement"] == 1.0 and result["scores_match_interpreter"] and passed(result, "trees")
