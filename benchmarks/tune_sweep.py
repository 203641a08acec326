"""`mcugen tune` on the three cases of issue 9, measured.

1. digits, RandomForestClassifier(100 trees, unlimited depth) -> atmega328p, accuracy drop <= 1.
   The chosen candidate is verified in simavr on test rows; the model as trained (which does
   not fit the 328P) is measured on the atmega2560 for comparison.
2. breast_cancer, GradientBoostingClassifier(200 stages, depth 3) -> cortex-m0 (cortex-m3 when
   the harness has no cortex-m0): the lowest-energy candidate within 0.5 points, and its
   energy and instruction ratios to the model as trained.
3. digits MLP 64-32-10 -> atmega328p: a candidate with >= 30% fewer cycles within 1 point,
   or the front that shows why none exists.

Each case: 25% test rows (never seen by the search), the rest split 80/20 into training and
validation rows (case 1: 60/40, as half its validation rows pick trees and half score them).
Every search runs with --jobs 1 and --jobs 2, each from an empty cache (wall times), then
prints the number of candidates and the Pareto front. Nothing is asserted.

Run: .venv/bin/python benchmarks/tune_sweep.py [--cases 1,2,3] [--plot docs/pareto.png]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import codegen
from codegen.harness.targets import SIM_TARGETS
from codegen.optimize import Budgets
from codegen.optimize.inputs import quantize_rows
from codegen.tune_command import format_front
from codegen.verification import verify


def split(X, y, val_share: float = 0.2):
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    X_fit, X_val, y_fit, y_val = train_test_split(X_rest, y_rest, test_size=val_share, random_state=0,
                                                  stratify=y_rest)
    return X_fit, y_fit, X_val, y_val, X_test, y_test


def case_forest():
    X, y = load_digits(return_X_y=True)
    X_fit, y_fit, *rest = split(X, y, 0.4)  # half the validation rows pick trees, half score them
    return RandomForestClassifier(n_estimators=100, random_state=0).fit(X_fit, y_fit), rest


def case_boosting():
    X, y = load_breast_cancer(return_X_y=True)
    X_fit, y_fit, *rest = split(X, y)
    return GradientBoostingClassifier(n_estimators=200, max_depth=3, random_state=0).fit(X_fit, y_fit), rest


def case_mlp():
    X, y = load_digits(return_X_y=True)
    X_fit, y_fit, *rest = split(X, y)
    model = make_pipeline(MinMaxScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=800, random_state=0))
    return model.fit(X_fit, y_fit), rest


def timed_searches(model, rows, target, budgets):
    X_val, y_val, X_test, y_test = rows
    times = {}
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as cache:
            started = time.monotonic()
            result = codegen.tune(model, X_test, y_test, X_val=X_val, y_val=y_val, target=target, budgets=budgets,
                                  jobs=jobs, cache_dir=cache)
            times[jobs] = time.monotonic() - started
    print(f"candidates: {result.n_evaluated} scored, {sum(1 for r in result.rows if r.get('measured'))} simulated; "
          f"wall time --jobs 1: {times[1]:.0f} s, --jobs 2: {times[2]:.0f} s")
    print(format_front(result))
    return result


def test_rows(converted, X_test):
    settings = converted.settings
    if settings.input == "float32":
        return X_test.astype(np.float32)
    scale, zero_point = settings.quantization.for_features(X_test.shape[1])
    return quantize_rows(X_test, settings.input, scale, zero_point)


def report_forest(plot):
    model, rows = case_forest()
    print("\n== 1. digits RandomForest(100) -> atmega328p, --max-accuracy-drop 1")
    result = timed_searches(model, rows, "atmega328p", Budgets(max_accuracy_drop=1))
    if plot:
        result.plot(plot)
    X_test, y_test = rows[2], rows[3]
    original = _on_atmega2560(model, X_test, y_test)
    best = result.best
    if best is None:
        print("no candidate fits within the budgets")
        return
    on_chip = verify(result.best_converted, test_rows(result.best_converted, X_test), y_test, "atmega328p", 50)
    print(f"chosen: {best['transform']} [{best['layout']}, {best['input']}]; test accuracy "
          f"{result.test_scores['best']:.2f}% vs {result.test_scores['original']:.2f}% as trained")
    print(f"simavr, 50 test rows: C == pruned model {100 * on_chip['agreement']:.0f}%, "
          f"C == interpreter {100 * on_chip['interpreter_agreement']:.0f}%")
    print(f"atmega328p chosen: {on_chip['cycles_per_inference']['mean']:,.0f} cycles, {on_chip['flash_bytes']:,} B "
          f"flash, {on_chip['ram_bytes']} B RAM, {on_chip['energy_pj']:,.0f} pJ")
    if isinstance(original, str):
        print(f"atmega2560 as trained (table): not measured: {original}")
        return
    print(f"atmega2560 as trained (table, {original['n_rows']} rows): {original['cycles_per_inference']['mean']:,.0f} "
          f"cycles, {original['flash_bytes']:,} B flash, {original['energy_pj']:,.0f} pJ, C == scikit-learn "
          f"{100 * original['agreement']:.0f}%")


def _on_atmega2560(model, X_test, y_test, rows: int = 5, timeout: float = 300.0):
    """The model as trained on the ATmega2560 (its table is the only layout that fits), with a
    time limit: a result dict, or why it could not be measured."""
    from codegen.harness import avr

    default = avr.simulate
    avr.simulate = lambda elf, mcu: default(elf, mcu, timeout=timeout)
    try:
        return verify(codegen.convert(model, layout="table", target="avr"), X_test, y_test, "atmega2560", rows)
    except RuntimeError as error:
        return str(error).splitlines()[0]
    finally:
        avr.simulate = default


def report_boosting():
    target = "cortex-m0" if "cortex-m0" in SIM_TARGETS else "cortex-m3"
    model, rows = case_boosting()
    print(f"\n== 2. breast_cancer GradientBoosting(200, depth 3) -> {target}"
          + ("" if target == "cortex-m0" else " (the harness has no cortex-m0 yet)"))
    result = timed_searches(model, rows, target, Budgets(max_accuracy_drop=0.5))
    original = min((r for r in result.original_rows if r.get("fits")), key=lambda r: r["energy_pj"])
    within = [r for r in result.rows if r.get("fits") and r["c_agreement"] == 1.0 and r["accuracy_drop"] <= 0.5]
    lowest = min(within, key=lambda r: (r["energy_pj"], r["cycles"]))
    print(f"as trained (float32, best layout): {original['energy_pj']:,.0f} pJ, {original['cycles']:,.0f} instructions")
    print(f"lowest energy within 0.5 points: {lowest['transform']} [{lowest['layout']}, {lowest['input']}]: "
          f"{lowest['energy_pj']:,.0f} pJ ({original['energy_pj'] / lowest['energy_pj']:.2f}x less), "
          f"{lowest['cycles']:,.0f} instructions ({original['cycles'] / lowest['cycles']:.2f}x fewer)")
    print(f"test accuracy (rows the search never saw): {test_score(model, lowest, rows):.2f}% vs "
          f"{test_score(model, original, rows):.2f}% as trained")


def test_score(model, row, rows) -> float:
    """A recorded candidate's accuracy on the test rows, through its interpreter."""
    from codegen.optimize.candidates import apply_transform, transform_grid

    from codegen.optimize.evaluate import score

    X_val, _, X_test, y_test = rows
    transformed = apply_transform(model, transform_grid(model)[row["_grid"]])
    converted = codegen.convert_with(transformed, row["_settings"], calibration=X_val)
    return score(converted, test_rows(converted, X_test), y_test, True)[0]


