"""If-else code size, measured: the constants of `codegen/fit.py` IFELSE_BYTES (the size
check of `convert` and tune's build estimates use them).

For forests and boosters of a few shapes on four data sets, every input type, the model-alone
flash of the built if-else code (firmware with the model minus firmware with a null model) is
fitted (least squares, non-negative) as bytes = a * decision nodes + b * leaf entries (the
scores a leaf adds to) + c * trees. Prints every build, then per target and input type the
constants and the spread of measured / estimated. Nothing is asserted.

Run: .venv/bin/python benchmarks/node_bytes.py [--targets atmega2560,cortex-m0,cortex-m4]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.optimize import nnls
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

from codegen.api import convert_with
from codegen.errors import UserError
from codegen.fit import ifelse_terms
from codegen.harness.targets import model_footprint
from codegen.optimize.inputs import input_quantization
from codegen.settings import InputQuantization, Settings
from codegen.verification import CONVERSION_TARGET


def models():
    synthetic = make_classification(3000, 20, n_informative=10, n_classes=3, random_state=0)
    for label, (X, y) in (("digits", load_digits(return_X_y=True)), ("cancer", load_breast_cancer(return_X_y=True)),
                          ("wine", load_wine(return_X_y=True)), ("synthetic", synthetic)):
        for trees, depth in ((3, 4), (8, 6), (10, 8)):
            forest = RandomForestClassifier(trees, max_depth=depth, random_state=0).fit(X, y)
            yield f"RF{trees} d{depth} {label}", forest, X
        yield f"GB20 d3 {label}", GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X, y), X


def measure(target: str):
    builds = {}
    for label, model, X in models():
        for dtype in ("float32", "int16", "int8"):
            scale, zero = input_quantization(X, dtype) if dtype != "float32" else ((1.0,), (0,))
            settings = Settings(layout="ifelse", input=dtype, target=CONVERSION_TARGET[target], check_flash=False,
                                quantization=InputQuantization(scale, zero))
            converted = convert_with(model, settings)
            try:
                flash = model_footprint(target, converted.header_text, "model", dtype).flash
            except UserError as error:
                print(f"  {target:11} {dtype:7} {label:22} does not build: {error}", flush=True)
                continue
            terms = ifelse_terms(converted.ir)
            builds.setdefault(dtype, []).append((terms, flash))
            print(f"  {target:11} {dtype:7} {label:22} {terms[0]:6,} nodes {terms[1]:6,} leaf entries "
                  f"{terms[2]:3} trees {flash:8,} B  {flash / terms[0]:6.1f} B/node", flush=True)
    return builds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="atmega2560,cortex-m0,cortex-m4")
    targets = parser.parse_args().targets.split(",")
    summary = {target: measure(target) for target in targets}
    print(f"\n{'target':11} {'input':7} {'node':>6} {'leaf':>6} {'tree':>6}  measured/estimated min..max")
    for target, by_type in summary.items():
        for dtype, builds in by_type.items():
            terms = np.array([t for t, _ in builds], dtype=np.float64)
            flash = np.array([f for _, f in builds], dtype=np.float64)
            constants, _ = nnls(terms, flash)
            ratio = flash / np.maximum(terms @ constants, 1.0)
            print(f"{target:11} {dtype:7} {constants[0]:6.1f} {constants[1]:6.1f} {constants[2]:6.1f}  "
                  f"{ratio.min():.2f}..{ratio.max():.2f} ({len(builds)} builds)")


if __name__ == "__main__":
    main()
