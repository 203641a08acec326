"""A model that ignores its input (trained on one class) costs no flash beyond the harness:
the null model the harness subtracts is the least any model compiles to, so a model's flash
is never negative (issue 8: a one-class decision tree measured -48 B on the ATmega328P)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import ensemble, tree

import codegen
from codegen.verification import CONVERSION_TARGET, passed, verify
from tests.support.models import dataset

pytestmark = pytest.mark.sim

X = np.random.default_rng(4).normal(size=(40, 3)).astype(np.float32)
ONE_CLASS = {
    "DecisionTreeClassifier": lambda: tree.DecisionTreeClassifier(random_state=0),
    "RandomForestClassifier": lambda: ensemble.RandomForestClassifier(n_estimators=3, random_state=0),
}


@pytest.mark.parametrize("chip", ["atmega328p", "cortex-m4"])
@pytest.mark.parametrize("estimator_name", sorted(ONE_CLASS))
def test_one_class_model_flash_is_zero_not_negative(require_target, estimator_name, chip):
    require_target(chip)
    estimator = ONE_CLASS[estimator_name]().fit(X, np.full(len(X), 5))
    model = codegen.convert(estimator, name="m", target=CONVERSION_TARGET[chip])
    result = verify(model, X, target=chip, samples=10)
    assert result["agreement"] == 1.0 and passed(result, "trees")
    assert result["flash_bytes"] == 0  # it compiles to exactly the null model: return 0
    assert result["ram_bytes"] == 0


@pytest.mark.parametrize("chip", ["atmega328p", "cortex-m4"])
def test_smallest_real_tree_has_positive_flash(require_target, chip):
    """A one-split tree reads its input: it must measure above the null model."""
    require_target(chip)
    X_train, y_train, X_test, _ = dataset("breast_cancer")
    stump = tree.DecisionTreeClassifier(max_depth=1, random_state=0).fit(X_train, y_train)
    model = codegen.convert(stump, name="m", target=CONVERSION_TARGET[chip])
    result = verify(model, X_test, target=chip, samples=10)
    assert result["agreement"] == 1.0
    assert result["flash_bytes"] > 0
