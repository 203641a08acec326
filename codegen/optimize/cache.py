"""Measurements cached by content digest, one JSON file each, so a repeated or interrupted
search re-measures nothing it already measured. A file is written whole or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

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


def load(directory: Path, key: str) -> dict | None:
    try:
        return json.loads((Path(directory) / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None


def store(directory: Path, key: str, measurement: dict) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{key}.", dir=directory)
    with os.fdopen(handle, "w") as out:
        json.dump(measurement, out, sort_keys=True)
    os.replace(temporary, directory / f"{key}.json")
