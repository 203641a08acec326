"""Measurements cached by content digest, one JSON file each, so a repeated or interrupted
search re-measures nothing it already measured. A file is written whole or not at all."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

from codegen.errors import UserError

SCHEMA = 1  # bump when a measurement's meaning changes


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mcugen" / "tune"


def measurement_key(header_text: str, target: str, input_dtype: str, rows, version: str) -> str:
    """What decides a measurement: the generated C (model, transform and settings are all in
    it), the chip, the input type and the exact rows run."""
    digest = hashlib.sha256()
    for part in (f"schema{SCHEMA}", version, target, input_dtype, header_text):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(rows.tobytes())
    digest.update(str(rows.shape).encode())
    return digest.hexdigest()


# A measurement's fields and their types (codegen/optimize/measure.py writes them)
FITTING = {"flash_bytes": int, "ram_bytes": int, "counter": str, "count_mean": float, "count_max": int,
           "c_agreement": float, "rows_simulated": int}


def load(directory: Path, key: str) -> dict | None:
    """The cached measurement, or None (then it is measured again) when there is none or the
    file does not hold one: cut short, edited, or of another shape."""
    try:
        found = json.loads((Path(directory) / f"{key}.json").read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return found if is_measurement(found) else None


def is_measurement(found) -> bool:
    if not isinstance(found, dict) or not isinstance(found.get("fits"), bool):
        return False
    if not found["fits"]:
        return isinstance(found.get("reason"), str)
    return all(_is_a(found.get(field), kind) for field, kind in FITTING.items()) and \
        found["rows_simulated"] > 0 and 0.0 <= found["c_agreement"] <= 1.0 and \
        min(found["flash_bytes"], found["ram_bytes"], found["count_mean"], found["count_max"]) >= 0


def _is_a(value, kind) -> bool:
    if isinstance(value, bool):  # JSON true is no number of bytes
        return False
    if kind is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, kind)


def check_cache_dir(directory) -> None:
    """Before any search: the cache folder exists as a folder we can write, or can be made."""
    directory = Path(directory or default_cache_dir())
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        what = "is a file" if not existing.is_dir() else "is not writable"
        raise UserError(f"--cache-dir {directory}: {existing} {what}; give a cache folder you can write to "
                        "with --cache-dir")


def store(directory: Path, key: str, measurement: dict) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{key}.", dir=directory)
    with os.fdopen(handle, "w") as out:
        json.dump(measurement, out, sort_keys=True)
    os.replace(temporary, directory / f"{key}.json")
