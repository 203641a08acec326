"""Run a header's `<name>_proba` on the host: a small driver reads rows (the input type's raw
little-endian bytes) from stdin and writes each row's Q16 probabilities as int32."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from codegen.harness.host import STRICT_CFLAGS, compile_cached
from codegen.input_types import INPUT_TYPES

DRIVER = """#include <stdio.h>
#include "{name}.h"
int main(void)
{{
    {name}_input_t x[{NAME}_N_FEATURES];
    int32_t out[{NAME}_N_CLASSES];
    while (fread(x, sizeof x, 1, stdin) == 1) {{
        {name}_proba(x, out);
        fwrite(out, sizeof out, 1, stdout);
    }}
    return 0;
}}
"""


def build_proba_driver(header_text: str, name: str, extra_flags: tuple[str, ...] = ()) -> Path:
    driver = DRIVER.format(name=name, NAME=name.upper())
    sources = {f"{name}.h": header_text, "driver.c": driver}
    return compile_cached("proba_driver", sources, (*STRICT_CFLAGS, "-O2", *extra_flags), what=f"{name}_proba")


def run_proba(header_text: str, name: str, rows: np.ndarray, input_dtype: str, n_classes: int,
              extra_flags: tuple[str, ...] = ()) -> np.ndarray:
    """Q16 probabilities (int64, rows x classes) from the compiled C."""
    executable = build_proba_driver(header_text, name, extra_flags)
    data = np.ascontiguousarray(rows, dtype=INPUT_TYPES[input_dtype].numpy).tobytes()
    result = subprocess.run([str(executable)], input=data, capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype="<i4").reshape(-1, n_classes).astype(np.int64)


def check_proba(model, X) -> dict:
    """For `verify --proba`: the C's probabilities against the library's predict_proba on every
    row of X (host), with the proven bound. `passed` when every row is within it."""
    from codegen.errors import UserError

    predict_proba = getattr(model.estimator, "predict_proba", None)
    if predict_proba is None:
        raise UserError(f"{type(model.estimator).__name__} has no predict_proba to check the C against")
    features = model.features_for_sklearn(X)
    judged = np.isfinite(features).all(axis=1)  # libraries may refuse inf or NaN: judge the rest
    try:
        expected = np.asarray(predict_proba(features))
        judged[:] = True
    except ValueError:
        expected = np.asarray(predict_proba(features[judged])) if judged.any() else np.zeros((0, 1))
    got = model.predict_proba(X)[judged]
    error = float(np.max(np.abs(got - expected), initial=0.0))
    bound = float(model.report()["proba_bound"])
    return {"proba_max_error": error, "proba_bound": bound, "proba_passed": error <= bound}
