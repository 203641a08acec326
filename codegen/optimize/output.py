"""Writing a search's results into DIR, all or nothing (codegen/output_files.py: staged, renamed
in together, undone on failure or Ctrl-C; new folders get the umask). A run that chose nothing
never touches an earlier result: over a folder holding `<name>.h` it writes nothing."""

from __future__ import annotations

import io
import json
import signal
from pathlib import Path

from codegen.output_files import check_writable, replace_files

REPORT_FILES = ("candidates.csv", "pareto.png", "pareto.svg")


def result_names(name: str) -> tuple[str, ...]:
    from codegen.optimize.model_files import MODEL_SUFFIXES

    return (f"{name}.h", *(name + suffix for suffix in MODEL_SUFFIXES), f"{name}.json", *INPUT_FILES, *REPORT_FILES)


# integer inputs: what --scale/--zero-point take; an MLP: the rows its activation ranges came from
INPUT_FILES = ("input_scale.json", "input_zero_point.json", "calibration.csv")


def check_output(directory, name: str) -> None:
    """Before any search: DIR can be created or written, and no file tune writes is a folder."""
    check_writable(Path(directory), result_names(name))


def keeps_earlier_result(result, directory) -> bool:
    """A run that chose nothing leaves a folder holding a header (an earlier run's, or the user's) as it was."""
    return result.best is None and (Path(directory) / f"{result.name}.h").exists()


def write_results(result, directory) -> list[Path]:
    """<name>.h, <name>.skops (only when a candidate was chosen), <name>.json, candidates.csv,
    pareto.png and pareto.svg; nothing over an earlier result when none was chosen."""
    if keeps_earlier_result(result, directory):
        return []
    files = _files(result)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # the renames are not interrupted
    try:
        return replace_files(Path(directory), files)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _files(result) -> dict[str, bytes | str]:
    name = result.name
    files: dict[str, bytes | str] = {}
    if result.best is not None:
        files[f"{name}.h"] = result.best_converted.header_text
        files[result.model_file] = _model_bytes(result.best_model, name)
        settings = result.settings()
        if settings["input"] != "float32":
            files[INPUT_FILES[0]] = json.dumps(settings["scale"]) + "\n"
            files[INPUT_FILES[1]] = json.dumps(settings["zero_point"]) + "\n"
        if result.calibration is not None:
            files[INPUT_FILES[2]] = _csv(result.calibration)
    files[f"{name}.json"] = json.dumps(result.summary(), indent=2, sort_keys=True, default=str) + "\n"
    files["candidates.csv"] = result.csv_text()
    figure = result.plot()
    for suffix, options in (("png", {"dpi": 110}), ("svg", {})):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=suffix, **options)
        files[f"pareto.{suffix}"] = buffer.getvalue()
    return files


def _csv(rows) -> str:
    import numpy as np

    buffer = io.StringIO()
    np.savetxt(buffer, np.asarray(rows, dtype=np.float64), delimiter=",", fmt="%.17g")
    return buffer.getvalue()


def _model_bytes(model, name: str) -> bytes:
    """The chosen model's file (model_files.save_model: skops, or its library's own format)."""
    import tempfile

    from codegen.optimize.model_files import save_model

    with tempfile.TemporaryDirectory(prefix="mcugen-model-") as work:
        written = save_model(model, Path(work), name)
        return (Path(work) / written).read_bytes()
