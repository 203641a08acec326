"""mcugen end to end (`make demo`): train a random forest on the digits, convert it to an
integer-only C header, and prove on the host, on a simulated ATmega328P (simavr) and on a
simulated Cortex-M4 (qemu + unicorn) that the C predicts exactly what scikit-learn predicts.

Writes demo-out/: model.joblib, digits.h / digits.json (the AVR build), X_test.csv, y_test.csv.
Exits 1 if any target disagrees with scikit-learn or the interpreter.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from codegen import Settings, UserError, convert_with
from codegen.verification import CONVERSION_TARGET, format_result, passed, verify

OUT = Path("demo-out")
NAME = "digits"
TARGETS = ("host", "atmega328p", "cortex-m4")
SIMULATED_ROWS = 60  # simulators run the first rows; the host runs them all


def train():
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    forest = RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0).fit(X_train, y_train)
    return forest, X_test, y_test


def save_csv(path: Path, rows: np.ndarray, header: str) -> None:
    fmt = "%d" if np.issubdtype(rows.dtype, np.integer) else "%.9g"
    np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt=fmt)


def main() -> int:
    started = time.perf_counter()
    OUT.mkdir(exist_ok=True)
    forest, X_test, y_test = train()
    joblib.dump(forest, OUT / "model.joblib")
    save_csv(OUT / "X_test.csv", X_test, ",".join(f"pixel{i}" for i in range(X_test.shape[1])))
    save_csv(OUT / "y_test.csv", y_test.reshape(-1, 1), "digit")
    print(f"trained {forest.n_estimators} trees on the digits: test accuracy {forest.score(X_test, y_test):.3f}")

    results = []
    for target in TARGETS:
        settings = Settings(name=NAME, layout="auto", target=CONVERSION_TARGET[target])
        model = convert_with(forest, settings)
        if target == "atmega328p":
            for path in model.save(OUT):
                print(f"wrote {path}")
        samples = len(X_test) if target == "host" else SIMULATED_ROWS
        result = verify(model, X_test, y_test, target=target, samples=samples)
        results.append((target, model, result))
        print(f"\n== {target} (layout {model.layout}) ==")
        print(format_result(result))

    ok = all(passed(result, model.kind) for _, model, result in results)
    summary = ", ".join(f"{target} {100 * result['agreement']:.0f}% of {result['n_rows']} rows"
                        for target, _, result in results)
    print(f"\n{'OK' if ok else 'MISMATCH'}: agreement with scikit-learn: {summary} "
          f"({time.perf_counter() - started:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
