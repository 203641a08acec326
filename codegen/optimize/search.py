"""`codegen.tune(...)`: transform a model many ways, measure the promising candidates on the
simulated chip, and pick the most accurate one within the budgets.

1. Validation rows are held out of the data (or given); the rest are test rows, used only to
   report the chosen candidate's accuracy, never to choose it. For forests, half the
   validation rows pick the trees (greedy order) and the other half score the candidates.
2. Every transform x input type x layout is converted and scored by the interpreter on the
   validation rows (cheap and exact).
3. At most `budget` of them are built and run in the simulator, taken from the cheap Pareto
   layers (score, estimated flash, energy) outward; measurements are cached by digest.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from codegen.api import __version__, convert_with
from codegen.backends.targets import profile
from codegen.errors import UserError
from codegen.harness.targets import target_memory
from codegen.optimize import DEFAULT_BUDGET, DEFAULT_SAMPLES, cache, pareto
from codegen.optimize.candidates import INPUT_TYPES, apply_transform, layouts_for, model_family, transform_grid
from codegen.optimize.evaluate import Context, device_rows, evaluate, score
from codegen.optimize.measure import MeasureTask, measure
from codegen.optimize.parallel import joblib_backend
from codegen.optimize.result import TuneResult

VALIDATION_SHARE = 0.5


def tune(model, X, y, *, target: str = "atmega328p", X_val=None, y_val=None, name: str = "model",
         budgets: pareto.Budgets | None = None, budget: int = DEFAULT_BUDGET, time_limit: float | None = None,
         samples: int = DEFAULT_SAMPLES, jobs: int = 1, backend: str = "local", address: str | None = None,
         cache_dir=None, seed: int = 0, progress: bool = False) -> TuneResult:
    """Search transforms and implementations of the fitted `model` for the simulated chip
    `target`. X, y: rows the model was not trained on; half become validation rows unless
    X_val/y_val are given (then all of X, y are test rows)."""
    from codegen.harness.targets import SIM_TARGETS

    if target not in SIM_TARGETS:
        raise UserError(f"unknown target {target!r}; tune measures on one of {', '.join(SIM_TARGETS)}")
    if budget < 1 or samples < 1:
        raise UserError("--budget and --samples must be at least 1")
    budgets = budgets or pareto.Budgets()
    X_val, y_val, X_test, y_test = split_rows(X, y, X_val, y_val, seed)
    family = model_family(model)
    order = None
    if family == "forest":  # trees are picked on half the validation rows, scored on the other half
        X_val, y_val, X_pick, y_pick = _halves(X_val, y_val, seed)
        order = _tree_order(model, X_pick, y_pick)
    classify = hasattr(model, "classes_") or hasattr(getattr(model, "steps", [[None, None]])[-1][1], "classes_")
    conversion_target = conversion_target_of(target)
    context = Context(name, conversion_target, X_val, y_val, classify, profile(conversion_target).ifelse_node_bytes)
    chip_flash, _ = target_memory(target)
    grid = transform_grid(model)
    rows = _evaluate_all(context, model, grid, order, family, chip_flash, jobs if backend == "local" else 1)
    if not rows:
        raise UserError("mcugen could not convert the model in any setting; check that `mcugen convert` takes it")
    baseline = rows[0]["score"]
    for index, row in enumerate(rows):
        row["id"] = index
        row["accuracy_drop"] = round(baseline - row["score"], 6)
    chosen_rows = select_for_measurement(rows, budget, budgets.max_accuracy_drop)
    started = time.monotonic()
    _measure(chosen_rows, context, target, samples, jobs, backend, address, cache_dir, time_limit, progress)
    recorded = [row for row in rows if "fits" in row]
    best = pareto.choose(recorded, budgets)
    result = TuneResult(rows=recorded, best=best, budgets=budgets, target=target, name=name, baseline_score=baseline,
                        n_evaluated=len(rows), seconds=time.monotonic() - started, original=model)
    result.test_scores = _test_scores(rows[0], best, model, grid, order, context, X_test, y_test)
    if best is not None:
        result.best_model = apply_transform(model, grid[best["_grid"]], order)
        result.best_converted = convert_with(result.best_model, best["_settings"], calibration=X_val)
    return result


def split_rows(X, y, X_val, y_val, seed: int):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if len(X) != len(y):
        raise UserError(f"--labels has {len(y)} rows but --data has {len(X)}; give one label per row")
    if X_val is not None:
        X_val, y_val = np.asarray(X_val, dtype=np.float64), np.asarray(y_val)
        if y_val is None or len(X_val) != len(y_val):
            raise UserError("--val-data and --val-labels must have the same number of rows")
        return X_val, y_val, X, y
    if len(X) < 4:
        raise UserError(f"--data has {len(X)} rows; give at least 4 (half are held out for validation)")
    shuffled = np.random.default_rng(seed).permutation(len(X))
    cut = int(round(len(X) * VALIDATION_SHARE))
    return X[shuffled[:cut]], y[shuffled[:cut]], X[shuffled[cut:]], y[shuffled[cut:]]


def conversion_target_of(target: str) -> str:
    """The backend profile a simulator target converts for (verify's table when it has it)."""
    from codegen.verification import CONVERSION_TARGET

    return CONVERSION_TARGET.get(target, "avr" if target.startswith("atmega") else target)


def _halves(X, y, seed: int):
    """Scoring rows and picking rows. Scoring a sub-forest on the rows that picked its trees
    flatters it by points (measured on digits), so the two are kept apart."""
    if len(X) < 4:
        raise UserError(f"a forest needs at least 4 validation rows (half pick trees, half score), not {len(X)}")
    shuffled = np.random.default_rng(seed + 1).permutation(len(X))
    half = len(X) // 2
    return X[shuffled[half:]], y[shuffled[half:]], X[shuffled[:half]], y[shuffled[:half]]


def _tree_order(model, X_pick, y_pick):
    from codegen.optimize.trees import greedy_tree_order

    return greedy_tree_order(model, X_pick, y_pick)


def _evaluate_all(context: Context, model, grid: list[dict], order, family: str, chip_flash: int,
                  jobs: int) -> list[dict]:
    """Scores every transform x input x layout; local processes share the grid in `jobs`
    interleaved slices (each slice is one task, so the model is sent once per process)."""
    from joblib import Parallel, delayed

    slices = [list(range(start, len(grid), jobs)) for start in range(min(jobs, len(grid)))]
    parts = Parallel(n_jobs=len(slices))(
        delayed(_evaluate_slice)(context, model, grid, indices, order, family, chip_flash) for indices in slices)
    rows = [row for part in parts for row in part]
    return sorted(rows, key=lambda row: row["_grid"])  # stable: grid order, then input and layout


def _evaluate_slice(context: Context, model, grid, indices, order, family: str, chip_flash: int) -> list[dict]:
    rows = []
    layouts = layouts_for(family)
    for index in indices:
        transformed = apply_transform(model, grid[index], order)
        for input_dtype in INPUT_TYPES:
            for row in evaluate(context, transformed, grid[index], layouts, input_dtype, chip_flash):
                row["_grid"] = index
                rows.append(row)
    return rows


def select_for_measurement(rows: list[dict], budget: int, max_drop: float | None = None) -> list[dict]:
    """The model as trained (every layout) first; then the rows within the accuracy budget,
    then the rest, each group taken from the cheap Pareto layers (score, estimated flash,
    energy) outward, best score first within a layer. Rows estimated far too big are recorded
    as not fitting without a build (and use no budget)."""
    for row in rows:
        if row["_header"] is None:
            row.update(fits=False, measured=False, reason=f"estimated {row['flash_estimate']:,} bytes of flash")
    buildable = [row for row in rows if row["_header"] is not None]
    first = [row for row in buildable if row["_grid"] == 0 and row["input"] == "float32"]
    rest = [row for row in buildable if row not in first]
    within = [row for row in rest if max_drop is None or row["accuracy_drop"] <= max_drop]
    beyond = [row for row in rest if max_drop is not None and row["accuracy_drop"] > max_drop]
    return (first + _by_layers(within) + _by_layers(beyond))[:budget]


def _by_layers(rows: list[dict]) -> list[dict]:
    if not rows:
        return []
    points = np.array([[-r["score"], r["flash_estimate"], r["energy_pj"]] for r in rows], dtype=np.float64)
    layers = pareto.pareto_layers(points)
    return [rows[i] for i in sorted(range(len(rows)), key=lambda i: (layers[i], -rows[i]["score"], i))]


def _measure(rows, context, target, samples, jobs, backend, address, cache_dir, time_limit, progress) -> None:
    import os

    from joblib import Parallel, delayed

    cache_dir = str(cache_dir or cache.default_cache_dir())
    tasks = []
    for row in rows:
        sample_rows = device_rows(context, context.X_val[:samples], row["_settings"])
        key = cache.measurement_key(row["_header"], target, row["input"], sample_rows, __version__)
        tasks.append(MeasureTask(key, row["_header"], context.name, target, row["input"], sample_rows,
                                 np.asarray(row["_expected"][:samples]), cache_dir, os.getpid()))
    bar = _progress_bar(len(tasks), progress)
    started = time.monotonic()
    with joblib_backend(backend, address, jobs) as n_jobs:
        chunk = max(4, 2 * abs(n_jobs)) if n_jobs != -1 else 8
        for begin in range(0, len(tasks), chunk):
            if time_limit is not None and time.monotonic() - started > time_limit:
                break
            batch = tasks[begin:begin + chunk]
            results = Parallel(n_jobs=n_jobs)(delayed(measure)(task) for task in batch)
            for row, found in zip(rows[begin:begin + chunk], results, strict=True):
                row.update(found, measured=True)
                _normalise(row)
            bar.update(len(batch))
    bar.close()


def _normalise(row: dict) -> None:
    if row.get("fits"):
        row["cycles"] = row.pop("count_mean")
        row["cycles_max"] = row.pop("count_max")


def _progress_bar(total: int, shown: bool):
    try:
        from tqdm import tqdm
    except ImportError:  # a bar is a nicety: without tqdm the search runs silently
        return _NoBar()
    return tqdm(total=total, file=sys.stderr, disable=not shown, unit="candidate", desc="measuring")


class _NoBar:
    def update(self, _count: int) -> None:
        pass

    def close(self) -> None:
        pass


def _test_scores(original: dict, best: dict | None, model, grid, order, context: Context, X_test, y_test) -> dict:
    """Test-row scores (interpreter) of the model as trained and of the chosen candidate."""
    if not len(X_test):
        return {}
    scores = {}
    for label, row in (("original", original), ("best", best)):
        if row is None:
            continue
        converted = convert_with(apply_transform(model, grid[row["_grid"]], order), row["_settings"],
                                 calibration=context.X_val)
        scores[label] = score(converted, device_rows(context, X_test, row["_settings"]), y_test,
                              context.is_classifier)[0]
    return scores
