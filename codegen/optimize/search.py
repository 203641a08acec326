"""`codegen.tune(...)`: transform a model many ways, measure the promising candidates on the
simulated chip, and pick the best one within the budgets.

1. Rows: the search decides by the decision rows (`X_val` when given, else all of `X` but a
   held-out report share); the report rows are used only to report the chosen candidate.
2. Every candidate (transforms x input type) is converted, every layout on its own (the
   chip's size check off: near the limit the build decides), and scored on every decision
   row by a model that never learned from it (estimates.py, scoring.py).
3. The model as trained is the baseline, whether or not it fits.
4. At most `budget` distinct builds (identical C is measured once) are run in the simulator,
   the model as trained first, then the candidates within the accuracy budget from the cheap
   Pareto layers outward; measurements are cached by digest.
"""

from __future__ import annotations

import functools
import sys
import time

import numpy as np

from codegen.api import __version__, convert_with
from codegen.errors import UserError
from codegen.harness.targets import target_memory
from codegen.optimize import DEFAULT_BUDGET, DEFAULT_SAMPLES, cache, estimates, pareto, transforms
from codegen.optimize.evaluate import BUILD_MARGIN, Context, convert_candidate, converted_of, device_rows, settings_for
from codegen.optimize.measure import MeasureTask, measure
from codegen.optimize.parallel import joblib_backend
from codegen.optimize.result import TuneResult
from codegen.optimize.scoring import as_trained_predictions, fold_predictions, forest_predictions
from codegen.optimize.transforms.training import refinable, training_candidates

INPUT_TYPES = ("float32", "int16", "int8")
REPORT_SHARE = 0.2  # of --data held out to report the chosen candidate (without --val-data)


def tune(model, X, y, *, target: str = "atmega328p", X_val=None, y_val=None, name: str = "model",
         budgets: pareto.Budgets | None = None, budget: int = DEFAULT_BUDGET, time_limit: float | None = None,
         samples: int = DEFAULT_SAMPLES, jobs: int = 1, backend: str = "local", address: str | None = None,
         cache_dir=None, seed: int = 0, progress: bool = False, report_share: float = REPORT_SHARE,
         warn=None, X_train=None, y_train=None, prefer: str = "energy") -> TuneResult:
    """Search transforms and implementations of the fitted `model` for the simulated chip
    `target`. X, y: rows the model was not trained on. Without X_val/y_val, `report_share` of
    them are held out to report the choice and the search decides by the rest (cross-validated);
    with them, the search decides by X_val and all of X, y are report rows. X_train, y_train:
    the rows the model was trained on; with them tune also retrains smaller models of the same
    class, refines the leaves of the best pruned candidates and fine-tunes pruned MLPs.
    prefer: "energy" (least energy within the budgets, within one SE of the most accurate
    without an accuracy budget) or "accuracy" (the most accurate within the budgets)."""
    import warnings

    with warnings.catch_warnings():  # rows from a CSV carry no column names (verified by the reader)
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return _tune(model, X, y, target=target, X_val=X_val, y_val=y_val, name=name, budgets=budgets, budget=budget,
                     time_limit=time_limit, samples=samples, jobs=jobs, backend=backend, address=address,
                     cache_dir=cache_dir, seed=seed, progress=progress, report_share=report_share, warn=warn,
                     X_train=X_train, y_train=y_train, prefer=prefer)


