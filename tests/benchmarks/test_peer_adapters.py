"""The peer adapters of benchmarks/peer_tools.py build on the host and answer every row with a
class index (mcugen's own rows exactly as sklearn). The simulator figures are the benchmark's."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

from codegen.harness.host import build_host, run_host

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import peer_tools  # noqa: E402
from peers import c_name, device_rows  # noqa: E402

PACKAGES = {"emlearn": "emlearn", "m2cgen": "m2cgen", "micromlgen": "micromlgen", "mcugen": "codegen"}


@pytest.fixture(scope="module")
def small_forest():
    X, y = load_breast_cancer(return_X_y=True)
    X = X.astype(np.float32)
    model = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X[::2], y[::2])
    return model, X[::2], X[1::2][:40]


@pytest.mark.parametrize("tool", [t for t in peer_tools.TOOLS if "trees" in t.kinds], ids=lambda t: t.label)
def test_adapter_builds_and_predicts_on_host(tool, small_forest):
    # find_spec, not import: importing emlearn here would change numpy's error state for
    # every later test (peer_tools imports it carefully)
    if importlib.util.find_spec(PACKAGES[tool.package]) is None:
        reason = f"{tool.package} is missing; run: pip install -e '.[bench]'"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have it: {reason}")
        pytest.skip(reason)
    model, X_train, X_test = small_forest
    name = c_name(tool)
    code = tool.generate(model, name, X_train)
    assert f"#define {name.upper()}_N_FEATURES 30" in code.header_text
    n_outputs = int(re.search(rf"#define {name.upper()}_N_OUTPUTS (\d+)", code.header_text).group(1))
    # The peers' code is not ours to make warning-free: the host's strict flags are relaxed.
    executable = build_host(code.header_text, name, extra_flags=("-w", *code.extra_cflags))
    rows = device_rows(X_test, code.input_dtype)
    predictions = run_host(executable, rows, code.input_dtype, n_outputs).predictions
    assert set(predictions.tolist()) <= {0, 1}
    if tool.is_mcugen:
        assert np.array_equal(model.classes_[predictions], model.predict(X_test))
