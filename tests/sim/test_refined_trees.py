"""A leaf-refined forest on the ATmega328P: the simulated C predicts what the refined
estimator's own `predict` does (and what the interpreter does) on every simulated row."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier

import codegen
from codegen.optimize import trees as transforms
from codegen.optimize.refine import refine_leaves, training_loss
from codegen.verification import CONVERSION_TARGET, verify

pytestmark = pytest.mark.sim


def test_refined_forest_agrees_on_the_atmega328p(require_target):
    require_target("atmega328p")
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    forest = RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(X[:1000], y[:1000])
    pruned = transforms.cut_depth(transforms.select_trees(forest, [1, 4, 6, 9]), 4)
    refined = refine_leaves(pruned, X[:1000], y[:1000])
    assert training_loss(refined, X[:1000], y[:1000]) < training_loss(pruned, X[:1000], y[:1000])
    model = codegen.convert(refined, name="m", layout="table", target=CONVERSION_TARGET["atmega328p"])
    result = verify(model, X[1000:], labels=y[1000:], target="atmega328p", samples=20)
    assert result["n_rows"] == 20
    assert result["interpreter_agreement"] == 1.0 and result["agreement"] == 1.0
