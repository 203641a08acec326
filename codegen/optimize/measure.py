"""Measuring one candidate on the simulated chip: the task a joblib worker runs.

A task carries only the generated header, the rows and what the interpreter predicted for
them, so it is small to send to a Dask or Ray worker. The firmware is built and run exactly as
`mcugen verify --target CHIP` does (`codegen.harness.targets.run_on_target`).
"""

from __future__ import annotations

import os
import signal
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.errors import UserError
from codegen.harness.toolchains import CompileError
from codegen.optimize import cache

SIMULATOR_RUNS = {"count": 0}  # simulator runs in this process (tests count them)


@dataclass(frozen=True)
class MeasureTask:
    key: str
    header_text: str
    name: str
    target: str
    input_dtype: str
    rows: np.ndarray
    expected: np.ndarray  # interpreter predictions for `rows`
    cache_dir: str
    parent_pid: int


def measure(task: MeasureTask) -> dict:
    """Flash, RAM, cycles/instructions and agreement with the interpreter; a model that does
    not fit the chip is a measurement too ({"fits": False, "reason": ...})."""
    in_worker = os.getpid() != task.parent_pid
    if in_worker and threading.current_thread() is threading.main_thread():  # Ctrl-C is the parent's
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    found = cache.load(Path(task.cache_dir), task.key)
    if found is not None:
        return found
    _require_toolchains(task.target)
    SIMULATOR_RUNS["count"] += 1
    try:
        result = _simulate(task)
    except UserError as error:
        if "does not fit" not in str(error) and "bytes of" not in str(error):
            raise
        result = {"fits": False, "reason": str(error).split(";")[0]}
    except CompileError as error:  # a bug in generated C: recorded (and shown), never chosen
        return {"fits": False, "reason": "build failed: " + " ".join(str(error).split())[:300]}
    cache.store(Path(task.cache_dir), task.key, result)
    return result


def _simulate(task: MeasureTask) -> dict:
    from codegen.harness.targets import run_on_target

    with tempfile.TemporaryDirectory(prefix="mcugen-tune-") as work:
        header = Path(work) / f"{task.name}.h"
        header.write_text(task.header_text)
        run = run_on_target(task.target, header, task.name, task.rows, task.input_dtype)
    counts = run.counts.astype(np.int64)
    return {"fits": True, "flash_bytes": int(run.flash_bytes), "ram_bytes": int(run.ram_bytes),
            "counter": run.counter, "count_mean": float(counts.mean()), "count_max": int(counts.max()),
            "c_agreement": float(np.mean(run.predictions == task.expected)), "rows_simulated": len(counts)}


def _require_toolchains(target: str) -> None:
    from codegen.harness import toolchains

    missing = toolchains.missing(toolchains.tools_for(target))
    if missing:
        raise UserError(f"worker {socket.gethostname()} lacks {', '.join(missing)} for {target}; install "
                        f"them on every worker ({toolchains.install_hint(missing[0])})")
