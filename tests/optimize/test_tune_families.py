"""Tune on every family mcugen converts: a model too big for an 8 KB flash budget on the
ATmega328P is made to fit, and the model file it writes loads in its own library and predicts
what the header predicts. (The models are a quarter of test_family_transforms' BIG ones, which
are too big for the whole 32 KB: the same search at a quarter of the conversions.)"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import ensemble, tree
from sklearn.datasets import make_classification

import codegen
from codegen.optimize import Budgets
from codegen.optimize.model_files import load_model
from codegen.optimize.output import write_results
from tests.support.external import require_package
from tests.support.families import one_thread

pytestmark = [pytest.mark.sim, pytest.mark.usefixtures("atmega328p_tools")]
TARGET = "atmega328p"
MAX_FLASH = 8 * 1024
BIG = {  # each too big for MAX_FLASH as trained
    "hist_boosting": lambda: ensemble.HistGradientBoostingClassifier(max_iter=40, min_samples_leaf=5,
                                                                     early_stopping=False, random_state=0),
    "xgboost": lambda: require_package("xgboost").XGBClassifier(n_estimators=60, max_depth=6, n_jobs=1,
                                                                random_state=0),
    "lightgbm": lambda: require_package("lightgbm").LGBMClassifier(  # shallow: fewer depth candidates
        n_estimators=40, num_leaves=31, max_depth=5, n_jobs=1, min_child_samples=3, verbose=-1, random_state=0),
    "isolation": lambda: ensemble.IsolationForest(n_estimators=25, random_state=0),
    "tree": lambda: tree.DecisionTreeRegressor(random_state=0),  # one leaf per row
}


@pytest.mark.parametrize("family", sorted(BIG))
def test_tune_makes_a_too_big_model_fit_and_its_file_predicts_what_the_header_predicts(family, tmp_path):
    X, y = make_classification(1200, 10, n_informative=6, flip_y=0.15, random_state=0)
    X = X.astype(np.float32)
    target_y = X[:, 0] + np.random.default_rng(0).normal(size=len(X)) if family == "tree" else y
    make = BIG[family]
    fit_rows = slice(0, 800)
    with one_thread():
        model = make().fit(X[fit_rows]) if family == "isolation" else make().fit(X[fit_rows], target_y[fit_rows])
        labels = None if family == "isolation" else target_y[fit_rows.stop:]
        result = codegen.tune(model, X[fit_rows.stop:], labels, target=TARGET, budget=4, samples=2,
                              budgets=Budgets(max_accuracy_drop=60, max_flash=MAX_FLASH), cache_dir=tmp_path / "cache")
    as_trained = result.as_trained()  # "fits" is the chip's 32 KB; the budget is MAX_FLASH
    assert not as_trained["fits"] or as_trained["flash_bytes"] > MAX_FLASH
    best = result.best
    assert best is not None and best["fits"] and best["flash_bytes"] <= MAX_FLASH and best["c_agreement"] == 1.0, \
        [row.get("reason") for row in result.rows[:6]]
    write_results(result, tmp_path / "out")
    saved = load_model(tmp_path / "out" / result.model_file)
    rows = X[fit_rows.stop:]
    converted = result.best_converted
    header = converted.decode(converted.interpret(_device(converted, rows)).predictions)
    library = _library_predict(saved, converted.features_for_sklearn(_device(converted, rows)), family)
    if converted.is_classifier:
        np.testing.assert_array_equal(np.asarray(header).astype(str), np.asarray(library).astype(str))
    else:
        np.testing.assert_allclose(header, library, atol=converted.report().get("error_bound", 0) + 1e-4)


def _device(converted, rows):
    from codegen.optimize.evaluate import device_rows

    return device_rows(converted.settings, rows)


def _library_predict(saved, rows, family):
    if family == "lightgbm":  # a Booster: class probabilities
        output = saved.predict(rows)
        return np.argmax(output, axis=1) if output.ndim == 2 else (output > 0.5).astype(int)
    return saved.predict(rows)
