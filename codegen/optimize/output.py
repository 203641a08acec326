"""Writing a search's results into DIR: staged in a folder beside it and moved into place with
Ctrl-C held off, so DIR is either as it was or complete."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from pathlib import Path

from codegen.errors import UserError


def write_results(result, directory) -> list[Path]:
    """<name>.h, <name>.skops (only when a candidate was chosen), <name>.json, candidates.csv,
    pareto.png and pareto.svg."""
    directory = Path(directory)
    parent = directory.resolve().parent
    if not parent.is_dir():
        raise UserError(f"cannot write to {directory}: {parent} does not exist; create it first")
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory} exists and is not a folder; choose another -o")
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
    try:
        names = _stage(result, staging)
        stale = [] if result.best is not None else [f"{result.name}.h", f"{result.name}.skops"]
        _move_into_place(staging, directory, names, stale)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [directory / name for name in names]


def _stage(result, staging: Path) -> list[str]:
    name = result.name
    (staging / f"{name}.json").write_text(json.dumps(result.summary(), indent=2, sort_keys=True, default=str) + "\n")
    (staging / "candidates.csv").write_text(result.csv_text())
    figure = result.plot()
    figure.savefig(staging / "pareto.png", dpi=110)
    figure.savefig(staging / "pareto.svg")
    names = [f"{name}.json", "candidates.csv", "pareto.png", "pareto.svg"]
    if result.best is not None:
        (staging / f"{name}.h").write_text(result.best_converted.header_text)
        _save_skops(result.best_model, staging / f"{name}.skops")
        names = [f"{name}.h", f"{name}.skops", *names]
    return names


def _save_skops(model, path: Path) -> None:
    try:
        import skops.io as sio
    except ImportError:
        raise UserError("saving the tuned model needs skops: pip install 'mcugen[tune]'") from None
    sio.dump(model, path)


def _move_into_place(staging: Path, directory: Path, names: list[str], stale: list[str]) -> None:
    """`stale`: files of an earlier run that would now be wrong (a header when none was chosen)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        if not directory.exists():
            os.replace(staging, directory)
            staging.mkdir()  # the caller removes it
        else:
            for name in names:
                os.replace(staging / name, directory / name)
            for name in stale:
                (directory / name).unlink(missing_ok=True)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
