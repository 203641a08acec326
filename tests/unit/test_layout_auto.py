"""`--layout auto` by the measured size/speed model (codegen/fit.py), and the size check that
refuses, with the numbers, an if-else forest far bigger than the chip (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

import codegen
from codegen.errors import UserError


@pytest.fixture(scope="module")
def booster():
    X, y = make_classification(n_samples=1000, n_features=20, n_informative=10, n_redundant=4, n_classes=4,
                               random_state=0)
    return GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0).fit(X.astype(np.float32), y)


@pytest.fixture(scope="module")
def big_forest():
    X, y = make_classification(n_samples=5000, n_features=20, n_informative=10, n_redundant=4, n_classes=4,
                               random_state=0)
    return RandomForestClassifier(n_estimators=50, max_depth=10, random_state=0).fit(X.astype(np.float32), y)


def test_auto_takes_the_faster_layout_when_it_fits(booster):
    model = codegen.convert(booster, name="m", target="cortex-m4")  # ~89 KB of if-else in 512 KB
    assert model.layout == "ifelse"
    line = model.report()["layout_auto"]
    assert line.startswith("ifelse: faster, fits 90% of the cortex-m4's 524,288 B flash (ifelse ~")
    assert "table ~" in line and "nodes visited" in line


def test_auto_takes_the_tables_when_if_else_would_not_fit(booster):
    model = codegen.convert(booster, name="m", target="atmega2560")  # ~243 KB of if-else > 90% of 256 KB
    assert model.layout == "table"
    line = model.report()["layout_auto"]
    assert line.startswith("table: the fastest (first if tied) of table, compact within 90% of the atmega2560's")
    assert "compact ~" in line


def test_auto_takes_compact_where_only_it_fits():
    """40 trees of depth 8 on digits: ~32 KB of tables, ~22 KB compact, in the ATmega328P's 32 KB."""
    X, y = load_digits(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=40, max_depth=8, random_state=0).fit(X[::2].astype(np.float32), y[::2])
    model = codegen.convert(forest, name="m", target="atmega328p")
    assert model.layout == "compact"
    assert model.report()["layout_auto"].startswith("compact: the only one within 90% of the atmega328p's")


def test_explicit_layout_has_no_auto_line(booster):
    assert "layout_auto" not in codegen.convert(booster, name="m", target="atmega2560", layout="table").report()


def test_rf50_if_else_is_refused_with_the_numbers_and_auto_picks_tables(big_forest):
    with pytest.raises(UserError) as error:
        codegen.convert(big_forest, name="m", target="atmega2560", layout="ifelse")
    message = str(error.value)
    assert "\n" not in message
    assert "does not fit the atmega2560" in message and "the chip has 262,144" in message
    assert "use --layout table (about" in message
    assert codegen.convert(big_forest, name="m", target="atmega2560").layout == "table"
