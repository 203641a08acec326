"""`mcugen verify`: run the generated C on the host or a simulated chip, check every row against
scikit-learn and the interpreter, and measure its cost. One result dict per run, whose field
names are the `--json` output."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from codegen.api import ConvertedModel
from codegen.chips import family_of, simulated_chips
from codegen.data_io import is_number
from codegen.energy import energy_pj, float_energy_pj
from codegen.errors import UserError
from codegen.ir import opcount

# A quantised MLP regressor "agrees" on a row within this share of the output's range.
MLP_REGRESSION_TOLERANCE = 0.01
FLOAT32_NOTE = ("the library predicts otherwise on the file's float64 values than on their float32 roundings; "
                "the device reads float32 and reproduces the prediction on the float32-rounded input, "
                "which is what agreement compares")
# The family each verification target converts for, for the tests and API users that name it
# (`convert(target=<chip>)` works too, and sizes the flash check by the chip rather than the
# family's usual one); a view of codegen/chips.py as it was imported.
CONVERSION_TARGET = {target: family_of(target) for target in ("host", *simulated_chips())}


def verify(model: ConvertedModel, X, labels=None, target: str = "host", samples: int = 50) -> dict:
    """Rows: all of X on the host, the first `samples` in a simulator."""
    given = model.check_rows(X) if model.input_dtype != "float32" else np.asarray(model.by_name(X), dtype=np.float64)
    X = model.check_rows(given)
    if target != "host":
        X, given = X[:samples], given[:samples]
        labels = None if labels is None else np.asarray(labels)[:samples]
    expected = model.interpret(X)
    result = {"target": target, "n_rows": int(X.shape[0]), "model_hash": f"0x{model.model_hash:08X}"}
    if target == "host":
        run = model.run_c(X, count_ops=True)
        predictions, scores = run.predictions, run.scores
        ops_match = all(np.array_equal(run.op_counts[op], expected.op_counts[op]) for op in expected.op_counts)
        result["ops_match_interpreter"] = bool(ops_match)
    else:
        predictions, scores, cost = _run_simulated(model, X, target)
        result.update(cost)
    result.update(_agreement(model, X, predictions, scores, expected, labels))
    result["rows_float32_rounding_changes"] = float32_rounding_changes(model, given, X)
    ops = {op: float(np.mean(counts)) for op, counts in expected.op_counts.items() if np.any(counts)}
    result["ops"] = ops
    result["energy_pj"] = round(energy_pj(ops), 3)
    result["float_energy_pj"] = round(float_energy_pj(ops, model.report().get("leaf_bytes", 1)), 3)
    return result


def _run_simulated(model: ConvertedModel, X: np.ndarray, target: str):
    from codegen.harness.targets import run_on_target

    with tempfile.TemporaryDirectory() as work:
        header = Path(work) / f"{model.name}.h"
        header.write_text(model.header_text)
        run = run_on_target(target, header, model.name, X, model.input_dtype, with_scores=True)
    counts = run.counts.astype(np.int64)
    if not len(counts):
        counts = np.zeros(1, dtype=np.int64)
    cost = {
        f"{run.counter}_per_inference": {"min": int(counts.min()), "mean": float(np.mean(counts)),
                                         "max": int(counts.max())},
        "flash_bytes": int(run.flash_bytes),
        "ram_bytes": int(run.ram_bytes),
    }
    if run.scores_skipped:
        cost["scores_skipped"] = run.scores_skipped
    if run.cycle_estimates is not None and len(run.cycle_estimates):  # Cortex-M0/M4: codegen/harness/cycle_model.py
        est = run.cycle_estimates
        cost["cycles_per_inference_estimate"] = {"min": int(est.min()), "mean": float(np.mean(est)),
                                                 "max": int(est.max())}
    return run.predictions, run.scores, cost


def _agreement(model: ConvertedModel, X, predictions, scores, expected, labels) -> dict:
    decoded = model.decode(predictions)
    reference, judged = sklearn_reference(model, X)
    c_vs_interpreter = predictions == expected.predictions
    out = {"interpreter_agreement": float(np.mean(c_vs_interpreter)) if len(X) else 1.0,
           "rows_sklearn_cannot_judge": int(np.sum(~judged))}
    if scores is not None:
        out["scores_match_interpreter"] = bool(np.array_equal(scores, expected.scores))
    if model.is_classifier:
        same = np.zeros(len(X), dtype=bool)
        same[judged] = decoded[judged] == reference[judged]
        if labels is not None:
            truth = labels_for(model, labels)
            out["accuracy"] = float(np.mean(decoded == truth)) if len(X) else 1.0
            out["sklearn_accuracy"] = float(np.mean(reference[judged] == truth[judged])) if judged.any() else 1.0
    else:
        error = np.abs(decoded - reference)[judged]
        out["max_abs_error"] = float(error.max(initial=0.0))
        out["mean_abs_error"] = float(error.mean()) if len(error) else 0.0
        if "output_error_bound" in model.report():  # trees: a proven bound
            bound = float(model.report()["output_error_bound"])
        else:  # quantised MLPs have no proven bound: state the tolerance used
            bound = MLP_REGRESSION_TOLERANCE * float(np.ptp(reference[judged])) if judged.any() else 0.0
        out["error_bound"] = bound
        # the library's own summation rounding (float64; XGBoost: float32) on top of the proven bound
        slack = np.maximum(1e-9 * (1.0 + np.abs(reference[judged])), _library_sum_error(model))
        same = np.zeros(len(X), dtype=bool)
        same[judged] = error <= bound + slack
    out["agreement"] = float(np.mean(same[judged])) if judged.any() else 1.0
    interpreted = model.decode(expected.predictions)
    differs = ~c_vs_interpreter | (judged & ~same)
    out["n_rows_differing"] = int(differs.sum())
    out["disagreements"] = _first_disagreements(X, decoded, interpreted, reference, judged, differs)
    return out


def sklearn_reference(model: ConvertedModel, X) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's predictions, and which rows it could judge: estimators that refuse inf
    (or NaN) in `predict` are asked about the other rows only; the C still runs them all and
    is checked against the interpreter there."""
    features = model.features_for_sklearn(X)
    masks = (np.ones(len(X), dtype=bool), ~np.isinf(features).any(axis=1), np.isfinite(features).all(axis=1))
    for judged in masks:
        try:
            predicted = np.asarray(model.estimator_predict(features[judged])) if judged.any() else None
        except ValueError:
            continue
        reference = np.empty(len(X), dtype=predicted.dtype if predicted is not None else np.float64)
        if predicted is not None:
            reference[judged] = predicted
        if not judged.all():
            reference[~judged] = reference[judged][0] if judged.any() else 0
        return reference, judged
    raise UserError("scikit-learn cannot predict these rows; check the data file")