def report_mlp():
    model, rows = case_mlp()
    print("\n== 3. digits MLP 64-32-10 -> atmega328p, --max-accuracy-drop 1")
    result = timed_searches(model, rows, "atmega328p", Budgets(max_accuracy_drop=1))
    original = next(r for r in result.original_rows if r.get("fits"))
    limit = 0.7 * original["cycles"]
    faster = [r for r in result.rows if r.get("fits") and r["accuracy_drop"] <= 1 and r["cycles"] <= limit]
    if faster:
        best = min(faster, key=lambda r: r["cycles"])
        print(f"found: {best['transform']} [{best['input']}]: {best['cycles']:,.0f} cycles "
              f"vs {original['cycles']:,.0f}")
    else:
        print(f"none: no candidate within 1 point has <= {0.7 * original['cycles']:,.0f} cycles (70% of "
              f"{original['cycles']:,.0f}); the front above shows the trade-off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="1,2,3")
    parser.add_argument("--plot", help="save case 1's Pareto plot here (e.g. docs/pareto.png)")
    args = parser.parse_args()
    cases = {c.strip() for c in args.cases.split(",")}
    if "1" in cases:
        report_forest(args.plot)
    if "2" in cases:
        report_boosting()
    if "3" in cases:
        report_mlp()


if __name__ == "__main__":
    main()