def _tune(model, X, y, *, target, X_val, y_val, name, budgets, budget, time_limit, samples, jobs, backend, address,
          cache_dir, seed, progress, report_share, warn, X_train, y_train, prefer) -> TuneResult:
    from codegen.chips import family_of, simulated_chips

    if target not in simulated_chips():
        raise UserError(f"unknown target {target!r}; tune measures on one of {', '.join(simulated_chips())}")
    if budget < 1 or samples < 1:
        raise UserError("--budget and --samples must be at least 1")
    if prefer not in pareto.PREFERENCES:
        raise UserError(f"--prefer must be one of {', '.join(pareto.PREFERENCES)}, not {prefer!r}")
    warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
    budgets = budgets or pareto.Budgets()
    y, y_val = (_own_decisions(model, rows, labels) for rows, labels in ((X, y), (X_val, y_val)))
    X_dec, y_dec, X_rep, y_rep = split_rows(X, y, X_val, y_val, seed, report_share)
    classify = is_classifier(model)
    _check_labels(model, y_dec, classify, warn)
    too_few = estimates.too_few_rows(len(X_dec), budgets.max_accuracy_drop)
    if too_few:
        warn(too_few)
    input_types = INPUT_TYPES
    if np.isnan(X_dec).any():
        input_types = ("float32",)
        warn("the rows hold NaN, which no integer reading can carry: only float32 input is tried")
    clock = _Phases()
    flash_limit = min(target_memory(target)[0], budgets.max_flash or np.inf)
    context = Context(name, family_of(target), X_dec, y_dec, classify, int(flash_limit),
                      input_types, training_rows(X_train, y_train, model))
    grid = transforms.candidate_grid(model)
    if context.training is not None:
        grid += training_candidates(model, transforms.model_family(model), grid)
    local_jobs = jobs if backend == "local" else 1
    rows = _convert_all(context, model, grid, local_jobs, progress)
    clock.lap("converting")
    baseline = _baseline(model, rows, context, X_rep)
    _score(rows, model, grid, context, baseline["_points"], seed)
    clock.lap("scoring")
    if context.training is not None and refinable(transforms.model_family(model)):
        rows += _refined(rows, model, grid, context, baseline["_points"], seed, local_jobs, progress)
        clock.lap("refining")
    for index, row in enumerate(rows):
        row["id"] = index
    chosen_rows = select_for_measurement(rows, budgets.max_accuracy_drop, context.flash_limit)
    _measure(chosen_rows, context, target, samples, jobs, backend, address, cache_dir, time_limit, progress,
             budget)
    clock.lap("measuring")
    best = pareto.choose(rows, budgets, prefer)
    result = TuneResult(rows=rows, best=best, budgets=budgets, prefer=prefer, target=target, name=name,
                        baseline=baseline, n_evaluated=len(rows), seconds=clock.total(), phases=clock.seconds,
                        original=model, decision_rows=len(X_dec), report_rows=len(X_rep),
                        trained_rows=context.training is not None)
    result.build = functools.partial(_build, model, context)
    if best is not None:
        result.best_model, result.best_converted = result.build(best)
        if result.best_converted.kind == "mlp":  # its activation ranges come from these rows
            result.calibration = X_dec
    result.report_scores = _report_scores(result, baseline, X_rep, y_rep, classify)
    return result


def _build(model, context: Context, row: dict):
    """A recorded candidate's estimator (what its transforms learn, learned on every decision
    row) and its conversion in the row's settings."""
    estimator = transforms.apply(model, row["_candidate"], _prepared(model, row["_candidate"], context))
    return estimator, convert_with(estimator, row["_settings"], calibration=context.X)


def _own_decisions(model, X, y):
    """Without labels an outlier detector is judged by agreement with its own decisions (what
    the model as trained calls inlier 1 / outlier -1); every other model needs labels."""
    if y is not None or X is None:
        return y
    if type(model).__name__ != "IsolationForest":
        raise UserError("give the labels of the rows (--labels): only an IsolationForest is judged without them, "
                        "by agreement with its own inlier/outlier decisions")
    return model.predict(np.asarray(X, dtype=np.float32))


def is_classifier(model) -> bool:
    """Whether the model predicts classes (an IsolationForest: inlier 1 / outlier -1)."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if type(final).__name__ == "IsolationForest":
        return True
    if hasattr(final, "get_params"):  # scikit-learn and the libraries' scikit-learn wrappers
        return hasattr(final, "classes_")
    from codegen.settings import Settings  # a Booster or a model file: as mcugen reads it

    return convert_with(model, Settings(layout="table", check_flash=False)).is_classifier


def split_rows(X, y, X_val, y_val, seed: int, report_share: float = REPORT_SHARE):
    """Decision rows and report rows (see `tune`)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if len(X) != len(y):
        raise UserError(f"--labels has {len(y)} rows but --data has {len(X)}; give one label per row")
    if X_val is not None:
        X_val, y_val = np.asarray(X_val, dtype=np.float64), np.asarray(y_val)
        if y_val is None or len(X_val) != len(y_val):
            raise UserError("--val-data and --val-labels must have the same number of rows")
        return X_val, y_val, X, y
    if not 0.0 <= report_share < 1.0:
        raise UserError(f"the report share must be in [0, 1), not {report_share}")
    cut = int(round(len(X) * report_share))
    if len(X) - cut < 10:
        raise UserError(f"--data has {len(X)} rows; the search needs at least 10 to decide by "
                        f"(after {report_share:.0%} held out to report the choice): give more rows")
    shuffled = np.random.default_rng(seed).permutation(len(X))
    return X[shuffled[cut:]], y[shuffled[cut:]], X[shuffled[:cut]], y[shuffled[:cut]]


