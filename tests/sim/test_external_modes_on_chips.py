"""The boosting modes issue 20 added, on one simulated chip (Cortex-M0 in unicorn): LightGBM
random forests (regressor, binary, multiclass), sigmoid:k and reg_sqrt (the signed square in
64-bit integer arithmetic), XGBoost random forests and dart. `verify` agrees with the
library's predict on every simulated row (regressors within the proven bound plus the
library's own summation rounding) and bit for bit with the interpreter;
the `_proba` of those scores is checked on the host (tests/integration/test_param_matrix.py)."""

from __future__ import annotations

import numpy as np
import pytest

import codegen
from codegen.verification import CONVERSION_TARGET, passed, verify
from tests.support.external import require_package, score_bound
from tests.support.models import dataset

pytestmark = pytest.mark.sim

CHIP = "cortex-m0"
RF = {"boosting_type": "rf", "bagging_freq": 1, "bagging_fraction": 0.7}
CASES = {
    "lightgbm-rf-regressor": ("lightgbm", "LGBMRegressor", "diabetes", RF),
    "lightgbm-rf-binary": ("lightgbm", "LGBMClassifier", "breast_cancer", RF),
    "lightgbm-rf-multiclass": ("lightgbm", "LGBMClassifier", "generated_classification", RF),
    "lightgbm-sigmoid-2": ("lightgbm", "LGBMClassifier", "breast_cancer", {"sigmoid": 2.0}),
    "lightgbm-reg-sqrt": ("lightgbm", "LGBMRegressor", "diabetes", {"reg_sqrt": True}),
    "xgboost-rf-classifier": ("xgboost", "XGBRFClassifier", "breast_cancer", {}),
    "xgboost-dart-regressor": ("xgboost", "XGBRegressor", "diabetes", {"booster": "dart", "rate_drop": 0.3}),
}


def _fit(library: str, name: str, data: str, params: dict):
    package = require_package(library)
    X, y, X_test, _ = dataset(data)
    common = {"n_estimators": 8, "random_state": 0, "n_jobs": 1}
    if library == "lightgbm":
        common.update(num_leaves=7, min_child_samples=5, verbose=-1)
    else:
        common.update(max_depth=3)
    return getattr(package, name)(**common, **params).fit(X, y), X_test


@pytest.mark.parametrize("case", sorted(CASES))
def test_modes_agree_on_cortex_m0(require_target, case):
    require_target(CHIP)
    library, name, data, params = CASES[case]
    estimator, rows = _fit(library, name, data, params)
    model = codegen.convert(estimator, name="m", target=CONVERSION_TARGET[CHIP])
    rows = rows[np.random.default_rng(0).permutation(len(rows))]
    result = verify(model, rows, target=CHIP, samples=30)
    assert result["n_rows"] == 30
    assert result["interpreter_agreement"] == 1.0 and result["scores_match_interpreter"]
    if model.is_classifier:
        assert result["agreement"] == 1.0 and passed(result, "trees")
    else:
        rounding = 2.0**-24 if library == "xgboost" else 2.0**-53
        assert result["max_abs_error"] <= result["error_bound"] + score_bound(estimator, rounding)
