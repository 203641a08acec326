"""Compile a model header with the host C compiler and run rows through it.

Builds are cached by the hash of everything that goes into them, so `ConvertedModel.predict`
compiles once per model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.errors import UserError
from codegen.harness.glue import model_glue
from codegen.input_types import INPUT_TYPES
from codegen.ir import opcount
from codegen.resources import firmware_dir

STRICT_CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Wconversion", "-Wshadow", "-pedantic", "-Werror")


@dataclass(frozen=True)
class HostRun:
    predictions: np.ndarray  # int64 (n_rows,)
    scores: np.ndarray  # int64 (n_rows, n_outputs)
    op_counts: dict[str, np.ndarray] | None  # with count_ops


def cache_dir() -> Path:
    root = os.environ.get("MCUGEN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mcugen"
    )
    return Path(root) / "host"


def compiler() -> str:
    for candidate in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if candidate and shutil.which(candidate):
            return candidate
    raise UserError("no C compiler found; install one (apt-get install gcc) or set CC")


def build_host(header_text: str, name: str, *, count_ops: bool = False,
               extra_flags: tuple[str, ...] = ()) -> Path:
    """The path of a host executable running this model (built once, then cached)."""
    driver = (firmware_dir() / "host" / "driver.c").read_text()
    flags = (*STRICT_CFLAGS, "-O2", *(("-DHARNESS_COUNT_OPS",) if count_ops else ()), *extra_flags)
    sources = {f"{name}.h": header_text, "harness_model.h": model_glue(name), "driver.c": driver}
    return compile_cached("model_driver", sources, flags, what=f"{name}.h")


def compile_cached(executable_name: str, sources: dict[str, str], flags: tuple[str, ...], what: str) -> Path:
    """`driver.c` among `sources` (file name -> text) compiled on the host, once: the
    executable is cached under the digest of everything that went into it."""
    cc = compiler()
    parts = (executable_name, *(f"{file}\0{text}" for file, text in sorted(sources.items())), cc, *flags)
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]
    executable = cache_dir() / digest / executable_name
    if executable.exists():
        return executable
    with tempfile.TemporaryDirectory() as work:
        work_path = Path(work)
        for file, text in sources.items():
            (work_path / file).write_text(text)
        out = work_path / executable_name
        result = subprocess.run([cc, *flags, "-I", str(work_path), str(work_path / "driver.c"), "-o", str(out)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"host build of {what} failed:\n{result.stderr[-4000:]}")
        executable.parent.mkdir(parents=True, exist_ok=True)
        # a private staging name: other processes may be caching the same build right now
        handle, staged = tempfile.mkstemp(dir=executable.parent, prefix=f".{executable_name}.")
        os.close(handle)
        shutil.copy2(out, staged)
        os.replace(staged, executable)
    return executable


def run_host(executable: Path, rows: np.ndarray, input_dtype: str, n_outputs: int,
             count_ops: bool = False) -> HostRun:
    data = np.ascontiguousarray(rows, dtype=INPUT_TYPES[input_dtype].numpy).tobytes()
    result = subprocess.run([str(executable)], input=data, capture_output=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"host model run failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    n_ops = len(opcount.OP_CLASSES) if count_ops else 0
    record = np.dtype([("prediction", "<i4"), ("ops", "<u4", (n_ops,)), ("scores", "<i4", (n_outputs,))])
    out = np.frombuffer(result.stdout, dtype=record)
    if len(out) != rows.shape[0]:
        raise RuntimeError(f"host model answered {len(out)} of {rows.shape[0]} rows")
    counts = None
    if count_ops:
        counts = {op: out["ops"][:, i].astype(np.int64) for i, op in enumerate(opcount.OP_CLASSES)}
    return HostRun(out["prediction"].astype(np.int64), out["scores"].astype(np.int64).reshape(len(out), n_outputs),
                   counts)