def _check_labels(model, y, classify: bool, warn) -> None:
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    known = (-1, 1) if type(final).__name__ == "IsolationForest" else getattr(final, "classes_", None)
    if not classify or known is None or not len(known):
        return
    labels, known = np.asarray(y), np.asarray(known)
    numeric = labels.dtype.kind in "iufb" and known.dtype.kind in "iufb"  # a label file's 1.0 is the class 1
    unseen = sorted(set(labels.astype(float if numeric else str)) - set(known.astype(float if numeric else str)))
    unseen = [f"{u:g}" if numeric else u for u in unseen]
    if unseen:
        warn(f"labels {', '.join(unseen[:5])} are not classes the model knows ({', '.join(map(str, known))[:80]}); "
             "rows with them count as wrong for every candidate")


def _prepared(model, candidate: dict, context: Context) -> dict:
    """What the candidate's transforms learn, learned on every decision row (and the training
    rows for the transforms that need them)."""
    learned = transforms.prepare(model, {a: v for a, v in candidate.items()
                                         if transforms.BY_AXIS[a].learns_from_rows}, context.X, context.y)
    return {**learned, **_training_prepared(candidate, context)}


def _training_prepared(candidate: dict, context: Context) -> dict:
    return {axis: context.training for axis in candidate
            if getattr(transforms.BY_AXIS[axis], "needs_training_rows", False)}


def training_rows(X_train, y_train, model):
    """(X, y) of the training rows, checked, or None."""
    if X_train is None and y_train is None:
        return None
    if X_train is None or y_train is None or len(X_train) != len(y_train):
        raise UserError("give --train-data and --train-labels together, one label per row")
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    n_features = getattr(final, "n_features_in_", None) or getattr(model, "n_features_in_", None)
    X_train = np.asarray(X_train, dtype=np.float64)
    if n_features is not None and X_train.shape[1] != n_features:
        raise UserError(f"--train-data has {X_train.shape[1]} columns but the model takes {n_features} features")
    return X_train, np.asarray(y_train)


def layouts_for(model) -> tuple[str, ...]:
    """Every tree layout the backends offer (asked at run time, so layouts added later are
    searched too); MLPs have one code shape."""
    from codegen.frontends import model_kind

    if model_kind(model) == "mlp":
        return ("auto",)
    from codegen.settings import LAYOUTS

    return tuple(layout for layout in LAYOUTS if layout != "auto")


