"""What tune decides by: the model as trained is the baseline whether or not it fits, every
layout of every transform is recorded on its own with the reason it was refused, estimates are
cross-validated with the budget judged by the drop's upper bound; and `convert` for a named
chip gives one answer near its flash: fits (and links), or refused with the numbers."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier

import codegen
from codegen.errors import UserError
from codegen.optimize import Budgets, estimates
from codegen.optimize.output import write_results

pytestmark = [pytest.mark.sim, pytest.mark.usefixtures("atmega328p_tools")]
TARGET = "atmega328p"




@pytest.fixture(scope="module")
def digits_rows():
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    return X[order], y[order]


@pytest.fixture(scope="module")
def noisy_rows():
    return make_classification(2600, 10, n_informative=6, n_classes=3, flip_y=0.15, random_state=0)


@pytest.fixture(scope="module")
def too_big(noisy_rows, tmp_path_factory):
    """18 bushy trees of unlimited depth: their tables alone are larger than 32 KB, in every layout."""
    X, y = noisy_rows
    model = RandomForestClassifier(n_estimators=18, random_state=0).fit(X[:2000], y[:2000])
    result = codegen.tune(model, X[2400:], y[2400:], X_val=X[2000:2400], y_val=y[2000:2400], target=TARGET,
                          budget=5, samples=3, budgets=Budgets(max_accuracy_drop=4),
                          cache_dir=tmp_path_factory.mktemp("cache"))
    return model, result


def test_the_baseline_is_the_model_as_trained_even_when_it_does_not_fit(too_big, noisy_rows, tmp_path):
    model, result = too_big
    X, y = noisy_rows
    library = 100.0 * np.mean(model.predict(X[2000:2400].astype(np.float32)) == y[2000:2400])
    assert result.baseline_score == pytest.approx(library)
    found = result.as_trained()
    assert found["fits"] is False and found["needs_bytes"] > 32_768
    assert all(row["_grid"] == 0 for row in result.original_rows)
    written = write_results(result, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "model.json").read_text())
    assert report["as_trained"]["fits"] is False and report["as_trained"]["score"] == pytest.approx(library)
    assert {"model.json", "candidates.csv", "pareto.svg"} <= {path.name for path in written}
    svg = (tmp_path / "out" / "pareto.svg").read_text()
    assert "does not fit" in svg


def test_no_choice_breaks_the_accuracy_budget_by_its_upper_bound(too_big):
    from codegen.optimize.pareto import misses

    _, result = too_big
    baseline = result.baseline["_points"]
    assert result.best is not None, "a pruned forest within 4 points fits the ATmega328P"
    assert result.best["fits"] and result.best["c_agreement"] == 1.0
    found = estimates.estimate(result.best["_points"], baseline)
    assert result.best["drop_upper"] == pytest.approx(found.drop + estimates.Z * found.drop_se)
    assert result.best["drop_upper"] <= 4.0
    eligible = [row for row in result.rows if not misses(row, result.budgets)]
    assert all(row["drop_upper"] <= 4.0 for row in eligible)
    assert result.best["energy_pj"] == min(row["energy_pj"] for row in eligible)  # the budget buys energy
    over = [row for row in result.rows if row.get("fits") and row["drop_upper"] > 4.0]
    assert all(any("upper bound" in miss for miss in misses(row, result.budgets)) for row in over)


def test_every_refused_layout_is_a_row_with_its_reason_and_the_tables_are_still_measured(digits_rows, tmp_path):
    """RF10 depth 8 on digits: its if-else code (~65 KB) cannot fit the ATmega328P, its tables
    (~9 KB) do; the model as trained is measured first, in every layout."""
    X, y = digits_rows
    model = RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0).fit(X[:900], y[:900])
    result = codegen.tune(model, X[900:1300], y[900:1300], target=TARGET, budget=3, samples=3,
                          cache_dir=tmp_path / "cache")
    rows = list(csv.DictReader(io.StringIO(result.csv_text())))
    assert len(rows) == len(result.rows)
    for row in rows:
        if row["fits"] == "False":
            assert row["reason"] and row["misses"], row
    ifelse, table = (next(r for r in rows if r["transform"] == "as trained" and r["input"] == "float32"
                          and r["layout"] == layout) for layout in ("ifelse", "table"))
    assert ifelse["fits"] == "False" and ("not built" in ifelse["reason"] or "needs" in ifelse["reason"])
    assert table["fits"] == "True" and table["measured"] == "True" and int(table["flash_bytes"]) < 32_768
    assert result.as_trained()["fits"] is True


def test_identical_c_is_measured_once(digits_rows, tmp_path):
    X, y = digits_rows
    model = RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0).fit(X[:900], y[:900])
    result = codegen.tune(model, X[900:1300], y[900:1300], target=TARGET, budget=16, samples=2,
                          cache_dir=tmp_path / "cache")
    measured = [row for row in result.rows if row.get("measured")]
    headers = [row["_converted"].header_text for row in measured]
    assert len(headers) == len(set(headers))
    duplicates = [row for row in result.rows if row.get("duplicate_of") is not None]
    assert duplicates, "hard votes of pure leaves build the same C as the leaves as trained"
    for row in duplicates:
        original = result.rows[row["duplicate_of"]]
        assert row["_converted"].header_text == original["_converted"].header_text
        assert row["flash_bytes"] == original["flash_bytes"] and row["cycles"] == original["cycles"]


def test_convert_near_the_chips_flash_fits_and_links_or_is_refused_with_the_numbers():
    """Forests whose if-else estimate is between 1x and 1.5x of the ATmega328P's flash."""
    from codegen.fit import tree_code_bytes
    from codegen.harness.targets import run_on_target

    X, y = load_breast_cancer(return_X_y=True)
    tried = 0
    for trees in range(4, 60, 2):
        model = RandomForestClassifier(n_estimators=trees, max_depth=6, random_state=0).fit(X, y)
        ir = codegen.convert(model, layout="table", target="avr").ir
        estimate = tree_code_bytes(ir, "ifelse", "avr")
        if not 32_768 <= estimate <= 1.5 * 32_768:
            continue
        tried += 1
        try:
            converted = codegen.convert(model, layout="ifelse", target=TARGET)
        except UserError as error:
            message = str(error)
            assert "\n" not in message and "does not fit the atmega328p" in message and "32,768" in message
            continue
        with tempfile.TemporaryDirectory() as work:
            header = Path(work) / "model.h"
            header.write_text(converted.header_text)
            run = run_on_target(TARGET, header, "model", X[:2].astype(np.float32), "float32")
        assert run.flash_bytes <= 32_768
        if tried == 3:
            break
    assert tried, "no forest of this family lands between 1x and 1.5x of the flash"


