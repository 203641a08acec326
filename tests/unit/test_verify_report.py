"""`verify`'s report when rows differ: the first differing rows with their inputs and the three
answers (C, interpreter, scikit-learn), in text and in the JSON dict; labels compared in the
type of the model's classes; rows scikit-learn cannot judge."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn import datasets, ensemble

import codegen
from codegen.errors import UserError
from codegen.verification import format_result, labels_as_classes, passed, verify


@pytest.fixture(scope="module")
def iris_forest():
    X, y = datasets.load_iris(return_X_y=True)
    forest = ensemble.RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y)
    return forest, X.astype(np.float32)


def test_a_failing_verify_lists_the_first_differing_rows(iris_forest):
    forest, X = iris_forest
    model = codegen.convert(forest, name="iris")
    honest = model._interpret

    def wrong_on_rows_3_and_9(rows):  # an interpreter that disagrees with the C on two rows
        result = honest(rows)
        predictions = result.predictions.copy()
        predictions[[3, 9]] = (predictions[[3, 9]] + 1) % 3
        return dataclasses.replace(result, predictions=predictions)

    model._interpret = wrong_on_rows_3_and_9
    result = verify(model, X[:20])
    assert not passed(result, model.kind)
    assert result["n_rows_differing"] == 2
    assert [row["row"] for row in result["disagreements"]] == [3, 9]
    c_predictions = model.predict(X[:20])
    for row in result["disagreements"]:
        index = row["row"]
        assert row["inputs"] == [float(v) for v in X[index]] and not row["truncated"]
        assert row["c"] == c_predictions[index] == row["sklearn"] != row["interpreter"]
    text = format_result(result)
    assert "first rows that differ (2 in all):" in text
    assert f"row 3: inputs [{', '.join(f'{v:g}' for v in X[3])}]" in text


def test_rows_with_inf_are_counted_not_judged(iris_forest):
    forest, X = iris_forest
    rows = X[:6].copy()
    rows[2, 1] = np.inf
    result = verify(codegen.convert(forest, name="iris"), rows)
    assert result["rows_sklearn_cannot_judge"] == 1 and result["interpreter_agreement"] == 1.0
    assert passed(result, "trees") and "rows scikit-learn cannot judge  1" in format_result(result)


def test_labels_take_the_type_of_the_classes():
    text = np.array(["3", "7", "42", "3.0"])
    np.testing.assert_array_equal(labels_as_classes(text, np.array(["3", "7", "42"])) == np.array(["3", "7", "42"])[
        [0, 1, 2, 0]], [True, True, True, False])
    np.testing.assert_array_equal(labels_as_classes(text, np.array([3, 7, 42])), [3.0, 7.0, 42.0, 3.0])
    with pytest.raises(UserError, match="'setosa' is not a number"):
        labels_as_classes(np.array(["setosa"]), np.array([0, 1, 2]))