def _convert_all(context: Context, model, grid: list[dict], jobs: int, progress: bool,
                 indices: list[int] | None = None) -> list[dict]:
    """Every candidate (of `indices`, default all) x input type x layout, converted (in `jobs`
    local processes)."""
    from joblib import Parallel, delayed

    indices = list(range(len(grid))) if indices is None else indices
    learned = {}
    for candidate in (grid[i] for i in indices):
        key = _learned_key(candidate)
        if key and key not in learned:
            learned[key] = _prepared(model, candidate, context)
    bar = progress_bar(len(indices), progress, "converting")
    rows = []
    chunk = max(1, min(16, len(indices) // (4 * jobs)))
    parts = [indices[begin:begin + chunk] for begin in range(0, len(indices), chunk)]
    with Parallel(n_jobs=jobs, return_as="generator") as parallel:
        for part, found in zip(parts, parallel(delayed(_convert_slice)(context, model, grid, part, learned)
                                               for part in parts), strict=True):
            rows.extend(found)
            bar.update(len(part))
    bar.close()
    return sorted(rows, key=lambda row: (row["_grid"], context.input_types.index(row["input"])))


def _learned_key(candidate: dict) -> tuple:
    return tuple(sorted((a, v) for a, v in candidate.items() if transforms.BY_AXIS[a].learns_from_rows))


def _convert_slice(context: Context, model, grid: list[dict], indices, learned: dict) -> list[dict]:
    layouts = layouts_for(model)
    rows = []
    for index in indices:
        candidate = grid[index]
        scored_elsewhere = transforms.learns_from_rows(candidate)  # cross-validated in scoring.py
        transformed = transforms.apply(model, candidate, {**learned.get(_learned_key(candidate), {}),
                                                          **_training_prepared(candidate, context)})
        too_big = _clearly_too_big(transformed, context) if candidate else None  # the baseline is always converted
        for dtype in context.input_types:
            found = [_not_built(layout, dtype, too_big) for layout in layouts] if too_big else \
                convert_candidate(context, transformed, layouts, dtype, scored_elsewhere=scored_elsewhere)
            for row in found:
                _name_row(row, index, candidate, transformed, context)
                rows.append(row)
    return rows


def _name_row(row: dict, index: int, candidate: dict, transformed, context: Context) -> None:
    base = row.get("_base")
    if base is not None:  # the estimator is re-made for the chosen row only
        row["_base"] = _without_estimator(base)
    import dataclasses

    row.update(_grid=index, _candidate=candidate, transform=transforms.describe(candidate, transformed),
               transform_json=_json(candidate), _settings=settings_for(context, row["layout"], row["input"])
               if base is None else dataclasses.replace(base.settings, layout=_layout_setting(row["layout"])))


def _layout_setting(layout: str) -> str:
    """The --layout a row's build takes: its tree layout, or `auto` (an MLP's one code shape)."""
    from codegen.settings import LAYOUTS

    return layout if layout in LAYOUTS else "auto"


def _clearly_too_big(model, context: Context) -> str | None:
    """A reason not to convert at all: even at the fewest bytes a decision node takes in any
    layout, the model is over BUILD_MARGIN x the flash limit (the chip's, or --max-flash)."""
    from codegen.fit import MIN_NODE_BYTES

    nodes = decision_nodes(model)
    margin = max(BUILD_MARGIN.values())
    if nodes is None or nodes * MIN_NODE_BYTES <= margin * context.flash_limit:
        return None
    least = nodes * MIN_NODE_BYTES
    return (f"not built: {nodes:,} decision nodes need at least {least:,} B of flash, over {margin:g}x the "
            f"flash limit of {context.flash_limit:,}")


def decision_nodes(model) -> int | None:
    """Decision nodes of a scikit-learn tree model (None for other models)."""
    from codegen.optimize import trees as tree_transforms

    try:
        trees = tree_transforms.all_trees(model)
    except (UserError, AttributeError):
        return None
    return int(sum(int((tree.tree_.children_left >= 0).sum()) for tree in trees))


def _not_built(layout: str, dtype: str, reason: str) -> dict:
    return {"layout": layout, "input": dtype, "fits": False, "measured": False, "reason": reason, "_base": None}


def _without_estimator(converted):
    import dataclasses

    return dataclasses.replace(converted, estimator=None)


def _json(candidate: dict) -> str:
    import json

    return json.dumps({a: (v.item() if isinstance(v, np.generic) else v) for a, v in candidate.items()},
                      sort_keys=True)


def _baseline(model, rows: list[dict], context: Context, X_report: np.ndarray) -> dict:
    """The model as trained: its predictions by its own library on the decision and report rows,
    whether or not it fits any chip."""
    first = next((row for row in rows if row["_grid"] == 0 and row["input"] == "float32"
                  and row.get("_base") is not None), None)
    converted = None if first is None else first["_base"]
    if converted is None and not hasattr(model, "predict"):
        raise UserError("mcugen could not convert the model as trained; check that `mcugen convert` takes it")
    predicted = as_trained_predictions(model, converted, np.asarray(context.X, np.float32),
                                       np.asarray(context.X, np.float32))
    report = as_trained_predictions(model, converted, np.asarray(X_report, np.float32),
                                    np.asarray(X_report, np.float32)) if len(X_report) else np.array([])
    points = estimates.row_points(predicted, context.y, context.is_classifier)
    return {"_points": points, "_report_predictions": report, "score": float(points.mean()),
            "score_se": estimates.estimate(points, points).score_se}


def _score(rows: list[dict], model, grid: list[dict], context: Context, baseline_points, seed: int) -> None:
    """Each row's cross-validated estimate against the model as trained."""
    fold_rows = estimates.folds(context.y, context.is_classifier, seed)
    scored = sorted({row["_grid"] for row in rows})
    learning = [i for i in scored if transforms.learns_from_rows(grid[i])]
    summed = [i for i in learning if not transforms.needs_training_rows(grid[i])]  # the forest fast path
    refitted = [i for i in learning if transforms.needs_training_rows(grid[i])]
    settings = {dtype: settings_for(context, "table", dtype) for dtype in context.input_types}
    cross = {}
    if summed:
        cross.update(forest_predictions(model, grid, summed, settings, context.X, context.y, fold_rows,
                                        context.is_classifier))
    if refitted:
        cross.update(fold_predictions(model, grid, refitted, settings, context, fold_rows))
    total_square = float(np.sum((context.y.astype(np.float64) - context.y.astype(np.float64).mean()) ** 2)) \
        if not context.is_classifier else None
    for row in rows:
        predicted = cross.get((row["_grid"], row["input"]), row.get("_predicted"))
        if predicted is None:
            continue
        points = estimates.row_points(predicted, context.y, context.is_classifier, total_square)
        found = estimates.estimate(points, baseline_points)
        row.update(score=found.score, score_se=found.score_se, accuracy_drop=found.drop, drop_se=found.drop_se,
                   drop_upper=found.drop_upper, _points=points)


REFINED = 6  # candidates whose leaves are refined (each costs a refit per fold)


def _refined(rows, model, grid: list[dict], context: Context, baseline_points, seed: int, jobs: int,
             progress: bool) -> list[dict]:
    """The best-scored candidates that may fit, with their kept leaves refined on the training
    rows: new grid entries, converted and scored like the others."""
    promising = [row for row in rows if "score" in row and row["input"] == "float32" and row["layout"] == "table"
                 and "refine" not in row["_candidate"] and "retrain" not in row["_candidate"]
                 and row.get("flash_estimate", np.inf) <= BUILD_MARGIN["table"] * context.flash_limit]
    picked = []
    points = np.array([[-r["score"], r["flash_estimate"]] for r in promising], dtype=np.float64).reshape(-1, 2)
    front = pareto.pareto_layers(points) == 0 if len(promising) else np.zeros(0, dtype=bool)
    for row in sorted((r for r, keep in zip(promising, front, strict=True) if keep), key=lambda r: -r["score"]):
        candidate = {**row["_candidate"], "refine": True}
        if candidate not in picked:
            picked.append(candidate)
        if len(picked) == REFINED:
            break
    start = len(grid)
    grid.extend(picked)
    new_rows = _convert_all(context, model, grid, jobs, progress, list(range(start, len(grid))))
    _score(new_rows, model, grid, context, baseline_points, seed)
    return new_rows


def select_for_measurement(rows: list[dict], max_drop: float | None, flash_limit: int) -> list[dict]:
    """The model as trained (every layout) first; then the rows expected to fit (estimated
    within the flash limit: the chip's, or --max-flash when smaller) within the accuracy budget,
    those beyond it, and last the rows that probably do not fit; each group from the cheap
    Pareto layers (score, estimated flash, energy) outward. Rows estimated far too big are
    recorded as not fitting without a build (and use no budget)."""
    for row in rows:
        if row.get("_base") is None:
            continue
        margin = BUILD_MARGIN.get(row["layout"], max(BUILD_MARGIN.values()))
        if row["flash_estimate"] > margin * flash_limit:
            row.update(fits=False, measured=False, reason=f"not built: estimated {row['flash_estimate']:,} B of "
                                                          f"flash, over {margin:g}x the limit of {flash_limit:,}")
    buildable = [row for row in rows if row.get("_base") is not None and "fits" not in row and "score" in row]
    first = [row for row in buildable if row["_grid"] == 0 and row["input"] == "float32"]
    rest = [row for row in buildable if row["_grid"] != 0 or row["input"] != "float32"]
    groups = []
    for expected_to_fit in (True, False):
        likely = [row for row in rest if (row["flash_estimate"] <= flash_limit) == expected_to_fit]
        groups.append([row for row in likely if max_drop is None or row["drop_upper"] <= max_drop])
        groups.append([row for row in likely if max_drop is not None and row["drop_upper"] > max_drop])
    return first + [row for group in groups for row in _by_layers(group)]


def _by_layers(rows: list[dict]) -> list[dict]:
    if not rows:
        return []
    points = np.array([[-r["score"], r["flash_estimate"], r["energy_pj"]] for r in rows], dtype=np.float64)
    layers = pareto.pareto_layers(points)
    return [rows[i] for i in sorted(range(len(rows)), key=lambda i: (layers[i], -rows[i]["score"], i))]


def _measure(rows, context, target, samples, jobs, backend, address, cache_dir, time_limit, progress,
             budget: int) -> None:
    """Builds and simulates distinct C texts, at most `budget` of them (rows whose C is identical
    to one measured share its measurement, marked `duplicate_of`)."""
    import os

    from joblib import Parallel, delayed

    cache_dir = str(cache_dir or cache.default_cache_dir())
    tasks, owners, seen = [], [], {}
    for row in rows:
        if len(tasks) >= budget:
            break
        device = device_rows(row["_settings"], context.X[:samples])
        converted = converted_of(row)
        header = converted.header_text
        key = cache.measurement_key(header, target, row["input"], device, __version__)
        if key in seen:
            row["_duplicate"] = seen[key]
            continue
        seen[key] = row
        tasks.append(MeasureTask(key, header, context.name, target, row["input"], device,
                                 converted.interpret(device).predictions, cache_dir, os.getpid()))
        owners.append(row)
    bar = progress_bar(len(tasks), progress, "measuring")
    started = time.monotonic()
    with joblib_backend(backend, address, jobs) as n_jobs:
        chunk = max(4, 2 * abs(n_jobs)) if n_jobs != -1 else 8
        for begin in range(0, len(tasks), chunk):
            if time_limit is not None and time.monotonic() - started > time_limit:
                break
            batch = tasks[begin:begin + chunk]
            results = Parallel(n_jobs=n_jobs)(delayed(measure)(task) for task in batch)
            for row, found in zip(owners[begin:begin + chunk], results, strict=True):
                row.update(found, measured=True)
                _normalise(row)
            bar.update(len(batch))
    bar.close()
    for row in rows:
        original = row.get("_duplicate")
        if original is not None and original.get("measured"):
            row.update({k: v for k, v in original.items() if k in MEASURED_COLUMNS}, duplicate_of=original["id"],
                       measured=False)


MEASURED_COLUMNS = ("fits", "flash_bytes", "ram_bytes", "counter", "cycles", "cycles_max", "c_agreement",
                    "rows_simulated", "reason")


def _normalise(row: dict) -> None:
    if row.get("fits"):
        row["cycles"] = row.pop("count_mean")
        row["cycles_max"] = row.pop("count_max")


def progress_bar(total: int, shown: bool, what: str):
    try:
        from tqdm import tqdm
    except ImportError:  # a bar is a nicety: without tqdm the search runs silently
        return _NoBar()
    return tqdm(total=total, file=sys.stderr, disable=not shown, unit="candidate", desc=what)


class _NoBar:
    def update(self, _count: int) -> None:
        pass

    def close(self) -> None:
        pass


class _Phases:
    def __init__(self):
        self.started = self.mark = time.monotonic()
        self.seconds: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[phase] = round(now - self.mark, 2)
        self.mark = now

    def total(self) -> float:
        return time.monotonic() - self.started


def _report_scores(result: TuneResult, baseline: dict, X_rep, y_rep, classify: bool) -> dict:
    """The model as trained and the chosen candidate on the report rows (no decision used them)."""
    if not len(X_rep):
        return {}
    original = estimates.row_points(baseline["_report_predictions"], y_rep, classify)
    scores = {"rows": len(X_rep), "original": float(original.mean()),
              "original_se": estimates.estimate(original, original).score_se}
    if result.best_converted is not None:
        converted = result.best_converted
        predicted = converted.decode(converted.interpret(device_rows(converted.settings, X_rep)).predictions)
        found = estimates.estimate(estimates.row_points(predicted, y_rep, classify), original)
        scores.update(best=found.score, best_se=found.score_se, drop=found.drop, drop_se=found.drop_se)
    return scores