def float32_rounding_changes(model: ConvertedModel, given: np.ndarray, X: np.ndarray) -> int:
    """Rows whose float32 rounding (what the device reads) changes the library's own prediction:
    models that compare in float64 (HistGradientBoosting, LightGBM) can predict otherwise on a
    value between two float32 numbers. 0 for integer input, MLPs and exact float32 rows."""
    if model.kind != "trees" or model.input_dtype != "float32":
        return 0
    with np.errstate(over="ignore", invalid="ignore"):
        exact = (given.astype(np.float32).astype(np.float64) == given) | np.isnan(given)
    rounded = ~exact.all(axis=1) & np.isfinite(X).all(axis=1)  # rows the library judges
    if not rounded.any():
        return 0
    on_double = np.asarray(model.estimator_predict(given[rounded]))
    on_float = np.asarray(model.estimator_predict(X[rounded]))
    return int(np.sum(on_double != on_float))


def _library_sum_error(model: ConvertedModel) -> float:
    from codegen.ir.library_sums import library_sum_error

    return library_sum_error(model.ir) if model.kind == "trees" else 0.0


def labels_as_classes(labels, classes) -> np.ndarray:
    """Labels read as text, in the type of the model's classes: '3' is the class 3 for a model
    trained on numbers, and the class '3' for one trained on strings."""
    labels = np.asarray(labels)
    if np.asarray(classes).dtype.kind not in "iuf":
        return labels.astype(str)
    try:
        return labels.astype(np.float64)
    except ValueError:
        bad = next(str(v) for v in labels if not is_number(str(v)))
        raise UserError(f"label {bad!r} is not a number but the model's classes are numbers "
                        f"({', '.join(map(str, classes[:5]))}, ...); give the labels it was trained on") from None


def labels_for(model: ConvertedModel, labels) -> np.ndarray | None:
    """True labels in the type the model predicts (classes' type, or floats for regressors)."""
    if labels is None:
        return None
    if model.is_classifier:
        return labels_as_classes(labels, model.classes)
    try:
        return np.asarray(labels).astype(np.float64)
    except ValueError:
        raise UserError("a regressor's --labels must be numbers; check the labels file") from None



