"""The node tests compare a float's bits with wrapping integer arithmetic: every NaN payload at
the edges of the NaN ranges (both signs), the infinities and the zeros go where scikit-learn
sends them, in C and in the interpreter alike."""

from __future__ import annotations

import numpy as np
import pytest

import codegen
from codegen.backends import ifelse_trees
from tests.support.models import dataset, fitted

# float32 bit patterns at the ends of each range the node tests treat apart
EDGE_BITS = np.array([
    0x7F800001, 0x7FC00000, 0x7FFFFFFF,  # +NaN: lowest payload, quiet, highest
    0xFF800001, 0xFFC00000, 0xFFFFFFFF,  # -NaN
    0x7F800000, 0xFF800000,  # +-inf
    0x00000000, 0x80000000, 0x00000001, 0x80000001,  # +-0 and the smallest subnormals
    0x7F7FFFFF, 0xFF7FFFFF,  # +-largest finite
], dtype=np.uint32)


def _rows_with_edges(X: np.ndarray) -> np.ndarray:
    """Each test row once per edge pattern, that pattern in one feature (cycling)."""
    rows = []
    for i, row in enumerate(X[:60]):
        for j, bits in enumerate(EDGE_BITS):
            changed = row.copy()
            changed[(i + j) % X.shape[1]] = bits.view(np.float32)
            rows.append(changed)
    return np.asarray(rows, dtype=np.float32)


# "per node": every node tests NaN itself; "at entry": every (feature, NaN side) of the if-else
# is settled once at entry (ifelse_trees.nan_slots) and each node compares once
SCREENS = {"per node": (float("inf"), float("inf")), "at entry": (0.0, -1.0)}


@pytest.mark.parametrize(("layout", "target", "screen"), [
    ("ifelse", "host", "per node"), ("ifelse", "cortex-m4", "per node"), ("table", "host", "per node"),
    ("ifelse", "host", "at entry"), ("ifelse", "cortex-m4", "at entry"), ("ifelse", "cortex-m0", "at entry")])
def test_nan_payloads_and_infinities_follow_sklearn(monkeypatch, layout, target, screen):
    cost, overhead = SCREENS[screen]
    monkeypatch.setattr(ifelse_trees, "SLOT_COST", cost)
    monkeypatch.setattr(ifelse_trees, "SCREEN_OVERHEAD", overhead)
    estimator = fitted("HistGradientBoostingClassifier", "generated_classification", missing=True)
    _, _, X_test, _ = dataset("generated_classification")
    X = _rows_with_edges(X_test)
    model = codegen.convert(estimator, name="m", layout=layout, target=target)
    if screen == "at entry":
        for helper in ("_nan_left(", "_nan_right(", "_le_pos_num(", "_le_neg_num("):
            assert helper in model.header_text
    elif layout == "ifelse":  # the tests this file is about are in the code (Thumb-2: the split ones)
        split = "_split" if target == "cortex-m4" else ""
        for test in (f"pos_nanleft{split}", "pos_nanright", f"neg_nanleft{split}", f"neg_nanright{split}"):
            assert f"_le_{test}(" in model.header_text
    run = model.run_c(X)
    np.testing.assert_array_equal(run.predictions, model.interpret(X).predictions)
    np.testing.assert_array_equal(run.scores, model.interpret(X).scores)
    assert np.array_equal(model.decode(run.predictions), estimator.predict(X))
