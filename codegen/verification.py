"""`mcugen verify`: run the generated C on the host or a simulated chip, check every row against
scikit-learn and the interpreter, and measure its cost. One result dict per run, whose field
names are the `--json` output."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from codegen.api import ConvertedModel
from codegen.energy import energy_pj, float_energy_pj

# A quantised MLP regressor "agrees" on a row within this share of the output's range.
MLP_REGRESSION_TOLERANCE = 0.01
VERIFY_TARGETS = ("host", "atmega328p", "atmega2560", "cortex-m0", "cortex-m3", "cortex-m4",
                  "cortex-m7")
# the backend profile each verification target converts for
CONVERSION_TARGET = {"host": "host", "atmega328p": "avr", "atmega2560": "avr", "cortex-m0": "cortex-m0",
                     "cortex-m3": "cortex-m3", "cortex-m4": "cortex-m4", "cortex-m7": "cortex-m7"}


def verify(model: ConvertedModel, X, labels=None, target: str = "host", samples: int = 50) -> dict:
    """Rows: all of X on the host, the first `samples` in a simulator."""
    X = model.check_rows(X)
    if target != "host":
        X = X[:samples]
        labels = None if labels is None else np.asarray(labels)[:samples]
    expected = model.interpret(X)
    result = {"target": target, "n_rows": int(X.shape[0])}
    if target == "host":
        run = model.run_c(X, count_ops=True)
        predictions, scores = run.predictions, run.scores
        ops_match = all(np.array_equal(run.op_counts[op], expected.op_counts[op]) for op in expected.op_counts)
        result["ops_match_interpreter"] = bool(ops_match)
    else:
        predictions, scores, cost = _run_simulated(model, X, target)
        result.update(cost)
    result.update(_agreement(model, X, predictions, scores, expected, labels))
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
    if run.cycle_estimates is not None and len(run.cycle_estimates):  # Cortex-M0/M4: codegen/harness/cycle_model.py
        est = run.cycle_estimates
        cost["cycles_per_inference_estimate"] = {"min": int(est.min()), "mean": float(np.mean(est)),
                                                 "max": int(est.max())}
    return run.predictions, run.scores, cost


def _agreement(model: ConvertedModel, X, predictions, scores, expected, labels) -> dict:
    decoded = model.decode(predictions)
    reference = model.sklearn_predict(X)
    out = {"interpreter_agreement": float(np.mean(predictions == expected.predictions)) if len(X) else 1.0}
    if scores is not None:
        out["scores_match_interpreter"] = bool(np.array_equal(scores, expected.scores))
    if model.is_classifier:
        out["agreement"] = float(np.mean(decoded == reference)) if len(X) else 1.0
        if labels is not None:
            out["accuracy"] = _accuracy(decoded, labels)
            out["sklearn_accuracy"] = _accuracy(reference, labels)
    else:
        error = np.abs(decoded - reference)
        out["max_abs_error"] = float(error.max(initial=0.0))
        out["mean_abs_error"] = float(error.mean()) if len(X) else 0.0
        if "output_error_bound" in model.report():  # trees: a proven bound
            bound = float(model.report()["output_error_bound"])
        else:  # quantised MLPs have no proven bound: state the tolerance used
            bound = MLP_REGRESSION_TOLERANCE * float(np.ptp(reference)) if len(X) else 0.0
        out["error_bound"] = bound
        # scikit-learn sums in float64: allow its own rounding on top of the proven bound
        slack = 1e-9 * (1.0 + np.abs(reference))
        out["agreement"] = float(np.mean(error <= bound + slack)) if len(X) else 1.0
    return out


def _accuracy(predicted: np.ndarray, labels) -> float:
    """Labels read from a file are numbers or strings; compare them in the predictions' type,
    or as text when the types differ (string class labels)."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "US" or np.asarray(predicted).dtype.kind in "USO":
        return float(np.mean(np.asarray(predicted).astype(str) == labels.astype(str)))
    return float(np.mean(predicted == labels.astype(np.asarray(predicted).dtype)))


def passed(result: dict, kind: str) -> bool:
    """Exact models must agree everywhere; every model's C must equal its interpreter."""
    exact = result["interpreter_agreement"] == 1.0 and result.get("scores_match_interpreter", True)
    exact = exact and result.get("ops_match_interpreter", True)
    if kind == "trees":
        exact = exact and result["agreement"] == 1.0
    return bool(exact)


def format_result(result: dict) -> str:
    rows = [("target", result["target"]), ("rows checked", str(result["n_rows"])),
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
    ops = ", ".join(f"{op} {count:,.1f}" for op, count in result["ops"].items())
    rows.append(("operations per inference", ops))
    rows.append(("energy per inference",
                 f"{result['energy_pj']:,.1f} pJ (float32 model: {result['float_energy_pj']:,.1f} pJ)"))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)
