"""Scale: an XGBoost model of 1,000 trees of depth 10, converted in the table layout, and its
header compiled with `gcc -O2` on the host (m2cgen's C for such models does not compile: m2cgen
issues #94, #590).

Trains the model on generated data (or reads one saved with --model), saves it as a native
.json file and converts that file (no pickle, no xgboost needed for this part), prints the
conversion time, the node count and the header size, then compiles the header with the host
harness driver under `/usr/bin/time -v` and prints the compile wall time and peak memory.
Finally checks the C against XGBoost's predict on 2,000 rows. Figures only: nothing asserted.

Run: .venv/bin/python benchmarks/xgboost_scale.py [--trees 1000] [--depth 10] [--model m.json]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import codegen
from codegen.frontends.native import load_native_model
from codegen.harness.glue import model_glue
from codegen.harness.host import STRICT_CFLAGS, compiler
from codegen.resources import firmware_dir


def train(n_trees: int, depth: int, path: Path):
    import xgboost as xgb
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=40_000, n_features=20, n_informative=12, random_state=0)
    model = xgb.XGBClassifier(n_estimators=n_trees, max_depth=depth, min_child_weight=0, learning_rate=0.05,
                              tree_method="hist", random_state=0, n_jobs=2)
    model.fit(X.astype(np.float32), y)
    model.save_model(path)
    return model, X.astype(np.float32)


def compile_header(header_text: str) -> tuple[float, int, int]:
    """(wall seconds, peak KiB, return code) of gcc -O2 building the host driver with the header."""
    with tempfile.TemporaryDirectory() as work:
        work_path = Path(work)
        (work_path / "m.h").write_text(header_text)
        (work_path / "harness_model.h").write_text(model_glue("m"))
        (work_path / "driver.c").write_text((firmware_dir() / "host" / "driver.c").read_text())
        command = ["/usr/bin/time", "-v", compiler(), *STRICT_CFLAGS, "-O2", "-I", str(work_path),
                   str(work_path / "driver.c"), "-o", str(work_path / "driver")]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return wall, int(peak.group(1)) if peak else -1, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--model", type=Path, help="an XGBoost .json/.ubj model to use instead of training")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        path = args.model or Path(work) / "model.json"
        estimator = X = None
        if args.model is None:
            start = time.perf_counter()
            estimator, X = train(args.trees, args.depth, path)
            print(f"trained {args.trees} trees of depth {args.depth} in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        model = codegen.convert(load_native_model(path), name="m", layout="table")
        convert_s = time.perf_counter() - start
    print(f"converted (table layout) in {convert_s:.1f} s: {model.ir.n_trees} trees, {model.ir.n_nodes} nodes, "
          f"{model.ir.n_leaves} leaves, header {len(model.header_text) / 1e6:.1f} MB")
    wall, peak_kib, code = compile_header(model.header_text)
    print(f"gcc -O2 (host): {'ok' if code == 0 else f'FAILED ({code})'} in {wall:.1f} s, "
          f"peak memory {peak_kib / 1024:.0f} MiB")
    if estimator is not None and code == 0:
        rows = X[::20]
        agree = float(np.mean(model.predict(rows) == estimator.predict(rows)))
        print(f"C == XGBoost predict on {100 * agree:.2f}% of {len(rows)} rows")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
