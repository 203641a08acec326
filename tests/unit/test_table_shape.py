"""The table layout's sizes are decided once, from node counts and C types (issue 18,
criterion 5): they equal the bytes of the arrays the header declares, and one `--layout auto`
conversion for an AVR builds the table context at most once."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor

import codegen
from codegen.backends import flash_tables, table_trees, trees
from codegen.backends.table_shape import table_shape


def _cases():
    iris, wine = load_iris(return_X_y=True), load_wine(return_X_y=True)
    cancer, diabetes = load_breast_cancer(return_X_y=True), load_diabetes(return_X_y=True)
    return {
        "votes": (RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0), iris, "float32"),
        "one_tree_votes_int8": (RandomForestClassifier(n_estimators=1, random_state=0), iris, "int8"),
        "sparse_proba": (RandomForestClassifier(n_estimators=7, random_state=0), wine, "float32"),
        "scalar_multiclass": (GradientBoostingClassifier(n_estimators=6, max_depth=2, random_state=0), wine, "int16"),
        "scalar_binary": (GradientBoostingClassifier(n_estimators=20, random_state=0), cancer, "float32"),
        "regression": (RandomForestRegressor(n_estimators=4, max_depth=6, random_state=0), diabetes, "float32"),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_counted_bytes_equal_the_declared_arrays(case):
    estimator, (X, y), input_type = _cases()[case]
    estimator.fit(X, y)
    scale = tuple(np.ptp(X, axis=0) / 200 + 1e-9) if input_type != "float32" else (1.0,)
    converted = codegen.convert(estimator, name="m", layout="table", input=input_type, scale=scale)
    shape = table_shape(converted.ir)
    context = table_trees.table_context(converted.ir, "m", flash_tables.NEAR, shape)
    declared = [(table["name"].removeprefix("m_"), table["ctype"], table["size"]) for table in context["tables"]]
    assert declared == list(shape.arrays)
    assert shape.table_bytes == flash_tables.total_bytes(context["tables"])
    for suffix, ctype, length in shape.arrays:  # and the header declares exactly these
        assert f"{ctype} m_{suffix}[{length}]" in converted.header_text


def test_an_avr_auto_conversion_builds_the_table_context_at_most_once(monkeypatch):
    X, y = load_breast_cancer(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=100, max_depth=4, random_state=0).fit(X, y)
    built = []
    real = table_trees.table_context
    monkeypatch.setattr(trees, "table_context", lambda *args: built.append(1) or real(*args))
    for chip, layout in (("atmega328p", "table"), ("atmega2560", "ifelse")):
        built.clear()
        converted = codegen.convert(forest, name="m", target=chip, layout="auto")
        converted.header_text, converted.report()
        assert converted.layout == layout
        assert len(built) == (1 if layout == "table" else 0), chip
