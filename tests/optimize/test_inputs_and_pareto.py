"""Input quantisation from the data, Pareto fronts and the budget rules."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.optimize.inputs import input_quantization, quantize_rows
from codegen.optimize.pareto import Budgets, choose, closest, misses, non_dominated, pareto_layers


@pytest.mark.parametrize("dtype, low, high", [("int8", -128, 127), ("int16", -32768, 32767)])
def test_quantised_rows_round_trip_within_half_a_step(dtype, low, high):
    X = np.random.default_rng(0).normal(3.0, [1.0, 50.0, 1e-3], size=(200, 3))
    X[:, 0] = 0.0  # a constant feature
    scale, zero_point = input_quantization(X, dtype)
    q = quantize_rows(X, dtype, scale, zero_point)
    assert q.min() >= low and q.max() <= high
    back = np.asarray(scale) * (q.astype(np.float64) - np.asarray(zero_point))
    assert (np.abs(back - X) <= np.asarray(scale) / 2 + 1e-12).all()
    assert scale[0] == 1.0


def _row(i, score, cycles, flash, energy, fits=True):
    return {"id": i, "score": score, "cycles": cycles, "flash_bytes": flash, "ram_bytes": 0, "energy_pj": energy,
            "accuracy_drop": 90.0 - score, "drop_se": 0.0, "drop_upper": 90.0 - score, "fits": fits,
            "c_agreement": 1.0}


def test_non_dominated_keeps_the_trade_offs_only():
    points = np.array([[1, 1], [2, 0], [2, 2], [1, 1], [0, 3]], dtype=float)
    np.testing.assert_array_equal(non_dominated(points), [True, True, False, True, True])
    np.testing.assert_array_equal(pareto_layers(points), [0, 0, 1, 0, 0])


def test_choose_spends_an_accuracy_budget_on_energy_and_judges_it_by_the_upper_bound():
    rows = [_row(0, 90, 100, 900, 50), _row(1, 89.5, 50, 400, 20), _row(2, 89.5, 60, 300, 10),
            _row(3, 95, 10, 10, 1, fits=False)]
    assert choose(rows, Budgets(max_flash=800))["id"] == 2
    assert choose(rows, Budgets(max_accuracy_drop=0.4))["id"] == 0
    assert choose(rows, Budgets(max_accuracy_drop=0.6))["id"] == 2  # least energy within the budget
    rows[2].update(drop_se=0.1, drop_upper=0.5 + 1.645 * 0.1)
    assert choose(rows, Budgets(max_accuracy_drop=0.6))["id"] == 1  # row 2's upper bound is over
    assert "upper bound 0.66" in misses(rows[2], Budgets(max_accuracy_drop=0.6))[0]
    assert choose(rows, Budgets(max_cycles=5)) is None
    assert misses(rows[0], Budgets(max_flash=800)) == ["flash_bytes 900 > 800"]
    assert misses(rows[3], Budgets()) == ["does not fit the chip"]
    assert [r["id"] for r in closest(rows, Budgets(max_cycles=55), 2)] == [1, 2]


def test_without_an_accuracy_budget_the_cheapest_within_one_standard_error_of_the_best():
    rows = [dict(_row(0, 90.0, 100, 900, 50), score_se=1.5), _row(1, 88.6, 50, 400, 20), _row(2, 88.4, 10, 100, 5)]
    assert choose(rows, Budgets())["id"] == 1  # 1.4 below the best is within its SE of 1.5; 1.6 is not


def test_preferring_accuracy_takes_the_most_accurate_within_the_budgets():
    rows = [dict(_row(0, 90.0, 100, 900, 50), score_se=1.5), _row(1, 88.6, 50, 400, 20), _row(2, 88.4, 10, 100, 5),
            _row(3, 88.6, 40, 300, 15)]
    assert choose(rows, Budgets(), prefer="accuracy")["id"] == 0
    assert choose(rows, Budgets(max_flash=500), prefer="accuracy")["id"] == 3  # ties: least energy
    assert choose(rows, Budgets(max_accuracy_drop=1.5), prefer="accuracy")["id"] == 0
    with pytest.raises(ValueError, match="prefer"):
        choose(rows, Budgets(), prefer="speed")


def test_whole_number_data_within_the_type_is_passed_as_it_is():
    X = np.array([[0, 16], [3, 7], [16, 0]], dtype=np.float64)
    assert input_quantization(X, "int8") == ((1.0, 1.0), (0, 0))
    np.testing.assert_array_equal(quantize_rows(X, "int8", (1.0, 1.0), (0, 0)), X)
    assert input_quantization(X * 100, "int8")[0] != (1.0, 1.0)  # out of range: scaled