def test_scores_runs_near_the_chips_flash_fit_or_fail_cleanly(noisy_rows):
    """`verify` prints the scores too: its build must be sized with them (it once reached simavr
    with more flash than the chip has, which aborted with -6)."""
    from codegen.api import convert_with
    from codegen.fit import tree_code_bytes
    from codegen.harness.targets import run_on_target
    from codegen.settings import Settings

    X, y = noisy_rows
    for trees in range(6, 40):  # 50 rows of 40 B no longer fit beside a model of ~29-31 KB
        model = RandomForestClassifier(n_estimators=trees, max_depth=7, random_state=0).fit(X[:2000], y[:2000])
        converted = convert_with(model, Settings(layout="table", target="avr", check_flash=False))
        if tree_code_bytes(converted.ir, "table", "avr") > 29_000:
            break
    assert tree_code_bytes(converted.ir, "table", "avr") < 31_000
    rows = X[2000:2050].astype(np.float32)
    with tempfile.TemporaryDirectory() as work:
        header = Path(work) / "model.h"
        header.write_text(converted.header_text)
        try:
            run = run_on_target(TARGET, header, "model", rows, "float32", with_scores=True)
        except UserError as error:
            assert "\n" not in str(error) and "32,768" in str(error)
            return
    np.testing.assert_array_equal(run.predictions, converted.interpret(rows).predictions)
    np.testing.assert_array_equal(run.scores, converted.interpret(rows).scores)