def _first_disagreements(X, c, interpreter, reference, judged, differs, limit: int = 5) -> list[dict]:
    rows = []
    for index in np.flatnonzero(differs)[:limit]:
        inputs = [float(v) if np.asarray(X).dtype.kind == "f" else int(v) for v in np.asarray(X)[index][:6]]
        rows.append({"row": int(index), "inputs": inputs, "truncated": bool(np.asarray(X).shape[1] > 6),
                     "c": _plain(c[index]), "interpreter": _plain(interpreter[index]),
                     "sklearn": _plain(reference[index]) if judged[index] else None})
    return rows


def _plain(value):
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def passed(result: dict, kind: str) -> bool:
    """Exact models must agree everywhere; every model's C must equal its interpreter."""
    exact = result["interpreter_agreement"] == 1.0 and result.get("scores_match_interpreter", True)
    exact = exact and result.get("ops_match_interpreter", True)
    exact = exact and result.get("proba_passed", True)
    if kind == "trees":
        exact = exact and result["agreement"] == 1.0
    return bool(exact)


def format_result(result: dict) -> str:
    rows = [("target", result["target"]), ("model hash", result["model_hash"]),
            ("rows checked", str(result["n_rows"]))]
    if result["rows_sklearn_cannot_judge"]:
        rows.append(("rows scikit-learn cannot judge", f"{result['rows_sklearn_cannot_judge']} (inf or NaN, which "
                     "its predict refuses: checked against the interpreter only)"))
    if result.get("rows_float32_rounding_changes"):
        rows.append(("rows float32 rounding changes", f"{result['rows_float32_rounding_changes']} ("
                     + FLOAT32_NOTE + ")"))
    rows += [
            ("agreement with scikit-learn", f"{100 * result['agreement']:.2f}%"),
            ("agreement with interpreter", f"{100 * result['interpreter_agreement']:.2f}%")]
    if "accuracy" in result:
        rows.append(("accuracy (C / scikit-learn)",
                     f"{100 * result['accuracy']:.2f}% / {100 * result['sklearn_accuracy']:.2f}%"))
    if "max_abs_error" in result:
        rows.append(("|C - scikit-learn|", f"max {result['max_abs_error']:.3g}, mean {result['mean_abs_error']:.3g} "
                                           f"(agreement within {result['error_bound']:.3g})"))
    for counter in ("cycles", "instructions"):
        stats = result.get(f"{counter}_per_inference")
        if stats:
            rows.append((f"{counter} per inference",
                         f"min {stats['min']:,}  mean {stats['mean']:,.1f}  max {stats['max']:,}"))
    estimate = result.get("cycles_per_inference_estimate")
    if estimate:
        rows.append(("est. cycles (0 wait states)",
                     f"min {estimate['min']:,}  mean {estimate['mean']:,.1f}  max {estimate['max']:,}"))
    if "flash_bytes" in result:
        rows.append(("model flash / RAM", f"{result['flash_bytes']:,} B / {result['ram_bytes']:,} B"))
    if "scores_skipped" in result:
        rows.append(("scores on the chip", "not checked: " + result["scores_skipped"]))
    if "proba_max_error" in result:
        rows.append(("|C proba - predict_proba|", f"max {result['proba_max_error']:.3g} "
                                                  f"(proven bound {result['proba_bound']:.3g})"))
    read = {opcount.FLASH_BYTES: "bytes read from flash", opcount.RAM_BYTES: "bytes read from RAM"}  # not sizes
    ops = ", ".join(f"{op} {count:,.1f}" if op not in read else f"{count:,.1f} {read[op]}"
                    for op, count in result["ops"].items())
    rows.append(("operations per inference", ops))
    rows.append(("energy per inference",
                 f"{result['energy_pj']:,.1f} pJ (float32 model: {result['float_energy_pj']:,.1f} pJ)"))
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {value}" for label, value in rows]
    if result["disagreements"]:
        lines.append(f"first rows that differ ({result['n_rows_differing']} in all):")
        for row in result["disagreements"]:
            inputs = ", ".join(f"{v:g}" for v in row["inputs"]) + (", ..." if row["truncated"] else "")
            sklearn = "cannot judge" if row["sklearn"] is None else row["sklearn"]
            lines.append(f"  row {row['row']}: inputs [{inputs}]  C {row['c']}  interpreter {row['interpreter']}  "
                         f"scikit-learn {sklearn}")
    return "\n".join(lines)

