"""Generated C snapshots: a tiny decision tree (iris petal length and width, max_depth=2)
converted with each layout must give exactly the checked-in tests/golden/*.h.

After an intended change to the generated C, review the diff and rewrite the snapshots with

    MCUGEN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/golden

then commit the changed .h files together with the change that caused them.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

import codegen

GOLDEN = Path(__file__).resolve().parent
UPDATE = os.environ.get("MCUGEN_UPDATE_GOLDEN") == "1"
CASES = {
    "tiny_ifelse": {"layout": "ifelse"},
    "tiny_table": {"layout": "table"},
    "tiny_int8_ifelse": {"layout": "ifelse", "input": "int8", "scale": 0.05},
    "tiny_ifelse_avr": {"layout": "ifelse", "target": "avr"},  # byte-wise compares
}


def tiny_tree() -> DecisionTreeClassifier:
    X, y = load_iris(return_X_y=True)
    return DecisionTreeClassifier(max_depth=2, random_state=0).fit(X[:, [2, 3]].astype(np.float32), y)


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case):
    header = codegen.convert(tiny_tree(), name="tiny", **CASES[case]).header_text
    path = GOLDEN / f"{case}.h"
    if UPDATE:
        path.write_text(header)
    assert path.is_file(), f"{path.name} is missing; create it with MCUGEN_UPDATE_GOLDEN=1"
    expected = path.read_text()
    if header != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), header.splitlines(True),
                                            f"{path.name} (checked in)", f"{path.name} (generated)"))
        pytest.fail(f"generated C differs from {path.name}; if intended, run with MCUGEN_UPDATE_GOLDEN=1\n{diff}")


def test_every_snapshot_has_a_case():
    assert {p.stem for p in GOLDEN.glob("*.h")} <= set(CASES)
